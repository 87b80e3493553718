"""Search (issue 17): the Pagefind index the build writes, and the /search/ page in real Chromium.

Build side: only published articles and role pages are indexed, with their own text; the index is part of the
atomic output (a failed build keeps the previous one); a build whose pages did not change runs no Pagefind (a
stand-in program that only answers --version proves it) and a build into an empty output restores the index from
.sitegen-cache byte for byte; the index is byte-identical between builds; a missing Pagefind is one line, no
traceback. Browser side (Debian's chromium through Playwright): `/search/?q=<a word in one article only>` lists
exactly that article with the right URL at the root and under /insights/; a word only in a draft finds nothing;
the header's form leads to the results; without JavaScript the page says so and links the category and tag
pages; axe finds nothing on the page with results; and the preview finds a word added to an article once it has
rebuilt and re-indexed.
"""

from __future__ import annotations

import json
import re
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, REPO, run_cli, snapshot, write_site
from servers import serve

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
UNIQUE = "zanzibarquux"  # only in post-1's body
DRAFT_ONLY = "draftonlyvortex"  # only in a draft
FUTURE_ONLY = "futureonlyquasar"  # only in an article dated after today
CTA_WORD = "ctaonlyplumbus"  # only in the call to action, which every article shows but is not its own text
PAGE_ONLY = "pageonlyquokka"  # only in a standalone page (content/pages/)

ARTICLE = """---
title: {title}
description: {description}
date: {date}
category: {category}
tags: [{tags}]
roles: [alpha-engineer]
{extra}---

## What is this about?

{body}
"""


def article(title: str, body: str, *, date: str = "2026-03-01", category: str = "Guides", tags: str = "Alpha",
            extra: str = "", description: str | None = None) -> str:
    return ARTICLE.format(title=title, description=description or f"A short description of {title.lower()}.",
                          date=date, category=category, tags=tags, extra=extra, body=body)


def search_site(root: Path) -> Path:
    """The minimal fixture plus articles with words found nowhere else."""
    site = write_site(root, {
        "content/post-one.md": article("Post one about hiring", f"Some text with the word {UNIQUE} in it."),
        "content/post-two.md": article("Post two about salaries", "Other text about salaries and teams.",
                                       category="Hiring", tags="Beta, Salaries"),
        "content/secret.md": article("Secret plans", f"The word {DRAFT_ONLY} is in this draft only.",
                                     extra="draft: true\n"),
        "content/later.md": article("Later plans", f"The word {FUTURE_ONLY} is in a future article only.",
                                    date="2030-01-01"),
        "content/pages/about.md": f"---\ntitle: About this blog\ndescription: Who writes it.\n---\n\n"
                                  f"A page with the word {PAGE_ONLY}.\n",
    })
    site_yaml = site / "data" / "site.yaml"
    text = site_yaml.read_text(encoding="utf-8")
    assert "cta:" in text
    site_yaml.write_text(text.replace("  text: ", f"  text: {CTA_WORD} ", 1), encoding="utf-8")
    return site


def indexed_pages(out: Path) -> int:
    """Pages in the index, over its shards (pagefind/bundles.json lists them)."""
    bundles = json.loads((out / "pagefind" / "bundles.json").read_text(encoding="utf-8"))["bundles"]
    return sum(json.loads((out / "pagefind" / b / "pagefind-entry.json").read_text(encoding="utf-8"))
               ["languages"]["en"]["page_count"] for b in bundles)


