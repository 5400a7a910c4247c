"""Still frames as bytes: decoding, PNG encoding, and the depth chunk the frames carry.

The local storyboard renderer stores its depth inside the frame's PNG, as a private
ancillary chunk. Every PNG reader skips chunks it does not know, so `storyboard/NN.png`
stays an ordinary image for people, the assembly stage and remote video models, while the
local video generator finds the renderer's exact depth for its parallax moves. Frames from
other image providers simply lack the chunk; the video stage then estimates depth from the
picture.

Chunk `dpTh` (ancillary, private, safe to copy) holds a grayscale 8-bit PNG of *nearness*
(255 = at the lens, 0 = the sky), at most `DEPTH_SIDE` pixels on its long side.
"""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEPTH_CHUNK = b"dpTh"
DEPTH_SIDE = 512
_IEND_LENGTH = 12


def decode_rgb(data: bytes, *, error: str = "the bytes are not a decodable image") -> np.ndarray:
    """An image (PNG, JPEG, ...) as RGB uint8; ValueError(`error`) when it is none."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(error)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def encode_png(rgb: np.ndarray, nearness: np.ndarray | None = None, compression: int = 3) -> bytes:
    """RGB uint8 frame to PNG bytes, with the nearness map (float 0..1) embedded when given."""
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise ValueError("PNG encoding failed")
    png = encoded.tobytes()
    if nearness is None:
        return png
    return _insert_before_iend(png, DEPTH_CHUNK, _depth_png(nearness))


def read_nearness(png: bytes) -> np.ndarray | None:
    """The embedded nearness map (float32 0..1, at its stored size), or None (not a PNG, or
    a PNG without the chunk)."""
    if not png.startswith(PNG_SIGNATURE):
        return None
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind = png[offset + 4:offset + 8]
        if kind == DEPTH_CHUNK:
            data = np.frombuffer(png[offset + 8:offset + 8 + length], np.uint8)
            depth = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
            return None if depth is None else depth.astype(np.float32) / 255
        if kind == b"IEND":
            return None
        offset += 12 + length
    return None


def _depth_png(nearness: np.ndarray) -> bytes:
    h, w = nearness.shape
    factor = min(1.0, DEPTH_SIDE / max(h, w))
    small = cv2.resize(nearness, (max(1, round(w * factor)), max(1, round(h * factor))),
                       interpolation=cv2.INTER_AREA)
    depth8 = np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".png", depth8, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise ValueError("depth PNG encoding failed")
    return encoded.tobytes()


def _insert_before_iend(png: bytes, chunk_type: bytes, data: bytes) -> bytes:
    if png[-_IEND_LENGTH + 4:-4] != b"IEND":
        raise ValueError("not a PNG ending in IEND")
    chunk = (struct.pack(">I", len(data)) + chunk_type + data
             + struct.pack(">I", zlib.crc32(chunk_type + data) & 0xFFFFFFFF))
    return png[:-_IEND_LENGTH] + chunk + png[-_IEND_LENGTH:]
