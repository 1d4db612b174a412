"""Tests of bot.adapters.terminal."""
