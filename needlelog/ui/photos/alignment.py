"""Display alignment of two photographs from two landmarks clicked on each.

A similarity (turn, uniform scale, shift) is fixed by two point pairs; it maps one
photo's landmarks onto the other's, so the pupils of both faces fall on the same
screen points. It is applied to what is drawn only, never to a stored original.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF
from PySide6.QtGui import QTransform

Point = tuple[float, float]


def similarity(source: Sequence[Point], target: Sequence[Point]) -> QTransform | None:
    """The similarity taking ``source[0]``, ``source[1]`` to ``target[0]``, ``target[1]``
    (None when the two source points coincide: no turn or scale follows from them)."""
    (x1, y1), (x2, y2) = source
    (u1, v1), (u2, v2) = target
    p1, p2 = complex(x1, y1), complex(x2, y2)
    q1, q2 = complex(u1, v1), complex(u2, v2)
    if abs(p2 - p1) < 1e-9 or abs(q2 - q1) < 1e-9:
        return None
    a = (q2 - q1) / (p2 - p1)
    b = q1 - a * p1
    # Qt maps x' = m11 x + m21 y + dx, y' = m12 x + m22 y + dy: a complex product.
    return QTransform(a.real, a.imag, -a.imag, a.real, b.real, b.imag)


def mapped(transform: QTransform, point: Point) -> Point:
    result = transform.map(QPointF(*point))
    return result.x(), result.y()
