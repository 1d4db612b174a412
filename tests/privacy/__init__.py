"""Tests of bot.privacy."""
