"""What rendering reads or renders once and reuses: `partial()` in templates (a partial that sees only the values it
is given, rendered once for equal values) and the store reader (record and body in one query)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from markupsafe import Markup

from conftest import REPO, run_cli, snapshot, write_site
from sitegen.data import parse_site
from sitegen.model import Article, Converted
from sitegen.render import Renderer, Uncacheable, identity


def article(key: str = "k1", complete: bool = True, title: str = "T") -> Article:
    return Article(path="content/a.md", slug="a", title=title, description="D", date=dt.date(2026, 1, 2), updated=None,
                   category="C", tags=(), roles=(), draft=False, faq_schema=None, cta=True, related=(), aliases=(),
                   author=None, converted=Converted((), (), 10), key=key, lines={}, complete=complete)


@pytest.fixture
def renderer(tmp_path: Path) -> Renderer:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials/card.html").write_text("<b>{{ entry.article.title }} {{ n() }}</b>\n")
    (tmp_path / "partials/peek.html").write_text("{{ page_var is defined }}")
    (tmp_path / "page.html").write_text('{{ partial("partials/card.html", entry=entry) }}|{{ page_var is defined }}|'
                                        '{{ partial("partials/peek.html") }}')
    site, problems = parse_site((REPO / "data/site.yaml").read_text())
    assert not problems
    r = Renderer(site, {}, str(tmp_path), "templates", {}, bodies=lambda key: None)
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
])
def test_identity_tells_apart_values_that_render_differently(a, b) -> None:
    assert identity(a) != identity(b)


def test_identity_of_equal_values_is_equal_and_unknown_types_are_uncacheable() -> None:
    assert identity({"article": article(), "minutes": 4}) == identity({"article": article(), "minutes": 4})
    with pytest.raises(Uncacheable):
        identity({"x": object()})


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
    from sitegen.store import Reader, Store

    store = Store(tmp_path / "store.sqlite")
    store.put_many([(article(key="k1"), Body("<p>one</p>", "q1")), (article(key="k2"), Body("<p>two</p>", "q2"))])
    reader = Reader(tmp_path / "store.sqlite")
    assert reader.article("k1").key == "k1"
    assert reader.body("k2") == Body("<p>two</p>", "q2")  # not the body read with k1's record
    assert reader.body("k1") == Body("<p>one</p>", "q1")
    reader.article("k2")
    assert reader.body("k2") == reader.body("k2") == Body("<p>two</p>", "q2")  # once from the query, then again
    with pytest.raises(KeyError, match="article k3 is not in the store"):
        reader.article("k3")
    store.close()
