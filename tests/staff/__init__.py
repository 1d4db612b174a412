"""Tests of bot.staff."""
