"""The command line: default command, --site/--out, drafts and future articles, help, FAQ switch."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html

from conftest import FIXTURES, run_cli, write_site

DRAFT = "---\ntitle: Draft one\ndescription: d\ndate: 2026-03-01\ncategory: Hiring\ndraft: true\n---\n\nDraft text.\n"
FUTURE = "---\ntitle: Future one\ndescription: d\ndate: 2030-01-01\ncategory: Hiring\n---\n\nLater.\n"


def listed(out: Path) -> list[str]:
    doc = lxml.html.fromstring((out / "index.html").read_bytes())
    return [a.text_content().strip() for a in doc.cssselect(".cards h2 a")]


def test_plain_build_in_the_current_folder(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    result = run_cli(cwd=site)
    assert result.returncode == 0, result.stderr
    assert re.match(r"built \d+ pages and 7 static files into ", result.stdout)  # CSS, JS, five social cards
    assert listed(site / "output") == ["Alpha vs Beta", "Gamma notes"]  # newest first


def test_out_writes_elsewhere(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    result = run_cli("build", "--site", site, "--out", tmp_path / "public")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "public/blog/gamma/index.html").is_file() and not (site / "output").exists()


def test_drafts_and_future_articles_are_left_out_unless_asked(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/draft.md": DRAFT, "content/future.md": FUTURE})
    assert run_cli("--site", site).returncode == 0
    assert listed(site / "output") == ["Alpha vs Beta", "Gamma notes"]
    assert not (site / "output/blog/draft-one").exists() and not (site / "output/blog/future").exists()
    assert run_cli("--site", site, "--drafts").returncode == 0
    assert listed(site / "output") == ["Alpha vs Beta", "Gamma notes", "Draft one"]
    assert run_cli("--site", site, "--drafts", "--future").returncode == 0
    assert listed(site / "output") == ["Future one", "Alpha vs Beta", "Gamma notes", "Draft one"]
    assert (site / "output/blog/future/index.html").is_file()


def test_help_documents_every_option() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for option in ("--site DIR", "--out DIR", "--drafts", "--future", "path:line: message", "SOURCE_DATE_EPOCH"):
        assert option in result.stdout


def test_missing_site_folder(tmp_path: Path) -> None:
    result = run_cli("--site", tmp_path / "nope")
    assert (result.returncode, result.stderr) == (2, f"error: --site {tmp_path / 'nope'}: no such folder\n")


def faq_types(out: Path, slug: str) -> list[str]:
    doc = lxml.html.fromstring((out / "blog" / slug / "index.html").read_bytes())
    return [json.loads(s.text)["@type"] for s in doc.cssselect("script[type='application/ld+json']")]


def test_faq_json_ld_can_be_turned_off_per_article_and_site_wide(tmp_path: Path) -> None:
    article = (FIXTURES / "minimal/content/alpha-vs-beta.md").read_text()
    site = write_site(tmp_path / "site", {"content/alpha-vs-beta.md": article.replace("tags:", "faq_schema: false\ntags:")})
    assert run_cli("--site", site).returncode == 0
    assert faq_types(site / "output", "alpha-vs-beta") == ["BlogPosting", "BreadcrumbList"]
    assert faq_types(site / "output", "gamma") == ["BlogPosting", "FAQPage", "BreadcrumbList"]
    settings = (site / "data/site.yaml").read_text() + "faq_schema: false\n"
    write_site(site, {"data/site.yaml": settings}, base=None, theme=False)
    assert run_cli("--site", site).returncode == 0
    assert faq_types(site / "output", "gamma") == ["BlogPosting", "BreadcrumbList"]


def test_html_special_characters_are_escaped(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/x.md": (
        '---\ntitle: "Tags </script><script>alert(1)</script> & more"\ndescription: "<b>d</b>"\n'
        "date: 2026-01-03\ncategory: Hiring\n---\n\n## Why </script>?\n\nBecause.\n")})
    assert run_cli("--site", site).returncode == 0
    html = (site / "output/blog/x/index.html").read_text()
    assert "<script>alert(1)" not in html and "<b>d</b>" not in html
    assert "Tags &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    doc = lxml.html.fromstring(html)
    blocks = [json.loads(s.text) for s in doc.cssselect("script[type='application/ld+json']")]
    assert blocks[0]["headline"] == "Tags </script><script>alert(1)</script> & more"
    assert len(doc.cssselect("script")) == 3
