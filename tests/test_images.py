"""Images (issue 16 point 1): Markdown images and lead images as <picture>, variants without metadata, the errors,
and the cache (a warm build converts no image). Every image is made here with Pillow: no binaries in the repo."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from conftest import run_cli, snapshot, write_site
from test_hostile import assert_refused

ARTICLE = "content/alpha-vs-beta.md"
GOOD = (Path(__file__).parent / "fixtures/minimal" / ARTICLE).read_text()
LEAD = "image: /images/team.jpg\nimage_alt: The hiring team at a whiteboard\n"


def photo(size=(1200, 800), orientation: int | None = 6, gps: bool = True) -> bytes:
    """A JPEG whose left half is blue and right half red, with EXIF orientation and a GPS position."""
    im = Image.new("RGB", size, (220, 30, 30))
    im.paste((20, 40, 230), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    exif[0x010F] = "CameraMaker"
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def png(size=(300, 200), mode="RGBA") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (10, 200, 10, 128) if mode == "RGBA" else (10, 200, 10)).save(buf, "PNG")
    return buf.getvalue()


def gif(frames: int = 3) -> bytes:
    images = [Image.new("RGB", (120, 80), (i * 80, 255 - i * 80, 0)) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "GIF", save_all=frames > 1, append_images=images[1:], duration=100, loop=0,
                   comment=b"secret comment")
    return buf.getvalue()


def article(lead: str = LEAD, body: str = "![A whiteboard full of notes](/images/team.jpg)\n") -> str:
    """The fixture article with a lead image (front matter) and `body` after its first heading."""
    text = GOOD.replace("category: Hiring\n", f"category: Hiring\n{lead}", 1)
    return text.replace("## What does an Alpha Engineer do?\n", f"## What does an Alpha Engineer do?\n\n{body}", 1)


def image_site(tmp_path: Path, files: dict | None = None) -> Path:
    return write_site(tmp_path / "site", {"static/images/team.jpg": photo(), ARTICLE: article(), **(files or {})})


def pictures(html: str) -> list[str]:
    return re.findall(r"<picture>.*?</picture>", html, re.S)


def test_markdown_and_lead_images_become_pictures_of_stripped_variants(tmp_path: Path) -> None:
    site = image_site(tmp_path, {"static/images/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    out = site / "output"
    html = (out / "blog/alpha-vs-beta/index.html").read_text()
    lead, body = pictures(html)
    # the lead image loads first, eagerly; the one in the text lazily; both asynchronously decoded
    assert 'fetchpriority="high"' in lead and "loading=" not in lead
    assert 'loading="lazy"' in body and "fetchpriority" not in body
    assert 'alt="The hiring team at a whiteboard"' in lead and 'alt="A whiteboard full of notes"' in body
    assert "<p><picture>" not in html  # an image alone in its paragraph replaces the paragraph
    for markup in (lead, body):
        assert 'decoding="async"' in markup and 'sizes="' in markup
        # the original is 1200x800 turned a quarter (EXIF orientation 6): 800 wide, 1200 high
        assert 'width="800" height="1200"' in markup
        assert re.search(r'<source type="image/webp" srcset="[^"]+"', markup)
        src = re.search(r'<img src="/(static/images/team\.[0-9a-f]{10}-800w\.jpg)"', markup)
        assert src and (out / src.group(1)).is_file()
    claimed = set(re.findall(r"/(static/images/\S+) (\d+)w", lead))
    assert {(Path(p).suffix, int(w)) for p, w in claimed} == {(".webp", 480), (".webp", 800), (".jpg", 480),
                                                             (".jpg", 800)}
    published = sorted(p.relative_to(out).as_posix() for p in (out / "static/images").iterdir())
    assert sorted([p for p, _ in claimed] + [p for p in published if p.endswith(".svg")]) == published
    assert len([p for p in published if p.endswith(".svg")]) == 1  # an SVG is copied as it is
    for rel, width in claimed:
        with Image.open(out / rel) as im:
            assert im.size == (int(width), int(width) * 3 // 2)  # rotated: taller than wide
            assert im.format == ("WEBP" if rel.endswith(".webp") else "JPEG")
            assert dict(im.getexif()) == {}
            assert not {"exif", "icc_profile", "xmp", "comment"} & set(im.info)
            left, right = im.convert("RGB").getpixel((2, 2)), im.convert("RGB").getpixel((2, im.size[1] - 3))
            # rotated clockwise: the blue left half is now the top
            assert left[2] > 150 and right[0] > 150
        assert b"CameraMaker" not in (out / rel).read_bytes()
    # the original (with its GPS position) is not published, under any name
    assert not any("team.jpg" == p.rsplit("/", 1)[-1] for p in published)
    assert not any(p.endswith(".jpg") and re.search(r"team\.[0-9a-f]{10}\.jpg$", p) for p in published)
    assert "static/images/team.jpg" not in (out / "sitemap.xml").read_text()


def test_png_gif_and_webp_inputs(tmp_path: Path) -> None:
    webp = io.BytesIO()
    Image.new("RGB", (2000, 1000), (1, 2, 3)).save(webp, "WEBP")
    body = ("Logo ![Our logo](/images/logo.png) inline.\n\n![Animated](/images/anim.gif)\n\n"
            "![Still](/images/still.gif)\n\n![Wide](/images/wide.webp \"A wide one\")\n\n"
            "![External](https://example.com/x.png)\n")
    site = write_site(tmp_path / "site", {ARTICLE: article(lead="", body=body), "static/images/logo.png": png(),
                                          "static/images/anim.gif": gif(3), "static/images/still.gif": gif(1),
                                          "static/images/wide.webp": webp.getvalue()})
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    out = site / "output"
    names = sorted(p.name for p in (out / "static/images").iterdir())
    shapes = {re.sub(r"\.[0-9a-f]{10}-", "-", n) for n in names}
    assert shapes == {"logo-300w.png", "logo-300w.webp", "anim-120w.gif", "anim-120w.webp", "still-120w.gif",
                      "still-120w.webp", "wide-480w.webp", "wide-800w.webp", "wide-1200w.webp", "wide-1600w.webp"}
    anim = next(out / "static/images" / n for n in names if n.startswith("anim") and n.endswith(".gif"))
    with Image.open(anim) as im:
        assert im.n_frames == 3 and "comment" not in im.info
    anim_webp = next(out / "static/images" / n for n in names if n.startswith("anim") and n.endswith(".webp"))
    with Image.open(anim_webp) as im:
        assert im.n_frames == 3
    with Image.open(next(out / "static/images" / n for n in names if n.startswith("logo") and n.endswith(".png"))) as im:
        assert im.mode == "RGBA"  # transparency kept
    html = (out / "blog/alpha-vs-beta/index.html").read_text()
    assert "<p>Logo <picture>" in html  # inline in its sentence
    assert '<img alt="External" src="https://example.com/x.png">' in html  # not ours: a plain <img>
    wide = [p for p in pictures(html) if "wide" in p][0]
    assert "<source" not in wide and 'title="A wide one"' in wide  # a WebP original: one format
    assert 'width="2000" height="1000"' in wide


def test_variants_are_deterministic(tmp_path: Path) -> None:
    from sitegen.images_encode import encode

    raw = photo()
    spec = {"width": 480, "height": 720, "format": "webp", "quality": 80, "animated": False}
    assert encode(raw, spec) == encode(raw, spec)
    assert encode(raw, {**spec, "format": "jpeg"}) == encode(raw, {**spec, "format": "jpeg"})


def bomb() -> bytes:
    """A PNG of 10,000 x 10,000 pixels (100 million: over the bound) in a few kilobytes."""
    buf = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buf, "PNG")
    return buf.getvalue()


def truncated() -> bytes:
    raw = photo(orientation=None, gps=False)
    return raw[: len(raw) // 2]


ERRORS = {
    "missing image": ({ARTICLE: article(body="![A team](/images/tam.jpg)\n")}, [
        "content/alpha-vs-beta.md:17: image /images/tam.jpg not found: there is no file static/images/tam.jpg "
        "(static/images/ has: team.jpg)"]),
    "image without alt text": ({ARTICLE: article(body="![](/images/team.jpg)\n")}, [
        "content/alpha-vs-beta.md:17: image /images/team.jpg has no alt text: say what it shows, as in ![A team at "
        "a whiteboard](/images/team.jpg) (screen readers read it, and it shows when the image does not load)"]),
    "not an image": ({"static/images/notes.png": "these are notes, not pixels\n",
                      ARTICLE: article(body="![Notes](/images/notes.png)\n")}, [
        "content/alpha-vs-beta.md:17: image /images/notes.png cannot be published: static/images/notes.png is not "
        "an image Pillow can read (PNG, JPEG, WebP or GIF)"]),
    "lead image missing": ({ARTICLE: article(lead="image: /images/lead.jpg\nimage_alt: A lead\n", body="")}, [
        "content/alpha-vs-beta.md:6: image: /images/lead.jpg not found: there is no file static/images/lead.jpg "
        "(static/images/ has: team.jpg)"]),
    "lead image without image_alt": ({ARTICLE: article(lead="image: /images/team.jpg\n", body="")}, [
        "content/alpha-vs-beta.md:6: image: /images/team.jpg has no alt text: add image_alt: with what the image "
        "shows (screen readers read it)"]),
    "lead image that is not an image": ({"static/images/notes.png": b"<html>a page saved as .png</html>",
                                        ARTICLE: article(lead="image: /images/notes.png\nimage_alt: Notes\n",
                                                         body="")}, [
        "content/alpha-vs-beta.md:6: image: /images/notes.png cannot be published: static/images/notes.png is not "
        "an image Pillow can read (PNG, JPEG, WebP or GIF)"]),
    "a path out of static/images": ({ARTICLE: article(body="![Passwords](/images/../../etc/passwd)\n")}, [
        "content/alpha-vs-beta.md:17: image /images/../../etc/passwd is not an image path: it may not hold '..', "
        "'%', '\\' or '//' (files under static/images/)"]),
    "an encoded path": ({ARTICLE: article(lead="image: /images/%2e%2e/secret.jpg\nimage_alt: x\n", body="")}, [
        "content/alpha-vs-beta.md:6: image: /images/%2e%2e/secret.jpg is not an image path: it may not hold '..', "
        "'%', '\\' or '//' (files under static/images/)"]),
    "a decompression bomb nobody shows": ({"static/images/bomb.png": bomb()}, [
        "static/images/bomb.png:1: this image cannot be published: it has more pixels than the 40,000,000 an image "
        "may have (a decompression bomb, or a photo to scale down before adding it)"]),
    "a decompression bomb shown": ({"static/images/bomb.png": bomb(),
                                    ARTICLE: article(body="![Boom](/images/bomb.png)\n")}, [
        "content/alpha-vs-beta.md:17: image /images/bomb.png cannot be published: static/images/bomb.png has more "
        "pixels than the 40,000,000 an image may have (a decompression bomb, or a photo to scale down before adding "
        "it)"]),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_image_mistakes(tmp_path: Path, name: str) -> None:
    files, expected = ERRORS[name]
    site = image_site(tmp_path)
    first = run_cli("--site", site)
    assert first.returncode == 0, first.stderr
    before = snapshot(site / "output")
    write_site(site, files, base=None, theme=False)
    assert_refused(run_cli("--site", site), expected)
    assert snapshot(site / "output") == before


def test_a_truncated_image_is_its_own_problem(tmp_path: Path) -> None:
    site = image_site(tmp_path, {"static/images/team.jpg": truncated()})
    result = run_cli("--site", site)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1] == "build failed: 1 problem; output left unchanged"
    assert lines[0].startswith("static/images/team.jpg:1: this image cannot be published: it is damaged (")
    assert not (site / "output").exists()


def test_a_warm_build_opens_no_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built once; then again into an empty output (the rendered variants come from the store) and after an
    article edit (headers from the store): Pillow is never asked to open anything."""
    from PIL import Image as PILImage

    from sitegen import pipeline

    site = image_site(tmp_path)
    first = pipeline.build(site, jobs=1, progress=False)
    assert first.stages.get("images", 0) > 0
    clean = snapshot(site / "output")

    def refuse(*args, **kwargs):
        raise AssertionError("a warm build opened an image")

    monkeypatch.setattr(PILImage, "open", refuse)
    import shutil

    shutil.rmtree(site / "output")
    result = pipeline.build(site, jobs=1, progress=False)
    assert snapshot(site / "output") == clean
    assert not any(p.startswith("static/images/") for p in result.written if p not in clean) and result.rendered == 0
    (site / ARTICLE).write_text(article(body="![A whiteboard full of notes](/images/team.jpg)\n\nMore words.\n"))
    result = pipeline.build(site, jobs=1, progress=False)
    assert result.rendered > 0 and not [p for p in result.written if p.startswith("static/images/")]


