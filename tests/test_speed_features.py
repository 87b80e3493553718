"""Speed features, tested for behaviour (the benchmark measures the speed): workers, the cache, incremental output.

Timing is never asserted here; `make bench` measures it.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import sys
import tracemalloc
from pathlib import Path

import orjson
import pytest

from sitegen.schemas import Schemas

from conftest import REPO, run_cli, snapshot, write_site

sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402  (bench/generate.py: the benchmark's corpus generator)

ARTICLES = 120  # above the pool's threshold, so --jobs 2 really uses worker processes


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("corpus") / "site"
    generate.generate(ARTICLES, site, seed=7)
    return site


def summary(stdout: str) -> dict[str, int]:
    pages = re.search(r"Pages\s+(\d+) \((\d+) rendered, (\d+) files changed on disk\)", stdout)
    articles = re.search(r"Articles\s+(\d+) \((\d+) from cache, (\d+) converted\)", stdout)
    files = re.search(r"Static files\s+(\d+) \((\d+) image variants and cards made\)", stdout)
    assert pages and articles and files, stdout
    return {"pages": int(pages[1]), "rendered": int(pages[2]), "changed": int(pages[3]),
            "static": int(files[1]), "made": int(files[2]),
            "articles": int(articles[1]), "cached": int(articles[2]), "converted": int(articles[3])}


def build(site: Path, *args) -> dict[str, int]:
    result = run_cli("--site", site, *args)
    assert result.returncode == 0, result.stderr
    return summary(result.stdout)


def stats(out: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}


def test_workers_give_the_same_bytes_as_one_process(corpus: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_cli("--site", corpus, "--out", one, "--jobs", "1", "--no-cache").returncode == 0
    result = run_cli("--site", corpus, "--out", two, "--jobs", "2", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert summary(result.stdout)["converted"] == ARTICLES
    assert snapshot(one) == snapshot(two)
    assert len(list((two / "blog").iterdir())) == ARTICLES


def test_warm_build_converts_nothing_and_matches_a_cold_build(corpus: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    import shutil

    shutil.copytree(corpus, site)
    cold = build(site)
    assert (cold["converted"], cold["cached"]) == (ARTICLES, 0)
    reference = snapshot(site / "output")
    shutil.rmtree(site / "output")
    warm = build(site)
    assert (warm["converted"], warm["cached"]) == (0, ARTICLES)
    # empty output: no page renders again, each is written from the store (issue 18 point 2), the same bytes
    # + the static files: the stylesheet, the search script, the image variants and the social cards, none made again
    assert warm["rendered"] == warm["made"] == 0 and warm["changed"] == warm["pages"] + warm["static"]
    assert snapshot(site / "output") == reference
    no_cache = tmp_path / "no-cache"
    assert run_cli("--site", site, "--out", no_cache, "--no-cache").returncode == 0
    assert snapshot(no_cache) == reference


def test_stored_pages_that_are_damaged_or_gone_render_again(corpus: Path, tmp_path: Path) -> None:
    import shutil
    import sqlite3

    site = tmp_path / "site"
    shutil.copytree(corpus, site)
    build(site)
    reference = snapshot(site / "output")
    db = sqlite3.connect(site / ".sitegen-cache" / "store.sqlite")
    digests = [d for (d,) in db.execute("SELECT digest FROM pages ORDER BY digest")]
    assert len(digests) >= ARTICLES
    with db:
        db.execute("UPDATE pages SET body=? WHERE digest=?", (b"\x10\x00\x00\x00not lz4 at all", digests[0]))
        db.execute("UPDATE pages SET body=? WHERE digest=?", (__import__("lz4.block").block.compress(b"other bytes"),
                                                              digests[1]))
        db.execute("DELETE FROM pages WHERE digest=?", (digests[2],))
    db.close()
    shutil.rmtree(site / "output")
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    again = summary(result.stdout)
    assert 1 <= again["rendered"] + again["made"] <= 12  # the deleted page (or card, or variant) renders; damaged ones too
    assert snapshot(site / "output") == reference


def test_no_change_build_leaves_output_untouched(built: Path) -> None:
    site = built.parent
    before = stats(built)
    again = build(site)
    assert (again["rendered"], again["changed"], again["converted"]) == (0, 0, 0)
    assert stats(built) == before  # same inodes, same modification times: nothing rewritten


def test_an_article_edit_rewrites_only_what_shows_it(built: Path) -> None:
    site = built.parent
    article = site / "content/alpha-vs-beta.md"
    article.write_text(article.read_text().replace("Footnote here.", "Footnote right here."))
    before = stats(built)
    result = build(site)
    assert result["converted"] == 1 and result["changed"] == 2
    after = stats(built)
    changed = sorted(k for k in after if after[k] != before.get(k) and not k.startswith("pagefind/"))
    assert changed == ["blog/alpha-vs-beta/index.html", "feed.xml"]
    # and the search index, which holds the article's text (tests/test_search.py)
    assert any(after[k] != before.get(k) for k in after if k.startswith("pagefind/") and "/fragment/" in k)
    clean = write_site(site.parent / "clean", {"content/alpha-vs-beta.md": article.read_text()})
    assert run_cli("--site", clean, "--no-cache").returncode == 0
    assert snapshot(clean / "output") == snapshot(built)


def test_a_partial_edit_rerenders_the_pages_that_include_it(built: Path) -> None:
    site = built.parent
    partial = site / "templates/partials/related.html"
    partial.write_text(partial.read_text() + "<!-- edited -->\n")
    result = build(site)
    assert result["rendered"] == 2  # the two article pages include partials/related.html
    assert result["changed"] == 2


def test_a_salary_edit_rerenders_the_pages_that_read_it(built: Path) -> None:
    site = built.parent
    roles = site / "data/roles.yaml"
    roles.write_text(roles.read_text().replace("median_base: 220000", "median_base: 221000"))
    result = build(site)
    # beta-engineer's salary: the article that shows it, the role page, the roles index, the feed (full content),
    # and the social cards of the article and the role page, which show it too
    assert (result["rendered"], result["made"], result["changed"]) == (4, 2, 6)
    out = built
    assert "~$221K" in (out / "blog/alpha-vs-beta/index.html").read_text()
    assert "~$221K" in (out / "roles/beta-engineer/index.html").read_text()
    assert "~$221K" not in (out / "blog/gamma/index.html").read_text()


@pytest.mark.parametrize("damage", ["garbage", "foreign sqlite", "bad row", "bad body", "bad check"])
def test_a_corrupt_or_foreign_cache_is_ignored_and_rebuilt(built: Path, damage: str) -> None:
    site = built.parent
    reference = snapshot(built)
    store = site / ".sitegen-cache/store.sqlite"
    if damage == "garbage":
        for suffix in ("-wal", "-shm"):
            Path(str(store) + suffix).unlink(missing_ok=True)
        store.write_bytes(b"not a database at all " * 100)
    elif damage == "foreign sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(str(store) + suffix).unlink(missing_ok=True)
        db = sqlite3.connect(store)
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('format', 'somebody-else-9')")
        db.commit()
        db.close()
    else:
        column = {"bad row": "record", "bad body": "body", "bad check": "checked"}[damage]
        db = sqlite3.connect(store)
        db.execute(f"UPDATE articles SET {column} = x'00ff00ff'")
        db.commit()
        db.close()
    (site / ".sitegen-cache/manifests").exists() and [p.unlink() for p in (site / ".sitegen-cache/manifests").iterdir()]
    import shutil

    shutil.rmtree(built)
    result = build(site)
    if damage == "bad check":  # only the stored check: checked again from the intact record
        assert result["converted"] == 0 and result["cached"] == 2
    else:
        assert result["converted"] == 2 and result["cached"] == 0
    assert snapshot(built) == reference
    again = build(site)  # and the rebuilt cache works
    assert again["converted"] == 0


def test_a_damaged_stored_value_is_refused_before_it_is_decoded() -> None:
    # the rows' digests catch damage first; this is what stands behind them (the render's reader trusts rows
    # the load just checked, and a size header is never believed enough to allocate gigabytes)
    from sitegen import memos

    good = memos.pack({"title": "Café", "n": [1, 2]})
    assert memos.unpack(good) == {"title": "Café", "n": [1, 2]}
    assert memos.unpack(memos.pack("a" * 10**6)) == "a" * 10**6  # LZ4's best ratio (about 255) is within the limit
    huge = (2**30).to_bytes(4, "little") + good[4:]
    tracemalloc.start()
    try:
        for blob in (b"", b"\x01\x00", huge, good[:4] + b"\xff" * 12, good[:-3], memos.lz4.block.compress(b"{oops")):
            with pytest.raises(ValueError):
                memos.unpack(blob)
        assert tracemalloc.get_traced_memory()[1] < 1_000_000  # lz4 alone would allocate the 1 GB the header claims
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("content", [b"{not json", b'{"format": "sitegen-manifest-0", "pages": {}}', b"[1, 2]"])
def test_a_corrupt_or_foreign_build_record_renders_everything_again(built: Path, content: bytes) -> None:
    site = built.parent
    reference = snapshot(built)
    (record,) = (site / ".sitegen-cache/manifests").iterdir()
    record.write_bytes(content)
    result = build(site)
    assert result["rendered"] == result["pages"] and result["changed"] == 0  # same bytes: no file rewritten
    assert snapshot(built) == reference


def test_no_cache_neither_reads_nor_writes_the_cache(site: Path) -> None:
    result = build(site, "--no-cache")
    assert result["converted"] == 2
    assert not (site / ".sitegen-cache").exists()


def test_jobs_must_be_positive(site: Path) -> None:
    result = run_cli("--site", site, "--jobs", "0")
    assert (result.returncode, result.stderr) == (2, "error: --jobs 0: give a number of processes, 1 or more\n")


def test_progress_bar_only_on_a_terminal_after_two_seconds(monkeypatch, capsys) -> None:
    import time

    from sitegen.progress import Progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    Progress(time.perf_counter(), True).update(5, 10, "rendering")
    assert capsys.readouterr().err == ""  # too early
    bar = Progress(time.perf_counter() - 3, True)
    bar.update(5, 10, "rendering")
    assert capsys.readouterr().err == "\rrendering  [###############...............] 5/10"
    bar.done()
    assert capsys.readouterr().err == "\r\033[K"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    Progress(time.perf_counter() - 3, True).update(5, 10, "rendering")
    assert capsys.readouterr().err == ""


def test_summary_table_is_printed(site: Path) -> None:
    result = run_cli("--site", site)
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:4]] == ["Pages", "Static", "Articles"]
    assert any(line.strip().startswith("render") for line in lines)
    quiet = run_cli("--site", site, "-q")
    assert len(quiet.stdout.splitlines()) == 1


def test_problems_of_cached_articles_are_reported_as_from_a_fresh_build(built: Path) -> None:
    """Articles from the cache are checked before the build slims them: same lines as converting them anew."""
    site = built.parent
    roles = site / "data/roles.yaml"
    original = roles.read_text()

    def recorded_checks() -> list:
        db = sqlite3.connect(site / ".sitegen-cache/store.sqlite")
        try:
            return [orjson.loads(blob)[1:3] for (blob,) in db.execute("SELECT checked FROM articles ORDER BY key")]
        finally:
            db.close()

    stored = recorded_checks()
    assert all(problems == [] for _ids, problems in stored) and len({ids for ids, _ in stored}) == 1
    roles.write_text(original.replace("\nbeta-engineer:", "\ndelta-engineer:"))
    before = snapshot(built)
    cached = run_cli("--site", site)  # the stored checks are for other role ids: checked again, and recorded
    rechecked = recorded_checks()
    again = run_cli("--site", site)  # now straight from the recorded checks
    fresh = run_cli("--site", site, "--no-cache")
    assert (cached.returncode, again.returncode, fresh.returncode) == (1, 1, 1)
    assert cached.stderr == again.stderr == fresh.stderr
    assert {ids for ids, _ in rechecked} != {ids for ids, _ in stored}
    assert any(problems for _ids, problems in rechecked)
    lines = cached.stderr.splitlines()
    assert lines[0] == ("content/alpha-vs-beta.md:7: roles: unknown key 'beta-engineer' of data.roles "
                        "(data/roles.yaml has: alpha-engineer, delta-engineer)")
    assert "Traceback" not in cached.stderr
    assert snapshot(built) == before
    roles.write_text(original)
    assert run_cli("--site", site).returncode == 0
    assert snapshot(built) == before


def test_problems_found_in_conversion_workers_match_one_process(corpus: Path, tmp_path: Path) -> None:
    """Workers convert, store and check articles on their own; what they report equals a one-process build."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(corpus, site)
    names = sorted((site / "content").glob("*.md"))
    first, second = names[10], names[70]
    text = first.read_text()
    call = re.search(r'salary\("([a-z-]+)"\)', text)
    assert call is not None
    first.write_text(text.replace(call.group(0), "salary(no_such_role)", 1))  # not a literal: found converting
    second.write_text(second.read_text().replace("title:", "title: [unclosed", 1))
    one = run_cli("--site", site, "--jobs", "1", "--no-cache", "--out", tmp_path / "one")
    two = run_cli("--site", site, "--jobs", "2", "--no-cache", "--out", tmp_path / "two")
    assert (one.returncode, two.returncode) == (1, 1)
    assert one.stderr == two.stderr
    lines = two.stderr.splitlines()
    assert len(lines) == 3 and "Traceback" not in two.stderr
    assert lines[2] == "build failed: 2 problems; output left unchanged"
    assert lines[0].startswith(f"content/{first.name}:") and "component salary(): arguments are literal" in lines[0]
    assert lines[1].startswith(f"content/{second.name}:3: invalid YAML: ")
    assert not (tmp_path / "two").exists()


