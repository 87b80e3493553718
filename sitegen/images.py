"""Images: every raster file under static/images/ published as fingerprinted variants without metadata.

- `ImageSet.scan` (the load stage, before the articles are checked): each raster file is read once (its bytes also
  give its digest) and its header opened with Pillow (size after EXIF orientation, format, animated or not); the
  header is memoised in the store by the digest (`memo`), so a warm build opens no image. A file Pillow cannot read,
  a truncated header or a decompression bomb (more than limits.MAX_IMAGE_PIXELS) is kept with its problem.
- `ImageSet.problem` / `Rules` (assemble): references to images (Markdown images, `image:` in front matter) are
  checked against the set, with the referencing line.
- `ImageSet.plan` (the plan stage): each image's variants as planned pages of kind "image" (widths from the
  settings' `images: {widths, quality}`), rendered like any page, in the workers, by `images_encode.produce`.
  Their signatures hold the source's digest and the variant's spec, so a warm build converts nothing and a build
  into an empty output writes their stored bytes (store.PageStore).
- `ImageInfo`: what templates get from `image(path)` (render.py): width, height, src, srcset, sources.
The original files are never published as they are (they may carry GPS positions): only their variants are.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .errors import Problem
from .limits import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from .model import Article, Page
from .sources import discover

FOLDER = "images"  # static/images/: the images Markdown and front matter can show
URL_PREFIX = "/images/"  # how Markdown and front matter name them: /images/team.jpg
COMPONENT = "picture"  # the site's component a Markdown image becomes: templates/components/picture.html
KIND = "image"  # the planned pages of image variants
RASTER = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp", ".gif": "gif"}
SUFFIX = {"png": "png", "jpeg": "jpg", "webp": "webp", "gif": "gif"}
MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
PILLOW_FORMATS = {"PNG": "png", "JPEG": "jpeg", "MPO": "jpeg", "WEBP": "webp", "GIF": "gif"}
DEFAULT_WIDTHS = (480, 800, 1200, 1600)
DEFAULT_QUALITY = 80
DEFAULT_EFFORT = 4  # libwebp's own default "method" (as in Pillow and sharp); 0 fastest .. 6 smallest
MEMO_VERSION = "1"
LIST_AT_MOST = 12  # a missing image's message lists the images there are when there are at most this many


def is_raster(rel: str) -> bool:
    """static/ rel path -> whether it is an image published as variants (a raster file under images/)."""
    return rel.startswith(FOLDER + "/") and Path(rel).suffix.lower() in RASTER


def pillow_version() -> str:
    import PIL

    return PIL.__version__


class Memo(Protocol):
    """Where headers are kept by digest (store.ImageMemo)."""

    def get(self, keys: list[str]) -> dict[str, dict]: ...

    def put(self, items: dict[str, dict]) -> None: ...


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    format: str  # png, jpeg, webp, gif
    output: str  # static/images/team.1a2b3c4d5e-800w.webp


@dataclass(frozen=True)
class Picture:
    """One image under static/images/: its header, or the problem that keeps it from being published."""

    rel: str  # images/team.jpg (under static/)
    digest: str  # sha256 of its bytes
    width: int = 0  # after EXIF orientation
    height: int = 0
    format: str = ""
    animated: bool = False
    problem: str | None = None
    variants: tuple[Variant, ...] = ()

    @property
    def source(self) -> str:
        return f"static/{self.rel}"


def header(data: bytes) -> dict[str, Any]:
    """What the plan needs of an image, from its header only (no pixel is decoded), or {"problem": message}."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
                fmt = PILLOW_FORMATS.get(im.format or "")
                if fmt is None:
                    return {"problem": f"is a {im.format} image; images under static/images/ are PNG, JPEG, "
                                       "WebP or GIF"}
                if width * height > MAX_IMAGE_PIXELS:
                    raise Image.DecompressionBombError("")
                if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # rotated a quarter turn: width and height swap
                    width, height = height, width
                animated = bool(getattr(im, "is_animated", False)) and fmt in ("gif", "webp")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return {"problem": f"has more pixels than the {MAX_IMAGE_PIXELS:,} an image may have (a decompression "
                           "bomb, or a photo to scale down before adding it)"}
    except UnidentifiedImageError:
        return {"problem": "is not an image Pillow can read (PNG, JPEG, WebP or GIF)"}
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, struct_error()) as exc:
        return {"problem": f"is damaged: {exc}"[:200]}
    if width < 1 or height < 1:
        return {"problem": "has no pixels"}
    return {"width": width, "height": height, "format": fmt, "animated": animated}


def struct_error() -> type[Exception]:
    import struct

    return struct.error


def settings(site_settings: dict) -> tuple[tuple[int, ...], int, int]:
    """The variant widths, the encoders' quality and WebP's effort: `images:` in data/site.yaml (schema-checked),
    or defaults."""
    value = site_settings.get("images") or {}
    widths = tuple(sorted(set(value.get("widths") or DEFAULT_WIDTHS)))
    return widths, int(value.get("quality", DEFAULT_QUALITY)), int(value.get("effort", DEFAULT_EFFORT))


