"""The site's social-card template, `templates/card.yaml`: loaded, validated, and the card pages it plans.

The card template is the designer's (trusted, like every template): a 1200x630 canvas with a background colour
(and optionally an image), fonts (the first one draws, later ones are fallbacks for the characters it lacks), an
optional logo, and text layers whose `text:` is a Jinja template rendered with the page's values. No file, no cards.

    background: "#0f172a"
    background_image: templates/cards/background.png   # optional, any size: scaled to cover the card
    fonts: [templates/cards/fonts/DejaVuSans-Bold.ttf, /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf]
    logo: {path: templates/cards/logo.png, x: 80, y: 60, width: 72, height: 72}
    layers:
      - {text: "{{ site.title }}", x: 176, y: 72, width: 944, height: 48, size: 34, color: "#94a3b8", max_lines: 1}
      - {text: "{{ page.title }}", x: 80, y: 180, width: 1040, height: 260, size: 68, min_size: 40, max_lines: 3}

Paths are relative to the site's root (absolute ones are allowed: the file is trusted). Problems are reported as
`templates/card.yaml:LINE: message`. Only the existence of the file and the pages' addresses are needed to plan;
reading the fonts and drawing are `cards.py`'s, in the render workers (Pillow is imported there only).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from .errors import Problem
from .model import Page
from .yamlutil import YamlSyntaxError, line_of, load

CARD_FILE = "card.yaml"  # in templates/
REL = f"templates/{CARD_FILE}"
WIDTH, HEIGHT = 1200, 630
KIND = "card"  # the kind of a card's planned page
# How cards are drawn (cards.py): bump it when the drawing changes. It is in each card page's `extra` (so in its
# signature: a stored card drawn the old way is not reused) and in the key of the drawn cards the store keeps.
FORMAT = "sitegen-card-3"
MAX_TEXT = 400  # characters of a layer's rendered text laid out; the rest is cut before layout
MAX_LAYERS = 16
MAX_SIZE = 400  # font size in pixels
COLOUR_RE = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
FONT_MAGIC = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"ttcf")
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
ALIGNS = ("start", "end", "left", "right", "center")
TOP_KEYS = {"background", "background_image", "fonts", "logo", "layers"}
BOX_KEYS = ("x", "y", "width", "height")
LAYER_KEYS = {"text", *BOX_KEYS, "size", "min_size", "color", "max_lines", "line_height", "align", "fonts"}
LOGO_KEYS = {"path", *BOX_KEYS}


@dataclass(frozen=True)
class Layer:
    text: str  # Jinja template source
    x: int
    y: int
    width: int
    height: int
    size: int
    min_size: int
    color: str
    max_lines: int
    line_height: float
    align: str
    fonts: tuple[str, ...]  # site-relative or absolute paths, first to last fallback
    line: int  # of the layer in card.yaml


@dataclass(frozen=True)
class Logo:
    path: str
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class CardSpec:
    background: str
    background_image: str | None
    fonts: tuple[str, ...]
    logo: Logo | None
    layers: tuple[Layer, ...]
    digest: str  # of card.yaml's bytes

    def files(self) -> list[str]:
        """Every font and image file the cards read, in a stable order."""
        names = list(self.fonts) + [f for layer in self.layers for f in layer.fonts]
        names += [self.background_image] if self.background_image else []
        names += [self.logo.path] if self.logo else []
        return list(dict.fromkeys(names))


def exists(templates_dir: Path) -> bool:
    return (templates_dir / CARD_FILE).is_file()


def resolve(root: Path, name: str) -> Path:
    return Path(name) if Path(name).is_absolute() else root / name


def dependency(root: Path, name: str) -> str:
    """How a card's page records a file it reads, as deps.Fingerprints.template digests it (relative to
    templates/ when it is inside, else its absolute path)."""
    path = resolve(root, name)
    try:
        return path.resolve().relative_to((root / "templates").resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


class _Checker:
    def __init__(self, root: Path, lines: dict):
        self.root = root
        self.lines = lines
        self.problems: list[Problem] = []

    def add(self, path: tuple, message: str) -> None:
        self.problems.append(Problem(REL, line_of(self.lines, path), message))

    def keys(self, value, path: tuple, allowed: set[str], what: str) -> bool:
        if not isinstance(value, dict):
            self.add(path, f"{what}: expected a mapping, got {type(value).__name__}")
            return False
        for key in value:
            if key not in allowed:
                self.add(path + (key,), f"{what}: unknown key '{key}' (known: {', '.join(sorted(allowed))})")
        return True

    def integer(self, value, path: tuple, name: str, low: int, high: int, default: int | None = None) -> int:
        if value is None and default is not None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(path, f"{name}: expected a whole number from {low} to {high}, got {str(value)[:40]!r}")
            return low
        return value

    def colour(self, value, path: tuple, name: str, default: str) -> str:
        if value is None:
            return default
        if not isinstance(value, str) or not COLOUR_RE.fullmatch(value):
            self.add(path, f"{name}: expected a colour #rgb, #rrggbb or #rrggbbaa, got {str(value)[:40]!r}")
            return default
        return value

    def file(self, value, path: tuple, name: str, magic: tuple[bytes, ...], what: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.add(path, f"{name}: expected a file path, got {str(value)[:60]!r}")
            return None
        found = resolve(self.root, value)
        if not Path(value).is_absolute():
            try:
                found.resolve().relative_to(self.root.resolve())
            except ValueError:
                self.add(path, f"{name}: {value!r} is outside the site; use a path inside it or an absolute path")
                return None
        if not found.is_file():
            self.add(path, f"{name}: no file {value!r} (paths are relative to the site's root)")
            return None
        with open(found, "rb") as handle:
            head = handle.read(8)
        if not head.startswith(magic):
            self.add(path, f"{name}: {value!r} is not {what}")
            return None
        return value

    def fonts(self, value, path: tuple, name: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            self.add(path, f"{name}: expected a list of font files (TrueType or OpenType)")
            return ()
        found = [self.file(v, path + (i,), f"{name}.{i}", FONT_MAGIC, "a TrueType or OpenType font")
                 for i, v in enumerate(value)]
        return tuple(f for f in found if f)

    def box(self, value: dict, path: tuple, name: str) -> tuple[int, int, int, int]:
        x = self.integer(value.get("x"), path + ("x",), f"{name}.x", 0, WIDTH - 1)
        y = self.integer(value.get("y"), path + ("y",), f"{name}.y", 0, HEIGHT - 1)
        w = self.integer(value.get("width"), path + ("width",), f"{name}.width", 1, WIDTH - x)
        h = self.integer(value.get("height"), path + ("height",), f"{name}.height", 1, HEIGHT - y)
        return x, y, w, h

    def layer(self, value, index: int, fonts: tuple[str, ...], env: jinja2.Environment) -> Layer | None:
        path, name = ("layers", index), f"layers.{index}"
        if not self.keys(value, path, LAYER_KEYS, name):
            return None
        text = value.get("text")
        if not isinstance(text, str):
            self.add(path + ("text",), f"{name}.text: expected a Jinja template (text), got {str(text)[:40]!r}")
            return None
        try:
            env.parse(text)
        except jinja2.TemplateSyntaxError as exc:
            self.add(path + ("text",), f"{name}.text: template syntax error: {exc.message}")
        x, y, w, h = self.box(value, path, name)
        size = self.integer(value.get("size"), path + ("size",), f"{name}.size", 6, MAX_SIZE, 40)
        min_size = self.integer(value.get("min_size"), path + ("min_size",), f"{name}.min_size", 6, size, size)
        line_height = value.get("line_height", 1.25)
        if isinstance(line_height, bool) or not isinstance(line_height, (int, float)) or not 0.8 <= line_height <= 3:
            self.add(path + ("line_height",), f"{name}.line_height: expected a number from 0.8 to 3")
            line_height = 1.25
        align = value.get("align", "start")
        if align not in ALIGNS:
            self.add(path + ("align",), f"{name}.align: expected one of {', '.join(ALIGNS)}, got {str(align)[:40]!r}")
            align = "start"
        own = self.fonts(value["fonts"], path + ("fonts",), f"{name}.fonts") if "fonts" in value else fonts
        if not own:
            self.add(path, f"{name}: no fonts (give fonts: at the top or in the layer)")
        return Layer(text, x, y, w, h, size, min_size, self.colour(value.get("color"), path + ("color",),
                                                                       f"{name}.color", "#000000"),
                     self.integer(value.get("max_lines"), path + ("max_lines",), f"{name}.max_lines", 1, 20, 3),
                     float(line_height), align, own, line_of(self.lines, path))


def load_spec(root: Path) -> tuple[CardSpec | None, list[Problem]]:
    """The site's card template (None when it has none), and its problems."""
    path = root / "templates" / CARD_FILE
    if not path.is_file():
        return None, []
    raw = path.read_bytes()
    try:
        value, lines = load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [Problem(REL, 1, "file is not UTF-8 text")]
    except YamlSyntaxError as exc:
        return None, [Problem(REL, exc.line, exc.message)]
    check = _Checker(root, lines)
    if not check.keys(value, (), TOP_KEYS, "card.yaml"):
        return None, check.problems
    background = check.colour(value.get("background"), ("background",), "background", "#ffffff")
    image = None
    if value.get("background_image") is not None:
        image = check.file(value["background_image"], ("background_image",), "background_image", IMAGE_MAGIC,
                           "a PNG, JPEG or GIF image")
    fonts = check.fonts(value["fonts"], ("fonts",), "fonts") if "fonts" in value else ()
    logo = None
    if value.get("logo") is not None and check.keys(value["logo"], ("logo",), LOGO_KEYS, "logo"):
        logo_path = check.file(value["logo"].get("path"), ("logo", "path"), "logo.path", IMAGE_MAGIC,
                               "a PNG, JPEG or GIF image")
        box = check.box(value["logo"], ("logo",), "logo")
        logo = Logo(logo_path, *box) if logo_path else None
    layers_value = value.get("layers")
    if not isinstance(layers_value, list) or not layers_value or len(layers_value) > MAX_LAYERS:
        check.add(("layers",), f"layers: expected a list of 1 to {MAX_LAYERS} text layers")
        layers_value = []
    env = jinja2.Environment()
    layers = [check.layer(item, i, fonts, env) for i, item in enumerate(layers_value)]
    if check.problems:
        return None, check.problems
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    return CardSpec(background, image, fonts, logo, tuple(l for l in layers if l is not None), digest), []


