"""Tests of bot.adapters.telegram."""