def fake_pagefind(tmp: Path) -> Path:
    """A stand-in for Pagefind that answers --version like the real one and fails on anything else: a build that
    succeeds with it ran no indexing."""
    real = run_cli_version()
    script = tmp / "fake-pagefind"
    script.write_text(f"#!{sys.executable}\nimport sys\nif sys.argv[1:] == ['--version']:\n"
                      f"    print({real!r})\n    sys.exit(0)\nprint('indexing was asked for', file=sys.stderr)\n"
                      "sys.exit(3)\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def run_cli_version() -> str:
    from sitegen import search
    return search.version()


# --- the build -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = search_site(tmp_path_factory.mktemp("search") / "site")
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    return site


def test_the_index_holds_the_published_articles_and_role_pages(built: Path) -> None:
    out = built / "output"
    # post-one, post-two, the two fixture articles, the about page and the two role pages; no draft, future
    # article, list, redirect page, 404 page or search page
    assert indexed_pages(out) == 7
    assert (out / "pagefind" / "0" / "pagefind.js").is_file()
    assert not (out / "pagefind" / "0" / "pagefind-ui.js").exists()  # Pagefind's own interface is not published
    search_page = (out / "search" / "index.html").read_text(encoding="utf-8")
    assert 'data-pagefind-body' not in search_page
    assert 'name="q"' in search_page and "Search needs JavaScript" in search_page
    assert 'href="/category/guides/"' in search_page and 'href="/tag/alpha/"' in search_page
    home = (out / "index.html").read_text(encoding="utf-8")
    assert '<form class="site-search" role="search" action="/search/" method="get">' in home
    assert "data-pagefind-body" not in home


def test_a_build_with_the_same_pages_runs_no_indexing(built: Path, tmp_path: Path) -> None:
    out = built / "output"
    before = snapshot(out / "pagefind")
    (built / "content" / "post-two.md").touch()  # sources changed, pages did not
    os.utime(built / "content" / "post-two.md", (1, 1))
    result = run_cli("--site", built, "-v", env={"PAGEFIND_BINARY_PATH": str(fake_pagefind(tmp_path))})
    assert result.returncode == 0, result.stderr
    assert snapshot(out / "pagefind") == before
    # into an empty output: the index comes from .sitegen-cache, byte for byte
    empty = tmp_path / "fresh"
    result = run_cli("--site", built, "--out", empty, env={"PAGEFIND_BINARY_PATH": str(fake_pagefind(tmp_path))})
    assert result.returncode == 0, result.stderr
    assert snapshot(empty / "pagefind") == before


def test_the_index_is_byte_identical_between_builds(built: Path, tmp_path: Path) -> None:
    result = run_cli("--site", built, "--out", tmp_path / "again", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert snapshot(tmp_path / "again" / "pagefind") == snapshot(built / "output" / "pagefind")


def test_a_shard_made_again_reads_only_the_pages_it_has_not_seen(built: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether a page marks text for the index is kept by the digest of its bytes (search.MARKS in the cache): a
    shard indexed again for one edited page reads that page only, and gives the index a fresh cache gives."""
    import hashlib
    import shutil

    from sitegen import search

    source = tmp_path / "pages"
    shutil.copytree(built / "output", source, ignore=shutil.ignore_patterns("pagefind"))

    def digests() -> dict[str, str]:
        return {p.relative_to(source).as_posix(): hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest()
                for p in source.rglob("*.html")}

    read: list[str] = []
    real = search.marked
    monkeypatch.setattr(search, "marked", lambda folder, rel: read.append(rel) or real(folder, rel))
    pages = digests()
    search.build_index(source, pages, "en", tmp_path / "cache")
    assert sorted(read) == sorted(pages)
    edited = source / "blog/post-one/index.html"
    edited.write_text(edited.read_text(encoding="utf-8").replace(UNIQUE, UNIQUE + " again"), encoding="utf-8")
    read.clear()
    again = search.build_index(source, digests(), "en", tmp_path / "cache")
    assert read == ["blog/post-one/index.html"]
    fresh = search.build_index(source, digests(), "en", tmp_path / "fresh")
    assert {k: snapshot(v) for k, v in again.items()} == {k: snapshot(v) for k, v in fresh.items()}
    assert indexed_pages_of(again) == 7


def indexed_pages_of(shards: dict[str, Path]) -> int:
    return sum(json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))["languages"]["en"]
               ["page_count"] for bundle in shards.values())


def test_pagefind_is_asked_its_version_once_per_program_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The version line is part of every shard's key: kept in the search cache by the program's path, size and
    time, so a build does not start Pagefind to ask it; another program file is asked again."""
    from sitegen import search

    asked: list[list[str]] = []
    real = search._run
    monkeypatch.setattr(search, "_run", lambda argv, timeout, track=None: asked.append(argv) or real(argv, timeout))
    monkeypatch.setattr(search, "_versions", {})
    first = search.version(tmp_path)
    assert first.startswith("pagefind ") and len(asked) == 1
    monkeypatch.setattr(search, "_versions", {})  # a new process
    assert search.version(tmp_path) == first and len(asked) == 1
    fake = fake_pagefind(tmp_path)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake))
    assert search.version(tmp_path) == first and asked[-1] == [str(fake), "--version"] and len(asked) == 2
    # a script (a version manager's shim, a wrapper) may start another program without changing: not kept
    monkeypatch.setattr(search, "_versions", {})
    assert search.version(tmp_path) == first and len(asked) == 3


def test_a_page_that_cannot_be_read_is_an_error_not_an_unmarked_page(built: Path, tmp_path: Path) -> None:
    from sitegen import search

    source = tmp_path / "pages"
    (source / "blog/gone").mkdir(parents=True)
    with pytest.raises(search.SearchError, match=r"^cannot read blog/gone/index.html: No such file or directory$"):
        search.build_index(source, {"blog/gone/index.html": "0" * 32}, "en", tmp_path / "cache")
    assert not (tmp_path / "cache" / search.MARKS).exists()


def test_a_failed_build_keeps_the_previous_index(tmp_path: Path) -> None:
    site = search_site(tmp_path / "site")
    assert run_cli("--site", site).returncode == 0
    before = snapshot(site / "output")
    (site / "content" / "post-one.md").write_text(article("Post one", "New words here.") + "{{ salary(\"nope\") }}\n",
                                                  encoding="utf-8")
    result = run_cli("--site", site)
    assert result.returncode == 1
    assert snapshot(site / "output") == before


def test_a_missing_pagefind_is_one_line_and_leaves_the_output(tmp_path: Path) -> None:
    site = search_site(tmp_path / "site")
    assert run_cli("--site", site).returncode == 0
    before = snapshot(site / "output")
    (site / "content" / "post-one.md").write_text(article("Post one about hiring", "Changed text."),
                                                  encoding="utf-8")
    result = run_cli("--site", site, env={"PAGEFIND_BINARY_PATH": str(tmp_path / "no-such-program")})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "pagefind:1: search index: the Pagefind program is not installed" in result.stderr
    assert snapshot(site / "output") == before


def test_a_site_with_nothing_to_index_has_no_index(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    for name in ("article.html", "role.html"):
        path = site / "templates" / name
        path.write_text(path.read_text(encoding="utf-8").replace(" data-pagefind-body", ""), encoding="utf-8")
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    assert not (site / "output" / "pagefind").exists()
    assert (site / "output" / "search" / "index.html").is_file()


# --- in the browser --------------------------------------------------------------------------------------------------

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    assert Path(CHROMIUM).is_file(), "chromium missing: run `make test` (it installs Debian's chromium)"
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def root_url(built: Path) -> Iterator[str]:
    with serve(built / "output", "/") as url:
        yield url


@pytest.fixture(scope="module")
def sub_url(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("insights") / "output"
    result = run_cli("--site", built, "--out", out, "--base-url", "https://x.example/insights/")
    assert result.returncode == 0, result.stderr
    with serve(out, "/insights/") as url:
        yield url


class Tab:
    def __init__(self, browser, javascript: bool = True):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))

    def results(self, query: str) -> tuple[str, list[str]]:
        """Wait until the page has answered `query`: (the live region's text, the result links)."""
        self.page.wait_for_function(
            "q => document.getElementById('search-status').textContent.includes('\u201c' + q + '\u201d')",
            arg=query, timeout=60_000)
        status = self.page.inner_text("#search-status")
        links = self.page.eval_on_selector_all("#search-results li h2 a", "els => els.map(a => a.getAttribute('href'))")
        return status, links

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser) -> Iterator[Tab]:
    opened = Tab(browser)
    yield opened
    opened.close()


