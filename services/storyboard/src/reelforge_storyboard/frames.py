"""Frames as the stage stores them: square PNGs on the master canvas.

Local frames already are; a remote model may answer in another size or format, and every
later stage (the video moves, the aspect crops) counts on the square master, so anything
else is cover-scaled and centre-cropped to it.
"""

from __future__ import annotations

import base64

import cv2
import numpy as np
from reelforge.media.stills import PNG_SIGNATURE, decode_rgb, encode_png

NOT_AN_IMAGE = "the image provider returned bytes that are not an image"
LLM_PREVIEW_SIDE = 512
"""The frame the LLM sees: enough for a vision model to plan a camera move, small enough
to send (a 1920 PNG would be megabytes of base64)."""


def normalise_frame(data: bytes, side: int) -> bytes:
    """`data` as a side x side PNG; a conforming PNG passes through untouched (keeping any
    ancillary chunks, such as the local renderer's depth)."""
    rgb = decode_rgb(data, error=NOT_AN_IMAGE)
    if data.startswith(PNG_SIGNATURE) and rgb.shape[:2] == (side, side):
        return data
    return encode_png(cover_square(rgb, side))


def cover_square(rgb: np.ndarray, side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = side / min(h, w)
    resized = cv2.resize(rgb, (max(side, round(w * scale)), max(side, round(h * scale))),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    top = (resized.shape[0] - side) // 2
    left = (resized.shape[1] - side) // 2
    return resized[top:top + side, left:left + side]


def preview_b64(png: bytes, side: int = LLM_PREVIEW_SIDE) -> str:
    """A small PNG of the frame, base64-encoded for the shot planner's context."""
    rgb = decode_rgb(png, error=NOT_AN_IMAGE)
    small = cv2.resize(rgb, (side, side), interpolation=cv2.INTER_AREA) if rgb.shape[0] > side \
        else rgb
    return base64.b64encode(encode_png(small)).decode("ascii")
