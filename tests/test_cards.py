"""Social cards (issue 16 point 2): a 1200x630 PNG per article, page and record page, the site's card for the rest,
og:image/twitter meta with absolute URLs, cards that change with what they show and only then, real glyphs for
accented and CJK titles, wrapping, right-to-left text, and the error of a character no card font has."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, features

from conftest import REPO, run_cli, write_site
from sitegen import pipeline

ARTICLE = "content/alpha-vs-beta.md"
GOOD = (Path(__file__).parent / "fixtures/minimal" / ARTICLE).read_text()
CJK_FONT = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"  # Debian's fonts-droid-fallback (make test)
SPEC = (REPO / "templates/card.yaml").read_text()


def meta(html: str) -> dict[str, str]:
    return dict(re.findall(r'<meta (?:property|name)="((?:og|twitter):[^"]+)" content="([^"]*)">', html))


def png(path: Path) -> Image.Image:
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), path
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def titled(title: str) -> str:
    return GOOD.replace("title: Alpha vs Beta\n", f"title: {json.dumps(title, ensure_ascii=False)}\n", 1)


def test_every_page_links_its_card_with_absolute_urls(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    assert run_cli("--site", site).returncode == 0
    out = site / "output"
    found = meta((out / "blog/alpha-vs-beta/index.html").read_text())
    assert {k: found[k] for k in ("og:image", "og:image:width", "og:image:height", "og:image:alt", "twitter:card",
                                  "twitter:image")} == {
        "og:image": "https://fixture.example/blog/alpha-vs-beta/card.png", "og:image:width": "1200",
        "og:image:height": "630", "og:image:alt": "Alpha vs Beta", "twitter:card": "summary_large_image",
        "twitter:image": "https://fixture.example/blog/alpha-vs-beta/card.png"}
    assert meta((out / "roles/alpha-engineer/index.html").read_text())["og:image"] == \
        "https://fixture.example/roles/alpha-engineer/card.png"
    for listing in ("index.html", "category/hiring/index.html", "tag/alpha/index.html", "roles/index.html"):
        assert meta((out / listing).read_text())["og:image"] == "https://fixture.example/card.png", listing
    for rel in ("card.png", "blog/alpha-vs-beta/card.png", "blog/gamma/card.png", "roles/beta-engineer/card.png"):
        image = png(out / rel)
        assert (image.format, image.size) == ("PNG", (1200, 630)), rel
        assert not {k for k in image.info if k not in ("dpi",)}, (rel, image.info)  # no text chunks, no EXIF


def test_a_lead_image_is_the_card(tmp_path: Path) -> None:
    photo = io.BytesIO()
    Image.new("RGB", (1600, 900), (40, 90, 200)).save(photo, "JPEG")
    text = GOOD.replace("category: Hiring\n", "category: Hiring\nimage: /images/team.jpg\nimage_alt: The team\n", 1)
    site = write_site(tmp_path / "site", {ARTICLE: text, "static/images/team.jpg": photo.getvalue()})
    assert run_cli("--site", site).returncode == 0
    found = meta((site / "output/blog/alpha-vs-beta/index.html").read_text())
    assert re.fullmatch(r"https://fixture\.example/static/images/team\.[0-9a-f]{10}-1600w\.jpg", found["og:image"])
    assert (found["og:image:width"], found["og:image:height"], found["og:image:alt"]) == ("1600", "900", "The team")
    assert not (site / "output/blog/alpha-vs-beta/card.png").exists()
    assert (site / "output" / found["og:image"].removeprefix("https://fixture.example/")).is_file()


def test_a_card_changes_with_its_title_and_salaries_and_only_then(tmp_path: Path, monkeypatch) -> None:
    from sitegen import cards

    drawn: list[str] = []
    real = cards.draw
    monkeypatch.setattr(cards, "draw", lambda state, texts: drawn.append(texts[1]) or real(state, texts))
    site = write_site(tmp_path / "site")
    out = site / "output"
    CARDS = ("blog/alpha-vs-beta/card.png", "blog/gamma/card.png", "roles/alpha-engineer/card.png",
             "roles/beta-engineer/card.png", "card.png")

    def build() -> dict[str, bytes]:
        drawn.clear()
        pipeline.build(site, jobs=1, progress=False)
        return {rel: (out / rel).read_bytes() for rel in CARDS}

    first = build()
    assert len(drawn) == 5
    # the body changes: no card is drawn, none changes
    (site / ARTICLE).write_text(GOOD.replace("## Notes for authors\n", "## Notes for authors\n\nNew words.\n"))
    assert build() == first
    assert drawn == []
    # the title changes: that article's card only
    (site / ARTICLE).write_text(titled("Alpha or Beta, which first"))
    retitled = build()
    assert drawn == ["Alpha or Beta, which first"]
    assert [rel for rel in CARDS if retitled[rel] != first[rel]] == ["blog/alpha-vs-beta/card.png"]
    # a salary changes in data: the cards that show it (the comparing article's and the role's own)
    roles = site / "data/roles.yaml"
    roles.write_text(roles.read_text().replace("median_base: 220000", "median_base: 231000"))
    paid = build()
    assert sorted(drawn) == ["Alpha or Beta, which first", "Beta Engineer"]
    assert [rel for rel in CARDS if paid[rel] != retitled[rel]] == ["blog/alpha-vs-beta/card.png",
                                                                   "roles/beta-engineer/card.png"]
    # back to the first title and salary: those two drawn again (the store keeps the current pages' cards only),
    # the same bytes as the first build
    roles.write_text(roles.read_text().replace("median_base: 231000", "median_base: 220000"))
    (site / ARTICLE).write_text(GOOD)
    assert build() == first and sorted(drawn) == ["Alpha vs Beta", "Beta Engineer"]
    # an empty output folder, the cache kept: every card from the store, none drawn
    shutil.rmtree(out)
    assert build() == first and drawn == []
    # and a build without any cache draws the same bytes
    assert run_cli("--site", site, "--no-cache", "--out", tmp_path / "fresh").returncode == 0
    assert {rel: (tmp_path / "fresh" / rel).read_bytes() for rel in CARDS} == first


def glyph_boxes(text: str, chain: tuple[str, ...], root: Path) -> list[str]:
    """The characters of `text` that the card's font choice would draw as the font's notdef glyph (a box): each
    character's bitmap in the font `cardtext.runs` picks for it, compared with that font's notdef glyph."""
    from sitegen.cardtext import Faces, runs

    faces = Faces(root)
    boxes = []
    for name, part in runs(text, chain, faces):
        font = ImageFont.truetype(str(name if name.startswith("/") else root / name), 64)
        notdef = font.getmask("\U0010fffd")  # a private-use character no font here has: drawn as notdef
        for ch in part:
            if ch.isspace():
                continue
            mask = font.getmask(ch)
            if mask.size == notdef.size and bytes(mask) == bytes(notdef):
                boxes.append(ch)
    return boxes


@pytest.mark.parametrize("title", ["Café, naïve résumés and Ångström: Ærø øl", "人工智能工程师与机器学习工程师的比较"])
def test_accented_and_chinese_titles_draw_real_glyphs(tmp_path: Path, title: str) -> None:
    assert Path(CJK_FONT).is_file(), "make test installs fonts-droid-fallback"
    spec = SPEC.replace("  - templates/cards/fonts/DejaVuSans-Bold.ttf\n",
                        f"  - templates/cards/fonts/DejaVuSans-Bold.ttf\n  - {CJK_FONT}\n", 1)
    site = write_site(tmp_path / "site", {"templates/card.yaml": spec, ARTICLE: titled(title)})
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    chain = ("templates/cards/fonts/DejaVuSans-Bold.ttf", CJK_FONT)
    assert glyph_boxes(title, chain, site) == []
    # the check itself sees boxes: DejaVu has no Chinese, so forcing it finds every Han character a box
    font = ImageFont.truetype(str(site / chain[0]), 64)
    assert bytes(font.getmask("人")) == bytes(font.getmask("\U0010fffd"))
    # the card is drawn with them: not the card of another title, and ink in the title's box
    card = png(site / "output/blog/alpha-vs-beta/card.png")
    other = run_cli("--site", write_site(tmp_path / "other", {"templates/card.yaml": spec}))
    assert other.returncode == 0
    assert card.tobytes() != png(tmp_path / "other/output/blog/alpha-vs-beta/card.png").tobytes()
    box = card.convert("RGB").crop((80, 176, 1120, 426))
    assert ImageChops.difference(box, Image.new("RGB", box.size, (0x0B, 0x1F, 0x3F))).getbbox() is not None


def test_a_character_no_card_font_has_is_an_error_at_its_line(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {ARTICLE: titled("Hiring in 北京")})
    result = run_cli("--site", site)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"{ARTICLE}:2: title: no card font has a glyph for '北' (U+5317); add a font that covers it to fonts: in "
        "templates/card.yaml")
    assert "Traceback" not in result.stderr and not (site / "output").exists()


def test_long_titles_wrap_shrink_and_never_overflow(tmp_path: Path) -> None:
    from sitegen.cardtext import Faces, Measure, lay_out
    from sitegen.cardspec import load_spec

    spec, problems = load_spec(REPO)
    assert not problems and spec is not None
    layer = spec.layers[1]
    faces = Faces(REPO)
    short = lay_out("A short title", layer, faces)
    assert short.size == layer.size and len(short.lines) == 1
    long = lay_out("An extraordinarily long title " * 8, layer, faces)
    assert long.size == layer.min_size and len(long.lines) == layer.max_lines
    assert long.lines[-1][0].endswith("…")
    unbroken = lay_out("Supercalifragilistic" * 12, layer, faces)
    for size, lines in ((long.size, long.lines), (unbroken.size, unbroken.lines)):
        measure = Measure(layer.fonts, faces, size, False)
        assert all(measure.width(line) <= layer.width for line, _ in lines)
        assert len(lines) * size * layer.line_height <= layer.height + size  # the lines fit the box's height


def test_right_to_left_titles_are_shaped_not_reversed(tmp_path: Path) -> None:
    assert features.check("raqm"), "Pillow's raqm layout needs libfribidi0 (make test installs it)"
    title = "مهندس الذكاء الاصطناعي"  # Arabic: letters join, the line reads from the right
    site = write_site(tmp_path / "site", {ARTICLE: titled(title)})
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    card = png(site / "output/blog/alpha-vs-beta/card.png").convert("RGB")
    # the reference: Pillow's own raqm layout of the whole line, right-aligned in the title's box (card.yaml's
    # second layer: x 80, y 176, width 1040, size 68, line height 1.18, the line centred in its pitch)
    path = str(REPO / "templates/cards/fonts/DejaVuSans-Bold.ttf")
    font = ImageFont.truetype(path, 68, layout_engine=ImageFont.Layout.RAQM)
    ascent, descent = font.getmetrics()
    width = font.getlength(title, direction="rtl")
    at = (80 + 1040 - width, 176 + (68 * 1.18 - ascent - descent) / 2 + ascent)
    reference, naive = (Image.new("RGB", (1200, 630), (0x0B, 0x1F, 0x3F)) for _ in range(2))
    ImageDraw.Draw(reference).text(at, title, font=font, fill="#ffffff", anchor="ls", direction="rtl")
    # what a mangled card looks like: the letters in logical order, left to right, unjoined
    basic = ImageFont.truetype(path, 68, layout_engine=ImageFont.Layout.BASIC)
    ImageDraw.Draw(naive).text(at, title, font=basic, fill="#ffffff", anchor="ls")
    line = crop_line(card)
    assert line.size == crop_line(reference).size
    # the card's palette (256 colours) is within 16/255 of the reference's every pixel; the mangled line is not
    assert max(high for _, high in ImageChops.difference(line, crop_line(reference)).getextrema()) <= 16
    mangled = crop_line(naive)
    assert line.size != mangled.size or max(high for _, high in ImageChops.difference(line, mangled).getextrema()) > 16


def crop_line(image: Image.Image) -> Image.Image:
    """The ink of the first line of the title's box (or of a reference image), cropped to its bounding box."""
    image = image.crop((80, 176, 1120, 176 + 80))
    background = Image.new("RGB", image.size, (0x0B, 0x1F, 0x3F))
    bbox = ImageChops.difference(image, background).point(lambda v: 255 if v > 16 else 0).getbbox()
    assert bbox is not None
    return image.crop(bbox)


