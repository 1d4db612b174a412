"""The terminal adapter: `survey-bot chat`."""
