"""A crawl of the built site served on 127.0.0.1 finds no broken internal link and no missing #anchor.

The crawler is our own (urllib + lxml). It starts at the home page and also fetches robots.txt (and through it the
sitemap), every old URL listed in `_redirects`, and a URL that does not exist (to get the 404 page). From every
response it follows:

- HTML: `a[href]`, `area[href]`, `link[href]` (stylesheet, canonical, alternate ...), `img[src|srcset]`,
  `source[src|srcset]`, `script[src]`, `iframe[src]`, `form[action]` (the header's search form is a GET form: its
  action is a page the reader reaches), a `meta http-equiv=refresh` target, `og:url`/`og:image`
  and every absolute URL inside JSON-LD;
- XML: sitemap `loc`s and Atom `link[href]`s;  robots.txt: its `Sitemap:` lines;  CSS: `url(...)` and `@import`.

A URL is *internal* when it is on the test server's origin, or absolute under the site's `base_url` (it is then
mapped onto the test server: `https://fixture.example/insights/x/` -> `http://127.0.0.1:PORT/insights/x/`). Any other
absolute URL is external and is not fetched. Redirects are not followed: an internal link answered by a 301 (say a
directory URL without its trailing slash) counts as broken, like any status other than 200.

`audit()` asserts, precisely:
1. every internal link answers 200;
2. every link with a `#fragment` points at a page that has that id (or `a[name]`); a fragment on a non-HTML target
   is a missing anchor;
3. following only links in HTML pages from the home page reaches exactly the built *content pages*: every
   `output/**/*.html` except `404.html` and the alias redirect pages (those with a meta refresh). So no page is an
   orphan, and the site never links to an alias or to the 404 page;
4. the sitemap (found through robots.txt) lists exactly those content pages, each as an absolute URL under base_url;
5. `_redirects` and the redirect pages agree: every rule's old URL answers 200 with a page whose meta refresh and
   canonical point at the rule's target, that target is a content page, and every redirect page has a rule;
6. every content page's canonical URL is its own URL;
7. an unknown URL answers 404 with the body of 404.html (its links are checked by 1 like any other).

The corruption tests prove each check live: one link, anchor, page or file broken in a copy of the built output is
reported exactly, and nothing else is. The links inside the Atom feed's HTML content are checked separately.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import lxml.etree
import lxml.html
import pytest
import yaml

from conftest import run_cli, write_site
from servers import serve

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM_NS = "{http://www.w3.org/2005/Atom}"
MISSING = "no-such-page-for-the-link-checker/"
BROKEN = "broken links (page, href, status)"
ANCHORS = "missing anchors (page, href)"
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""")


# --- the crawler ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    source: str  # URL of the page the link is on (no fragment)
    href: str  # as written in the source
    url: str  # absolute URL on the test server, with its fragment


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    body: bytes
    links: list[Link] = field(default_factory=list)
    ids: set[str] | None = None  # ids and a[name]s of an HTML page, None for anything else
    refresh: str | None = None  # meta refresh target (absolute, local)
    canonical: str | None = None  # link rel=canonical (absolute, local)

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith(("text/html", "application/xhtml+xml"))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer of its own (HTTPError with its 3xx status), not followed


