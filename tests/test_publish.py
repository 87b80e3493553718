"""Publish-ready output: site structure, drafts, feed, sitemap, structured data, static-host files, base path."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import extruct
import feedparser
import lxml.html
import pytest
import xmlschema

from conftest import REPO, run_cli, write_site

SITEMAP_XSD = REPO / "node_modules" / "sitemap" / "schema" / "sitemap.xsd"
BASE = "https://fixture.example/insights/"


def text_of(element) -> str:
    return " ".join(" ".join(element.itertext()).split())


@pytest.fixture(scope="module")
def blog(tmp_path_factory) -> Path:
    site = write_site(tmp_path_factory.mktemp("blog") / "site", base="blog")
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    return site / "output"


def doc(out: Path, url: str):
    path = out / url / "index.html" if not url.endswith(".html") else out / url
    return lxml.html.fromstring(path.read_bytes())


def titles(page) -> list[str]:
    return [text_of(a) for a in page.cssselect(".cards h2 a")]


def html_pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_index_is_paginated_newest_first(blog: Path) -> None:
    assert titles(doc(blog, "")) == ["Tags </script><script>alert(1)</script> & <b>more</b>", "Post 4: alpha notes"]
    assert titles(doc(blog, "page/2/")) == ["Post 3: alpha notes", "Post 2: alpha notes"]
    assert titles(doc(blog, "page/3/")) == ["Post 1: alpha notes"]
    pager = doc(blog, "page/2/").cssselect("nav.pager a")
    assert [(a.get("rel"), a.get("href")) for a in pager] == [("prev", "/insights/"), ("next", "/insights/page/3/")]
    assert not (blog / "page/4").exists()


def test_category_and_tag_pages(blog: Path) -> None:
    assert titles(doc(blog, "category/salary-data/")) == ["Post 4: alpha notes", "Post 3: alpha notes"]
    assert titles(doc(blog, "category/hiring/")) == ["Tags </script><script>alert(1)</script> & <b>more</b>", "Post 2: alpha notes"]
    assert titles(doc(blog, "category/hiring/page/2/")) == ["Post 1: alpha notes"]
    assert titles(doc(blog, "tag/pay/")) == ["Post 4: alpha notes"]
    assert text_of(doc(blog, "tag/pay/").cssselect("h1")[0]) == "Tagged Pay"
    assert sorted(p.name for p in (blog / "tag").iterdir()) == ["alpha", "odd-tag", "pay"]


def test_role_profile_pages_come_from_data(blog: Path) -> None:
    page = doc(blog, "roles/alpha-engineer/")
    assert text_of(page.cssselect("h1")[0]) == "Alpha Engineer"
    facts = [text_of(d) for d in page.cssselect("dl.facts dd")]
    assert facts == ["~$205K", "530"]
    body = text_of(page.cssselect("main")[0])
    assert "Figures as of June 5, 2026 ; source: Fixture survey." in body
    assert "Designing: Designs alpha systems." in body and "Python: Writes Python." in body and "PyTorch" in body
    assert titles(page) == ["Post 4: alpha notes", "Post 3: alpha notes", "Post 2: alpha notes", "Post 1: alpha notes"]
    assert titles(doc(blog, "roles/")) == ["Alpha Engineer", "Beta Engineer"]


def test_article_furniture_related_neighbours_breadcrumbs_updated(blog: Path) -> None:
    page = doc(blog, "blog/post-3/")
    assert [text_of(a) for a in page.cssselect("nav.breadcrumbs a")] == ["Blog", "Salary Data", "Post 3: alpha notes"]
    assert [text_of(a) for a in page.cssselect("section.related li > a")] == ["Post 1: alpha notes"]  # `related:` wins
    assert "Updated July 1, 2026" in text_of(page.cssselect(".article__meta")[0])
    more = [(a.get("rel"), text_of(a)) for a in page.cssselect("nav.more a")]
    assert more == [("prev", "Newer: Post 4: alpha notes"), ("next", "Older: Post 2: alpha notes"), (None, "Read more from our blog")]
    auto = doc(blog, "blog/post-4/")
    assert [text_of(a) for a in auto.cssselect("section.related li > a")] == [
        "Post 3: alpha notes", "Post 2: alpha notes", "Post 1: alpha notes"]  # shared roles and tags, then newest


def test_empty_sections_are_left_out(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/gamma.md": None})
    assert run_cli("--site", site).returncode == 0
    page = doc(site / "output", "blog/alpha-vs-beta/")
    assert not page.cssselect("section.related") and not page.cssselect("nav.more a[rel]")
    assert "Related reading" not in text_of(page)


def test_drafts_and_future_articles_are_nowhere(blog: Path, tmp_path: Path) -> None:
    everything = b"".join(p.read_bytes() for p in blog.rglob("*") if p.is_file())
    for needle in (b"Draft article", b"Future article", b"Secret", b"Scheduled", b"Drafts", b"Later"):
        assert needle not in everything
    site = write_site(tmp_path / "site", base="blog")
    assert run_cli("--site", site, "--drafts", "--future").returncode == 0
    out = site / "output"
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert "Future article" in [e.title for e in feed.entries] and "Draft article" in [e.title for e in feed.entries]
    assert (out / "category/drafts/index.html").is_file() and (out / "tag/later/index.html").is_file()
    assert f"{BASE}blog/draft/" in (out / "sitemap.xml").read_text()


def test_atom_feed(blog: Path) -> None:
    feed = feedparser.parse((blog / "feed.xml").read_bytes())
    assert feed.bozo is False, feed.get("bozo_exception")
    assert feed.feed.title == "Fixture Blog" and feed.feed.id == BASE
    assert len(feed.entries) == 5
    for entry in feed.entries:
        assert entry.id.startswith(BASE + "blog/") and entry.link == entry.id
        assert entry.title and entry.updated and entry.published
        content = entry.content[0].value
        assert "href=\"/" not in content and "src=\"/" not in content  # links made absolute
    post3 = next(e for e in feed.entries if e.title == "Post 3: alpha notes")
    assert post3.updated.startswith("2026-07-01")
    assert f'href="{BASE}blog/post-1/#why-read-post-1"' in post3.content[0].value
    assert "~$205K" in post3.content[0].value
    weird = next(e for e in feed.entries if "alert" in e.title)
    assert weird.title == "Tags </script><script>alert(1)</script> & <b>more</b>"


def test_sitemap_validates_and_maps_to_pages(blog: Path) -> None:
    schema = xmlschema.XMLSchema(str(SITEMAP_XSD))
    schema.validate(str(blog / "sitemap.xml"))
    locs = [e["loc"] for e in schema.to_dict(str(blog / "sitemap.xml"))["url"]]
    assert len(locs) == len(set(locs)) > 10
    for loc in locs:
        assert loc.startswith(BASE)
        rel = loc[len(BASE):]
        assert (blog / rel / "index.html").is_file(), loc
    assert BASE + "blog/post-3/" in locs and BASE + "old/post-three/" not in locs
    assert "<lastmod>2026-07-01</lastmod>" in (blog / "sitemap.xml").read_text()


def test_pages_announce_the_feed(blog: Path) -> None:
    link = doc(blog, "blog/post-1/").cssselect("link[rel=alternate][type='application/atom+xml']")[0]
    assert link.get("href") == "/insights/feed.xml"


def test_robots_and_host_files(blog: Path) -> None:
    assert (blog / "robots.txt").read_text() == f"User-agent: *\nAllow: /\n\nSitemap: {BASE}sitemap.xml\n"
    assert (blog / ".nojekyll").read_bytes() == b""
    assert text_of(doc(blog, "404.html").cssselect("h1")[0]) == "Page not found"
    redirects = [line for line in (blog / "_redirects").read_text().splitlines() if not line.startswith("#")]
    assert redirects == ["/insights/old/post-three/ /insights/blog/post-3/ 301",
                         "/insights/legacy/post3.html /insights/blog/post-3/ 301"]
    for alias in ("old/post-three/index.html", "legacy/post3.html"):
        page = lxml.html.fromstring((blog / alias).read_bytes())
        assert page.cssselect("meta[http-equiv=refresh]")[0].get("content") == "0; url=/insights/blog/post-3/"
        assert page.cssselect("link[rel=canonical]")[0].get("href") == BASE + "blog/post-3/"
    headers = (blog / "_headers").read_text()
    assert "/insights/static/*\n  Cache-Control: public, max-age=31536000, immutable\n" in headers


def test_assets_are_fingerprinted_and_linked_under_the_base_path(blog: Path) -> None:
    css = sorted((blog / "static/css").iterdir())
    assert len(css) == 1 and css[0].name.startswith("site.") and len(css[0].name.split(".")) == 3
    assert css[0].read_bytes() == (REPO / "static/css/site.css").read_bytes()
    for path in html_pages(blog):
        page = lxml.html.fromstring(path.read_bytes())
        for element in page.cssselect("a[href], link[href]"):
            href = element.get("href")
            if href.startswith("/"):
                assert href.startswith("/insights/"), (path, href)
        sheets = page.cssselect("link[rel=stylesheet]")
        if path.name != "post3.html" and "old" not in path.parts:
            assert [s.get("href") for s in sheets] == [f"/insights/static/css/{css[0].name}"]


def test_every_page_has_canonical_description_and_social_tags(blog: Path) -> None:
    for path in html_pages(blog):
        if "old" in path.parts or path.name == "post3.html":
            continue
        page = lxml.html.fromstring(path.read_bytes())
        rel = path.relative_to(blog).as_posix()
        if rel == "404.html":
            assert not page.cssselect("link[rel=canonical]")  # an error page has no address of its own
            continue
        canonical = page.cssselect("link[rel=canonical]")[0].get("href")
        expected = BASE + ("" if rel == "index.html" else rel.removesuffix("index.html"))
        assert canonical == expected, rel
        for selector in ("meta[name=description]", "meta[property='og:title']", "meta[property='og:description']",
                         "meta[property='og:url']", "meta[property='og:type']", "meta[name='twitter:card']",
                         "meta[name='twitter:title']"):
            assert page.cssselect(selector)[0].get("content"), (rel, selector)
        assert page.cssselect("meta[property='og:url']")[0].get("content") == canonical
        assert page.get("lang") == "en-GB" and len(page.cssselect("h1")) == 1


def test_json_ld_read_back_with_extruct(blog: Path) -> None:
    html = (blog / "blog/post-3/index.html").read_text()
    data = extruct.extract(html, base_url=BASE + "blog/post-3/", syntaxes=["json-ld"])["json-ld"]
    by_type = {item["@type"]: item for item in data}
    assert set(by_type) == {"BlogPosting", "FAQPage", "BreadcrumbList"}
    post = by_type["BlogPosting"]
    page = lxml.html.fromstring(html)
    assert post["headline"] == text_of(page.cssselect("h1")[0])
    assert post["description"] == page.cssselect("meta[name=description]")[0].get("content")
    assert (post["datePublished"], post["dateModified"]) == ("2026-03-10", "2026-07-01")
    assert post["author"] == post["publisher"] == {"@type": "Organization", "name": "Fixture Co", "url": "https://fixture.example/"}
    assert post["mainEntityOfPage"]["@id"] == BASE + "blog/post-3/"
    crumbs = by_type["BreadcrumbList"]["itemListElement"]
    assert [(c["position"], c["name"], c["item"]) for c in crumbs] == [
        (1, "Blog", BASE), (2, "Salary Data", BASE + "category/salary-data/"), (3, "Post 3: alpha notes", BASE + "blog/post-3/")]
    assert [text_of(a) for a in page.cssselect("nav.breadcrumbs a")] == [c["name"] for c in crumbs]
    faq = by_type["FAQPage"]["mainEntity"]
    assert [q["name"] for q in faq] == ["Why read post 3?"]
    assert faq[0]["acceptedAnswer"]["text"] in text_of(page.cssselect(".prose")[0])


def test_script_breaking_text_is_escaped_in_html_and_json_ld(blog: Path) -> None:
    raw = (blog / "blog/tags-script-script-alert-1-script-more/index.html").read_text() if (
        blog / "blog/tags-script-script-alert-1-script-more").exists() else (blog / "blog/escaping/index.html").read_text()
    assert "<script>alert(1)" not in raw and "<b>more</b>" not in raw and "<b>care</b>" not in raw
    assert raw.count("<script") == raw.count('<script type="application/ld+json">')
    data = extruct.extract(raw, syntaxes=["json-ld"])["json-ld"]
    post = next(d for d in data if d["@type"] == "BlogPosting")
    assert post["headline"] == "Tags </script><script>alert(1)</script> & <b>more</b>"
    assert post["description"] == "A description with </script> and <i>markup</i> & ampersands."
    faq = next(d for d in data if d["@type"] == "FAQPage")["mainEntity"][0]
    assert faq["name"] == "Does the </script> text survive?"
    assert "Trains beta models with <b>care</b> & rigour </script>." in faq["acceptedAnswer"]["text"]
    page = lxml.html.fromstring(raw)
    assert text_of(page.cssselect("h1")[0]) == "Tags </script><script>alert(1)</script> & <b>more</b>"
    role = lxml.html.fromstring((blog / "roles/beta-engineer/index.html").read_bytes())
    assert text_of(role.cssselect(".lede")[0]) == "Trains beta models with <b>care</b> & rigour </script>."


def test_markdown_root_links_follow_the_base_path(blog: Path) -> None:
    page = doc(blog, "blog/post-2/")
    hrefs = [a.get("href") for a in page.cssselect(".prose a")]
    assert hrefs == ["/insights/blog/post-1/#why-read-post-1", "/insights/roles/", "#details"]


@pytest.mark.parametrize("url", ["", "blog/post-1/", "roles/alpha-engineer/", "tag/alpha/"])
def test_urls_are_relative_to_base_path(blog: Path, url: str) -> None:
    page = doc(blog, url)
    nav = [a.get("href") for a in page.cssselect("header nav a")]
    assert nav == ["/insights/", "/insights/roles/"]
    assert urlsplit(page.cssselect("link[rel=canonical]")[0].get("href")).path.startswith("/insights/")
