"""Template loads are recorded through Jinja's public get_template/select_template/get_or_select_template, checked at
start-up (render.loads_recorded); when the check fails, every page records every template, so an edit still
re-renders every page that uses it (slower, never stale)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from conftest import REPO
from sitegen import render
from sitegen.data import DataSet, read_site
from sitegen.model import Page


@pytest.fixture(autouse=True)
def _fresh_check():
    render.loads_recorded.cache_clear()
    yield
    render.loads_recorded.cache_clear()


def test_the_self_check_passes_with_this_jinja():
    assert render.loads_recorded()


def _unrecorded_get_template(monkeypatch):
    # as if Jinja's compiled templates no longer loaded through get_template
    monkeypatch.setattr(render.RecordingEnvironment, "get_template", jinja2.Environment.get_template)


def _unrecorded_lists(monkeypatch):
    monkeypatch.setattr(render.RecordingEnvironment, "select_template", jinja2.Environment.select_template)


def _unrecorded_everything(monkeypatch):
    monkeypatch.setattr(render.RecordingEnvironment, "_record", lambda self, name, parent: None)


@pytest.mark.parametrize("break_it", [_unrecorded_get_template, _unrecorded_lists, _unrecorded_everything])
def test_a_load_that_is_not_recorded_fails_the_self_check(monkeypatch, break_it):
    break_it(monkeypatch)
    assert not render.loads_recorded()


def _renderer(templates: Path) -> render.Renderer:
    site, _data = read_site(REPO)
    return render.Renderer(site, DataSet({}), str(templates), "templates", {}, bodies=lambda key: None)


def _page(template: str) -> Page:
    return Page(url="x/", output="x/index.html", template=template, kind="page", title="T", description="D")


def test_the_fallback_records_every_template_for_every_page(monkeypatch, tmp_path):
    (tmp_path / "partials").mkdir()
    (tmp_path / "page.html").write_text("{% include 'partials/a.html' %}")
    (tmp_path / "partials/a.html").write_text("a")
    (tmp_path / "partials/unused.html").write_text("u")
    recorded = _renderer(tmp_path)
    assert recorded.every_template is None
    data, deps = recorded.render(_page("page.html"), lambda r, p: {})
    assert data == b"a" and deps.templates == {"page.html", "partials/a.html"}

    render.loads_recorded.cache_clear()
    _unrecorded_everything(monkeypatch)
    fallback = _renderer(tmp_path)
    assert fallback.every_template == {"page.html", "partials/a.html", "partials/unused.html"}
    data, deps = fallback.render(_page("page.html"), lambda r, p: {})
    assert data == b"a" and deps.templates == {"page.html", "partials/a.html", "partials/unused.html"}


def test_with_the_fallback_template_edits_still_rerender_their_pages(monkeypatch, tmp_path):
    """test_serve's random edits (templates, partials and includes among them) on the in-process preview build,
    with no load recorded at all: the preview equals a clean build after every tenth edit and at the end."""
    import test_serve

    _unrecorded_everything(monkeypatch)
    assert not render.loads_recorded()
    renders = []
    original = render.Renderer.render

    def spy(self, page, make_context):
        assert self.every_template is not None
        renders.append(page.output)
        return original(self, page, make_context)

    monkeypatch.setattr(render.Renderer, "render", spy)
    test_serve.random_edits(tmp_path, seed=20261201, count=26)
    assert len(renders) > 100  # the preview renders in this process (jobs=1), with the fallback
