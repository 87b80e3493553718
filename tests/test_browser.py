"""Headless Chromium (Debian's chromium, driven by Playwright) on the built site served on 127.0.0.1.

For the real site at the root and the blog fixture under /insights/: every page loads with no console error, no
failed request and no response >= 400; axe-core reports zero violations in light and dark mode; nothing overflows
horizontally at 360 px and the salary table fits or scrolls inside its own box; full-page screenshots at 360 px
and 1280 px are kept in test-artifacts/screenshots/. And the article needs no JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, REPO, run_cli, write_site
from servers import serve

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ARTIFACTS / "screenshots"
WIDTHS = (360, 1280)
ARTICLE = "blog/ai-engineer-vs-ml-engineer/"
REPO_PAGES = {"home": "", "article": ARTICLE, "role": "roles/ai-engineer/", "roles": "roles/",
              "search": "search/?q=salary"}
BLOG_PAGES = {"blog-home": "", "blog-page-2": "page/2/", "blog-article": "blog/post-3/",
              "blog-escaping": "blog/escaping/", "blog-role": "roles/alpha-engineer/", "blog-roles": "roles/",
              "blog-search": "search/?q=post"}

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                     nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
}"""


# --- fixtures --------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator:
    assert Path(CHROMIUM).is_file(), "chromium missing: run `make test` (it installs Debian's chromium)"
    assert AXE.is_file(), "axe-core missing: run `make test` (it runs npm ci)"
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _serve_built(tmp_path_factory: pytest.TempPathFactory, base: str, prefix: str) -> Iterator[str]:
    site = write_site(tmp_path_factory.mktemp(base) / "site", base=base)
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    with serve(site / "output", prefix) as url:
        yield url


@pytest.fixture(scope="module")
def repo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve_built(tmp_path_factory, "repo", "/")


@pytest.fixture(scope="module")
def blog_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve_built(tmp_path_factory, "blog", "/insights/")


# --- helpers ---------------------------------------------------------------------------------------------------------

@dataclass
class Visit:
    page: object
    status: int | None
    problems: list[str] = field(default_factory=list)  # console errors, page errors, failed requests, 4xx/5xx

    def axe_violations(self, inject: bool = True) -> list[dict]:
        if inject:
            self.page.add_script_tag(path=str(AXE))
        return self.page.evaluate(AXE_RUN)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def visit(browser) -> Iterator:
    contexts = []

    def open_page(url: str, width: int = 1280, color_scheme: str = "light", javascript: bool = True,
                  expect_status: int = 200) -> Visit:
        context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=color_scheme,
                                      java_script_enabled=javascript, reduced_motion="reduce")
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []

        def on_console(msg) -> None:
            # The one console error an expected 404 answer causes (Chromium logs the document's own status) is fine.
            expected = expect_status >= 400 and msg.location.get("url") == url and str(expect_status) in msg.text
            if msg.type == "error" and not expected:
                problems.append(f"console error: {msg.text} ({msg.location.get('url')})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url} {request.failure}"))
        page.on("response", lambda response: response.status >= 400 and response.url != url and problems.append(
            f"HTTP {response.status}: {response.url}"))
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == expect_status, (url, response and response.status)
        return Visit(page, response.status, problems)

    yield open_page
    for context in contexts:
        context.close()


def format_violations(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations)


def assert_clean(visit: Visit, where: str) -> None:
    assert visit.problems == [], f"{where}: " + "\n".join(visit.problems)
    violations = visit.axe_violations()
    assert violations == [], f"{where}: axe-core violations:\n{format_violations(violations)}"


def horizontal_overflow(visit: Visit) -> dict:
    return visit.page.evaluate("""() => {
      const root = document.documentElement, width = root.clientWidth;
      const wide = [...document.querySelectorAll('body *')].filter(e => {
        const box = e.getBoundingClientRect();
        return box.width > 0 && (box.right > width + 0.5 || box.left < -0.5) && !e.closest('.table-scroll');
      }).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
      return {scrollWidth: root.scrollWidth, clientWidth: width, wide};
    }""")