def test_cached_builds_equal_a_clean_one(tmp_path: Path) -> None:
    site = image_site(tmp_path)
    assert run_cli("--site", site).returncode == 0
    # the image changes (another photo), a second one appears: the incremental build...
    write_site(site, {"static/images/team.jpg": photo(size=(1000, 700), orientation=None),
                      "static/images/logo.png": png(), ARTICLE: article(body="![Logo](/images/logo.png)\n")},
               base=None, theme=False)
    incremental = run_cli("--site", site)
    assert incremental.returncode == 0, incremental.stderr
    # ... equals a build without any cache
    fresh = run_cli("--site", site, "--no-cache", "--out", tmp_path / "fresh")
    assert fresh.returncode == 0, fresh.stderr
    assert snapshot(site / "output") == snapshot(tmp_path / "fresh")
    names = [p.name for p in (site / "output/static/images").iterdir()]
    assert len([n for n in names if n.startswith("team.")]) == 6  # 480, 800 and 1000 (the original), WebP and JPEG
    assert len([n for n in names if n.startswith("logo.")]) == 2


def test_settings_choose_widths_and_quality(tmp_path: Path) -> None:
    site = image_site(tmp_path)
    settings = (site / "data/site.yaml").read_text() + "images:\n  widths: [200, 400]\n  quality: 60\n"
    write_site(site, {"data/site.yaml": settings}, base=None, theme=False)
    assert run_cli("--site", site).returncode == 0
    widths = sorted({re.search(r"-(\d+)w\.", p.name).group(1) for p in (site / "output/static/images").iterdir()})
    assert widths == ["200", "400"]
    # the widths are in every variant's name: with another list the 200 variant is resized from another one, so
    # its bytes may differ, and a name must always mean the same bytes (hosts cache static/ for a year)
    names = {p.name for p in (site / "output/static/images").iterdir()}
    write_site(site, {"data/site.yaml": settings.replace("[200, 400]", "[200, 300, 400]")}, base=None, theme=False)
    assert run_cli("--site", site).returncode == 0
    again = {p.name for p in (site / "output/static/images").iterdir() if "-200w." in p.name}
    assert again and again.isdisjoint(names)
    bad = settings.replace("quality: 60", "quality: 0")
    write_site(site, {"data/site.yaml": bad}, base=None, theme=False)
    result = run_cli("--site", site)
    line = bad.splitlines().index("  quality: 0") + 1
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == f"data/site.yaml:{line}: images.quality: 0 is too small or empty (minimum 1)"


