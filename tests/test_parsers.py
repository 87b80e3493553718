"""The pure parse functions: front matter, YAML with lines, Markdown components, data, formats."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import hypothesis
import hypothesis.strategies
import lz4.block
import pytest

from sitegen import formats, yamlutil
from sitegen.content import ArticleError, parse_article, split_front_matter
from sitegen.data import DataSet, parse, read_site
from sitegen.schemas import Schemas

from conftest import REPO

SCHEMAS = Schemas.load(REPO)  # the site's own: roles (x-data-ref), quick_answer (x-markdown), cta
from sitegen.calls import parse_call
from sitegen.render import html_to_text

ARTICLE = """---
title: "A <b>bold</b> title"
description: Short.
date: 2026-06-05
category: Hiring
roles: [alpha]
quick_answer: Pays {{ salary("alpha") }}.
---

## Does it work?

Inline {{ postings("alpha") }} and `{{ salary("alpha") }}` in code.

    {{ salary("indented") }}

- item

    ```
    {{ salary("fenced-in-list") }}
    ```

{{ salary_table() }}
"""


def test_split_front_matter_keeps_the_body_line() -> None:
    front, body, body_line = split_front_matter("---\na: 1\n---\nbody\n", "x.md")
    assert (front, body, body_line) == ("a: 1\n", "body\n", 4)


def test_parse_article_fields_and_defaults() -> None:
    article, body = parse_article(ARTICLE, "content/does-it-work.md", schemas=SCHEMAS)
    assert article.slug == "does-it-work" and article.url == "blog/does-it-work/" and article.section == "blog"
    assert article.title == "A <b>bold</b> title"
    assert article.date == dt.date(2026, 6, 5)
    assert (article.draft, article.get("cta", True), article.updated, article.tags) == (False, True, None, ())
    assert article["roles"] == ["alpha"] and article.refs == ("roles/alpha",)  # x-data-ref: roles
    assert "quick_answer" not in article.fields and list(body.fields) == ["quick_answer"]  # x-markdown


def test_components_are_recorded_with_their_lines_and_code_stays_literal() -> None:
    article, body = parse_article(ARTICLE, "content/x.md", schemas=SCHEMAS)
    calls = [(c.name, c.args, c.line, c.block) for c in article.converted.components]
    assert calls == [("salary", ("alpha",), 7, False), ("postings", ("alpha",), 12, False), ("salary_table", (), 22, True)]
    html = body.html
    assert '<code>{{ salary("alpha") }}</code>' in html
    assert '{{ salary("indented") }}' in html
    assert "{{ salary(&quot;fenced-in-list&quot;) }}" in html or '{{ salary("fenced-in-list") }}' in html
    assert f"<p>{article.converted.components[-1].token}</p>" in html
    assert [h.text for h in article.converted.headings] == ["Does it work?"]


HINT = 'arguments are literal values: "text", 12, 3.5, true, false, none or [lists of these]'


@pytest.mark.parametrize("source, expected", [
    ('salary("a")', ("salary", ("a",), ())),
    ("salary_table('a', 'b')", ("salary_table", ("a", "b"), ())),
    ("cta()", ("cta", (), ())),
    ('callout("Note", tone="warn", size=2, open=true, tags=["a", 1], gap=-1.5, none_=none)',
     ("callout", ("Note",), (("tone", "warn"), ("size", 2), ("open", True), ("tags", ("a", 1)), ("gap", -1.5),
                             ("none_", None)))),
    ("nope()", ("nope", (), ())),  # whether it exists is the site's components' business (assemble)
    ("salary(a)", f"component salary(): {HINT}"),
    ("salary(x.y)", f"component salary(): {HINT}"),
    ("salary(*xs)", f"component salary(): {HINT}"),
    ("site.title", '{{ site.title }} is not a component call; write it like {{ name("argument") }}'),
    ('salary("a"', 'cannot read component {{ salary("a" }}: unexpected \'}\', expected \')\''),
])
def test_parse_call(source: str, expected) -> None:
    assert parse_call(source) == expected


def test_cache_records_round_trip() -> None:
    from sitegen.content import from_record, to_record

    article, _body = parse_article(ARTICLE, "content/x.md", key="k1", schemas=SCHEMAS)
    assert from_record(json.loads(json.dumps(to_record(article))), "k1") == article


def test_bad_component_is_reported_at_its_line() -> None:
    with pytest.raises(ArticleError) as info:
        parse_article("---\ntitle: t\ndescription: d\ndate: 2026-01-01\ncategory: c\n---\n\nText {{ bogus }} here.\n", "content/t.md")
    assert [str(p) for p in info.value.problems] == [
        "content/t.md:8: {{ bogus }} is not a component call; write it like {{ name(\"argument\") }}"]


def test_yaml_lines_point_at_keys_and_items() -> None:
    data, lines = yamlutil.load("a:\n  b: 1\n  c:\n    - x\n    - y\n")
    assert data == {"a": {"b": 1, "c": ["x", "y"]}}
    assert lines[("a", "b")] == 2 and lines[("a", "c", 1)] == 5
    assert yamlutil.line_of(lines, ("a", "c", 1, "deeper")) == 5


def test_yaml_is_loaded_safely() -> None:
    with pytest.raises(yamlutil.YamlSyntaxError) as info:
        yamlutil.load("x: !!python/object/apply:os.system ['true']\n")
    assert info.value.line == 1 and "could not determine a constructor" in info.value.message


def test_yaml_dates_become_iso_strings() -> None:
    assert yamlutil.load("d: 2026-06-05\n")[0] == {"d": "2026-06-05"}


def test_parse_roles_and_site_from_the_repository() -> None:
    from conftest import REPO

    site, data = read_site(REPO)
    roles = data.tree["roles"]  # data.roles is the file's top-level mapping: role id -> record
    assert (roles["ai-engineer"]["salary"]["median_base"], roles["ai-engineer"]["job_postings"]) == (205000, 530)
    assert (roles["ml-engineer"]["salary"]["median_base"], roles["ml-engineer"]["job_postings"]) == (220000, 137)
    assert site["cta"]["heading"] == "Ready to hire?" and data.tree["site"]["title"] == site.title


def test_site_base_url_must_be_absolute_with_trailing_slash() -> None:
    from conftest import FIXTURES

    text = (FIXTURES / "minimal/data/site.yaml").read_text().replace("https://fixture.example/", "fixture.example", 1)
    site, problems = parse(text, "data/site.yaml", Schemas.load(FIXTURES / "minimal"))
    assert site is None
    assert [str(p) for p in problems] == [
        'data/site.yaml:3: base_url: "fixture.example" does not match an absolute http(s) URL ending in /']


@pytest.mark.parametrize("amount, currency, text", [
    (205000, "USD", "~$205K"), (220000, "USD", "~$220K"), (1250000, "USD", "~$1.25M"),
    (950, "USD", "~$950"), (99500, "EUR", "~€100K"), (15000, "GBP", "~£15K"),
])
def test_money(amount: int, currency: str, text: str) -> None:
    assert formats.money(amount, currency) == text


def test_count_date_and_reading_time() -> None:
    assert (formats.count(530), formats.count(12345)) == ("530", "12,345")
    assert formats.long_date(dt.date(2026, 6, 5)) == "June 5, 2026"
    assert (formats.reading_minutes(10, 230), formats.reading_minutes(1000, 230)) == (1, 4)


def test_json_ld_cannot_close_the_script() -> None:
    assert str(formats.json_ld({"t": "</script><b>&"})) == '{"t":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}'


JSON_VALUES = hypothesis.strategies.recursive(
    hypothesis.strategies.none() | hypothesis.strategies.booleans()
    | hypothesis.strategies.integers(-2**63, 2**63 - 1) | hypothesis.strategies.text(),
    lambda inner: hypothesis.strategies.lists(inner, max_size=4)
    | hypothesis.strategies.dictionaries(hypothesis.strategies.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@hypothesis.given(JSON_VALUES)
def test_json_ld_and_the_store_write_what_json_dumps_writes(value) -> None:
    # orjson does the encoding; the bytes are those of compact json.dumps with UTF-8 kept as it is
    from sitegen import memos

    reference = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert str(formats.json_ld(value)) == reference.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    assert memos.unpack(memos.pack(value)) == value
    assert lz4.block.decompress(memos.pack(value)) == reference.encode()


@pytest.mark.parametrize(("fragment", "text"), [
    ("<p>Pays <strong>$150,000</strong>\n  a year.</p>", "Pays $150,000 a year."),
    ("<p>A&nbsp;&amp;&#32;B</p>\n\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>", "A & B one two"),
    ("\t<p>\u2003wide\u3000spaces\u2028and\x1c separators</p>\r\n", "wide spaces and separators"),
    ("", ""),
])
def test_html_to_text_drops_tags_and_collapses_every_kind_of_whitespace(fragment: str, text: str) -> None:
    assert html_to_text(fragment) == text


@hypothesis.given(hypothesis.strategies.text(alphabet=hypothesis.strategies.sampled_from(
    list(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u200b\u3000<>/&;#ab&nbsp;&amp;"))))
def test_html_to_text_matches_the_regex_definition(fragment: str) -> None:
    # the definition it replaced: tags to spaces, entities decoded, every \s+ run to one space, trimmed
    expected = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()
    assert html_to_text(fragment) == expected
