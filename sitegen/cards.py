"""Social cards: a card page's PNG, drawn with Pillow from the site's card template (cardspec.py).

`produce(renderer, page)` is the Renderer's producer for pages of kind "card" (render.PRODUCERS). It renders each
layer's `text:` through the renderer's Jinja environment (so the data keys and files a card reads are recorded in
its Deps like any page's: a salary edit re-renders the cards that show it), then looks the drawing up by its
inputs (card.yaml's bytes, the texts, the fonts' and images' bytes, Pillow's version): in this process's memo,
then in the store (`Renderer.stored`, the `products` table pointing at the PNG's bytes in the page store). Only a
card whose inputs changed is drawn again.

Drawing: text is shaped by raqm (Pillow's RAQM layout: ligatures, Arabic joining, bidi); without raqm (a Pillow
built without it) BASIC layout draws right-to-left runs reversed character by character, which keeps Hebrew
readable but leaves Arabic letters unjoined. Each character takes the first listed font whose cmap (fontTools) has
it; lines wrap by measured width at spaces, and between any two characters of CJK text; a text too long for its box
is drawn smaller, step by step down to `min_size`, then cut with an ellipsis. A character no font has is an error of
the page's source, not a box on the card.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from PIL import Image, ImageDraw, ImageFont, ImageOps, features
from PIL import __version__ as PIL_VERSION
from fontTools.ttLib import TTFont

from . import datapages
from .cardspec import HEIGHT, MAX_TEXT, REL, WIDTH, CardSpec, Layer, dependency, load_spec, resolve
from .errors import Problem

FORMAT = "sitegen-card-1"
RAQM = features.check("raqm")
LAYOUT = ImageFont.Layout.RAQM if RAQM else ImageFont.Layout.BASIC
ELLIPSIS = "…"
MEMO_LIMIT = 2_000  # drawn cards kept per process (about 20 KB each)
RTL_CLASSES = frozenset({"R", "AL"})
CLOSING = frozenset({"Pe", "Pf", "Po"})  # punctuation that stays on the line of the character before it


class MissingGlyph(Exception):
    def __init__(self, char: str):
        super().__init__(char)
        self.char = char


class CardProblem(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


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

    def runs(self, text: str) -> list[tuple[ImageFont.FreeTypeFont, str]]:
        return [(self.faces.font(name, self.size), part) for name, part in runs(text, self.chain, self.faces)]

    def width(self, text: str) -> float:
        return sum(font.getlength(part, direction=self.direction) for font, part in self.runs(text))


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


def _colour(value: str) -> tuple[int, int, int, int]:
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
    fill = _colour(layer.color)
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


class CardState:
    """What a renderer keeps for cards: the template, fonts, compiled layer texts, the base image, drawn cards."""

    def __init__(self, root: Path, env: jinja2.Environment):
        spec, problems = load_spec(root)
        if problems:
            raise CardProblem(problems[0])
        assert spec is not None, "a card page is planned only when templates/card.yaml exists"
        self.spec: CardSpec = spec
        self.root = root
        self.faces = Faces(root)
        self.texts = [env.from_string("{% autoescape false %}" + layer.text + "{% endautoescape %}")
                      for layer in spec.layers]
        self.reads = {dependency(root, name) for name in spec.files()}
        self.inputs = [(name, self.faces.digest(name)) for name in spec.files()]
        self._base: Image.Image | None = None
        self.memo: dict[str, bytes] = {}

    def base(self) -> Image.Image:
        """The background, its image and the logo: drawn once per process."""
        if self._base is None:
            spec = self.spec
            image = Image.new("RGB", (WIDTH, HEIGHT), _colour(spec.background)[:3])
            if spec.background_image:
                with Image.open(resolve(self.root, spec.background_image)) as found:
                    image.paste(ImageOps.fit(found.convert("RGB"), (WIDTH, HEIGHT)), (0, 0))
            if spec.logo:
                logo = spec.logo
                with Image.open(resolve(self.root, logo.path)) as found:
                    mark = ImageOps.contain(found.convert("RGBA"), (logo.width, logo.height))
                image.paste(mark, (logo.x + (logo.width - mark.width) // 2, logo.y + (logo.height - mark.height) // 2),
                            mark)
            self._base = image
        return self._base

    def key(self, texts: list[str]) -> str:
        return hashlib.blake2b(repr((FORMAT, self.spec.digest, texts, self.inputs, PIL_VERSION, RAQM)).encode(),
                               digest_size=20).hexdigest()


def state_of(renderer) -> CardState:
    state = renderer.products.get("card")
    if state is None:
        state = renderer.products["card"] = CardState(Path(renderer.templates_dir).parent, renderer.env)
    return state


def clean(text: str) -> str:
    """A layer's rendered text: NFC, spaces collapsed, empty lines dropped, cut at MAX_TEXT characters."""
    lines = (" ".join(line.split()) for line in unicodedata.normalize("NFC", text).split("\n"))
    return "\n".join(line for line in lines if line)[:MAX_TEXT].strip()


