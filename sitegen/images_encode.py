"""An image variant's bytes (a planned page of kind "image", images.py): the source decoded, EXIF orientation
applied, colours brought to sRGB, resized (LANCZOS) and encoded with no metadata at all (no EXIF, GPS, ICC profile,
XMP or comment). Same source and spec, same bytes: the encoders run with fixed settings and nothing of the time or
the machine is written."""

from __future__ import annotations

import hashlib
import io
import os

from .errors import BuildError, Problem
from .limits import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from .images import DEFAULT_EFFORT, KIND  # renderer.products[KIND] holds (digest, prepared source) of the last source decoded
from .model import Page
SAVE = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


def options(fmt: str, quality: int, effort: int = DEFAULT_EFFORT) -> dict:
    if fmt == "jpeg":
        return {"quality": quality, "optimize": True, "progressive": True}
    if fmt == "webp":
        return {"quality": quality, "method": effort}
    if fmt == "png":
        return {"optimize": True}
    return {}


def _srgb(im):
    """The image in RGB or RGBA, its colours converted to sRGB when it carries another ICC profile (the profile
    itself is not published)."""
    from PIL import ImageCms

    alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    icc = im.info.get("icc_profile")
    mode = "RGBA" if alpha else "RGB"
    if icc and im.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(im, source, ImageCms.createProfile("sRGB"),
                                                  outputMode="RGBA" if im.mode == "RGBA" else "RGB")
            if converted is not None:
                im = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a profile LittleCMS cannot read: the pixels as they are
    return im if im.mode == mode else im.convert(mode)


def _bare(im):
    im.info = {}  # what the encoders would otherwise copy from the source: exif, icc_profile, xmp, comment, ...
    return im


def prepare(raw: bytes):
    """The source's pixels as every variant starts from them: decoded, EXIF orientation applied, in sRGB."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    with Image.open(io.BytesIO(raw)) as source:
        return _srgb(ImageOps.exif_transpose(source))


def resized(raw: bytes, spec: dict, kept: dict | None = None):
    """The source's pixels at the variant's size. A variant smaller than others of the same source is resized from
    the next larger one (spec["through"]: the larger variants' sizes, largest first), not from the original: the
    same chain every time, so the same bytes, and 1600 -> 1200 -> 800 -> 480 costs two thirds of three resizes of the
    original. `kept` holds each step already made for this source (key: the chain of sizes; () the prepared source)."""
    from PIL import Image

    kept = {} if kept is None else kept
    im = kept.get(())
    if im is None:
        im = kept[()] = prepare(raw)
    chain: tuple = ()
    for size in [tuple(s) for s in spec.get("through", ())] + [(spec["width"], spec["height"])]:
        chain += (size,)
        step = kept.get(chain)
        if step is None:
            step = kept[chain] = im if im.size == size else im.resize(size, Image.Resampling.LANCZOS)
        im = step
    return im.copy()  # the kept images stay as they are (the encoder's info is cleared on the copy)


def encode(raw: bytes, spec: dict, kept: dict | None = None) -> bytes:
    """The variant's bytes for `spec` (page.extra: width, height, format, quality, effort, animated, through).
    `kept` is what resized() kept from other variants of the same source (the same bytes either way)."""
    from PIL import Image, ImageSequence

    fmt = spec["format"]
    settings = options(fmt, spec["quality"], spec.get("effort", DEFAULT_EFFORT))
    out = io.BytesIO()
    if spec["animated"]:
        Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
        with Image.open(io.BytesIO(raw)) as source:
            frames, durations = [], []
            for frame in ImageSequence.Iterator(source):
                durations.append(int(frame.info.get("duration", 100)))
                frames.append(_bare(frame.convert("RGBA")))
            first = frames[0]
            first.save(out, SAVE[fmt], save_all=True, append_images=frames[1:], duration=durations,
                       loop=int(source.info.get("loop", 0)), **settings)
            return out.getvalue()
    im = resized(raw, spec, kept)
    if fmt == "jpeg" and im.mode != "RGB":
        im = im.convert("RGB")  # JPEG has no alpha (a transparent PNG shown as JPEG is never made: see images)
    _bare(im).save(out, SAVE[fmt], **settings)
    return out.getvalue()


def produce(renderer, page: Page) -> bytes:
    """render.PRODUCERS["image"]: the variant of `page` from its source under the site's root. A source that
    changed since the plan read it, or that cannot be decoded (a truncated file), is a problem of that file."""
    from .content import read_source

    spec = page.extra
    rel = spec["source"]
    raw, problem = read_source(os.path.join(renderer.root, rel), rel, MAX_IMAGE_BYTES)
    if raw is None:
        raise BuildError([problem or Problem(rel, 1, "cannot be read")])
    if hashlib.sha256(raw).hexdigest() != spec["digest"]:
        raise BuildError([Problem(rel, 1, "this image changed while the site was being built; build again")])
    try:
        if spec["animated"]:
            return encode(raw, spec)
        # a source's variants are planned one after the other, so mostly rendered by one process in a row: the
        # decoded source and its resized steps are kept for the next one (8 variants of a 1600x900 JPEG: 498 ->
        # 284 ms measured here for the decoded source)
        kept = renderer.products.get(KIND)
        if kept is None or kept[0] != spec["digest"]:
            kept = renderer.products[KIND] = (spec["digest"], {})
        return encode(raw, spec, kept[1])
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, MemoryError) as exc:
        raise BuildError([Problem(rel, 1, f"this image cannot be published: it is damaged ({exc})"[:300])]) from None