def test_related_reading_matches_its_definition(tmp_path: Path) -> None:
    """assemble._related_all against a plain reading of its rule on 600 generated articles: the articles sharing the
    most roles (2 points) and tags (1 point) among the NEARBY either side of it in each shared group, newest first,
    then by slug; an explicit `related:` list wins."""
    import datetime as dt

    from sitegen.assemble import NEARBY, _related_all
    from sitegen.content import parse_article

    site = tmp_path / "site"
    generate.generate(600, site, seed=11)
    shown = []
    for path in sorted((site / "content").glob("*.md")):
        article, _body = parse_article(path.read_text(), f"content/{path.name}", schemas=Schemas.load(site))
        shown.append(article)
    shown.sort(key=lambda a: (a.date, a.slug), reverse=True)
    by_slug = {a.slug: a for a in shown}
    got = _related_all(shown, by_slug)
    for article in shown:
        if article.related:
            expected = [by_slug[s] for s in article.related if s in by_slug and s != article.slug]
        else:
            points: dict[str, int] = {}
            for kind, names, worth in (("ref", set(article.refs), 2), ("tag", set(article.tags), 1)):
                for name in names:
                    members = [a for a in shown if name in (a.refs if kind == "ref" else a.tags)]
                    at = members.index(article)
                    for other in members[max(0, at - NEARBY) : at + NEARBY + 1]:
                        if other is not article:
                            points[other.slug] = points.get(other.slug, 0) + worth
            ranked = sorted(points, key=lambda s: (-points[s], -by_slug[s].date.toordinal(), s))
            expected = [by_slug[s] for s in ranked[:3]]
        assert list(got[article.slug]) == expected, article.slug
    assert all(isinstance(a.date, dt.date) for a in shown) and any(got.values())


