"""The salary chart (issue 16 point 3): an inline SVG drawn by the site's `salary_chart` component from data/roles.yaml,
with the figures as text, an accessible name and a description stating them, no JavaScript; a data edit changes it."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

from conftest import run_cli, write_site

ARTICLE = "blog/ai-engineer-vs-ml-engineer/index.html"
SVG = "{http://www.w3.org/2000/svg}"


def chart(html: str) -> ElementTree.Element:
    found = re.findall(r'<figure class="chart">\s*(<svg.*?</svg>)', html, re.S)
    assert len(found) == 1, "the article shows one chart"
    return ElementTree.fromstring(found[0])


def texts(svg: ElementTree.Element, cls: str) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == cls]


def bars(svg: ElementTree.Element, cls: str) -> list[float]:
    return [float(r.get("width")) for r in svg.iter(f"{SVG}rect") if cls in r.get("class", "")]


def test_the_article_charts_both_salaries_and_postings_from_data(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", base="repo")
    assert run_cli("--site", site).returncode == 0
    html = (site / "output" / ARTICLE).read_text()
    svg = chart(html)
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Median base salary and active job postings by role"
    assert desc.text == ("Median base salary: AI Engineer ~$205K; ML Engineer ~$220K. "
                         "Active job postings: AI Engineer 530; ML Engineer 137.")
    assert texts(svg, "chart__value") == ["~$205K", "~$220K", "530", "137"]
    assert texts(svg, "chart__label") == ["AI Engineer", "ML Engineer"] * 2
    pay, posts = bars(svg, "chart__bar--pay"), bars(svg, "chart__bar--posts")
    assert pay[1] == 360 and round(pay[0], 1) == round(360 * 205 / 220, 1)  # the longest bar is the largest figure
    assert posts[0] == 360 and round(posts[1], 1) == round(360 * 137 / 530, 1)
    assert "<script" not in html.split('<figure class="chart">')[1].split("</figure>")[0]
    # beside the salary table: the table comes first, then the chart
    assert html.index('<table class="salary-table">') < html.index('<figure class="chart">')

    # a data edit changes the chart (and nothing has to be said twice)
    roles = site / "data/roles.yaml"
    roles.write_text(roles.read_text().replace("median_base: 205000", "median_base: 231000", 1))
    assert run_cli("--site", site).returncode == 0
    svg = chart((site / "output" / ARTICLE).read_text())
    assert svg.find(f"{SVG}desc").text.startswith("Median base salary: AI Engineer ~$231K; ML Engineer ~$220K.")
    assert texts(svg, "chart__value")[:2] == ["~$231K", "~$220K"]
    assert bars(svg, "chart__bar--pay")[0] == 360


def test_a_chart_of_unknown_roles_is_an_error_at_the_calling_line(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "content/ai-engineer-vs-ml-engineer.md").read_text()
    assert "{{ salary_chart() }}" in text
    broken = text.replace("{{ salary_chart() }}", '{{ salary_chart("ai-engineer", "data-engineer") }}')
    line = broken.splitlines().index('{{ salary_chart("ai-engineer", "data-engineer") }}') + 1
    site = write_site(tmp_path / "site", {"content/ai-engineer-vs-ml-engineer.md": broken}, base="repo")
    result = run_cli("--site", site)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"content/ai-engineer-vs-ml-engineer.md:{line}: component salary_chart(): unknown role 'data-engineer' "
        "(data/roles.yaml has: ai-engineer, ml-engineer)")
