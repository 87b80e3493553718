"""`python build.py serve` in a real browser (issue 4, point 7): Debian's chromium driven by Playwright.

The preview of a copy of the real site is opened at the article; then, with no manual reload, edits on disk show up
by themselves: a sentence of the Markdown, a salary in data/roles.yaml, a broken
YAML file (an overlay with `data/roles.yaml:LINE: message` on the page) and its repair (the overlay goes), and a CSS
change (the new style with no navigation at all: the stylesheet is swapped in place).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, write_site
from test_serve import ServeProcess, get

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

ARTICLE = "blog/ai-engineer-vs-ml-engineer/"
SOURCE = "content/ai-engineer-vs-ml-engineer.md"
# How long each edit took to show is written to test-artifacts/preview-latency.txt, not asserted: speed is measured by
# `make bench` (its preview scenario), side by side with Hugo's server, never by a test.
WAIT = 60_000  # ms: how long a wait for something on the page may take before the test fails


@dataclass
class Preview:
    site: Path
    server: ServeProcess
    page: object
    navigations: list[str] = field(default_factory=list)  # main-frame navigations (reloads included)
    problems: list[str] = field(default_factory=list)  # page errors, failed requests

    connected: int = 0  # page registrations the server had reported at the last wait_connected()

    def wait_connected(self, timeout: float = 60) -> None:
        """Until livereload.js has its WebSocket open and has said hello, and the server reports that a (new) page
        has registered for reloads; then until every build the last change caused is done (a sync)."""
        self.page.wait_for_function("() => window.LiveReload && window.LiveReload.connector"
                                    " && window.LiveReload.connector.protocol >= 7", timeout=timeout * 1000)
        self.server.wait_connections(self.connected + 1, timeout=timeout)
        self.connected = self.server.connections()
        self.server.sync()


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    assert Path(CHROMIUM).is_file(), "chromium missing: run `make test` (it installs Debian's chromium)"
    tmp = tmp_path_factory.mktemp("serve-browser")
    site = write_site(tmp / "site", base="repo")
    server = ServeProcess(site, tmp)
    try:
        with playwright_sync.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                state = Preview(site, server, page)
                page.on("framenavigated",
                        lambda frame: frame == page.main_frame and state.navigations.append(frame.url))
                page.on("pageerror", lambda exc: state.problems.append(f"page error: {exc}"))
                page.on("requestfailed", lambda req: state.problems.append(f"request failed: {req.url} {req.failure}"))
                response = page.goto(server.url + ARTICLE, wait_until="load")
                assert response is not None and response.status == 200
                scripts = page.eval_on_selector_all("script[src]", "els => els.map(e => e.getAttribute('src'))")
                assert f"/livereload.js?port={server.port}" in scripts
                state.wait_connected()
                yield state
            finally:
                browser.close()
    finally:
        assert server.stop() == 0, server.stderr()


def expect():
    return playwright_sync.expect


def test_markdown_edit_shows_within_two_seconds(preview: Preview) -> None:
    source = preview.site / SOURCE
    text = source.read_text("utf-8")
    old = "That is why AI Engineers are so often among the first technical hires"
    new = "That is exactly why AI Engineers are so often the very first technical hires"
    assert old in text
    expect()(preview.page.locator("main")).to_contain_text(old)
    navigations = len(preview.navigations)
    written = time.monotonic()
    source.write_text(text.replace(old, new, 1), "utf-8")
    expect()(preview.page.locator("main")).to_contain_text(new, timeout=WAIT)
    record_latency("markdown edit", time.monotonic() - written)
    assert len(preview.navigations) > navigations  # the page reloaded itself
    assert old not in preview.page.locator("main").inner_text()
    preview.wait_connected()


def record_latency(what: str, seconds: float) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "preview-latency.txt").open("a", encoding="utf-8") as fh:
        fh.write(f"{what}: on screen {seconds:.3f} s after the write\n")


def _salary_cell(preview: Preview):
    return preview.page.locator("table.salary-table tr", has_text="AI Engineer").locator("td").first


def test_salary_edit_changes_the_table(preview: Preview) -> None:
    roles = preview.site / "data/roles.yaml"
    text = roles.read_text("utf-8")
    assert text.count("median_base: 205000") == 1
    expect()(_salary_cell(preview)).to_have_text("~$205K")
    written = time.monotonic()
    roles.write_text(text.replace("median_base: 205000", "median_base: 210000"), "utf-8")
    expect()(_salary_cell(preview)).to_have_text("~$210K", timeout=WAIT)
    record_latency("salary edit", time.monotonic() - written)
    preview.wait_connected()


def test_broken_yaml_shows_an_overlay_until_repaired(preview: Preview) -> None:
    roles = preview.site / "data/roles.yaml"
    good = roles.read_text("utf-8")
    salary = next(line for line in good.splitlines() if line.strip().startswith("median_base: 2"))
    line = good.splitlines().index(salary) + 1
    expected = f"data/roles.yaml:{line}: invalid YAML: mapping values are not allowed in this context"
    overlay = preview.page.locator("#sitegen-problems")
    expect()(overlay).to_have_count(0)
    errors = len(preview.server.stderr())

    roles.write_text(good.replace(salary, salary + ": <b>oops</b>", 1), "utf-8")
    expect()(overlay).to_be_visible(timeout=WAIT)
    expect()(overlay.locator("li")).to_have_text([expected])
    assert "build failed" in overlay.locator("strong").inner_text().lower()
    assert overlay.locator("b, script, img").count() == 0  # text only
    assert preview.server.stderr()[errors:errors + 1] == [expected]  # the terminal says the same
    # the last good page is still what the preview shows under the overlay
    expect()(preview.page.locator("main")).to_contain_text("AI Engineer")
    screenshots = ARTIFACTS / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    preview.page.screenshot(path=str(screenshots / "serve-overlay.png"))
    assert b'id="sitegen-problems"' in get(preview.server.port, "/roles/")[1]  # every page has it
    preview.wait_connected()

    roles.write_text(good, "utf-8")
    expect()(overlay).to_have_count(0, timeout=WAIT)
    assert b"sitegen-problems" not in get(preview.server.port, "/roles/")[1]
    preview.wait_connected()


def test_css_edit_applies_without_navigation(preview: Preview) -> None:
    css = preview.site / "static/css/site.css"
    body = preview.page.locator("body")
    assert body.evaluate("b => getComputedStyle(b).outlineStyle") == "none"
    navigations = list(preview.navigations)
    preview.page.evaluate("() => { window.__sitegenSameDocument = true; }")  # gone if the page reloads
    written = time.monotonic()
    with css.open("a", encoding="utf-8") as fh:
        fh.write("\nbody { outline: 3px solid rgb(255, 0, 0); }\n")
    expect()(body).to_have_css("outline-color", "rgb(255, 0, 0)", timeout=WAIT)
    record_latency("css edit", time.monotonic() - written)
    expect()(body).to_have_css("outline-style", "solid")
    expect()(body).to_have_css("outline-width", "3px")
    # the build that swapped the stylesheet sent no reload (a build sends either one or the other), and after a sync
    # no other build is left to send one
    preview.server.sync()
    assert preview.navigations == navigations
    assert preview.page.evaluate("() => window.__sitegenSameDocument") is True


def test_no_page_errors(preview: Preview) -> None:
    assert preview.problems == []
