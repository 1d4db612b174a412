"""The QR code decodes back to exactly the link, from the PNG file and from the printed poster."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.outreach.links import deep_link
from bot.outreach.poster import poster, poster_pdf
from bot.outreach.qrcode import qr_png, qr_svg
from bot.survey.model import Survey
from tests.outreach.conftest import BOT, TITLES, decode_png, pdf_pages


@pytest.mark.parametrize("source", ["poster_andersberg", "paper", "share"])
def test_the_png_decodes_to_the_exact_link(survey: Survey, source: str, tmp_path: Path) -> None:
    link = deep_link(survey, BOT, source)
    path = tmp_path / "code.png"
    path.write_bytes(qr_png(link))
    assert decode_png(path) == [link]


def test_the_svg_is_a_scalable_image_titled_with_the_link(survey: Survey) -> None:
    link = deep_link(survey, BOT, "social")
    svg = qr_svg(link).decode()
    assert svg.startswith("<?xml") and "<svg" in svg and "viewBox" in svg
    assert 'width="102.5mm"' in svg  # 41 modules of 2.5 mm: readable from a metre
    assert f"<title>{link}</title>" in svg


def test_the_code_printed_on_the_poster_decodes_to_the_exact_link(
    survey: Survey, tmp_path: Path
) -> None:
    link = deep_link(survey, BOT, "poster_vallas")
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(poster_pdf(poster(TITLES, link, list(TITLES))))
    (page,) = pdf_pages(pdf, dpi=60)  # a coarse rendering, as a phone sees it from afar
    assert decode_png(page) == [link]
