"""What rendering reads or renders once and reuses: `partial()` in templates (a partial that sees only the values it
is given, rendered once for equal values) and the store reader (record and body in one query)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from markupsafe import Markup

from conftest import REPO, run_cli, snapshot, write_site
from sitegen.data import DataSet, read_site
from sitegen.schemas import Schemas
from sitegen import render
from sitegen.model import Article, Converted
from sitegen.render import Renderer, Uncacheable, identity


def article(key: str = "k1", complete: bool = True, title: str = "T") -> Article:
    return Article(path="content/a.md", section="blog", url="blog/a/", slug="a", title=title, description="D",
                   date=dt.date(2026, 1, 2), updated=None, category="C", tags=(), draft=False, faq_schema=None,
                   related=(), aliases=(), author=None, layout=None, fields={}, refs=(),
                   converted=Converted((), (), 10), key=key, lines={}, complete=complete)


@pytest.fixture
def renderer(tmp_path: Path) -> Renderer:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials/card.html").write_text("<b>{{ entry.article.title }} {{ n() }}</b>\n")
    (tmp_path / "partials/peek.html").write_text("{{ page_var is defined }}")
    (tmp_path / "page.html").write_text('{{ partial("partials/card.html", entry=entry) }}|{{ page_var is defined }}|'
                                        '{{ partial("partials/peek.html") }}')
    site, _data = read_site(REPO)
    r = Renderer(site, DataSet({}), str(tmp_path), "templates", {}, bodies=lambda key: None)
    calls = []
    r.env.globals["n"] = lambda: calls.append(1) or len(calls)
    r.calls = calls
    return r


def test_equal_values_render_once_and_the_partial_sees_only_what_it_is_given(renderer: Renderer) -> None:
    page = renderer.env.get_template("page.html")
    first = page.render(entry={"article": article()}, page_var=1)
    again = page.render(entry={"article": article()}, page_var=2)  # a new but equal entry: the stored HTML
    assert first == again == "<b>T 1</b>\n|True|False"  # the page has page_var, the partial does not
    assert len(renderer.calls) == 1
    other = page.render(entry={"article": article(key="k2", title="U")}, page_var=1)
    assert other == "<b>U 2</b>\n|True|False"
    assert renderer.partial("partials/card.html", entry={"article": article()}) == Markup("<b>T 1</b>\n")
    assert len(renderer.calls) == 2
    assert renderer.deps.templates >= {"partials/card.html"}  # replayed into the page's record on every hit


def test_values_without_an_identity_render_every_time(renderer: Renderer) -> None:
    class Opaque:
        article = article()

    renderer.partial("partials/card.html", entry=Opaque())
    renderer.partial("partials/card.html", entry=Opaque())
    assert len(renderer.calls) == 2


@pytest.mark.parametrize(("a", "b"), [
    (True, 1),
    (Markup("<b>"), "<b>"),
    (1, 1.0),
    (dt.date(2026, 1, 1), dt.datetime(2026, 1, 1)),
    ([1], (1,)),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}),  # a loop over a dict sees its order
    (article(complete=True), article(complete=False)),  # a slim article has no headings or components
    (article(key="k1"), article(key="k2")),
    (("a", "s"), ("as", "")),  # where one text ends and the next begins
    ({"a": "b"}, {"ab": ""}),
    ([1, 2], [12]),
    ("1", 1),
])
def test_identity_tells_apart_values_that_render_differently(a, b) -> None:
    assert identity(a) != identity(b)


def test_identity_of_equal_values_is_equal_and_unknown_types_are_uncacheable() -> None:
    assert identity({"article": article(), "minutes": 4}) == identity({"article": article(), "minutes": 4})
    with pytest.raises(Uncacheable):
        identity({"x": object()})


def test_identity_refuses_subclasses_and_aware_datetimes() -> None:
    from collections import namedtuple

    point = namedtuple("point", "x y")
    for value in (point(1, 2), dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)):
        with pytest.raises(Uncacheable):  # a template reads p.x from one and not the other; %Z shows the zone
            identity(value)
    assert identity(dt.datetime(2026, 1, 1)) != identity(dt.date(2026, 1, 1))


def _reference(value):
    """What identity() must tell apart, written plainly: the type and the value, all the way down."""
    kind = type(value)
    if kind is dict:
        return kind, tuple((_reference(k), _reference(v)) for k, v in value.items())
    if kind in (list, tuple):
        return kind, tuple(_reference(v) for v in value)
    if kind is Article:
        return kind, value.key, value.complete
    return kind, repr(value)


# few distinct leaves, so that equal values (and texts that look like encodings: "s1:a", "1:", ";") come up often
_leaves = st.one_of(st.sampled_from(["", "a", "s", "as", "1:", "s1:a", ";", "a;i1", "(1:"]), st.sampled_from([0, 1, 10, -1]),
                    st.booleans(), st.none(), st.sampled_from([0.0, -0.0, 1.5, float("inf")]),
                    st.sampled_from(["", "a", "<b>"]).map(Markup), st.sampled_from(["k1", "k2"]).map(article),
                    st.just(dt.date(2026, 1, 1)))
_values = st.recursive(_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(st.sampled_from(["a", "b", "1"]), inner, max_size=3)), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(_values, min_size=2, max_size=6))
def test_identity_is_equal_exactly_when_type_and_value_are(values) -> None:
    for a in values:
        for b in values:
            assert (identity(a) == identity(b)) == (_reference(a) == _reference(b)), (a, b)


def test_when_the_memo_is_full_the_kept_partials_go_on_being_reused(renderer: Renderer, monkeypatch) -> None:
    monkeypatch.setattr(render, "MEMO_LIMIT", 2)
    cards = [{"article": article(key=f"k{i}", title=f"T{i}")} for i in range(3)]
    for entry in cards + cards:
        renderer.deps.templates.clear()
        assert renderer.partial("partials/card.html", entry=entry).startswith(f"<b>{entry['article'].title} ")
        assert renderer.deps.templates == {"partials/card.html"}  # kept or not, the page records what it showed
    assert len(renderer.calls) == 4  # k0 and k1 once each (kept); k2 twice (the memo was full)


def test_a_card_partial_edit_rerenders_exactly_the_pages_with_cards(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    assert run_cli("--site", site).returncode == 0
    before = snapshot(site / "output")
    card_start = b'<article class="card">\n  <p class="article__meta">'  # an article's card (roles/ has role cards)
    with_cards = sorted(k for k, v in before.items() if card_start in v)
    assert len(with_cards) >= 3  # the index, a category, a tag, a role page...
    card = site / "templates/partials/article_card.html"
    card.write_text(card.read_text().replace('<article class="card">', '<article class="card edited">'))
    result = run_cli("--site", site)
    assert result.returncode == 0, result.stderr
    after = snapshot(site / "output")
    assert sorted(k for k in after if after[k] != before.get(k)) == with_cards
    clean = write_site(tmp_path / "clean", {"templates/partials/article_card.html": card.read_text()})
    assert run_cli("--site", clean, "--no-cache").returncode == 0
    assert snapshot(clean / "output") == after


def test_the_store_reader_returns_each_article_its_own_body(tmp_path: Path) -> None:
    # an article page reads the record and the body in one query; any other order still gets the right body
    from sitegen.model import Body
    from sitegen.store import Cache, Reader

    store = Cache(tmp_path / "store.sqlite")
    store.articles.put_many([(article(key="k1"), Body("<p>one</p>", {"quick_answer": "q1"})), (article(key="k2"), Body("<p>two</p>", {"quick_answer": "q2"}))])
    reader = Reader(tmp_path / "store.sqlite")
    assert reader.article("k1").key == "k1"
    assert reader.body("k2") == Body("<p>two</p>", {"quick_answer": "q2"})  # not the body read with k1's record
    assert reader.body("k1") == Body("<p>one</p>", {"quick_answer": "q1"})
    reader.article("k2")
    assert reader.body("k2") == reader.body("k2") == Body("<p>two</p>", {"quick_answer": "q2"})  # once from the query, then again
    with pytest.raises(KeyError, match="article k3 is not in the store"):
        reader.article("k3")
    store.close()


FAQ_ARTICLE = """---
title: FAQ edge cases
description: Answers with components in every position.
date: 2026-01-05
category: Hiring
roles: [ai-engineer, ml-engineer]
quick_answer: Both pay about {{ salary("ai-engineer") }}.
---