def test_the_webp_effort_is_a_setting(tmp_path: Path) -> None:
    """images.effort is libwebp's method: the same pixels, other bytes and other file names (so a cached variant
    of another effort is never reused); out of 0..6 it is refused where it is written."""
    site = image_site(tmp_path)
    plain = (site / "data/site.yaml").read_text()

    def webp_variants(effort: int | None) -> dict[str, bytes]:
        settings = plain + ("" if effort is None else f"images:\n  effort: {effort}\n")
        write_site(site, {"data/site.yaml": settings}, base=None, theme=False)
        result = run_cli("--site", site)
        assert result.returncode == 0, result.stderr
        return {p.name: p.read_bytes() for p in (site / "output/static/images").glob("team.*.webp")}

    default, fastest, four = webp_variants(None), webp_variants(0), webp_variants(4)
    assert default == four  # 4 is the default
    assert set(fastest).isdisjoint(default) and len(fastest) == len(default) == 2  # 480 and 800 (the original)
    assert sorted(map(len, fastest.values())) != sorted(map(len, default.values()))
    bad = plain + "images:\n  effort: 7\n"
    write_site(site, {"data/site.yaml": bad}, base=None, theme=False)
    result = run_cli("--site", site)
    assert result.returncode == 1
    line = bad.splitlines().index("  effort: 7") + 1
    assert result.stderr.splitlines()[0] == f"data/site.yaml:{line}: images.effort: 7 is greater than the maximum of 6"