# -- the plan -----------------------------------------------------------------------------------------------------
OWN_CARD_KINDS = ("article", "page", "record")  # pages with a card of their own (unless the page gives `image:`)


def card_url(url: str) -> str:
    """Where the card of the page at `url` goes: 'blog/x/' -> 'blog/x/card.png', 'x.html' -> 'x.card.png'."""
    if url == "" or url.endswith("/"):
        return url + "card.png"
    return url.rsplit(".", 1)[0] + ".card.png"


SITE_CARD = card_url("")


def with_cards(pages: list[Page], title: str, description: str) -> list[Page]:
    """`pages` with a card page after each article, page and record page that has no `image:`, the site's card,
    and each HTML page's card address in `extra["card"]` (the site's card for lists, 404, search)."""
    out: list[Page] = []
    for page in pages:
        if page.kind == "redirect" or not page.output.endswith(".html"):
            out.append(page)
            continue
        if page.kind in OWN_CARD_KINDS and not page.get("image"):
            url = card_url(page.url)
            out.append(replace(page, extra={**page.extra, "card": url}))
            out.append(Page(url, url, CARD_FILE, KIND, page.title, page.description, article=page.article,
                            record=page.record, extra={"of": page.kind, "page": page.url, "id": page.extra.get("id"),
                                   "collection": page.extra.get("collection"), "format": FORMAT}))
        elif page.kind in OWN_CARD_KINDS:
            out.append(page)  # its own image is its card (contexts.card_of)
        else:
            out.append(replace(page, extra={**page.extra, "card": SITE_CARD}))
    out.append(Page(SITE_CARD, SITE_CARD, CARD_FILE, KIND, title, description, extra={"of": "site", "page": "", "id": None,
                                                                               "collection": None, "format": FORMAT}))
    return out
