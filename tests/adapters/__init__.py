"""Tests of bot.adapters."""