_OPENER = urllib.request.build_opener(_NoRedirects)


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with _OPENER.open(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()
    except urllib.error.URLError as error:  # pragma: no cover - the server went away
        return 0, "", str(error).encode()


class Crawler:
    def __init__(self, local_base: str, site_base: str):
        self.local_base, self.site_base = local_base, site_base
        origin = urlsplit(local_base)
        self.origin = (origin.scheme, origin.netloc)
        self.pages: dict[str, Page] = {}
        self.external: set[str] = set()

    def to_local(self, url: str) -> str | None:
        """The test server's URL for an absolute URL, or None when it is external."""
        if url.startswith(self.site_base):
            return self.local_base + url[len(self.site_base):]
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) == self.origin:
            return url
        return None

    def _link(self, links: list[Link], source: str, base: str, href: str | None) -> None:
        href = (href or "").strip()
        if not href or href.lower().startswith(("mailto:", "tel:", "javascript:", "data:")):
            return
        local = self.to_local(urljoin(base, href))
        if local is None:
            self.external.add(href)
        else:
            links.append(Link(source, href, local))

    def _parse_html(self, page: Page) -> None:
        doc = lxml.html.document_fromstring(page.body)
        base = page.url
        for element in doc.iter("base"):
            if element.get("href"):
                base = urljoin(page.url, element.get("href"))
                break
        links: list[Link] = []
        for element, attribute in (("a", "href"), ("area", "href"), ("link", "href"), ("img", "src"),
                                   ("source", "src"), ("script", "src"), ("iframe", "src"), ("form", "action")):
            for node in doc.iter(element):
                self._link(links, page.url, base, node.get(attribute))
        for node in doc.xpath("//img[@srcset] | //source[@srcset]"):
            for candidate in node.get("srcset").split(","):
                self._link(links, page.url, base, candidate.strip().split(" ")[0])
        for node in doc.xpath("//meta[@content]"):
            if (node.get("http-equiv") or "").lower() == "refresh":
                match = re.search(r"url\s*=\s*['\"]?([^'\"]+)", node.get("content"), re.I)
                if match:
                    self._link(links, page.url, base, match.group(1))
                    page.refresh = self.to_local(urljoin(base, match.group(1).strip()))
            elif node.get("property") in ("og:url", "og:image") or node.get("name") == "twitter:image":
                self._link(links, page.url, base, node.get("content"))
        for script in doc.xpath("//script[@type='application/ld+json']"):
            for value in _json_strings(json.loads(script.text or "null")):
                if value.startswith(("http://", "https://")):
                    self._link(links, page.url, base, value)
        canonical = doc.xpath("//link[@rel='canonical']/@href")
        if canonical:
            page.canonical = self.to_local(urljoin(base, canonical[0])) or canonical[0]
        page.links = links
        page.ids = set(doc.xpath("//@id")) | set(doc.xpath("//a/@name"))

    def _parse_xml(self, page: Page) -> None:
        root = lxml.etree.fromstring(page.body)
        for loc in root.iter(SITEMAP_NS + "loc"):
            self._link(page.links, page.url, page.url, loc.text)
        for link in root.iter(ATOM_NS + "link"):
            self._link(page.links, page.url, page.url, link.get("href"))

    def crawl(self, seeds: list[str]) -> Crawler:
        queue = deque(seeds)
        while queue:
            url = queue.popleft()
            if url in self.pages:
                continue
            status, content_type, body = fetch(url)
            page = self.pages[url] = Page(url, status, content_type, body)
            path = urlsplit(url).path
            if page.is_html:
                self._parse_html(page)
            elif "xml" in content_type or path.endswith(".xml"):
                self._parse_xml(page)
            elif path.endswith("robots.txt"):
                for line in body.decode("utf-8").splitlines():
                    if line.lower().startswith("sitemap:"):
                        self._link(page.links, url, url, line.split(":", 1)[1])
            elif "css" in content_type:
                for match in CSS_URL.finditer(body.decode("utf-8")):
                    self._link(page.links, url, url, match.group(2) or match.group(4))
            queue.extend(urldefrag(link.url).url for link in page.links)
        return self

    # --- findings ---

    def path(self, url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"#{parts.fragment}" if parts.fragment else "")

    def broken(self) -> list[tuple[str, str, int]]:
        """(page, href, status) for every internal link to another URL that is not answered with 200."""
        found = {(self.path(link.source), link.href, self.pages[target].status)
                 for page in self.pages.values() for link in page.links
                 if (target := urldefrag(link.url).url) != link.source  # a same-document link needs no request
                 and self.pages[target].status != 200}
        return sorted(found)

    def missing_anchors(self) -> list[tuple[str, str]]:
        """(page, href) for every link whose #fragment is not an id on the target page."""
        found = set()
        for page in self.pages.values():
            for link in page.links:
                target_url, fragment = urldefrag(link.url)
                target = self.pages[target_url]
                if not fragment or (target.status != 200 and target_url != link.source):
                    continue  # a broken target is reported by broken(); a same-document link is checked anyway
                if not target.is_html or unquote(fragment) not in target.ids:
                    found.add((self.path(link.source), link.href))
        return sorted(found)

    def reached_through_html(self, start: str) -> set[str]:
        """Pages reached from `start` by following only links in HTML pages (no sitemap, no feed, no redirects)."""
        seen, queue = {start}, deque([start])
        while queue:
            page = self.pages[queue.popleft()]
            if not page.is_html or page.status != 200:
                continue
            for link in page.links:
                target = urldefrag(link.url).url
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        return seen


