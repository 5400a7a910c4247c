"""Pictures a user uploads (a character's portrait for the visual bible), checked and made
small before anything keeps them.

Pillow reads the size from the header before decoding, so a picture that would take a
gigabyte to decode is refused from its first bytes; the rest is decoded once and stored as
a PNG no larger than a reference needs.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

from reelforge.errors import Explained

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_PIXELS = 40_000_000
"""About 7,000 x 5,700: any photo a phone takes; decoding it costs ~120 MB."""
STORED_SIDE = 1024
FORMATS = ("PNG", "JPEG", "WEBP")


class PictureRefused(Explained):
    """An upload that is not a picture we keep; the message says what to send instead."""


def user_picture_png(data: bytes, max_side: int = STORED_SIDE) -> bytes:
    """A PNG of the uploaded picture, RGB, its long side at most `max_side`."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise PictureRefused(f"the picture is {len(data) / 2**20:.1f} MB; send one of at most "
                             f"{MAX_UPLOAD_BYTES // 2**20} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = image.size
            if width * height > MAX_UPLOAD_PIXELS:
                raise PictureRefused(f"the picture is {width}x{height} pixels; send one of at "
                                     f"most {MAX_UPLOAD_PIXELS // 1_000_000} megapixels")
            image.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale
            rgb = image.convert("RGB")
    except PictureRefused:
        raise
    except Exception as exc:
        raise PictureRefused("the upload is not a PNG, JPEG or WebP picture that can be read; "
                             "send one of those") from exc
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, format="PNG", compress_level=6)
    return out.getvalue()