def test_page_signatures_tell_apart_what_pages_read_even_past_json() -> None:
    # a signature digests what a page reads with orjson; an integer beyond 64 bits (a salary typed with too many
    # digits) must not crash it, and values orjson does not know still count
    from sitegen.deps import _digest

    class Opaque:
        def __init__(self, n: int) -> None:
            self.n = n

        def __repr__(self) -> str:
            return f"Opaque({self.n})"

    assert _digest(10**30) != _digest(10**30 + 1)
    assert _digest("a", dt.date(2026, 1, 2)) == _digest("a", dt.date(2026, 1, 2)) != _digest("a", dt.date(2026, 1, 3))
    assert _digest(Opaque(1)) != _digest(Opaque(2))
    assert _digest({1: "x"}) != _digest({2: "x"})


def test_the_cache_key_changes_with_the_libraries_that_write_the_html(monkeypatch) -> None:
    # converted HTML is kept by a key that includes the Markdown setup: a new Python-Markdown, pymdown-extensions or
    # Pygments release may write different HTML, so it must miss
    import markdown
    import pygments
    import pymdownx

    from sitegen.markdown_ext import config_fingerprint

    base = config_fingerprint()
    assert config_fingerprint() == base
    for module in (markdown, pygments, pymdownx):
        with monkeypatch.context() as patch:
            patch.setattr(module, "__version__", "0.0.0-test")
            assert config_fingerprint() != base, module.__name__


