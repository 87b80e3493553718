"""A card's text: fonts, layout and drawing, for cards.py.

Text is shaped by raqm (Pillow's RAQM layout: ligatures, Arabic joining, bidi); without raqm (a Pillow built without
it) BASIC layout draws right-to-left runs reversed character by character, which keeps Hebrew readable but leaves
Arabic letters unjoined. Each character takes the first listed font whose cmap (fontTools) has it; lines wrap by
measured width at spaces, and between any two characters of CJK text; a text too long for its box is drawn smaller,
step by step down to `min_size`, then cut with an ellipsis. A character no font has raises MissingGlyph: cards.py
reports it as an error of the page's source, never a box on the card.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageDraw, ImageFont, features
from fontTools.ttLib import TTFont

from .cardspec import Layer, resolve

RAQM = features.check("raqm")
LAYOUT = ImageFont.Layout.RAQM if RAQM else ImageFont.Layout.BASIC
ELLIPSIS = "…"
RTL_CLASSES = frozenset({"R", "AL"})
CLOSING = frozenset({"Pe", "Pf", "Po"})  # punctuation that stays on the line of the character before it


class MissingGlyph(Exception):
    def __init__(self, char: str):
        super().__init__(char)
        self.char = char

class Faces:
    """The card's fonts: each file's cmap (which characters it has), its sized Pillow fonts and its digest."""

    def __init__(self, root: Path):
        self.root = root
        self._cmaps: dict[str, frozenset[int]] = {}
        self._fonts: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}
        self._digests: dict[str, str] = {}

    def cmap(self, name: str) -> frozenset[int]:
        found = self._cmaps.get(name)
        if found is None:
            path = resolve(self.root, name)
            with TTFont(str(path), lazy=True, fontNumber=0) as font:
                found = self._cmaps[name] = frozenset(font.getBestCmap() or ())
        return found

    def font(self, name: str, size: int) -> ImageFont.FreeTypeFont:
        found = self._fonts.get((name, size))
        if found is None:
            found = self._fonts[(name, size)] = ImageFont.truetype(str(resolve(self.root, name)), size,
                                                                   layout_engine=LAYOUT)
        return found

    def digest(self, name: str) -> str:
        found = self._digests.get(name)
        if found is None:
            found = self._digests[name] = hashlib.blake2b(resolve(self.root, name).read_bytes(),
                                                          digest_size=16).hexdigest()
        return found


def _free(ch: str) -> bool:
    """Characters any font may carry: spaces and format controls (joiners, bidi marks)."""
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def runs(text: str, chain: tuple[str, ...], faces: Faces) -> list[tuple[str, str]]:
    """`text` cut into (font, text) runs: each character in the first font of `chain` that has it."""
    out: list[list[str]] = []
    maps = [faces.cmap(name) for name in chain]
    current = 0
    for ch in text:
        if not _free(ch):
            code = ord(ch)
            for index, cmap in enumerate(maps):
                if code in cmap:
                    current = index
                    break
            else:
                raise MissingGlyph(ch)
        if out and out[-1][0] == chain[current]:
            out[-1][1] += ch
        else:
            out.append([chain[current], ch])
    return [(name, part) for name, part in out]


def rtl(text: str) -> bool:
    """Whether the first strongly directional character is right-to-left (the paragraph's direction)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in RTL_CLASSES:
            return True
        if kind == "L":
            return False
    return False


def tokens(text: str) -> list[str]:
    """Words, spaces, and each CJK character on its own (a line may break between any two); closing punctuation
    stays with what precedes it."""
    out: list[str] = []
    word = ""
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in ("W", "F")
        if ch.isspace():
            if word:
                out.append(word)
                word = ""
            if not out or out[-1] != " ":
                out.append(" ")
        elif wide and unicodedata.category(ch) in CLOSING and (word or (out and out[-1] != " ")):
            if word:
                word += ch
            else:
                out[-1] += ch
        elif wide:
            if word:
                out.append(word)
            out.append(ch)
            word = ""
        else:
            word += ch
    if word:
        out.append(word)
    return out


class Measure:
    def __init__(self, chain: tuple[str, ...], faces: Faces, size: int, right_to_left: bool):
        self.chain, self.faces, self.size = chain, faces, size
        self.direction = ("rtl" if right_to_left else "ltr") if RAQM else None
        self._widths: dict[str, float] = {}  # wrap() measures each line it keeps twice: once is enough

    def runs(self, text: str) -> list[tuple[ImageFont.FreeTypeFont, str]]:
        return [(self.faces.font(name, self.size), part) for name, part in runs(text, self.chain, self.faces)]

    def width(self, text: str) -> float:
        found = self._widths.get(text)
        if found is None:
            found = self._widths[text] = sum(font.getlength(part, direction=self.direction)
                                             for font, part in self.runs(text))
        return found


def wrap(text: str, width: int, measure: Measure, limit: int) -> list[str]:
    """Lines of at most `width` pixels (stops after `limit` lines)."""
    lines: list[str] = []
    line = ""
    for token in tokens(text):
        if token == " ":
            line += " " if line else ""
            continue
        candidate = line + token
        if line and measure.width(candidate) > width:
            lines.append(line.rstrip())
            line = token
        else:
            line = candidate
        while len(line) > 1 and measure.width(line) > width:  # a word wider than the box: cut it
            cut = len(line) - 1
            while cut > 1 and measure.width(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
        if len(lines) >= limit:
            return lines
    if line.strip():
        lines.append(line.rstrip())
    return lines


def ellipsize(line: str, width: int, measure: Measure) -> str:
    mark = ELLIPSIS
    try:
        runs(mark, measure.chain, measure.faces)
    except MissingGlyph:
        mark = "..."
    text = line.rstrip()
    while text and measure.width(text + mark) > width:
        text = text[:-1].rstrip()
    return text.rstrip(" ,;:-–—") + mark


@dataclass(frozen=True)
class Laid:
    size: int
    lines: tuple[tuple[str, bool], ...]  # (line, right-to-left)


def lay_out(text: str, layer: Layer, faces: Faces) -> Laid:
    """The text's lines in the layer's box: the largest size from `size` down to `min_size` at which it fits,
    else `min_size` with the last line cut by an ellipsis. Raises MissingGlyph."""
    paragraphs = [p for p in text.split("\n") if p]
    runs(text.replace("\n", " "), layer.fonts, faces)  # every character has a font, or MissingGlyph
    size = layer.size
    while True:
        pitch = size * layer.line_height
        cap = max(1, min(layer.max_lines, int(layer.height // pitch)))
        lines: list[tuple[str, bool]] = []
        for paragraph in paragraphs:
            right = rtl(paragraph)
            measure = Measure(layer.fonts, faces, size, right)
            lines += [(line, right) for line in wrap(paragraph, layer.width, measure, cap + 1 - len(lines))]
            if len(lines) > cap:
                break
        if len(lines) <= cap:
            return Laid(size, tuple(lines))
        if size <= layer.min_size:
            last, right = lines[cap - 1]
            lines = lines[: cap - 1] + [(ellipsize(last, layer.width, Measure(layer.fonts, faces, size, right)),
                                         right)]
            return Laid(size, tuple(lines))
        size = max(layer.min_size, size - max(1, round(size / 16)))


def colour(value: str) -> tuple[int, int, int, int]:
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    if len(digits) == 6:
        digits += "ff"
    return tuple(int(digits[i : i + 2], 16) for i in range(0, 8, 2))  # type: ignore[return-value]


def draw_layer(canvas: ImageDraw.ImageDraw, layer: Layer, laid: Laid, faces: Faces) -> None:
    pitch = laid.size * layer.line_height
    primary = faces.font(layer.fonts[0], laid.size)
    ascent, descent = primary.getmetrics()
    fill = colour(layer.color)
    for index, (line, right) in enumerate(laid.lines):
        measure = Measure(layer.fonts, faces, laid.size, right)
        parts = measure.runs(line)
        if right:
            parts.reverse()  # visual order: the first run is the rightmost
            if not RAQM:  # no bidi without raqm: right-to-left runs reversed (Arabic stays unjoined)
                parts = [(font, part[::-1]) for font, part in parts]
        widths = [font.getlength(part, direction=measure.direction) for font, part in parts]
        total = sum(widths)
        align = layer.align
        if align in ("start", "end"):
            align = "right" if (align == "start") == right else "left"
        x = layer.x + {"left": 0, "right": layer.width - total, "center": (layer.width - total) / 2}[align]
        baseline = layer.y + index * pitch + (pitch - ascent - descent) / 2 + ascent
        for (font, part), advance in zip(parts, widths):
            canvas.text((x, baseline), part, font=font, fill=fill, anchor="ls", direction=measure.direction)
            x += advance