def test_a_word_in_one_article_finds_exactly_it(tab: Tab, root_url: str) -> None:
    tab.page.goto(f"{root_url}search/?q={UNIQUE}")
    status, links = tab.results(UNIQUE)
    assert links == ["/blog/post-one/"]
    assert status == f"1 result for \u201c{UNIQUE}\u201d."
    item = tab.page.locator("#search-results li").first
    assert item.locator("mark").first.inner_text().lower() == UNIQUE  # the excerpt, the match highlighted
    assert item.locator(".category").text_content() == "Guides"
    assert item.locator("time").get_attribute("datetime") == "2026-03-01"
    assert "A short description of post one about hiring." in item.inner_text()
    assert tab.problems == []


def test_a_word_in_a_standalone_page_finds_it(tab: Tab, sub_url: str) -> None:
    tab.page.goto(f"{sub_url}search/?q={PAGE_ONLY}")
    assert tab.results(PAGE_ONLY)[1] == ["/insights/about/"]


def test_a_theme_without_a_search_template_has_no_search_page(tmp_path: Path) -> None:
    site = search_site(tmp_path / "site")
    (site / "templates" / "search.html").unlink()
    base = site / "templates" / "base.html"
    text = base.read_text(encoding="utf-8")
    start, end = text.index('    {% if page.kind != "search" %}'), text.index("    {% endif %}\n  </div>\n</header>")
    base.write_text(text[:start] + text[end + len("    {% endif %}\n"):], encoding="utf-8")
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    assert not (site / "output" / "search").exists()
    assert indexed_pages(site / "output") == 7  # the index is still made: a theme may search from its own page