def widths_for(width: int, widths: tuple[int, ...], animated: bool) -> tuple[int, ...]:
    """The listed widths no larger than the original, plus the original's when it is smaller than the largest
    listed (an animation keeps its original width only)."""
    if animated:
        return (width,)
    chosen = [w for w in widths if w <= width]
    if not widths or width < widths[-1]:
        chosen.append(width)
    return tuple(sorted(set(chosen)))


def formats_for(fmt: str) -> tuple[str, ...]:
    """WebP first, then the original's own format (one format for a WebP original)."""
    return ("webp",) if fmt == "webp" else ("webp", fmt)


class ImageSet:
    """The images of one site, by their path under static/ ('images/team.jpg')."""

    def __init__(self, pictures: dict[str, Picture]):
        self.pictures = pictures
        self.ident = hashlib.blake2b(repr(sorted((p.rel, p.problem) for p in pictures.values())).encode(),
                                     digest_size=16).hexdigest()

    @classmethod
    def scan(cls, static: Path, memo: Memo | None = None) -> "ImageSet":
        """Every raster file under static/images/, read once; headers from `memo` when it knows the bytes."""
        from .content import read_source

        read: dict[str, bytes | str] = {}
        for path in discover(static / FOLDER) if (static / FOLDER).is_dir() else []:
            rel = path.relative_to(static).as_posix()
            if not is_raster(rel):
                continue
            raw, problem = read_source(str(path), f"static/{rel}", MAX_IMAGE_BYTES)
            read[rel] = raw if raw is not None else (problem.message if problem else "cannot be read")
        digests = {rel: hashlib.sha256(raw).hexdigest() for rel, raw in read.items() if isinstance(raw, bytes)}
        salt = f"{MEMO_VERSION}\0{pillow_version()}\0{MAX_IMAGE_PIXELS}\0"
        keys = {rel: hashlib.blake2b((salt + d).encode(), digest_size=16).hexdigest() for rel, d in digests.items()}
        known = memo.get(sorted(set(keys.values()))) if memo is not None else {}
        found: dict[str, dict] = {}
        pictures = {}
        for rel, raw in sorted(read.items()):
            if isinstance(raw, str):
                pictures[rel] = Picture(rel, "", problem=raw)
                continue
            head = known.get(keys[rel])
            if not _valid_header(head):
                head = found[keys[rel]] = header(raw)
            pictures[rel] = Picture(rel, digests[rel], head.get("width", 0), head.get("height", 0),
                                    head.get("format", ""), head.get("animated", False), head.get("problem"))
        if memo is not None and found:
            memo.put(found)
        return cls(pictures)

    # -- references ----------------------------------------------------------------------------------------------
    def problem(self, src: object, what: str) -> str | None:
        """Why `src` (as written: '/images/team.jpg') names no image that can be published, or None. `what` names
        the reference in the message (`image /images/x.jpg`, `image: /images/x.jpg`)."""
        if not isinstance(src, str) or not src.startswith(URL_PREFIX):
            return f"{what} is not an image path: write /images/<name> for a file under static/images/"
        rel = src[1:]
        if any(bad in src for bad in ("..", "%", "\\", "//", "\0")) or src.endswith("/"):
            return f"{what} is not an image path: it may not hold '..', '%', '\\' or '//' (files under static/images/)"
        picture = self.pictures.get(rel)
        if picture is None:
            there = sorted(p[len(FOLDER) + 1:] for p in self.pictures)
            listed = (f"static/{FOLDER}/ has: {', '.join(there)}" if 0 < len(there) <= LIST_AT_MOST
                      else f"static/{FOLDER}/ has {len(there)} images" if there else f"static/{FOLDER}/ has none")
            return f"{what} not found: there is no file static/{rel} ({listed})"
        if picture.problem is not None:
            return f"{what} cannot be published: static/{rel} {picture.problem}"
        return None

    def unpublishable(self) -> list[Problem]:
        """Images no valid reference named (those are reported where they are named) that cannot be published."""
        return [Problem(p.source, 1, f"this image cannot be published: it {p.problem}")
                for p in self.pictures.values() if p.problem is not None]

    # -- plan ----------------------------------------------------------------------------------------------------
    def plan(self, site_settings: dict) -> tuple["ImageSet", list[Page]]:
        """The set with every image's variants, and the variants as pages to render."""
        widths, quality, effort = settings(site_settings)
        version = pillow_version()
        pictures, pages = {}, []
        for rel, picture in self.pictures.items():
            if picture.problem is not None:
                continue
            # everything a variant's bytes depend on, so that a name always means the same bytes (hosts cache
            # static/ for a year): the widths decide the resize chain (a smaller variant is made from the next larger)
            spec = f"{picture.digest}\0{quality}\0{effort}\0{widths}\0{version}".encode()
            digest10 = hashlib.sha256(spec).hexdigest()[:10]
            stem = rel.rpartition(".")[0]
            own = Path(rel).suffix.lower().lstrip(".")
            variants = []
            for fmt in formats_for(picture.format):
                suffix = own if RASTER.get("." + own) == fmt else SUFFIX[fmt]
                sizes = [(width, max(1, round(width * picture.height / picture.width)))
                         for width in widths_for(picture.width, widths, picture.animated)]
                for index, (width, height) in enumerate(sizes):
                    output = f"static/{stem}.{digest10}-{width}w.{suffix}"
                    variants.append(Variant(width, height, fmt, output))
                    pages.append(Page(output, output, "", KIND, "", "", extra={
                        "source": picture.source, "digest": picture.digest, "width": width, "height": height,
                        "format": fmt, "quality": quality, "effort": effort, "animated": picture.animated,
                        "through": tuple(reversed(sizes[index + 1:])), "pillow": version}))
            pictures[rel] = Picture(rel, picture.digest, picture.width, picture.height, picture.format,
                                    picture.animated, None, tuple(variants))
        return ImageSet(pictures), pages

    def names(self) -> list[tuple[str, tuple[str, ...]]]:
        """What page signatures hash of the images (deps.Fingerprints): each one's variant files."""
        return sorted((rel, tuple(v.output for v in p.variants)) for rel, p in self.pictures.items())


