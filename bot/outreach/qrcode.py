"""The QR code of a deep link, as SVG (for print and the poster) and PNG (for screens).

Made with segno: pure Python (no Pillow, no C extension), writes SVG and PNG itself, and follows
ISO/IEC 18004. Error correction level Q (a quarter of the code may be dirty or torn: posters
hang outdoors) and the standard quiet zone of four modules.

What must hold: the code decodes to exactly the link it was made from (tests/outreach decode it
back with zxing-cpp).
"""

from __future__ import annotations

import io

import segno

#: Modules of white border around the code (the standard's minimum quiet zone).
QUIET_ZONE = 4
#: The SVG's printed size per module: about 10 cm for a link's code, readable from a metre.
MODULE_MM = 2.5


def qr_code(link: str) -> segno.QRCode:
    """The QR code of `link`: a full-size code (never Micro QR), error correction level Q."""
    return segno.make(link, error="q", micro=False)


def qr_svg(link: str) -> bytes:
    """The code as a standalone SVG: printed about 10 cm wide, and scalable to any size."""
    buffer = io.BytesIO()
    qr_code(link).save(
        buffer, kind="svg", scale=MODULE_MM, unit="mm", border=QUIET_ZONE, xmldecl=True, title=link
    )
    return buffer.getvalue()


def qr_png(link: str, pixels_per_module: int = 10) -> bytes:
    """The code as a black-and-white PNG, `pixels_per_module` pixels for each module."""
    buffer = io.BytesIO()
    qr_code(link).save(buffer, kind="png", scale=pixels_per_module, border=QUIET_ZONE)
    return buffer.getvalue()