def check_page(visit_page, url: str, name: str) -> Visit:
    """Load `url` at 360 px: no problem, no axe violation, no horizontal overflow; then the same page widened to
    1280 px: still no axe violation. A full-page screenshot at each width."""
    visit = visit_page(url, width=WIDTHS[0])
    assert_clean(visit, f"{name} at {WIDTHS[0]}px")
    overflow = horizontal_overflow(visit)
    assert overflow["scrollWidth"] <= WIDTHS[0], f"{name} overflows at {WIDTHS[0]}px: {overflow}"
    visit.screenshot(f"{name}-{WIDTHS[0]}")
    visit.page.set_viewport_size({"width": WIDTHS[1], "height": 800})
    violations = visit.axe_violations(inject=False)
    assert violations == [], f"{name} at {WIDTHS[1]}px: axe-core violations:\n{format_violations(violations)}"
    visit.screenshot(f"{name}-{WIDTHS[1]}")
    assert visit.problems == [], f"{name}: " + "\n".join(visit.problems)
    return visit


# --- the real site at the root ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(REPO_PAGES))
def test_real_site_pages_load_cleanly_and_pass_axe(visit, repo_url: str, name: str) -> None:
    check_page(visit, repo_url + REPO_PAGES[name], name)


def test_salary_table_is_readable_at_360px(visit, repo_url: str) -> None:
    page = visit(repo_url + ARTICLE, width=360).page
    table = page.locator("table.salary-table")
    assert table.count() == 1
    table.scroll_into_view_if_needed()
    assert table.is_visible()
    box = page.evaluate("""() => {
      const table = document.querySelector('table.salary-table');
      const box = table.closest('.table-scroll') || table.parentElement;
      const rect = box.getBoundingClientRect(), style = getComputedStyle(box);
      const cells = [...table.querySelectorAll('th, td')].map(c => parseFloat(getComputedStyle(c).fontSize));
      return {left: rect.left, right: rect.right, clientWidth: box.clientWidth, scrollWidth: box.scrollWidth,
              overflowX: style.overflowX, minFont: Math.min(...cells),
              cellsClipped: [...table.querySelectorAll('th, td')].filter(c => c.scrollWidth > c.clientWidth + 1)
                              .map(c => c.textContent)};
    }""")
    assert box["left"] >= 0 and box["right"] <= 360, f"the table's box leaves the screen: {box}"
    fits = box["scrollWidth"] <= box["clientWidth"]
    assert fits or box["overflowX"] in ("auto", "scroll"), f"the table neither fits nor scrolls: {box}"
    assert box["minFont"] >= 12, f"table text too small at 360px: {box}"
    assert box["cellsClipped"] == [], f"cells cut off: {box}"


@pytest.mark.parametrize("name", list(REPO_PAGES))
def test_dark_mode_changes_the_colours_and_passes_axe(visit, repo_url: str, name: str) -> None:
    visit_ = visit(repo_url + REPO_PAGES[name], width=1280)
    page = visit_.page
    colours = "() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
    light = page.evaluate(colours)
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
    dark = page.evaluate(colours)
    assert dark[0] != light[0], f"{name}: dark mode keeps the light background {light[0]}"
    assert dark[1] != light[1], f"{name}: dark mode keeps the light text colour {light[1]}"
    assert_clean(visit_, f"{name} in dark mode")
    visit_.screenshot(f"{name}-dark-1280")


