"""The preview's reload channel: a WebSocket that tells the preview's pages to reload, and the script they run.

livereload's `livereload.handlers.LiveReloadHandler` and `LiveReloadJSHandler` carry it when they are what sitegen
was tested with (livereload documents its `Server`, not these classes; `check()` verifies at start-up that they
exist with the base class, the `waiters` set and the methods used here, and that livereload.js is where the JS
handler reads it). Otherwise, or with SITEGEN_OWN_RELOAD=1, our own small tornado WebSocketHandler speaks the same
livereload protocol (the hello handshake, then `reload` commands with `path` and `liveCSS`), and livereload.js is
served from the livereload package's files if they are there, else a tiny client of ours that reloads the page, or
swaps the stylesheet for a CSS-only change (SITEGEN_OWN_RELOAD=script forces that client).

Both ways, only pages of this preview can connect: the Origin check below runs on every request.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import os
from pathlib import Path

from tornado import escape, web, websocket

ENV = "SITEGEN_OWN_RELOAD"
PROTOCOL = "http://livereload.com/protocols/official-7"

# Our client, for when livereload.js is not available: the same handshake and commands as livereload.js uses.
CLIENT_JS = """(function () {
  "use strict";
  var PROTOCOL = "%(protocol)s";
  var state = window.SitegenReload = {connected: false};
  function swapStylesheets(path) {
    var links = document.querySelectorAll('link[rel~="stylesheet"][href]'), swapped = 0;
    for (var i = 0; i < links.length; i++) {
      var link = links[i], url = new URL(link.getAttribute("href"), location.href);
      if (path !== "*" && url.pathname !== path && !url.pathname.endsWith("/" + path.replace(/^\\/+/, ""))) continue;
      url.searchParams.set("livereload", String(Date.now()));
      var fresh = link.cloneNode(false);
      fresh.href = url.href;
      fresh.addEventListener("load", function (old) { return function () { old.remove(); }; }(link));
      link.after(fresh);
      swapped++;
    }
    return swapped > 0;
  }
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/livereload");
    ws.onopen = function () { ws.send(JSON.stringify({command: "hello", protocols: [PROTOCOL]})); };
    ws.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.command === "hello") {
        ws.send(JSON.stringify({command: "info", url: location.href, plugins: {}}));
        state.connected = true;
      } else if (message.command === "reload") {
        if (!(message.liveCSS && /\\.css$/.test(message.path) && swapStylesheets(message.path))) location.reload();
      }
    };
    ws.onclose = function () { state.connected = false; setTimeout(connect, 1000); };
  }
  connect();
})();
""" % {"protocol": PROTOCOL}


class _Guarded:
    """Only pages of this preview may open the reload socket."""

    allowed_origins: frozenset[str] = frozenset()
    on_connect: list = []  # called (on the IOLoop) when a page registers for reloads (livereload's 'info')

    def _connected(self) -> None:
        for listener in list(self.on_connect):
            listener()

    def check_origin(self, origin: str) -> bool:
        return origin in self.allowed_origins

    def prepare(self) -> None:
        # tornado calls check_origin only for requests that look cross-origin to it: an Origin whose host:port equals
        # the Host header (a DNS-rebound page) or a 'Sec-Fetch-Site: same-origin' header skips it. Check every one.
        origin = self.request.headers.get("Origin")
        if origin is not None and not self.check_origin(origin):
            raise web.HTTPError(403)


def send(socket, message, waiters: set) -> None:
    """One message to one page's socket; a socket that is closed (its page is gone) leaves `waiters`."""
    if isinstance(message, dict):
        message = escape.json_encode(message)
    try:
        socket.write_message(message)
    except Exception:  # noqa: BLE001 - a closed socket: the page is gone
        waiters.discard(socket)


class OwnReloadSocket(_Guarded, websocket.WebSocketHandler):
    """The livereload protocol, as much of it as the preview uses: hello, info, then reload commands."""

    waiters: set = set()

    def on_message(self, message) -> None:
        try:
            data = escape.json_decode(message)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        if data.get("command") == "hello":
            self.send_message({"command": "hello", "protocols": [PROTOCOL], "serverName": "sitegen"})
        elif data.get("command") == "info" and "url" in data and self not in OwnReloadSocket.waiters:
            OwnReloadSocket.waiters.add(self)
            self._connected()

    def on_close(self) -> None:
        OwnReloadSocket.waiters.discard(self)

    def send_message(self, message) -> None:
        send(self, message, OwnReloadSocket.waiters)