def test_data_found_valid_is_not_validated_again_and_mistakes_always_are(tmp_path: Path, monkeypatch) -> None:
    from sitegen import schemas as sch, yamlutil
    from sitegen.store import Cache

    store = Cache(tmp_path / "store.sqlite").valid
    checked = []
    real = sch._violations
    monkeypatch.setattr(sch, "_violations", lambda *a: checked.append(a[0]) or real(*a))
    article = sch.default("article")
    good, lines = yamlutil.load("title: T\ndescription: D\ndate: '2026-01-02'\ncategory: C\n")
    bad, bad_lines = yamlutil.load("title: T\ndescription: D\ndate: '2026-02-30'\ncategory: C\n")
    assert sch.validate(good, lines, article, "a.md", store) == []
    assert sch.validate(good, lines, article, "a.md", store) == []  # remembered
    assert len(checked) == 1
    for _ in range(2):  # a mistake is reported every time, never remembered
        assert [p.message for p in sch.validate(bad, bad_lines, article, "a.md", store)] == [
            'date: expected a date (YYYY-MM-DD), got "2026-02-30"']
    assert len(checked) == 3
    again = Cache(tmp_path / "store.sqlite")  # kept in the store, for the next build
    assert again.valid.known_valid(sch.validity_key(good, article))
    again.prune(set())  # asked for this session: kept
    assert again.valid.known_valid(sch.validity_key(good, article))
    third = Cache(tmp_path / "store.sqlite")
    third.prune(set())  # not read by this build (the data changed): forgotten
    assert not third.valid.known_valid(sch.validity_key(good, article))