def test_under_a_sub_path_the_result_links_carry_it(tab: Tab, sub_url: str) -> None:
    tab.page.goto(f"{sub_url}search/?q={UNIQUE}")
    _status, links = tab.results(UNIQUE)
    assert links == ["/insights/blog/post-one/"]
    tab.page.click("#search-results a")
    tab.page.wait_for_url(f"{sub_url}blog/post-one/")
    assert tab.problems == []


@pytest.mark.parametrize("word", [DRAFT_ONLY, FUTURE_ONLY, CTA_WORD])
def test_words_of_drafts_future_articles_and_the_call_to_action_find_nothing(tab: Tab, root_url: str,
                                                                             word: str) -> None:
    tab.page.goto(f"{root_url}search/?q={word}")
    status, links = tab.results(word)
    assert links == []
    assert status == f"No results for \u201c{word}\u201d."


def test_the_header_form_leads_to_the_results(tab: Tab, sub_url: str) -> None:
    tab.page.goto(sub_url)
    tab.page.get_by_label("Search the articles").fill(UNIQUE)
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_url(f"{sub_url}search/?q={UNIQUE}")
    _status, links = tab.results(UNIQUE)
    assert links == ["/insights/blog/post-one/"]
    assert tab.page.get_by_label("Search the articles").input_value() == UNIQUE


def test_typing_searches_and_keeps_the_query_in_the_address(tab: Tab, root_url: str) -> None:
    tab.page.goto(f"{root_url}search/")
    field = tab.page.get_by_label("Search the articles")
    field.fill("salaries")
    _status, links = tab.results("salaries")
    assert "/blog/post-two/" in links
    tab.page.wait_for_function("() => location.search === '?q=salaries'")


def test_hostile_queries_are_text(tab: Tab, root_url: str) -> None:
    query = '<img src=x onerror="window.pwned=1">'
    tab.page.goto(f"{root_url}search/?q={quote(query)}")
    status, _links = tab.results(query)
    assert query in status
    assert tab.page.evaluate("() => window.pwned === undefined && !document.querySelector('img')")


