"""The real article built from the repository's content/ and data/: facts, structure, FAQ, data-driven figures."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import lxml.html
import pytest

from conftest import REPO, run_cli, write_site

SLUG = "ai-engineer-vs-ml-engineer"
QUESTIONS = [
    "What does an AI Engineer actually do?",
    "What does an ML Engineer actually do?",
    "How do AI Engineer and ML Engineer salaries compare in 2026?",
    "Which role fits your team\u2019s needs?",
    "Which skills should you look for in an AI Engineer?",
    "Which skills should you look for in an ML Engineer?",
    "How do AI Engineers and ML Engineers work together?",
    "Which trends will shape AI and ML roles?",
]


def text_of(element) -> str:
    """Visible text with every tag boundary read as a space (as the FAQ extractor does)."""
    return " ".join(" ".join(element.itertext()).split())


@pytest.fixture(scope="module")
def real_site(tmp_path_factory) -> Path:
    site = write_site(tmp_path_factory.mktemp("real") / "site", base="repo")
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"built 18 pages and 14 static files into \S+ in \d+\.\d\d s", result.stdout.splitlines()[0])
    return site


@pytest.fixture(scope="module")
def page(real_site: Path):
    return lxml.html.fromstring((real_site / "output/blog" / SLUG / "index.html").read_bytes())


def salary_rows(doc) -> list[list[str]]:
    table = doc.cssselect("table.salary-table")[0]
    return [[text_of(c) for c in row] for row in table.cssselect("tr")]


def test_salary_table_shows_both_roles_from_data(page) -> None:
    assert salary_rows(page) == [
        ["Role", "Median base salary", "Active job postings"],
        ["AI Engineer", "~$205K", "530"],
        ["ML Engineer", "~$220K", "137"],
    ]
    table = page.cssselect("table.salary-table")[0]
    assert "Median base salary" in text_of(table.cssselect("caption")[0])
    assert [th.get("scope") for th in table.cssselect("th")] == ["col", "col", "col", "row", "row"]


def test_every_question_section_is_there_in_order(page) -> None:
    h2 = [text_of(h) for h in page.cssselect(".prose h2")]
    assert [h for h in h2 if h.endswith("?")] == QUESTIONS
    assert "Quick answer" in h2 and any(h.startswith("Conclusion") for h in h2)
    toc = [text_of(a) for a in page.cssselect("nav.toc a")]
    assert toc == QUESTIONS
    for link in page.cssselect("nav.toc a"):
        assert page.get_element_by_id(link.get("href")[1:]).tag == "h2"


def test_page_furniture(page) -> None:
    assert len(page.cssselect("h1")) == 1
    assert text_of(page.cssselect("h1")[0]) == "AI Engineer vs ML Engineer: Which Is Right for Your Team?"
    meta = text_of(page.cssselect(".article__meta")[0])
    assert re.fullmatch(r"Hiring June 5, 2026 \d+ min read", meta), meta
    assert page.get("lang") == "en"
    assert page.cssselect("main") and page.cssselect("header") and page.cssselect("footer")
    cta = page.cssselect("section.cta")[0]
    assert text_of(cta.cssselect("h2")[0]) == "Ready to hire?"
    assert [text_of(a) for a in page.cssselect("nav.more a")] == ["Read more from our blog"]
    assert not page.cssselect("section.related")  # the only article: no related reading to show
    assert not page.cssselect("script:not([type='application/ld+json'])")


def test_reading_time_is_computed_from_the_text(page) -> None:
    prose = copy.deepcopy(page.cssselect(".prose")[0])  # the page is shared by this module's tests
    for chart in prose.cssselect("figure.chart"):  # a chart is looked at, not read: its labels are not prose
        chart.drop_tree()
    words = len(text_of(prose).split())
    minutes = int(re.search(r"(\d+) min read", text_of(page.cssselect(".article__meta")[0])).group(1))
    assert minutes == max(1, round(words / 230)) or abs(minutes - words / 230) < 1


def test_quick_answer_and_prose_read_figures_from_data(page) -> None:
    quick = text_of(page.cssselect(".quick-answer")[0])
    assert "~$205K" in quick and "~$220K" in quick
    prose = text_of(page.cssselect(".prose")[0])
    assert "~$15K" in prose and "530" in prose and "137" in prose


def test_faq_json_ld_matches_the_visible_questions_and_answers(page) -> None:
    blocks = [json.loads(s.text) for s in page.cssselect("script[type='application/ld+json']")]
    faq = next(b for b in blocks if b["@type"] == "FAQPage")
    assert [q["name"] for q in faq["mainEntity"]] == QUESTIONS
    prose = text_of(page.cssselect(".prose")[0])
    for question in faq["mainEntity"]:
        answer = question["acceptedAnswer"]["text"]
        assert answer and answer in prose, question["name"]
        assert f'{question["name"]} {answer}' in prose
    posting = next(b for b in blocks if b["@type"] == "BlogPosting")
    assert posting["datePublished"] == "2026-06-05" and posting["headline"] == text_of(page.cssselect("h1")[0])


def test_home_lists_the_article(real_site: Path) -> None:
    home = lxml.html.fromstring((real_site / "output/index.html").read_bytes())
    cards = home.cssselect(".cards article")
    assert len(cards) == 1
    link = cards[0].cssselect("h2 a")[0]
    assert link.get("href") == f"/blog/{SLUG}/"
    assert re.fullmatch(r"Hiring June 5, 2026 \d+ min read", text_of(cards[0].cssselect(".article__meta")[0]))


def test_no_figure_is_typed_in_the_markdown() -> None:
    for path in (REPO / "content").glob("*.md"):
        text = path.read_text()
        assert not re.search(r"\$\s?\d|\b(205|220|530|137)\b|\d+\s?[kK]\b", text), path


def test_a_data_edit_changes_table_quick_answer_and_prose(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", base="repo")
    roles = site / "data/roles.yaml"
    roles.write_text(roles.read_text().replace("median_base: 205000", "median_base: 210000"))
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    html = (site / "output/blog" / SLUG / "index.html").read_text()
    doc = lxml.html.fromstring(html)
    assert salary_rows(doc)[1] == ["AI Engineer", "~$210K", "530"]
    assert "~$210K" in text_of(doc.cssselect(".quick-answer")[0])
    assert "~$10K" in text_of(doc.cssselect(".prose")[0])  # the gap, written in prose with salary_gap()
    assert "205K" not in html and "~$15K" not in html


def test_template_syntax_in_code_stays_literal(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/code.md": (
        "---\ntitle: Code\ndescription: d\ndate: 2026-01-02\ncategory: Guides\n---\n\n"
        'Use `{{ salary("nope") }}` inline.\n\n```\n{{ salary_table("nope") }}\n```\n\n    {{ cta() }}\n')})
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    doc = lxml.html.fromstring((site / "output/blog/code/index.html").read_bytes())
    assert [text_of(c) for c in doc.cssselect(".prose code")] == [
        '{{ salary("nope") }}', '{{ salary_table("nope") }}', "{{ cta() }}"]
