"""`survey-bot qr`: a channel's deep link as a QR code (SVG, PNG) and a printable A4 poster (PDF).

What must hold: only a source declared in the survey file gets a link (anything else is one line
listing the declared codes, exit 2); the bot's username comes from `--bot` or
SURVEYBOT_BOT_USERNAME; the files are written only after every check passed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.bootstrap import CliError, load_survey_or_fail
from bot.config import load_settings
from bot.outreach.fonts import FONT_PACKAGE, missing_fonts
from bot.outreach.links import LinkError, deep_link
from bot.outreach.poster import PosterError, poster, poster_languages, poster_pdf, unprintable
from bot.outreach.qrcode import qr_png, qr_svg


def add_qr_command(sub: Any) -> None:
    """Register `qr` on the `survey-bot` sub-command parser."""
    qr = sub.add_parser("qr", help="write a channel's QR code (SVG, PNG) and A4 poster (PDF)")
    qr.add_argument("--source", required=True, help="a source code declared in the survey file")
    qr.add_argument("--lang", help="poster languages, e.g. sv,en,ar (default: all the survey's)")
    qr.add_argument("--out", default=".", help="folder to write into (default: here)")
    qr.add_argument("--bot", help="the bot's username (default: SURVEYBOT_BOT_USERNAME)")
    qr.set_defaults(func=_qr)


def _qr(args: argparse.Namespace) -> int:
    settings = load_settings()
    survey = load_survey_or_fail(settings.survey)
    requested = [p.strip() for p in (args.lang or "").split(",") if p.strip()]
    try:
        link = deep_link(survey, args.bot or settings.bot_username, args.source)
        languages = poster_languages(survey.languages, requested)
    except (LinkError, PosterError) as err:
        raise CliError(str(err)) from None
    if not requested and (left := unprintable(survey.languages)):
        print(f"note: no poster words in {', '.join(left)}; left off the poster", file=sys.stderr)
    if missing := missing_fonts(languages):
        raise CliError(
            f"no font installed for {', '.join(missing)}: install one "
            f"(Debian/Ubuntu: apt-get install {FONT_PACKAGE}), see docs/outreach.md"
        )
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        made = poster(survey.title, link, languages)
        files = {
            out / f"qr-{args.source}.svg": qr_svg(link),
            out / f"qr-{args.source}.png": qr_png(link),
            out / f"poster-{args.source}.pdf": poster_pdf(made),
        }
        for path, content in files.items():
            path.write_bytes(content)
    except OSError as err:
        raise CliError(f"cannot write into {out}: {err.strerror}") from None
    print(link)
    for path in files:
        print(f"wrote {path}")
    if made.drafts:
        print(
            f"note: the poster's words in {', '.join(made.drafts)} are drafts no translator has "
            "reviewed yet (bot/outreach/templates/poster_words.yaml): have them checked first",
            file=sys.stderr,
        )
    return 0