def test_the_engine_names_no_role_or_salary() -> None:
    engine = Path(__file__).resolve().parents[1] / "sitegen"
    for name in ("images.py", "images_encode.py"):
        text = (engine / name).read_text().lower()
        assert "salary" not in text and "postings" not in text


def test_a_kept_decoded_source_gives_the_same_bytes_as_decoding_it_again() -> None:
    """produce() keeps the last source it decoded and its resized steps for the next variant (images_encode.resized):
    the same bytes as the plain path, which decodes and resizes the source for every variant, whatever order the
    variants come in; and a smaller variant is resized from the next larger one, not from the original."""
    from PIL import Image

    from sitegen.images_encode import encode, prepare

    for raw in (photo(), png(), photo(size=(1000, 700), orientation=3)):
        width, height = prepare(raw).size
        sizes = [(w, round(w * height / width)) for w in (480, 800)] + [(width, height)]
        specs = [{"format": fmt, "width": w, "height": h, "quality": 80, "animated": False,
                  "through": tuple(reversed(sizes[i + 1:]))}
                 for fmt in ("webp", "jpeg", "png") for i, (w, h) in enumerate(sizes)]
        plain = [encode(raw, spec) for spec in specs]
        for order in (specs, specs[::-1]):
            kept: dict = {}
            assert [encode(raw, spec, kept) for spec in order] == [plain[specs.index(s)] for s in order]
            assert kept[()].size == (width, height)  # the kept source is not changed by the variants made from it
        # 480 is made from 800, not from the original: pixels of the chain, not of one LANCZOS step
        step = prepare(raw).resize(sizes[1], Image.Resampling.LANCZOS).resize(sizes[0], Image.Resampling.LANCZOS)
        png_480 = Image.open(io.BytesIO(plain[specs.index(specs[-3])]))
        assert png_480.size == sizes[0] and png_480.convert(step.mode).tobytes() == step.tobytes()


@pytest.mark.vnu
def test_pages_with_pictures_are_valid_html(tmp_path: Path) -> None:
    """A lead image and a Markdown image with a title: the <picture> markup passes the Nu checker."""
    from test_html_valid import vnu_errors

    body = '![A whiteboard full of notes](/images/team.jpg "The planning wall")\n\nAnd ![a logo](/images/logo.png) inline.\n'
    site = image_site(tmp_path, {"static/images/logo.png": png(), ARTICLE: article(body=body)})
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    page = site / "output/blog/alpha-vs-beta/index.html"
    assert len(pictures(page.read_text())) == 3
    assert vnu_errors([page]) == []
