"""`python build.py serve`: preview with live reload.

The livereload package carries the reload to the browser (its livereload.js client and WebSocket handler, served
by tornado), through sitegen/reload.py, which checks them at start-up and has a fallback of its own. Everything
else is ours, because the package alone drops reloads inside a 3-second window, polls the disk and rebuilds once
per changed file: watchdog watches the sources, bursts of events
become one rebuild, one build runs at a time (a save during a build causes exactly one more), the build is
incremental (pipeline.Session), and we push the reload ourselves after every build that changed something. A
CSS-only change is pushed as a live stylesheet swap. A failed build keeps the last good pages and shows its
problems in an overlay on every page. Only files under the preview folder are served.
"""

from __future__ import annotations

import collections
import errno
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from tornado import ioloop, web
from tornado.httpserver import HTTPServer
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from .options import Options, today
from .errors import BuildError
from .pipeline import Result, Session
from .preview_http import SiteHandler, overlay
from .reload import handlers as reload_handlers, push_reload
from .sources import SOURCE_FOLDERS
from .watch import Builder, Events
from . import search, search_preview
from .write import output_lock

WATCHED = SOURCE_FOLDERS


# -- the browser side -------------------------------------------------------------------------------------------

# -- the server side --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BuildOutcome:
    """What one preview build did: Preview.wait_for_build returns these, Preview.on_build listeners receive them."""

    number: int  # 1 for the first build, then 2, 3 ... in the order they ran
    changed: tuple[str, ...]  # what the watcher reported, site-relative where possible (empty for the first build)
    result: Result | None  # None when the build failed
    problems: tuple[str, ...] = ()  # the failed build's problems, as printed

    @property
    def ok(self) -> bool:
        return self.result is not None


