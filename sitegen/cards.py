"""Social cards: a card page's PNG, drawn with Pillow from the site's card template (cardspec.py).

`produce(renderer, page)` is the Renderer's producer for pages of kind "card" (render.PRODUCERS). It renders each
layer's `text:` through the renderer's Jinja environment (so the data keys and files a card reads are recorded in
its Deps like any page's: a salary edit re-renders the cards that show it), then looks the drawing up by its
inputs (card.yaml's bytes, the texts, the fonts' and images' bytes, Pillow's version): in this process's memo,
then in the store (`Renderer.stored`, the `products` table pointing at the PNG's bytes in the page store). Only a
card whose inputs changed is drawn again.

The text's fonts, layout and drawing are cardtext.py's.
"""

from __future__ import annotations

import functools
import hashlib
import io
import unicodedata
from pathlib import Path
from typing import Any

import jinja2
from PIL import Image, ImageDraw, ImageOps
from PIL import __version__ as PIL_VERSION

from . import datapages
from .cardspec import FORMAT, HEIGHT, MAX_TEXT, REL, WIDTH, CardSpec, dependency, load_spec, resolve
from .cardtext import RAQM, Faces, MissingGlyph, colour, draw_layer, lay_out
from .errors import Problem

MEMO_LIMIT = 2_000  # drawn cards kept per process (about 20 KB each)
RAMP_STEPS = 48  # palette entries per text colour: its blends over the background (within 3/255 of any blend)


class CardProblem(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


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
            image = Image.new("RGB", (WIDTH, HEIGHT), colour(spec.background)[:3])
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

    @functools.cached_property
    def palette(self) -> Image.Image | None:
        """The 256 colours every card on a flat background is drawn in, made once from the card template alone
        (so the same for every card and every process): the background, the logo's colours, and for each text
        colour RAMP_STEPS of its blends over the background, which is what anti-aliased text on a flat colour
        is made of. Mapping a card onto it takes a third of the time of finding a palette for each card. None
        (each card quantized on its own) with a background image, more than four text colours, or a text box
        that reaches the logo or a text box of another colour (blends of colours that are not on the ramps)."""
        spec = self.spec
        inks = sorted({colour(layer.color) for layer in spec.layers})
        if spec.background_image or 256 - RAMP_STEPS * len(inks) < 32:
            return None
        logo = spec.logo
        if logo and any(_near(layer, logo, layer.size // 2) for layer in spec.layers):
            return None
        # a layer's text stays inside its box (cardtext.lay_out), so boxes that do not meet cannot blend
        if any(_near(a, b, 0) for i, a in enumerate(spec.layers) for b in spec.layers[i + 1:]
               if colour(a.color) != colour(b.color)):
            return None  # text over text of another colour: blends of two inks are not on the ramps
        back = colour(spec.background)[:3]
        colours = [back]
        if logo:
            box = (logo.x, logo.y, logo.x + logo.width, logo.y + logo.height)
            own = self.base().crop(box).quantize(256 - RAMP_STEPS * len(inks) - 1, method=Image.Quantize.FASTOCTREE,
                                                 dither=Image.Dither.NONE)
            rgb = own.getpalette()[: 3 * len(own.getcolors(256) or ())]
            colours += [tuple(rgb[i : i + 3]) for i in range(0, len(rgb), 3)]
        for *ink, alpha in inks:
            for step in range(1, RAMP_STEPS + 1):
                t = alpha / 255 * step / RAMP_STEPS
                colours.append(tuple(round(b + (c - b) * t) for b, c in zip(back, ink)))
        palette = Image.new("P", (1, 1))
        palette.putpalette([v for rgb in colours[:256] for v in rgb] + [0, 0, 0] * (256 - len(colours[:256])))
        return palette

    def key(self, texts: list[str]) -> str:
        return hashlib.blake2b(repr((FORMAT, self.spec.digest, texts, self.inputs, PIL_VERSION, RAQM)).encode(),
                               digest_size=20).hexdigest()


def _near(layer, other, room: int) -> bool:
    """Whether a text layer's box, widened by `room` pixels, meets another box (the logo's or another layer's)."""
    return not (layer.x + layer.width + room <= other.x or other.x + other.width <= layer.x - room
                or layer.y + layer.height + room <= other.y or other.y + other.height <= layer.y - room)


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
        fixed = state.palette
        image = (image.quantize(palette=fixed, dither=Image.Dither.NONE) if fixed is not None else
                 image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE))
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
