"""Outreach: the survey's deep links per channel, their QR codes and printable posters.

What must hold: a link names only a source declared in the survey file (`bot.survey.sources`),
so every poster, paper advert and post is counted under its own code; this package reads the
survey and nothing else of ours (no store, no Telegram).
"""