def test_without_javascript_the_page_says_so_and_links_the_lists(browser, root_url: str) -> None:
    tab = Tab(browser, javascript=False)
    try:
        tab.page.goto(f"{root_url}search/?q={UNIQUE}")
        assert tab.page.locator("#search-fallback").is_visible()
        assert "Search needs JavaScript" in tab.page.inner_text("#search-fallback")
        links = tab.page.eval_on_selector_all("#search-fallback a", "els => els.map(a => a.getAttribute('href'))")
        assert "/category/guides/" in links and "/tag/alpha/" in links
    finally:
        tab.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_search_page_with_results_passes_nu_and_axe(browser, root_url: str, scheme: str, tmp_path: Path) -> None:
    assert AXE.is_file(), "axe-core missing: run `make test` (it runs npm ci)"
    tab = Tab(browser)
    try:
        tab.page.emulate_media(color_scheme=scheme)
        tab.page.goto(f"{root_url}search/?q=post")
        _status, links = tab.results("post")
        assert len(links) >= 2
        if scheme == "light":  # the page as the script left it passes the Nu checker too
            from test_html_valid import vnu_errors
            rendered = tmp_path / "search-with-results.html"
            rendered.write_text(tab.page.content(), encoding="utf-8")
            assert vnu_errors([rendered]) == []
        tab.page.add_script_tag(path=str(AXE))
        violations = tab.page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))""")
        assert violations == []
        assert tab.problems == []
    finally:
        tab.close()


# --- the preview -----------------------------------------------------------------------------------------------------

def test_the_preview_finds_a_word_added_to_an_article(browser, tmp_path: Path) -> None:
    from test_serve import ServeProcess

    site = search_site(tmp_path / "site")
    server = ServeProcess(site, tmp_path)
    tab = Tab(browser)
    try:
        server.wait_trace(lambda r: r["event"] == "indexed" and r["ok"], timeout=120, what="the first index")
        tab.page.goto(f"{server.url}search/?q={DRAFT_ONLY}")
        _status, links = tab.results(DRAFT_ONLY)
        assert links == ["/blog/secret/"]  # the preview builds and indexes drafts: editors find them
        word = "freshlyaddedwombat"
        tab.page.goto(f"{server.url}search/?q={word}")
        assert tab.results(word)[1] == []
        # the open page would reload itself after the rebuild, at a moment of its own: the search after the
        # rebuild gets a page of its own (a navigation racing that reload is interrupted)
        tab.close()
        mark = len(server.traces())
        path = site / "content" / "post-two.md"
        path.write_text(path.read_text(encoding="utf-8") + f"\nA new paragraph with {word}.\n", encoding="utf-8")
        done = server.wait_trace(lambda r: r["event"] == "done" and r["ok"] and "content/post-two.md" in r["changed"],
                                 after=mark, timeout=120, what="the rebuild")
        server.wait_trace(lambda r: r["event"] == "indexed" and r["ok"] and r["build"] >= done["build"], after=mark,
                          timeout=120, what="the index after the rebuild")
        tab = Tab(browser)
        tab.page.goto(f"{server.url}search/?q={word}")
        assert tab.results(word)[1] == ["/blog/post-two/"]
    finally:
        tab.close()
        assert server.stop() == 0, server.stderr()


def test_filters_work_after_their_files_were_put_in_order(tab: Tab, root_url: str) -> None:
    """pagefind_stable.py rewrites the filter files: Pagefind's own API still filters by category, tag and role."""
    tab.page.goto(f"{root_url}search/")
    found = tab.page.evaluate("""async () => {
      const pagefind = await import('/pagefind/0/pagefind.js');
      const urls = async (filters) => Promise.all((await pagefind.search('post', {filters})).results.map(
        async r => (await r.data()).url));
      return {filters: await pagefind.filters(), guides: await urls({category: 'Guides'}),
              beta: await urls({tag: 'Beta'}), hiring: await urls({category: 'Hiring'})};
    }""")
    # post-one and gamma are Guides, post-two and alpha-vs-beta Hiring (the role pages are in no category)
    assert found["filters"]["category"] == {"Guides": 2, "Hiring": 2}, found["filters"]
    assert "Alpha Engineer" in found["filters"]["role"]
    assert "/blog/post-one/" in found["guides"] and "/blog/post-two/" not in found["guides"]
    assert "/blog/post-two/" in found["beta"] and "/blog/post-one/" not in found["beta"]
    assert "/blog/post-two/" in found["hiring"] and "/blog/post-one/" not in found["hiring"]


