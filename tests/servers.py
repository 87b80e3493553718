"""A static file server for tests: a built site served on 127.0.0.1 the way a static host serves it.

`serve(directory, prefix="/insights/")` answers only below `prefix` (everything else is 404), maps a directory URL to
its index.html, redirects a directory URL without its trailing slash (301, as GitHub Pages and S3 do), never lists
a directory, and answers an unknown path with status 404 and the body of the site's own 404.html when there is one.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

HOST = "127.0.0.1"


def _normalise_prefix(prefix: str) -> str:
    prefix = "/" + prefix.strip("/") + "/"
    return "/" if prefix == "//" else prefix


class _Handler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".xml": "application/xml", ".css": "text/css", ".js": "text/javascript",
                      ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}

    def _url_path(self) -> str:
        return self.path.split("?", 1)[0].split("#", 1)[0]

    def _answer(self, method) -> None:
        path = self._url_path()
        if self.prefix != "/" and path == self.prefix.rstrip("/"):
            self.send_response(301)
            self.send_header("Location", self.prefix)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not path.startswith(self.prefix):
            self.send_error(404)
            return
        method()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(super().do_GET)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(super().do_HEAD)

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        return super().translate_path(path[len(self.prefix) - 1:] if path.startswith(self.prefix) else path)

    def list_directory(self, path):  # a directory without index.html is not found, as on a static host
        self.send_error(404)
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404, message)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - silence the access log
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A browser that drops a connection it no longer needs is not an error worth a traceback on stderr.
        pass


@contextlib.contextmanager
def serve(directory: str | os.PathLike, prefix: str = "/") -> Iterator[str]:
    """Serve `directory` under URL path `prefix` on 127.0.0.1 (a free port); yield the base URL, e.g.
    http://127.0.0.1:PORT/insights/. The server is shut down and closed on exit, whatever happens."""
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise FileNotFoundError(directory)
    prefix = _normalise_prefix(prefix)
    handler = type("Handler", (_Handler,), {"prefix": prefix})
    server = _Server((HOST, 0), partial(handler, directory=str(directory)))
    try:
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name=f"serve {directory}", daemon=True)
        thread.start()
        try:
            yield f"http://{HOST}:{server.server_address[1]}{prefix}"
        finally:
            server.shutdown()
            thread.join(timeout=5)
    finally:
        server.server_close()
