"""A drawn signature as a PNG image (Pillow), from its strokes: what the consent
stores beside the strokes, and what the consent document prints."""

from __future__ import annotations

import io
from itertools import pairwise

from PIL import Image, ImageDraw

from needlelog.domain.consent import Signature

# Largest side of the stored image; the strokes keep the full detail.
MAX_SIDE = 900
_SUPERSAMPLE = 3  # drawn larger, then reduced: smooth edges without anti-aliasing API
_INK = (20, 28, 60, 255)
_MIN_WIDTH_PX = 1.2  # at the image's size, for the lightest pressure
_MAX_WIDTH_PX = 3.6


def png(signature: Signature) -> bytes:
    """The strokes drawn in dark ink on a transparent background, the pad's shape,
    at most ``MAX_SIDE`` pixels wide or high; line width follows the pen pressure."""
    scale = min(1.0, MAX_SIDE / max(signature.width, signature.height, 1))
    out_w = max(1, round(signature.width * scale))
    out_h = max(1, round(signature.height * scale))
    big = _SUPERSAMPLE * scale
    canvas = Image.new("RGBA", (out_w * _SUPERSAMPLE, out_h * _SUPERSAMPLE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(canvas)
    for stroke in signature.strokes:
        points = [(p.x * big, p.y * big, _width(p.pressure)) for p in stroke.points]
        if len(points) == 1:
            x, y, w = points[0]
            draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=_INK)
            continue
        for (x1, y1, w1), (x2, y2, w2) in pairwise(points):
            w = (w1 + w2) / 2
            draw.line((x1, y1, x2, y2), fill=_INK, width=max(1, round(w)))
            draw.ellipse((x2 - w / 2, y2 - w / 2, x2 + w / 2, y2 + w / 2), fill=_INK)
        x, y, w = points[0]
        draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=_INK)
    image = canvas.resize((out_w, out_h), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _width(pressure: float) -> float:
    p = min(1.0, max(0.0, pressure))
    return (_MIN_WIDTH_PX + (_MAX_WIDTH_PX - _MIN_WIDTH_PX) * p) * _SUPERSAMPLE