def _json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _json_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _json_strings(item)]
    return []


# --- the audit -----------------------------------------------------------------------------------------------------

def built_pages(out: Path, local_base: str) -> dict[str, Path]:
    """URL on the test server -> file, for every HTML file under output/ (index.html is its directory's URL)."""
    pages = {}
    for file in sorted(out.rglob("*.html")):
        rel = file.relative_to(out).as_posix()
        pages[local_base + (rel.removesuffix("index.html") if file.name == "index.html" else rel)] = file
    return pages


def is_redirect_page(file: Path) -> bool:
    doc = lxml.html.document_fromstring(file.read_bytes())
    return any((meta.get("http-equiv") or "").lower() == "refresh" for meta in doc.iter("meta"))


def redirect_rules(out: Path) -> list[tuple[str, str]]:
    rules = []
    for line in (out / "_redirects").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            old, new, *_ = line.split()
            rules.append((old, new))
    return rules


def audit(out: Path, local_base: str, site_base: str) -> dict[str, list]:
    """Crawl the site in `out`, served at `local_base`, built for `site_base`; every problem found, by kind."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(local_base))
    rules = redirect_rules(out) if (out / "_redirects").is_file() else []
    home, missing = local_base, local_base + MISSING
    robots = local_base + "robots.txt"
    crawler = Crawler(local_base, site_base).crawl(
        [home, robots, missing, *(origin + url for rule in rules for url in rule)])
    path = crawler.path

    files = built_pages(out, local_base)
    redirect_pages = {url for url, file in files.items() if is_redirect_page(file)}
    content_pages = set(files) - redirect_pages - {local_base + "404.html"}
    reached = {url for url in crawler.reached_through_html(home)
               if crawler.pages[url].is_html and crawler.pages[url].status == 200}

    sitemaps = [crawler.pages[link.url] for link in crawler.pages[robots].links]
    sitemap_locs = [loc.text for sitemap in sitemaps if sitemap.status == 200
                    for loc in lxml.etree.fromstring(sitemap.body).iter(SITEMAP_NS + "loc")]
    in_sitemap = {crawler.to_local(loc) for loc in sitemap_locs} - {None}

    redirect_problems = []
    for old, new in rules:
        page, target = crawler.pages[origin + old], origin + new
        if page.status != 200 or target not in content_pages:
            redirect_problems.append((old, f"answers {page.status}; its target {new} is "
                                           f"{'a content page' if target in content_pages else 'not a content page'}"))
        elif (page.refresh, page.canonical) != (target, target):
            redirect_problems.append((old, f"refresh to {page.refresh and path(page.refresh)}, "
                                           f"canonical {page.canonical and path(page.canonical)}, rule says {new}"))
    redirect_problems += [(path(url), "redirect page without a rule in _redirects")
                          for url in sorted(redirect_pages - {origin + old for old, _ in rules})]

    not_found = crawler.pages[missing]
    problems = {
        BROKEN: crawler.broken(),
        ANCHORS: crawler.missing_anchors(),
        "built pages not reached from the home page": sorted(map(path, content_pages - reached)),
        "pages reached from the home page that are not content pages": sorted(map(path, reached - content_pages)),
        "sitemap locs not absolute under base_url": [loc for loc in sitemap_locs if not loc.startswith(site_base)],
        "content pages missing from the sitemap": sorted(map(path, content_pages - in_sitemap)),
        "sitemap locs that are not content pages": sorted(map(path, in_sitemap - content_pages)),
        "redirects": redirect_problems,
        "canonical URL is not the page's own (page, canonical)": sorted(
            (path(url), crawler.pages[url].canonical) for url in content_pages & set(crawler.pages)
            if crawler.pages[url].canonical != url),
        "unknown URL (status, serves 404.html)": [] if (not_found.status, not_found.body) == (
            404, (out / "404.html").read_bytes()) else [(not_found.status, False)],
    }
    if not sitemap_locs:
        problems["sitemap"] = ["no sitemap with locs reached through robots.txt"]
    return {kind: found for kind, found in problems.items() if found}


def base_url(site: Path) -> str:
    return yaml.safe_load((site / "data" / "site.yaml").read_text(encoding="utf-8"))["base_url"]


# --- fixtures and tests --------------------------------------------------------------------------------------------

def _build(tmp_path_factory: pytest.TempPathFactory, base: str) -> Path:
    site = write_site(tmp_path_factory.mktemp(base) / "site", base=base)
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    return site


@pytest.fixture(scope="module")
def repo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory, "repo")


@pytest.fixture(scope="module")
def blog_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory, "blog")


def test_real_site_at_the_root_has_no_broken_link_or_anchor(repo_site: Path) -> None:
    site_base = base_url(repo_site)
    assert urlsplit(site_base).path == "/"
    with serve(repo_site / "output") as local:
        assert audit(repo_site / "output", local, site_base) == {}


def test_blog_under_a_sub_path_has_no_broken_link_or_anchor(blog_site: Path) -> None:
    site_base = base_url(blog_site)
    prefix = urlsplit(site_base).path
    assert prefix == "/insights/"
    with serve(blog_site / "output", prefix) as local:
        assert local.endswith(prefix)
        assert audit(blog_site / "output", local, site_base) == {}


def test_the_crawl_covers_the_whole_blog(blog_site: Path) -> None:
    """The audit is not vacuous: the crawl fetched every built page, the aliases, the stylesheet and the sitemap."""
    out = blog_site / "output"
    with serve(out, "/insights/") as local:
        crawler = Crawler(local, base_url(blog_site)).crawl([local, local + "robots.txt"])
        fetched = {crawler.path(url) for url, page in crawler.pages.items() if page.status == 200}
    for expected in ("/insights/", "/insights/page/3/", "/insights/blog/post-1/", "/insights/category/hiring/page/2/",
                     "/insights/tag/alpha/page/2/", "/insights/roles/beta-engineer/", "/insights/sitemap.xml"):
        assert expected in fetched
    assert any(re.fullmatch(r"/insights/static/css/site\.[0-9a-f]+\.css", path) for path in fetched)
    assert len(redirect_rules(out)) == 2
    assert not any(path.startswith(("/insights/blog/draft/", "/insights/blog/future/")) for path in fetched)


# --- the crawler really fails --------------------------------------------------------------------------------------

def _corrupt(out: Path, page: str, old: str, new: str) -> None:
    file = out / page
    html = file.read_text(encoding="utf-8")
    assert html.count(old) == 1, f"{old!r} is not unique in {page}"
    file.write_text(html.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize(("page", "old", "new", "expected"), [
    pytest.param("blog/post-2/index.html", 'href="/insights/roles/alpha-engineer/"',
                 'href="/insights/roles/alpha-enginer/"',
                 {BROKEN: [("/insights/blog/post-2/", "/insights/roles/alpha-enginer/", 404)]},
                 id="mistyped-link"),
    pytest.param("blog/post-2/index.html", 'href="/insights/tag/alpha/"', 'href="/tag/alpha/"',
                 {BROKEN: [("/insights/blog/post-2/", "/tag/alpha/", 404)]},
                 id="link-without-the-sub-path"),
    pytest.param("roles/index.html", 'href="/insights/roles/beta-engineer/"', 'href="/insights/roles/beta-engineer"',
                 {BROKEN: [("/insights/roles/", "/insights/roles/beta-engineer", 301)]},
                 id="directory-without-trailing-slash"),
    pytest.param("blog/post-4/index.html", 'href="/insights/blog/post-1/#why-read-post-1"',
                 'href="/insights/blog/post-1/#why-read-post-one"',
                 {ANCHORS: [("/insights/blog/post-4/", "/insights/blog/post-1/#why-read-post-one")]},
                 id="cross-page-anchor"),
    pytest.param("blog/post-1/index.html", 'href="#why-read-post-1"', 'href="#why-read"',
                 {ANCHORS: [("/insights/blog/post-1/", "#why-read")]},
                 id="same-page-anchor"),
])
def test_the_crawler_reports_exactly_the_corrupted_link(blog_site: Path, tmp_path: Path, page: str, old: str, new: str,
                                                         expected: dict) -> None:
    out = shutil.copytree(blog_site / "output", tmp_path / "output")
    _corrupt(out, page, old, new)
    with serve(out, "/insights/") as local:
        assert audit(out, local, base_url(blog_site)) == expected


def test_the_crawler_reports_a_missing_stylesheet_on_every_page(blog_site: Path, tmp_path: Path) -> None:
    out = shutil.copytree(blog_site / "output", tmp_path / "output")
    css = next((out / "static" / "css").glob("site.*.css"))
    css.unlink()
    href = "/insights/" + css.relative_to(out).as_posix()
    pages = [url for url, file in built_pages(out, "/insights/").items() if not is_redirect_page(file)]
    assert len(pages) > 15
    with serve(out, "/insights/") as local:
        assert audit(out, local, base_url(blog_site)) == {
            BROKEN: sorted((page, href, 404) for page in [*pages, "/insights/" + MISSING])}


def test_the_crawler_reports_a_missing_alias_page(blog_site: Path, tmp_path: Path) -> None:
    out = shutil.copytree(blog_site / "output", tmp_path / "output")
    (out / "legacy" / "post3.html").unlink()
    with serve(out, "/insights/") as local:
        assert audit(out, local, base_url(blog_site)) == {
            "redirects": [("/insights/legacy/post3.html",
                           "answers 404; its target /insights/blog/post-3/ is a content page")]}


def test_the_crawler_reports_an_orphan_page(blog_site: Path, tmp_path: Path) -> None:
    out = shutil.copytree(blog_site / "output", tmp_path / "output")
    (out / "orphan").mkdir()
    (out / "orphan" / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Orphan</title>'
        '<link rel="canonical" href="https://fixture.example/insights/orphan/"></head><body><p>No one links here.</p>'
        '</body></html>', encoding="utf-8")
    with serve(out, "/insights/") as local:
        assert audit(out, local, base_url(blog_site)) == {
            "built pages not reached from the home page": ["/insights/orphan/"],
            "content pages missing from the sitemap": ["/insights/orphan/"],
        }


# --- the feed's content ---------------------------------------------------------------------------------------------

def feed_content_links(feed: bytes) -> list[tuple[str, str]]:
    """(entry id, href) for every link and image in the HTML content of the Atom feed's entries."""
    found = []
    for entry in lxml.etree.fromstring(feed).iter(ATOM_NS + "entry"):
        content = entry.find(ATOM_NS + "content")
        if content is None or not (content.text or "").strip():
            continue
        doc = lxml.html.fragment_fromstring(content.text, create_parent="div")
        found += [(entry.findtext(ATOM_NS + "id"), href) for href in doc.xpath("//a/@href | //img/@src")]
    return found


@pytest.mark.parametrize("which", ["repo", "blog"])
def test_links_in_the_feed_content_are_absolute_and_resolve(which: str, repo_site: Path, blog_site: Path) -> None:
    site = repo_site if which == "repo" else blog_site
    site_base = base_url(site)
    out = site / "output"
    with serve(out, urlsplit(site_base).path) as local:
        crawler = Crawler(local, site_base)
        links = feed_content_links((out / "feed.xml").read_bytes())
        relative = [(entry, href) for entry, href in links if not urlsplit(href).scheme]
        assert relative == [], "the Atom feed's content must use absolute URLs"
        internal = [(entry, crawler.to_local(href)) for entry, href in links if crawler.to_local(href)]
        crawler.crawl([urldefrag(url).url for _, url in internal])
        for entry, url in internal:
            target, fragment = urldefrag(url)
            assert crawler.pages[target].status == 200, (entry, url)
            assert not fragment or unquote(fragment) in crawler.pages[target].ids, (entry, url)