def values(renderer, page) -> dict[str, Any]:
    """What a layer's text sees besides the globals (site, data, url, the filters)."""
    kind = page.extra.get("of")
    found: dict[str, Any] = {"page": page, "kind": kind, "id": page.extra.get("id")}
    if kind == "record" and page.extra.get("collection"):
        spec = renderer.site.settings["collections"][page.extra["collection"]]
        key = page.extra["id"]
        found["item"] = datapages.view_records(datapages.view(renderer.data, spec["data"]), key)[key]
    return found


def texts_of(renderer, page, state: CardState) -> list[str]:
    context = values(renderer, page)
    out = []
    for index, (layer, template) in enumerate(zip(state.spec.layers, state.texts)):
        try:
            out.append(clean(template.render(**context)))
        except jinja2.UndefinedError as exc:
            raise CardProblem(Problem(REL, layer.line, f"layers.{index}.text: undefined: {exc.message} (card of "
                                                       f"{page.extra.get('page') or page.url})")) from None
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, ArithmeticError) as exc:
            raise CardProblem(Problem(REL, layer.line, f"layers.{index}.text: template error: {exc}")) from None
    return out


def draw(state: CardState, texts: list[str]) -> bytes:
    """The card's PNG (no metadata chunks: the same texts give the same bytes). Raises MissingGlyph."""
    image = state.base().copy()
    canvas = ImageDraw.Draw(image, "RGBA")
    for layer, text in zip(state.spec.layers, texts):
        if text:
            draw_layer(canvas, layer, lay_out(text, layer, state.faces), state.faces)
    if not state.spec.background_image:
        # flat colours and text: a 256-colour palette is within 14/255 of every pixel, a third of the bytes, and
        # (quantizing included) half the time to encode; a photo background keeps every colour
        image = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def _source_of(renderer, page, char: str) -> tuple[str, int, str]:
    """Where a character no font has came from: the page's front-matter field or record field holding it."""
    art = page.article
    if art is not None:
        art = renderer.complete(art)
        fields = {"title": art.title, "description": art.description, **art.fields}
        for name, value in fields.items():
            if char in unicodedata.normalize("NFC", str(value)):
                return art.path, art.line_of(name), name
        return art.path, 1, "front matter"
    if page.record is not None:
        name, _, key = page.record.partition("/")
        path, line = renderer.dataset.record_line(name, key)
        return path, line, f"{name} '{key}'"
    if page.extra.get("of") == "site":
        return "data/site.yaml", 1, "title"
    return REL, 1, "layers"


def produce(renderer, page) -> bytes:
    """The PNG of a card page (render.PRODUCERS["card"])."""
    try:
        state = state_of(renderer)
        renderer.deps.templates.add("card.yaml")
        renderer.deps.templates |= state.reads
        texts = texts_of(renderer, page, state)
    except CardProblem as exc:
        from .render import TemplateProblem
        raise TemplateProblem(exc.problem) from None
    key = state.key(texts)
    png = state.memo.get(key)
    if png is None:
        png = renderer.stored(key)
    if png is None:
        try:
            png = draw(state, texts)
        except MissingGlyph as exc:
            from .render import TemplateProblem
            path, line, field = _source_of(renderer, page, exc.char)
            raise TemplateProblem(Problem(path, line, f"{field}: no card font has a glyph for {exc.char!r} "
                                                      f"(U+{ord(exc.char):04X}); add a font that covers it to fonts: "
                                                      f"in {REL}")) from None
        renderer.new_products.append((key, png))
    if len(state.memo) < MEMO_LIMIT:
        state.memo[key] = png
    return png