@pytest.fixture(scope="module")
def sharded_url(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same site with at most 3 pages per shard: its index in several Pagefind bundles, merged by the page."""
    out = tmp_path_factory.mktemp("sharded") / "output"
    result = run_cli("--site", built, "--out", out, env={"SITEGEN_SEARCH_SHARD_PAGES": "3"})
    assert result.returncode == 0, result.stderr
    bundles = json.loads((out / "pagefind" / "bundles.json").read_text(encoding="utf-8"))["bundles"]
    assert len(bundles) >= 3, bundles
    assert indexed_pages(out) == 7
    with serve(out, "/") as url:
        yield url


def test_a_sharded_index_finds_the_same(tab: Tab, sharded_url: str) -> None:
    tab.page.goto(f"{sharded_url}search/?q={UNIQUE}")
    assert tab.results(UNIQUE)[1] == ["/blog/post-one/"]
    tab.page.goto(f"{sharded_url}search/?q={DRAFT_ONLY}")
    assert tab.results(DRAFT_ONLY)[1] == []
    tab.page.goto(f"{sharded_url}search/?q=post")
    _status, links = tab.results("post")
    assert {"/blog/post-one/", "/blog/post-two/"} <= set(links)
    assert tab.problems == []


def test_two_pagefind_runs_give_the_same_bytes(tmp_path: Path, built: Path) -> None:
    from sitegen import search
    bundles = []
    for run in ("one", "two", "three"):
        bundle = tmp_path / run
        search.index_folder(built / "output", bundle, "en")
        bundles.append(snapshot(bundle))
    assert any(name.startswith("filter/") for name in bundles[0])
    assert bundles[0] == bundles[1] == bundles[2]


def test_an_edit_indexes_the_unchanged_pages_from_the_current_output(built: Path, tmp_path: Path) -> None:
    """The index of a one-article rebuild is made while the unchanged pages are still being linked into the
    staging folder (search_output.py reads them from the current output): it equals a --no-cache build's."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(built, site, symlinks=True)
    assert run_cli("--site", site).returncode == 0  # the copy's own first build (its cache names another folder)
    before = snapshot(site / "output" / "pagefind")
    post = site / "content" / "post-two.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nA quokka sentence only this edit adds.\n", encoding="utf-8")
    result = run_cli("--site", site, "-v")
    assert result.returncode == 0, result.stderr
    rendered = re.search(r"Pages\s+(\d+) \((\d+) rendered", result.stdout)
    assert rendered and int(rendered[2]) <= 2 < int(rendered[1]), result.stdout  # the article and its card
    after = snapshot(site / "output" / "pagefind")
    assert after != before
    result = run_cli("--site", site, "--out", tmp_path / "clean", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert snapshot(tmp_path / "clean" / "pagefind") == after


def test_a_cached_shard_with_a_file_of_the_wrong_size_is_made_again(built: Path, tmp_path: Path) -> None:
    """A cached bundle is checked by its record's sizes (not by reading every file); one whose file was truncated is
    made again, and a record naming a path outside its bundle is no record."""
    import hashlib
    import shutil

    from sitegen import search

    source = tmp_path / "pages"
    shutil.copytree(built / "output", source, ignore=shutil.ignore_patterns("pagefind"))
    pages = {p.relative_to(source).as_posix(): hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest()
             for p in source.rglob("*.html")}
    first = search.build_index(source, pages, "en", tmp_path / "cache")
    bundle = first["0/"]
    good = snapshot(bundle)
    victim = next(p for p in sorted(bundle.rglob("*")) if p.is_file() and p.name != search.FILES)
    victim.write_bytes(victim.read_bytes()[:-1])
    assert search._valid(bundle) is None
    again = search.build_index(source, pages, "en", tmp_path / "cache")
    assert snapshot(again["0/"]) == good
    record = json.loads((bundle / search.FILES).read_text(encoding="utf-8"))
    record["../../pages/index.html"] = [1, "0" * 32]
    (bundle / search.FILES).write_text(json.dumps(record), encoding="utf-8")
    assert search._recorded(bundle) is None and search._valid(bundle) is None


def test_shards_stop_growing_past_their_size_and_large_ones_are_made_one_at_a_time(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Pagefind run holds its whole shard in memory (about 0.4 MB a page): 16 shards of 250 pages, then shards
    grow to 1,500 pages, then their number grows; shards over 800 pages are made one at a time."""
    import hashlib
    import shutil
    import threading
    import time

    from sitegen import search

    assert [search.shard_count(n) for n in (1, 400, 401, 4_000, 6_400, 24_000, 24_001, 100_000)] == \
        [1, 2, 2, 16, 16, 16, 17, 67]
    source = tmp_path / "pages"
    shutil.copytree(built / "output", source, ignore=shutil.ignore_patterns("pagefind"))
    pages = {p.relative_to(source).as_posix(): hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest()
             for p in source.rglob("*.html")}
    running, most = [0], [0]
    lock = threading.Lock()

    def fake_shard(locate, group, cache, key, lang, track) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        (cache / key).mkdir()
        (cache / key / search.FILES).write_text("{}", encoding="utf-8")

    monkeypatch.setattr(search, "_make_shard", fake_shard)
    monkeypatch.setenv("SITEGEN_SEARCH_SHARD_PAGES", "2")
    shards = search.build_index(source, pages, "en", tmp_path / "small", jobs=2)
    assert len(shards) >= 2 and most[0] == 2  # 7 indexed pages, none of the 14 unmarked ones
    most[0] = 0
    monkeypatch.setattr(search, "PARALLEL_PAGES", 1)
    search.build_index(source, pages, "en", tmp_path / "large", jobs=2)
    assert most[0] == 1


def test_a_pagefind_run_started_after_the_preview_indexer_stopped_is_killed_at_once(tmp_path: Path) -> None:
    """stop() kills the run under way; a run of the next shard that starts just after must not be waited for."""
    import threading

    from sitegen.search_preview import PreviewIndexer

    indexer = PreviewIndexer(tmp_path, lambda: "en", threading.Lock(), lambda number, problem: None)
    killed: list[str] = []

    class Run:
        pid = 2**22 + 1  # above Linux's largest pid: setpriority() on it fails, and is allowed to

        def __init__(self, name: str) -> None:
            self.name = name

        def kill(self) -> None:
            killed.append(self.name)

    indexer._track(Run("before"))
    indexer._track(None)
    assert killed == []
    indexer.stop()
    indexer._track(Run("after"))
    assert killed == ["after"]


def test_pagefind_runs_at_low_priority_in_the_preview_only(tmp_path: Path) -> None:
    """The preview indexes behind the reload, at a lower priority; a build is waiting for its index, at the
    build's own priority."""
    import subprocess
    import threading

    from sitegen.search_output import OutputIndex
    from sitegen.search_preview import PreviewIndexer

    own = os.getpriority(os.PRIO_PROCESS, 0)
    indexer = PreviewIndexer(tmp_path, lambda: "en", threading.Lock(), lambda number, problem: None)
    runs = [subprocess.Popen(["sleep", "30"]) for _ in range(2)]
    try:
        indexer._track(runs[0])
        OutputIndex(None, None, None)._track(runs[1])
        assert os.getpriority(os.PRIO_PROCESS, runs[0].pid) == 10 > own
        assert os.getpriority(os.PRIO_PROCESS, runs[1].pid) == own
    finally:
        indexer.stop()
        for run in runs:
            run.kill()
            run.wait()