class Preview:
    """One preview: a folder of built pages, the server that shows them and the builder that refreshes them."""

    def __init__(self, site: Path, port: int = 8000, bind: str = "127.0.0.1", port_given: bool = False,
                 poll: bool = False, jobs: int | None = None, out: Path | None = None, quiet: bool = False):
        self.site = site.resolve()
        self.bind = bind
        self.poll = poll
        self.quiet = quiet
        self.problems: list[str] = []
        self.sockets, self.port = bind_port(bind, port, port_given)
        self._own_out = out is None
        self.out = (out or Path(tempfile.mkdtemp(prefix="sitegen-preview-"))).resolve()
        self.session: Session | None = None
        self.jobs = jobs
        self.loop: ioloop.IOLoop | None = None
        self.builder = Builder(self)
        self.observer = None
        self.base_path = "/"
        self.builds = 0  # successful builds
        self.ready = threading.Event()  # set once the first build is done and the server listens
        # Build events, for tests and tools that wait for a build instead of sleeping: listeners are called on the
        # builder's thread, on_build_start with (number, changed) before a build, on_build with its BuildOutcome
        # after it; wait_for_build() waits for one.
        self.on_build_start: list[Callable[[int, tuple[str, ...]], None]] = []
        self.on_build: list[Callable[[BuildOutcome], None]] = []
        self.on_connect: list[Callable[[], None]] = []  # a page registered for reloads (called on the IOLoop)
        self.outcomes: collections.deque[BuildOutcome] = collections.deque(maxlen=256)  # the latest builds
        self.built = threading.Condition()
        self._started = 0
        # search hook: the index is renewed in a thread of its own after each build that changed pages
        # (sitegen/search_preview.py); on_index listeners get (build number, problem or None), wait_for_index() waits
        self.on_index: list[Callable[[int, str | None], None]] = []
        self.indexed: collections.deque[tuple[int, str | None]] = collections.deque(maxlen=256)
        self.indexer = search_preview.PreviewIndexer(self.out, self._search_language, lambda: output_lock(self.out),
                                             self._index_done)

    def allowed_hosts(self) -> set[str] | None:
        """The Host headers a loopback preview answers; None (any) when bound to another address on purpose."""
        if self.bind not in ("127.0.0.1", "localhost", "::1"):
            return None
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}"}

    # paths ----------------------------------------------------------------------------------------------------
    def resolve(self, raw_path: str) -> Path | int:
        """The file for a request path, or an HTTP status (403/404) when it must not be served."""
        lowered = raw_path.lower()
        if "%2f" in lowered or "%5c" in lowered or "\\" in raw_path or "\0" in raw_path or "%00" in lowered:
            return 403
        path = unquote(raw_path)
        if not path.startswith(self.base_path):
            return 404
        parts = [p for p in path[len(self.base_path):].split("/") if p]
        if any(p in (".", "..") or p.startswith(".") for p in parts):
            return 403 if any(p in (".", "..") for p in parts) else 404
        target = self.out.joinpath(*parts)
        try:
            real = target.resolve(strict=True)
        except (FileNotFoundError, RuntimeError, OSError):
            return 404
        if real != self.out and self.out not in real.parents:
            return 403  # a symlink pointing out of the preview folder
        return real

    def inject(self, page: bytes) -> bytes:
        """livereload's client on every HTML page, and the problems overlay while the last build failed."""
        script = (f'<script src="/livereload.js?port={self.port}"></script>').encode()
        extra = overlay(self.problems).encode() if self.problems else b""
        marker = b"</body>"
        index = page.rfind(marker)
        if index < 0:
            return page + extra + script
        return page[:index] + extra + script + page[index:]

    # building --------------------------------------------------------------------------------------------------
    def options(self) -> Options:
        base = f"http://{'127.0.0.1' if self.bind in ('127.0.0.1', '0.0.0.0', '::') else self.bind}:{self.port}/"
        return Options(drafts=True, future=True, today=today(), base_url=base, fingerprint=False)

    def _relative(self, changed: set[str] | None) -> tuple[str, ...]:
        names = []
        for path in changed or ():
            try:
                names.append(Path(path).relative_to(self.site).as_posix())
            except ValueError:
                names.append(path)
        return tuple(sorted(names))

    def _finished(self, outcome: BuildOutcome) -> None:
        with self.built:
            self.outcomes.append(outcome)
            self.built.notify_all()
        for listener in list(self.on_build):
            listener(outcome)

    def wait_for_build(self, test: Callable[[BuildOutcome], bool] | None = None, after: int = 0,
                       timeout: float = 60) -> BuildOutcome:
        """The first build numbered above `after` that passes `test` (any build without one), once it is done;
        TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.built:
            while True:
                for outcome in self.outcomes:
                    if outcome.number > after and (test is None or test(outcome)):
                        return outcome
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no such build within {timeout} s (builds so far: {len(self.outcomes)})")
                self.built.wait(left)

    def _search_language(self) -> str:
        state = self.session.state if self.session is not None else None
        return search.language(state[0].site) if state else "en"

    def _index_done(self, number: int, problem: str | None) -> None:
        if problem is not None and not self.quiet:
            print(problem, file=sys.stderr, flush=True)
        with self.built:
            self.indexed.append((number, problem))
            self.built.notify_all()
        for listener in list(self.on_index):
            listener(number, problem)

    def wait_for_index(self, after: int = 0, timeout: float = 120) -> tuple[int, str | None]:
        """The first search index made after build number `after` (build number, problem or None)."""
        deadline = time.monotonic() + timeout
        with self.built:
            while True:
                for done in self.indexed:
                    if done[0] > after:
                        return done
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no search index after build {after} within {timeout} s")
                self.built.wait(left)

    def build(self, changed: set[str] | None) -> Result | None:
        self._started += 1
        number, names = self._started, self._relative(changed)
        for listener in list(self.on_build_start):
            listener(number, names)
        try:
            result = self._build(changed)
        except BaseException as exc:
            self._finished(BuildOutcome(number, names, None, (repr(exc),)))
            raise
        self._finished(BuildOutcome(number, names, result, tuple(self.problems) if result is None else ()))
        if result is not None and (number == 1 or any(f.endswith(".html") for f in result.written + result.removed)):
            self.indexer.request(number)  # after the reload was sent: indexing never delays it
        return result

    def _build(self, changed: set[str] | None) -> Result | None:
        started = time.perf_counter()
        if self.session is None:
            self.session = Session(self.site, self.out, self.options(), jobs=self.jobs, in_place=True, progress=False)
        try:
            result = self.session.build(changed)
        except BuildError as exc:
            problems = [str(p) for p in exc.problems]
            news, self.problems = problems != self.problems, problems
            for line in self.problems:
                print(line, file=sys.stderr, flush=True)
            print(f"build failed: {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}; "
                  "the preview keeps the last good pages", file=sys.stderr, flush=True)
            if news:  # the same problems again: the pages already show them
                self.announce("*", live_css=False)
            return None
        had_problems, self.problems = bool(self.problems), []
        self.builds += 1
        if not self.quiet:
            print(f"rebuilt in {(time.perf_counter() - started) * 1000:.0f} ms: {len(result.written)} changed, "
                  f"{len(result.removed)} removed", flush=True)
        changed_files = list(result.written) + list(result.removed)
        if had_problems or any(not f.endswith(".css") for f in changed_files):
            self.announce("*", live_css=False)
        elif changed_files:
            for css in changed_files:
                self.announce(self.base_path + css, live_css=True)
        return result

    def announce(self, path: str, live_css: bool) -> None:
        if self.loop is not None:
            self.loop.add_callback(push_reload, path, live_css)

    # running ---------------------------------------------------------------------------------------------------
    def start_watching(self) -> None:
        self.observer = (PollingObserver(timeout=0.5) if self.poll else Observer())
        handler = Events(self)
        for name in WATCHED:
            folder = self.site / name
            if folder.is_dir():
                self.observer.schedule(handler, str(folder), recursive=True)
        self.observer.start()

    def application(self) -> web.Application:
        hosts = {f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}", f"http://{self.bind}:{self.port}"}
        return web.Application([
            *reload_handlers(frozenset(hosts), self.on_connect),
            (r"/.*", SiteHandler, {"preview": self}),
        ], websocket_ping_interval=0, log_function=lambda handler: None)

    def serve_forever(self, open_browser: bool = False) -> None:
        """Build, then serve until Ctrl-C (or stop())."""
        server = None
        try:  # Ctrl-C during the first build too must remove the preview folder
            self.build(None)
            if self.session is not None:
                self.base_path = self.session.site_base_path or "/"
            self.start_watching()
            self.loop = ioloop.IOLoop.current()
            server = HTTPServer(self.application(), xheaders=False)
            server.add_sockets(self.sockets)
            self.builder.start()
            url = f"http://{'127.0.0.1' if self.bind in ('0.0.0.0', '::') else self.bind}:{self.port}{self.base_path}"
            print(f"serving {self.site} at {url} (Ctrl-C to stop)", flush=True)
            if open_browser:
                threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
            self.ready.set()
            self.loop.start()
        finally:
            if server is not None:
                server.stop()
            self.close()

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.add_callback(self.loop.stop)

    def close(self) -> None:
        self.builder.stop()
        self.indexer.stop()
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=5)
        if self.session is not None:
            self.session.close()
        if self._own_out:
            shutil.rmtree(self.out, ignore_errors=True)


def bind_port(bind: str, port: int, port_given: bool) -> tuple[list[socket.socket], int]:
    """Listening sockets on `bind`:`port`; when the default port is busy, the next free one (not for --port)."""
    from tornado.netutil import bind_sockets

    for candidate in ([port] if port_given else range(port, port + 50)):
        try:
            sockets = bind_sockets(candidate, address=bind, reuse_port=False)
            return sockets, sockets[0].getsockname()[1]
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
    raise OSError(errno.EADDRINUSE, f"port {port} is in use" + ("" if port_given else f" (tried up to {port + 49})"))


def trace(preview: Preview, stream=None) -> None:
    """SITEGEN_PREVIEW_TRACE=1: one line `trace: {json}` on stdout when each build starts and ends (with the paths
    the watcher reported) and when a page registers for reloads, so that a program driving the preview (the tests)
    can wait for these events instead of sleeping."""
    lock = threading.Lock()

    def emit(record: dict) -> None:
        line = "trace: " + json.dumps(record, separators=(",", ":")) + "\n"
        out = stream or sys.stdout
        with lock:
            out.write(line)
            out.flush()

    preview.on_build_start.append(lambda number, changed: emit({"event": "start", "build": number,
                                                                 "changed": list(changed)}))
    preview.on_build.append(lambda o: emit({"event": "done", "build": o.number, "ok": o.ok,
                                            "changed": list(o.changed)}))
    preview.on_connect.append(lambda: emit({"event": "connected"}))
    preview.on_index.append(lambda number, problem: emit({"event": "indexed", "build": number, "ok": problem is None}))


def run(site: Path, port: int, bind: str, port_given: bool, open_browser: bool, poll: bool, jobs: int | None) -> int:
    # Ctrl-C (SIGINT) stops the preview, the first build included, even when it was started with SIGINT ignored
    # (a script's background job inherits that), as `hugo server` does: Python itself installs its handler only
    # when SIGINT is not ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if bind not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {bind}: other machines on the network can see the preview (drafts included)",
              file=sys.stderr)
    try:
        preview = Preview(site, port=port, bind=bind, port_given=port_given, poll=poll, jobs=jobs)
    except OSError as exc:
        print(f"error: cannot listen on {bind}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if os.environ.get("SITEGEN_PREVIEW_TRACE") == "1":
        trace(preview)

    def terminate(signum, frame):  # `kill`, `timeout`, a container stop: clean up as for Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        preview.serve_forever(open_browser)
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
    return 0