PICTURES = """() => {
  const img = document.querySelector('.article__image img'), svg = document.querySelector('figure.chart svg');
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.width, r.height]; };
  const bar = svg.querySelector('.chart__bar--pay'), value = svg.querySelector('.chart__value');
  return {complete: img.complete, natural: img.naturalWidth, current: img.currentSrc, ratio: img.width / img.height,
          img: box(img), svg: box(svg), width: document.documentElement.clientWidth,
          bar: getComputedStyle(bar).fill, text: getComputedStyle(value).fill,
          background: getComputedStyle(document.body).backgroundColor};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_article_shows_its_lead_image_and_chart(visit, repo_url: str, width: int, scheme: str) -> None:
    """The lead image loads (a WebP variant, the original's aspect ratio, within the column) and the salary chart
    fits the screen with its bars and figures in the scheme's colours; a screenshot of each is kept."""
    visit_ = visit(repo_url + ARTICLE, width=width, color_scheme=scheme)
    visit_.page.wait_for_function("() => document.querySelector('.article__image img').complete")
    found = visit_.page.evaluate(PICTURES)
    assert found["complete"] and found["natural"] > 0, found
    assert ".webp" in found["current"] and "/static/images/ai-vs-ml-team." in found["current"], found
    assert abs(found["ratio"] - 1600 / 900) < 0.01, found
    for name in ("img", "svg"):
        left, right, box_width, box_height = found[name]
        assert left >= 0 and right <= found["width"] and box_width > 0 and box_height > 0, (name, found)
    assert found["bar"] != found["background"] and found["text"] != found["background"], found
    assert visit_.page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    visit_.page.locator("figure.chart").scroll_into_view_if_needed()
    assert_clean(visit_, f"article with its pictures at {width}px, {scheme}")
    visit_.screenshot(f"article-pictures-{width}-{scheme}")


def test_the_article_needs_no_javascript(visit, repo_url: str) -> None:
    visit_ = visit(repo_url + ARTICLE, width=360, javascript=False)
    page = visit_.page
    assert visit_.problems == []
    assert page.locator("script:not([type='application/ld+json'])").count() == 0, "the page ships JavaScript"
    assert page.locator("table.salary-table").is_visible()
    assert page.locator("table.salary-table tbody tr").count() >= 2
    questions = page.locator("nav.toc a[href^='#']")
    assert questions.count() >= 5
    for i in range(questions.count()):
        target = questions.nth(i).get_attribute("href")
        heading = page.locator(f"[id='{target[1:]}']")
        assert heading.count() == 1 and heading.is_visible(), target
        assert heading.evaluate("e => /^H[1-6]$/.test(e.tagName)"), target
        assert heading.inner_text().strip() == questions.nth(i).inner_text().strip()


# --- the blog fixture under /insights/ -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(BLOG_PAGES))
def test_blog_under_a_sub_path_loads_cleanly_and_passes_axe(visit, blog_url: str, name: str) -> None:
    assert blog_url.endswith("/insights/")
    visit_ = check_page(visit, blog_url + BLOG_PAGES[name], name)
    stylesheets = visit_.page.evaluate("() => [...document.styleSheets].map(s => s.href)")
    assert stylesheets and all("/insights/static/" in href for href in stylesheets), stylesheets


def test_blog_404_page_is_styled_and_accessible(visit, blog_url: str) -> None:
    visit_ = visit(blog_url + "no/such/page/", width=360, expect_status=404)
    assert visit_.page.evaluate("() => document.styleSheets.length") == 1
    assert visit_.page.evaluate("() => getComputedStyle(document.querySelector('.button')).borderRadius") != "0px"
    assert_clean(visit_, "404 page")
    assert horizontal_overflow(visit_)["scrollWidth"] <= 360
    visit_.screenshot("blog-404-360")


def test_blog_alias_redirects_the_browser_to_the_article(visit, blog_url: str) -> None:
    visit_ = visit(blog_url + "old/post-three/")
    visit_.page.wait_for_url(blog_url + "blog/post-3/", timeout=60000)
    visit_.page.wait_for_load_state("load")
    assert visit_.page.locator("h1").inner_text() == "Post 3: alpha notes"
    assert visit_.problems == []


def test_the_checks_really_fail(visit, repo_url: str) -> None:
    """axe-core and the overflow check are live: a grey-on-white paragraph and a too-wide block are reported."""
    visit_ = visit(repo_url + ARTICLE, width=360)
    visit_.page.evaluate("""() => {
      document.querySelector('.prose p').style.color = '#dddddd';
      const wide = document.createElement('div');
      wide.style.width = '500px';
      wide.textContent = 'too wide';
      document.querySelector('main').append(wide);
    }""")
    violations = visit_.axe_violations()
    assert [v["id"] for v in violations] == ["color-contrast"], format_violations(violations)
    assert horizontal_overflow(visit_)["scrollWidth"] > 360