def _package_js() -> Path | None:
    """livereload.js from the installed livereload package's files, if it is there."""
    try:
        spec = importlib.util.find_spec("livereload")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "vendors" / "livereload.js"
    return path if path.is_file() else None


class OwnScriptHandler(web.RequestHandler):
    """livereload.js from the package's files, or our client."""

    script: bytes = CLIENT_JS.encode()

    def get(self) -> None:
        self.set_header("Content-Type", "application/javascript")
        self.write(self.script)


def _livereload_classes() -> tuple[type, type] | str:
    """livereload's handler classes, when they are what this module was written against; else why not."""
    try:
        from livereload import handlers
    except Exception as exc:  # noqa: BLE001 - not installed, or broken on import
        return f"livereload.handlers is not importable: {exc!r}"
    socket_cls = getattr(handlers, "LiveReloadHandler", None)
    js_cls = getattr(handlers, "LiveReloadJSHandler", None)
    if not (inspect.isclass(socket_cls) and issubclass(socket_cls, websocket.WebSocketHandler)):
        return "livereload.handlers.LiveReloadHandler is not a tornado WebSocketHandler"
    if not isinstance(getattr(socket_cls, "waiters", None), set):
        return "LiveReloadHandler.waiters is not a set"
    for name in ("on_message", "on_close", "send_message", "write_message"):
        if not callable(getattr(socket_cls, name, None)):
            return f"LiveReloadHandler.{name} is missing"
    if "on_message" not in vars(socket_cls) or "on_close" not in vars(socket_cls):
        return "LiveReloadHandler no longer implements the handshake itself"
    if not (inspect.isclass(js_cls) and issubclass(js_cls, web.RequestHandler) and "get" in vars(js_cls)):
        return "livereload.handlers.LiveReloadJSHandler is not a RequestHandler with get()"
    if not (Path(handlers.__file__).parent / "vendors" / "livereload.js").is_file():
        return "livereload.js is not where LiveReloadJSHandler reads it"
    return socket_cls, js_cls


@functools.cache
def check() -> tuple[type, type, set, str]:
    """(socket handler class, script handler class, the set of connected pages, which way), once per process."""
    forced = os.environ.get(ENV, "")
    found = _livereload_classes() if forced in ("", "0") else f"{ENV}={forced}"
    if not isinstance(found, str):
        socket_cls, js_cls = found

        class LiveReloadSocket(_Guarded, socket_cls):
            """livereload's WebSocket handler, but only for pages of this preview (a page elsewhere cannot connect)."""

            def on_message(self, message) -> None:
                known = self in socket_cls.waiters
                super().on_message(message)
                if not known and self in socket_cls.waiters:  # its 'info': the page now gets reloads
                    self._connected()

            def send_message(self, message) -> None:
                # livereload's own catches everything with a bare except, Ctrl-C (KeyboardInterrupt) included: a
                # Ctrl-C that arrived while a page was saying hello was swallowed and the server kept running
                send(self, message, socket_cls.waiters)

        return LiveReloadSocket, js_cls, socket_cls.waiters, "livereload"
    js = _package_js() if forced != "script" else None
    script = type("Script", (OwnScriptHandler,), {"script": js.read_bytes() if js is not None else CLIENT_JS.encode()})
    return OwnReloadSocket, script, OwnReloadSocket.waiters, \
        f"sitegen's own ({found}; client: {'livereload.js' if js is not None else 'built in'})"


def handlers(allowed_origins: frozenset[str], on_connect: list | None = None) -> list[tuple]:
    """The routes of the reload socket and script, for pages at these origins only; `on_connect` (a list of
    callables) is called each time a page registers for reloads."""
    socket_cls, js_cls, _waiters, _way = check()
    socket_cls.allowed_origins = allowed_origins
    socket_cls.on_connect = on_connect if on_connect is not None else []
    return [(r"/livereload", socket_cls), (r"/livereload\.js", js_cls)]


def push_reload(path: str, live_css: bool) -> None:
    """Send livereload's 'reload' command to every connected page (run on the IOLoop's thread)."""
    waiters = check()[2]
    message = {"command": "reload", "path": path, "liveCSS": live_css, "liveImg": True}
    for waiter in list(waiters):
        try:
            waiter.write_message(message)
        except Exception:  # noqa: BLE001 - a closed socket must not stop the others
            waiters.discard(waiter)