def test_validity_keys_tell_apart_what_a_schema_tells_apart() -> None:
    from sitegen.schemas import Schemas, default, validity_key

    values = [1, 1.0, True, "1", None, float("nan"), [1], (1,), {"a": 1}, {"a": 1, "b": 2}]
    keys = [validity_key({"x": v}, default("article")) for v in values]
    assert len(set(keys)) == len(values)
    roles = Schemas.load(REPO).get("roles")
    assert validity_key({"x": 1}, default("article")) == validity_key({"x": 1}, default("article")) \
        != validity_key({"x": 1}, roles)


def test_related_reading_is_kept_for_the_same_articles_and_worked_out_again_for_any_change(tmp_path: Path,
                                                                                           monkeypatch) -> None:
    """assemble() takes related reading from the store when every input of _related_all() is the same, and works
    it out again when any of them changed (a tag, a role, a date, a slug, a `related:` list, an article more), or
    when the stored answer is damaged or does not fit; the answer is always what _related_all() gives."""
    from dataclasses import replace

    from sitegen import assemble as asm
    from sitegen.content import parse_article
    from sitegen.store import Cache

    site = tmp_path / "site"
    generate.generate(80, site, seed=3)
    shown = []
    for path in sorted((site / "content").glob("*.md")):
        shown.append(parse_article(path.read_text(), f"content/{path.name}", schemas=Schemas.load(site))[0])
    shown.sort(key=lambda a: (a.date, a.slug), reverse=True)
    cache = Cache(tmp_path / "store.sqlite")
    store = cache.related
    calls = []
    real = asm._related_all
    monkeypatch.setattr(asm, "_related_all", lambda *a, **k: calls.append(1) or real(*a, **k))

    def answer(articles):
        by_slug = {a.slug: a for a in articles}
        got = asm._related_memo(articles, by_slug, store, 230)
        assert got == real(articles, by_slug)
        return got

    answer(shown)
    assert len(calls) == 1
    answer(shown)
    assert len(calls) == 1  # the same articles: taken from the store
    first, second = shown[0], shown[1]
    changes = [
        [replace(first, tags=first.tags + ("Brand new tag",))] + shown[1:],
        [replace(first, refs=tuple(reversed(first.refs)))] + shown[1:] if len(first.refs) > 1 else None,
        [replace(first, date=first.date - dt.timedelta(days=1))] + shown[1:],
        [replace(first, slug=first.slug + "-moved")] + shown[1:],
        [replace(first, related=(second.slug,))] + shown[1:],
        shown[:-1],
    ]
    for changed in [c for c in changes if c is not None]:
        before = len(calls)
        answer(changed)
        assert len(calls) == before + 1
    answer(shown)  # back to the first articles: the store keeps one answer, so this is worked out again
    assert len(calls) == len([c for c in changes if c is not None]) + 2

    key = asm.related_key(shown, 230)
    damage = [
        lambda: store.db.execute("UPDATE related SET value=?", (b"not lz4",)),
        lambda: store.remember_related(key, [["no-such-slug"]] * len(shown)),  # names an article the site lacks
        lambda: store.remember_related(key, [[]] * (len(shown) - 1)),  # one answer short
        lambda: store.remember_related(key, {"a": 1}),
    ]
    for spoil in damage:
        spoil()
        before = len(calls)
        answer(shown)
        assert len(calls) == before + 1
    cache.close()


