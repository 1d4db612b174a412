"""Trygghetsbot: an anonymous safety-survey Telegram bot (see docs/architecture.md)."""
