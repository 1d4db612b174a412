"""Trygghetsbot: an anonymous safety-survey Telegram bot (see docs and DESIGN.md)."""
