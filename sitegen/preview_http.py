"""The preview's HTTP side: files of the preview folder only, the reload script injected into every page, and the
problems overlay while the last build failed."""

from __future__ import annotations

import html
import mimetypes
from typing import TYPE_CHECKING

from tornado import web

if TYPE_CHECKING:
    from .serve import Preview

OVERLAY_ID = "sitegen-problems"


def overlay(problems: list[str]) -> str:
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    return (f'<div id="{OVERLAY_ID}" role="alert" style="position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;'
            'z-index:2147483647;margin:0;padding:1rem 1.25rem;background:#3b0d0c;color:#fff;'
            'font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;box-shadow:0 -4px 16px rgba(0,0,0,.4)">'
            f'<strong>Build failed: the preview shows the last good pages.</strong><ul style="margin:.5rem 0 0;padding-left:1.25rem">'
            f"{items}</ul></div>")


class SiteHandler(web.RequestHandler):
    """Serves files under the preview folder only: no '..', no encoded separators, no dotfiles, no symlinks out."""

    def initialize(self, preview: "Preview") -> None:
        self.preview = preview

    def prepare(self) -> None:
        # On loopback, only requests addressed to the preview itself: a page elsewhere whose name was re-pointed at
        # 127.0.0.1 (DNS rebinding) must not read the drafts.
        allowed = self.preview.allowed_hosts()
        if allowed is not None and self.request.host.lower() not in allowed:
            raise web.HTTPError(403)

    def compute_etag(self):
        return None  # always fresh: the preview changes under the browser's feet

    def get(self) -> None:
        self._serve(head=False)

    def head(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        path = self.preview.resolve(self.request.path)
        if isinstance(path, int):
            return self._error(path)
        if path.is_dir():
            if not self.request.path.endswith("/"):
                # one leading slash: '//blog' -> '//blog/' would send the browser to the host 'blog'
                return self.redirect("/" + self.request.path.lstrip("/") + "/", permanent=False)
            path = path / "index.html"
            if not path.is_file():
                return self._error(404)
        try:
            data = path.read_bytes()
        except OSError:
            return self._error(404)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind == "text/html":
            data = self.preview.inject(data)
        self.set_header("Content-Type", kind + ("; charset=utf-8" if kind.startswith("text/") or kind.endswith("xml") else ""))
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        if not head:
            self.write(data)

    def _error(self, status: int) -> None:
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        page = self.preview.out / "404.html"
        if status == 404 and page.is_file():
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.write(self.preview.inject(page.read_bytes()))
        else:
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.write(f"{status} {'Forbidden' if status == 403 else 'Not Found'}\n")

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code}\n")