{{ quick_answer() }}

## Glued to punctuation?

They earn ({{ salary("ai-engineer") }}), that is {{ salary_gap("ai-engineer", "ml-engineer") }}&nbsp;more, see
[the figures]({{ salary("ml-engineer") }}) and `{{ salary("in-code") }}`; source:{{ role("ai-engineer", "source") }}.

## A whole paragraph?

{{ postings("ml-engineer") }}

{{ responsibilities("ai-engineer") }}

Text after the block: {{ role("ml-engineer", "title") }}.

## The source, with its spaces?

{{ role("ai-engineer", "source") }}

## Not a question

{{ salary_table() }}

## A quick answer inside an answer?

Before.

{{ quick_answer() }}

After the block.
"""


@pytest.mark.parametrize(("source", "quick_answer_inside"), [
    ("Levels.fyi and job boards", False),
    ("  padded source  ", False),
    ("", False),
    ("Levels.fyi and job boards", True),  # a block with its own heading inside an answer
])
def test_faq_answers_are_the_text_of_the_filled_html(tmp_path: Path, source: str, quick_answer_inside: bool) -> None:
    # the FAQ is worked out once, from the HTML with every component filled in: each answer is the visible text
    # from its question to the next H2 with an id (a component's own heading included)
    from sitegen.markdown_ext import faq_sections, html_to_text
    from sitegen.render import faq_entries
    from sitegen.workers import parse_one

    site, data = read_site(REPO)
    roles = data.files["roles"]
    value = {rid: ({**r, "source": source} if rid == "ai-engineer" else r) for rid, r in roles.value.items()}
    data = DataSet({**data.files, "roles": replace(roles, value=value)})
    text = FAQ_ARTICLE if quick_answer_inside else FAQ_ARTICLE[: FAQ_ARTICLE.index("## A quick answer inside")]
    (tmp_path / "a.md").write_text(text)
    rel, art, body, problems = parse_one(("content/a.md", str(tmp_path / "a.md"), Schemas.load(REPO)))
    assert art is not None and not problems, problems
    renderer = Renderer(site, data, str(REPO / "templates"), "templates", {"css/site.css": "x.css"},
                        bodies={art.key: body}.__getitem__)
    html, _fields = renderer._filled(art)
    anchors = ["glued-to-punctuation", "a-whole-paragraph", "the-source-with-its-spaces"]
    entries = faq_entries(art, html)
    assert [e["id"] for e in entries] == anchors + (["a-quick-answer-inside-an-answer"] if quick_answer_inside else [])
    assert [e["answer"] for e in entries] == [html_to_text(a) for _i, a in faq_sections(html, art.converted.headings)]
    assert renderer.article_parts(art)[2] == entries
    answers = {e["id"]: e["answer"] for e in entries}
    assert answers["glued-to-punctuation"].startswith("They earn (~$")
    assert "\xa0" not in answers["glued-to-punctuation"]
    assert '{{ salary("in-code") }}' in answers["glued-to-punctuation"]
    assert answers["the-source-with-its-spaces"] == source.strip()
    if quick_answer_inside:
        assert answers["a-quick-answer-inside-an-answer"] == "Before."  # the quick answer's own heading ends it