def test_a_schema_found_valid_is_not_checked_again(tmp_path: Path, monkeypatch) -> None:
    """Checking that a site's schemas are JSON Schemas imports jsonschema (50 ms): a warm build skips it."""
    import jsonschema

    from sitegen.schemas import Schemas
    from sitegen.store import Cache

    checks = []
    real = jsonschema.Draft202012Validator.check_schema
    monkeypatch.setattr(jsonschema.Draft202012Validator, "check_schema",
                        classmethod(lambda cls, schema, **kw: checks.append(1) or real(schema, **kw)))
    store = Cache(tmp_path / "store.sqlite").valid
    first = Schemas.load(REPO, store)
    assert len(checks) == len(first.found) == 4 and not first.problems
    again = Schemas.load(REPO, store)
    assert len(checks) == 4 and again.digest == first.digest
    site = tmp_path / "site"
    (site / "schemas").mkdir(parents=True)
    (site / "schemas/x.schema.json").write_text('{"type": 12}')
    for _ in range(2):  # a broken schema is reported every time
        assert [str(p) for p in Schemas.load(site, store).problems] == [
            "schemas/x.schema.json:1: not a valid JSON Schema at type: 12 is not valid under any of the given schemas"]


def test_compiled_templates_are_kept_and_a_template_edit_still_shows(site: Path, tmp_path: Path) -> None:
    """Jinja's bytecode cache (.sitegen-cache/templates): filled by a build, and keyed by each template's source, so
    an edited template is compiled again and its pages equal a build without any cache."""
    assert build(site)["rendered"] > 0
    compiled = sorted((site / ".sitegen-cache/templates").iterdir())
    assert compiled and all(p.name.startswith("__jinja2_") and p.suffix == ".cache" for p in compiled)
    base = site / "templates/base.html"
    base.write_text(base.read_text().replace("</footer>", "<p>Edited footer</p></footer>", 1))
    assert build(site)["rendered"] > 0
    assert "<p>Edited footer</p>" in (site / "output/index.html").read_text()
    assert run_cli("--site", site, "--out", tmp_path / "fresh", "--no-cache").returncode == 0
    assert snapshot(site / "output") == snapshot(tmp_path / "fresh")
