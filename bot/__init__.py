"""Trygghetsbot: an anonymous safety-survey Telegram bot (see README.md and docs/architecture.md)."""
