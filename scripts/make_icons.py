"""Draw the app icons (static/icons/*.png) with the standard library only: `make icons`.

A white cross on the app's blue, crossed by a blue pulse line: "health, followed". The PNGs
are committed (a few KB); run this again only to change the drawing.
"""

from __future__ import annotations

import itertools
import math
import struct
import sys
import zlib
from pathlib import Path

BLUE = (31, 78, 121)
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def png(path: Path, size: int, pixels: list[bytes]) -> None:
    """Write RGBA rows as a PNG file."""
    raw = b"".join(b"\x00" + row for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _seg_dist(px: float, py: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


PULSE = [(0.10, 0.52), (0.36, 0.52), (0.43, 0.36), (0.52, 0.70), (0.60, 0.44), (0.65, 0.52), (0.90, 0.52)]


def colour(x: float, y: float, *, rounded: bool, scale: float) -> tuple[tuple[int, int, int], float]:
    """Return (colour, alpha) of a point of the unit square; scale shrinks the drawing (maskable)."""
    if rounded:  # a rounded square, corners transparent
        r = 0.18
        cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
        if math.hypot(x - cx, y - cy) > r:
            return BLUE, 0.0
    u, v = 0.5 + (x - 0.5) / scale, 0.5 + (y - 0.5) / scale
    arm, half = 0.13, 0.34
    in_cross = (abs(u - 0.5) <= arm and abs(v - 0.5) <= half) or (abs(v - 0.5) <= arm and abs(u - 0.5) <= half)
    if in_cross:
        on_pulse = min(_seg_dist(u, v, a, b) for a, b in itertools.pairwise(PULSE)) <= 0.035
        return (BLUE if on_pulse else WHITE), 1.0
    return BLUE, 1.0


def draw(size: int, *, rounded: bool, scale: float = 1.0, samples: int = 3) -> list[bytes]:
    rows = []
    for j in range(size):
        row = bytearray()
        for i in range(size):
            acc = [0.0, 0.0, 0.0]
            alpha = 0.0
            for sj in range(samples):
                for si in range(samples):
                    (r, g, b), a = colour((i + (si + 0.5) / samples) / size, (j + (sj + 0.5) / samples) / size,
                                          rounded=rounded, scale=scale)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    alpha += a
            n = samples * samples
            if alpha:
                row += bytes((round(acc[0] / alpha), round(acc[1] / alpha), round(acc[2] / alpha), round(255 * alpha / n)))
            else:
                row += b"\x00\x00\x00\x00"
        rows.append(bytes(row))
    return rows


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        png(OUT / f"icon-{size}.png", size, draw(size, rounded=True))
    png(OUT / "apple-touch-icon.png", 180, draw(180, rounded=False))
    png(OUT / "favicon-32.png", 32, draw(32, rounded=True, samples=4))
    # Maskable: full bleed, the drawing inside the 80 % safe zone.
    png(OUT / "maskable-512.png", 512, draw(512, rounded=False, scale=0.8))
    print(f"icons in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