def test_a_new_way_of_drawing_cards_makes_them_again(tmp_path: Path, monkeypatch) -> None:
    """cardspec.FORMAT is in each card page's signature: cards stored from an older drawing are not reused."""
    from sitegen import cardspec

    site = write_site(tmp_path / "site")
    assert pipeline.build(site, jobs=1, progress=False).made == 5
    assert pipeline.build(site, jobs=1, progress=False).made == 0
    shutil.rmtree(site / "output")
    assert pipeline.build(site, jobs=1, progress=False).made == 0  # written from the store
    monkeypatch.setattr(cardspec, "FORMAT", cardspec.FORMAT + "-next")
    shutil.rmtree(site / "output")
    assert pipeline.build(site, jobs=1, progress=False).made == 5


def card_state(root: Path):
    """The site's card template as a build's renderer loads it (the site's environment: its filters included)."""
    from sitegen.cards import CardState
    from sitegen.render import make_environment

    return CardState(root, make_environment(str(root / "templates"), "/", {}))


def drawn_rgb(state, texts: list[str]) -> Image.Image:
    """The card as drawn before it is brought to 256 colours."""
    from sitegen.cardtext import draw_layer, lay_out

    image = state.base().copy()
    canvas = ImageDraw.Draw(image, "RGBA")
    for layer, text in zip(state.spec.layers, texts):
        if text:
            draw_layer(canvas, layer, lay_out(text, layer, state.faces), state.faces)
    return image


