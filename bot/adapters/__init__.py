"""Adapters at the edge: Telegram and the terminal."""