def _call_value(component, index: int, name: str):
    if len(component.args) > index:
        return component.args[index]
    return dict(component.kwargs).get(name)


NO_ALT = ("has no alt text: say what it shows, as in ![A team at a whiteboard]({src}) (screen readers read it, and "
          "it shows when the image does not load)")


def image_problems(article: Article, images: ImageSet) -> list[Problem]:
    """The article's images that cannot be shown: Markdown images and `picture()` calls (the component they
    become), and the lead image of its front matter (`image:`, `image_alt:`), each at its line."""
    problems = []
    for call in article.converted.components:
        if call.name != COMPONENT:
            continue
        src, alt = _call_value(call, 0, "src"), _call_value(call, 1, "alt")
        what = f"image {src}"
        found = images.problem(src, what)
        if found is None and (not isinstance(alt, str) or not alt.strip()):
            found = f"{what} " + NO_ALT.format(src=src)
        if found is not None:
            problems.append(Problem(article.path, call.line, found))
    src = article.fields.get("image")
    if src is not None:
        found = images.problem(src, f"image: {src}")
        alt = article.fields.get("image_alt")
        if found is not None:
            problems.append(Problem(article.path, article.line_of("image"), found))
        elif not isinstance(alt, str) or not alt.strip():
            line = article.line_of("image_alt") if "image_alt" in article.fields else article.line_of("image")
            problems.append(Problem(article.path, line, f"image: {src} has no alt text: add image_alt: with what "
                                                        "the image shows (screen readers read it)"))
    return problems


def _valid_header(head: object) -> bool:
    return isinstance(head, dict) and (isinstance(head.get("problem"), str) or (
        isinstance(head.get("width"), int) and isinstance(head.get("height"), int) and head.get("width", 0) > 0
        and head.get("height", 0) > 0 and head.get("format") in SUFFIX and isinstance(head.get("animated"), bool)))


class ImageInfo:
    """`image("/images/team.jpg")` in a template: the image's variants, as URLs under the site's base path."""

    def __init__(self, picture: Picture, url):
        self._picture = picture
        self._url = url
        self.width = picture.width
        self.height = picture.height
        self.format = picture.format
        self.animated = picture.animated

    def _of(self, fmt: str) -> list[Variant]:
        return [v for v in self._picture.variants if v.format == fmt]

    @property
    def fallback(self) -> str:
        """The format every browser shows: the original's."""
        return self._picture.format

    def srcset(self, fmt: str | None = None) -> str:
        return ", ".join(f"{self._url(v.output)} {v.width}w" for v in self._of(fmt or self.fallback))

    @property
    def src(self) -> str:
        """The largest variant in the original's format."""
        return self._url(self._of(self.fallback)[-1].output)

    @property
    def sources(self) -> list[dict[str, str]]:
        """The formats to offer before the fallback (`<source type=... srcset=...>`): WebP, unless the original is."""
        return [{"type": MIME[fmt], "srcset": self.srcset(fmt)}
                for fmt in formats_for(self._picture.format) if fmt != self.fallback]

    @property
    def largest(self) -> dict[str, object]:
        """The largest variant in the original's format: its src, width and height (for og:image)."""
        v = self._of(self.fallback)[-1]
        return {"src": self._url(v.output), "width": v.width, "height": v.height}

    def url(self, width: int, fmt: str | None = None) -> str:
        for v in self._of(fmt or self.fallback):
            if v.width == width:
                return self._url(v.output)
        raise ValueError(f"image {self._picture.rel} has no {fmt or self.fallback} variant {width} pixels wide "
                         f"(it has: {', '.join(str(v.width) for v in self._of(fmt or self.fallback))})")