def test_cards_use_one_palette_made_from_the_template_and_stay_close_to_the_drawing(tmp_path: Path) -> None:
    """cards.CardState.palette: the background, the logo's colours and each text colour's blends over the
    background. The card is within 12/255 of the full-colour drawing (finding a palette per card, the plain path,
    is within 16/255 too); a text box that reaches the logo makes each card find its own palette again."""
    from sitegen import cards

    texts = ["Hiring blog", "AI Engineer vs ML Engineer: which role is right for your team, and when to hire",
             "AI Engineer: $205,000 median base\nML Engineer: $220,000 median base", ""]
    state = card_state(REPO)
    fixed = state.palette
    assert fixed is not None and fixed.mode == "P"
    reference = drawn_rgb(state, texts)
    card = Image.open(io.BytesIO(cards.draw(state, texts)))
    assert card.mode == "P" and card.size == (1200, 630)
    assert card.getpalette()[:768] == fixed.getpalette()[:768]
    assert max(high for _, high in ImageChops.difference(card.convert("RGB"), reference).getextrema()) <= 12
    plain = reference.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).convert("RGB")
    assert max(high for _, high in ImageChops.difference(plain, reference).getextrema()) <= 16
    assert cards.draw(state, texts) == cards.draw(card_state(REPO), texts)  # the same palette in every process

    site = tmp_path / "site"
    shutil.copytree(REPO / "templates/cards", site / "templates/cards")
    over = SPEC.replace("    x: 176\n    y: 76\n", "    x: 100\n    y: 76\n", 1)  # the site's name over the logo
    (site / "templates/card.yaml").write_text(over)
    # two text boxes of different colours that meet: each card finds its own palette too
    (site / "templates/card.yaml").write_text(SPEC.replace("    y: 450\n", "    y: 400\n", 1))
    assert card_state(site).palette is None
    (site / "templates/card.yaml").write_text(over)
    state = card_state(site)
    assert state.palette is None
    reference = drawn_rgb(state, texts)
    card = Image.open(io.BytesIO(cards.draw(state, texts)))
    assert card.mode == "P"
    assert max(high for _, high in ImageChops.difference(card.convert("RGB"), reference).getextrema()) <= 16
