"""A bar chart of a level distribution as a PNG, drawn with the standard library (zlib) so the
report needs no plotting package. Bars run best level first, in the order of the 汇总表; each is
labelled with its count above and its share below. The image carries no level names: Chinese
text needs a CJK font, which cannot be assumed on a server — the 汇总表 and the HTML scorecard name
the levels, in the same order and colours."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from decimal import Decimal

WIDTH, HEIGHT = 640, 360
PALETTE = ((0xC0, 0x39, 0x2B), (0xE6, 0x7E, 0x22), (0xF1, 0xC4, 0x0F), (0x27, 0xAE, 0x60), (0x29, 0x80, 0xB9),
           (0x8E, 0x44, 0xAD), (0x7F, 0x8C, 0x8D))
_INK = (0x33, 0x33, 0x33)
# 3×5 glyphs for the labels: each row is 3 bits, left to right
_GLYPHS = {"0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
           "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
           "8": "111101111101111", "9": "111101111001111", ".": "000000000000010", "%": "101001010100101"}
_SCALE = 3


def colour(index: int) -> tuple[int, int, int]:
    return PALETTE[index % len(PALETTE)]


def bar_chart_png(counts: Sequence[int], shares: Sequence[Decimal]) -> bytes:
    pixels = [bytearray(b"\xff" * (WIDTH * 3)) for _ in range(HEIGHT)]
    top, bottom, left, right = 40, HEIGHT - 50, 40, WIDTH - 20
    _rect(pixels, left, bottom, right, bottom + 2, _INK)  # the axis
    tallest = max(counts, default=0) or 1
    slot = (right - left) // max(len(counts), 1)
    for index, (count, share) in enumerate(zip(counts, shares)):
        x0 = left + index * slot + slot // 5
        x1 = left + (index + 1) * slot - slot // 5
        height = (bottom - top) * count // tallest
        _rect(pixels, x0, bottom - height, x1, bottom, colour(index))
        _text(pixels, str(count), (x0 + x1) // 2, bottom - height - 8 * _SCALE)
        _text(pixels, f"{share * 100:.1f}%", (x0 + x1) // 2, bottom + 4 * _SCALE)
    return _png(pixels)


def _rect(pixels: list[bytearray], x0: int, y0: int, x1: int, y1: int, rgb: tuple[int, int, int]) -> None:
    for y in range(max(y0, 0), min(y1, HEIGHT)):
        pixels[y][x0 * 3:x1 * 3] = bytes(rgb) * (x1 - x0)


def _text(pixels: list[bytearray], text: str, centre: int, y: int) -> None:
    x = centre - (len(text) * 4 * _SCALE) // 2
    for char in text:
        glyph = _GLYPHS[char]
        for bit, on in enumerate(glyph):
            if on == "1":
                gx, gy = x + (bit % 3) * _SCALE, y + (bit // 3) * _SCALE
                _rect(pixels, gx, gy, gx + _SCALE, gy + _SCALE, _INK)
        x += 4 * _SCALE


def _png(pixels: list[bytearray]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
