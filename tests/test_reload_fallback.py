"""The preview's own reload channel (sitegen/reload.py), used when livereload's handler classes are not what sitegen
was tested with: forced with SITEGEN_OWN_RELOAD, in a real chromium. A Markdown edit reloads the page, a CSS edit
swaps the stylesheet in place, and only the preview's own pages may connect."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, write_site
from sitegen import reload
from test_serve import HOST, ReloadClient, ServeProcess, get

playwright_sync = pytest.importorskip("playwright.sync_api")

ARTICLE = "blog/ai-engineer-vs-ml-engineer/"
SOURCE = "content/ai-engineer-vs-ml-engineer.md"
SECONDS = 2.0  # a save must be on screen within this long (measured; the waits themselves allow a minute)
WAIT = 60_000  # ms


def test_the_self_check_accepts_the_installed_livereload(monkeypatch):
    reload.check.cache_clear()
    monkeypatch.delenv(reload.ENV, raising=False)
    try:
        assert reload.check()[3] == "livereload"
    finally:
        reload.check.cache_clear()


def test_livereload_classes_that_are_not_as_tested_are_not_used(monkeypatch):
    from livereload import handlers

    reload.check.cache_clear()
    monkeypatch.delenv(reload.ENV, raising=False)
    monkeypatch.setattr(handlers.LiveReloadHandler, "waiters", [])  # not the set push_reload uses
    try:
        socket_cls, js_cls, waiters, way = reload.check()
        assert socket_cls is reload.OwnReloadSocket and waiters is reload.OwnReloadSocket.waiters
        assert "waiters is not a set" in way and "client: livereload.js" in way
    finally:
        reload.check.cache_clear()


@pytest.fixture(scope="module", params=["1", "script"])
def served(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, ServeProcess]]:
    mp = pytest.MonkeyPatch()
    mp.setenv(reload.ENV, request.param)  # ServeProcess passes the environment on
    tmp = tmp_path_factory.mktemp(f"reload-{request.param}")
    site = write_site(tmp / "site", base="repo")
    server = ServeProcess(site, tmp)
    mp.undo()
    try:
        yield request.param, site, server
    finally:
        assert server.stop() == 0, server.stderr()


def test_the_script_served_is_the_one_chosen(served) -> None:
    mode, _site, server = served
    status, body, _headers = get(server.port, f"/livereload.js?port={server.port}")
    assert status == 200
    assert (b"SitegenReload" in body) == (mode == "script")
    assert (b"LiveReload" in body) == (mode != "script")


def test_the_own_socket_refuses_other_origins(served) -> None:
    from tornado.httpclient import HTTPClientError

    _mode, _site, server = served
    port = server.port
    for origin, headers in (("http://evil.example", {}), (f"http://127.0.0.1:{port + 1}", {}), ("null", {}),
                            (f"http://evil.example:{port}", {"Host": f"evil.example:{port}"}),
                            (f"http://evil.example:{port}", {"Sec-Fetch-Site": "same-origin"})):
        with pytest.raises(HTTPClientError) as refused:
            ReloadClient(port, origin, headers)
        assert refused.value.code == 403, (origin, headers)
    client = ReloadClient(port, f"http://{HOST}:{port}")
    try:
        assert client.hello == {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"],
                                "serverName": "sitegen"}
    finally:
        client.close()


@pytest.mark.browser
def test_a_page_reloads_after_an_edit_and_css_swaps_in_place(served) -> None:
    mode, site, server = served
    expect = playwright_sync.expect
    connected = ("() => window.SitegenReload && window.SitegenReload.connected" if mode == "script" else
                 "() => window.LiveReload && window.LiveReload.connector && window.LiveReload.connector.protocol >= 7")
    problems: list[str] = []
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            navigations: list[str] = []
            page.on("framenavigated", lambda frame: frame == page.main_frame and navigations.append(frame.url))
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            assert page.goto(server.url + ARTICLE, wait_until="load").status == 200

            registered = [0]  # page registrations the server had reported at the last wait

            def wait_connected() -> None:
                """Until the page's client says it is connected and the server reports a (new) page registered for
                reloads, then until every build the last change caused is done."""
                page.wait_for_function(connected, timeout=WAIT)
                server.wait_connections(registered[0] + 1)
                registered[0] = server.connections()
                server.sync()

            wait_connected()
            source = site / SOURCE
            text = source.read_text("utf-8")
            old = "That is why AI Engineers are so often among the first technical hires"
            new = "That is why AI Engineers are so often the very first technical hires"
            assert old in text
            before = len(navigations)
            written = time.monotonic()
            source.write_text(text.replace(old, new, 1), "utf-8")
            expect(page.locator("main")).to_contain_text(new, timeout=WAIT)
            assert time.monotonic() - written < SECONDS
            assert len(navigations) > before  # it reloaded itself
            wait_connected()

            css = site / "static/css/site.css"
            body = page.locator("body")
            assert body.evaluate("b => getComputedStyle(b).outlineStyle") == "none"
            page.evaluate("() => { window.__sameDocument = true; }")
            seen = list(navigations)
            with css.open("a", encoding="utf-8") as fh:
                fh.write("\nbody { outline: 3px solid rgb(255, 0, 0); }\n")
            expect(body).to_have_css("outline-color", "rgb(255, 0, 0)", timeout=WAIT)
            # the build that swapped the stylesheet sent no reload (a build sends one or the other), and after a sync
            # no other build is left to send one
            server.sync()
            assert navigations == seen and page.evaluate("() => window.__sameDocument") is True
        finally:
            browser.close()
    assert problems == []
