#!/usr/bin/env python3
"""sitegen against its peers (issue 18 point 1): Hugo, Eleventy 3 and Pelican on the same generated articles.

    make bench                                        # 4,000 articles, 3 repeats, every comparison
    python bench/compare.py --n 500 --repeat 1        # small, while developing
    python bench/compare.py --only cold,preview_article --peers hugo
    python bench/compare.py --list

For each N: bench/generate.py makes the site (bench/sites/n<N>/), bench/peers/convert.py makes its Hugo, Eleventy
and Pelican copies (bench/sites/n<N>-peers/). Each repeat then runs, for every comparison in COMPARISONS, our
scenario (bench/run.py's, on the same site as `bench/run.py`) and the peers' runs next to it, alternating the order
(ours first on even repeats, the peers first on odd ones), so a slow spell of the host hits both sides. The table
shows medians over the repeats and ratio = ours / peer (below 1: we are faster). Every run records the wall time
and the peak summed RSS of its whole process tree (run.py's TreeMonitor). Results: bench/results/compare.json.

Measuring starts at once: no waiting for the disk to settle (a probe is recorded, not waited on).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import json
import os
import queue
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH / "peers"))
import convert  # noqa: E402  (bench/peers/convert.py)
import run  # noqa: E402  (bench/run.py: the measuring, our scenarios, the environment report)
from run import BuildFailed, Context, Measurement  # noqa: E402

PEERS_DIR = BENCH / "peers"
PEER_VENV = PEERS_DIR / ".venv"
NODE_MODULES = PEERS_DIR / "node_modules"
DEFAULT_SIZES = (4000,)
DEFAULT_REPEAT = 3
PREVIEW_EDITS = 5  # timed edits per preview run (one more, untimed, warms the server up)
EDIT_SENTENCE = b"\nThis sentence was added by bench/run.py to measure a one-article rebuild.\n"  # run.py's edit
OURS_REBUILT_RE = re.compile(r"^rebuilt in (\d+) ms")
HUGO_REBUILT_RE = re.compile(r"^(?:Total|Rebuilt) in (\d+(?:\.\d+)?) ?(ms|s)\b")


def preview_edit(b: bytes, i: int) -> bytes:
    """run.py's preview edit: a sentence before the first ## heading (a different one each time)."""
    return b.replace(b"\n## ", f"\nEdited by the benchmark ({i}).\n\n## ".encode(), 1)


# --------------------------------------------------------------------------------------------------------------
# The peers


class Peer:
    """One peer site under bench/sites/n<N>-peers/<name>/: how to build it, what a cold build clears."""

    name = ""
    out_name = ""
    clear_names: tuple[str, ...] = ()  # besides the output: caches a cold build must not find

    def __init__(self, root: Path, env: dict[str, str], timeout: float | None, n: int, python: str = sys.executable):
        self.root, self.env, self.timeout, self.n, self.python = root, env, timeout, n, python
        self.backups: dict[Path, bytes] = {}

    @property
    def out(self) -> Path:
        return self.root / self.out_name

    def argv(self, same_work: bool = False) -> list[str]:
        raise NotImplementedError

    def same_work_argv(self) -> list[str]:
        """The build doing the work ours does beyond pages (with BENCH_SAME_WORK=1 in its environment: the lead
        images' variants and the social cards, see its theme), then Pagefind over its output, as one command."""
        pagefind = [str(pagefind_binary(self.python)), "--site", str(self.out), "--force-language", "en", "--silent"]
        return ["sh", "-c", f"{shlex.join(self.argv(same_work=True))} && {shlex.join(pagefind)}"]

    def build(self, same_work: bool = False) -> Measurement:
        os.sync()  # as for our builds: the previous run's files are written back now, not during this one
        argv = self.same_work_argv() if same_work else self.argv()
        env = {**self.env, "BENCH_SAME_WORK": "1" if same_work else "0"}
        m, stdout, stderr = run.measure(argv, env=env, cwd=self.root, timeout=self.timeout,
                                        log=run.RESULTS / f"n{self.n}-{self.name}-last")
        if m.returncode != 0:
            tail = "\n".join((stderr or stdout).strip().splitlines()[-15:])
            raise BuildFailed(f"{self.name} failed (exit status {m.returncode}): {' '.join(argv)}\n{tail}")
        m.pages = sum(1 for _r, _d, files in os.walk(self.out) for f in files if f.endswith(".html"))
        m.extra["log_tail"] = [line for line in (stdout + stderr).strip().splitlines()[-12:]]
        return m

    def clear(self) -> None:
        for name in (self.out_name, *self.clear_names):
            if (self.root / name).exists():
                run.discard(self.root / name)

    def edit(self, rel: str, change: Callable[[bytes], bytes]) -> None:
        path = self.root / rel
        original = path.read_bytes()
        self.backups.setdefault(path, original)
        path.write_bytes(change(original))

    def restore(self) -> None:
        for path, data in self.backups.items():
            path.write_bytes(data)
        self.backups.clear()

    def article_rel(self, name: str) -> str:
        """Where content/<name> of our site is in this peer's site."""
        raise NotImplementedError

    # scenarios -----------------------------------------------------------------------------------------------
    def cold(self, ours_rel: str) -> Measurement:
        self.clear()
        return self.build()

    def cold_same(self, ours_rel: str) -> Measurement:
        """A cold build that does the same work as ours: see same_work_argv."""
        self.clear()
        return self.build(same_work=True)

    def no_change(self, ours_rel: str) -> Measurement:
        if not self.out.exists():
            self.build()
        return self.build()

    def one_article(self, ours_rel: str) -> Measurement:
        if not self.out.exists():
            self.build()
        rel = self.article_rel(Path(ours_rel).name)
        self.edit(rel, lambda b: b + EDIT_SENTENCE)
        m = self.build()
        m.extra["edited"] = rel
        return m


def hugo_binary() -> Path:
    found = sorted(PEER_VENV.glob("lib/python*/site-packages/hugo/binaries/hugo"))
    if not found:
        raise SystemExit(f"error: Hugo is not installed in {PEER_VENV} (run `make bench`, which installs the peers)")
    return found[0]  # the binary itself: the `hugo` script around it would add a Python start-up to every run


@functools.cache
def pagefind_binary(python: str) -> Path:
    """The Pagefind program our build runs (sitegen/search.py under `python`, the interpreter that runs build.py), so
    that both sides index with the same one."""
    code = "from sitegen import search; print(search.executable())"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return Path(out.stdout.strip())


class Hugo(Peer):
    name, out_name, clear_names = "hugo", "public", (".hugo-cache", "resources")

    def argv(self, same_work: bool = False) -> list[str]:
        # samework.toml, merged over hugo.toml, turns the same work on
        return [str(hugo_binary()), *(["--config", "hugo.toml,samework.toml"] if same_work else []),
                "--source", str(self.root), "--destination", str(self.out), "--cacheDir", str(self.root / ".hugo-cache")]

    def article_rel(self, name: str) -> str:
        return f"content/blog/{name}"

    @staticmethod
    def version() -> str:
        text = subprocess.run([str(hugo_binary()), "version"], capture_output=True, text=True).stdout
        match = re.search(r"v(\d+\.\d+\.\d+)(\S*)", text)
        return (match.group(1) + ("+extended" if "extended" in match.group(2) else "")) if match else text.strip()

    def preview(self, ours_rel: str) -> Measurement:
        """`hugo server` on 127.0.0.1 (its defaults otherwise: fast render mode, pages rendered to disk), the same
        edits as ours; the figure is Hugo's own "Total in N ms" after each change."""
        rel = self.article_rel(Path(ours_rel).name)
        port = run.free_port()
        dest = self.root / ".server-public"
        argv = [str(hugo_binary()), "server", "--source", str(self.root), "--bind", "127.0.0.1", "--port", str(port),
                "--destination", str(dest), "--cacheDir", str(self.root / ".hugo-cache")]
        proc, lines = start_server(argv, self.env, self.root)
        logged, walls = [], []
        try:
            wait_for_line(proc, lines, lambda line: line.startswith("Web Server is available"), self.timeout or 600,
                          "hugo server")
            time.sleep(0.5)
            for i in range(PREVIEW_EDITS + 1):
                started = time.perf_counter()
                self.edit(rel, lambda b: preview_edit(b, i))
                match = wait_for_line(proc, lines, HUGO_REBUILT_RE.match, 120, "hugo server's rebuild")
                wall = time.perf_counter() - started
                ms = float(match.group(1)) * (1000 if match.group(2) == "s" else 1)
                if i:
                    logged.append(ms / 1000)
                    walls.append(wall)
                time.sleep(0.3)
        finally:
            stop_server(proc)
            self.restore()
            if dest.exists():
                run.discard(dest)
        return Measurement(seconds=statistics.median(logged), extra={
            "edited": rel, "logged_ms": [round(x * 1000, 1) for x in logged],
            "write_to_log_line_ms": [round(x * 1000, 1) for x in walls], "mode": "fast render (hugo server's default)"})


class Eleventy(Peer):
    name, out_name, clear_names = "eleventy", "_site", (".cache",)

    def argv(self, same_work: bool = False) -> list[str]:  # same work: BENCH_SAME_WORK=1, read by its config
        return ["node", str(NODE_MODULES / "@11ty/eleventy/cmd.cjs"), "--quiet", f"--output={self.out}"]

    def article_rel(self, name: str) -> str:
        return f"blog/{name}"

    @staticmethod
    def version() -> str:
        data = json.loads((NODE_MODULES / "@11ty/eleventy/package.json").read_text(encoding="utf-8"))
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        return f"{data['version']} (node {node.lstrip('v')})"


class Pelican(Peer):
    name, out_name, clear_names = "pelican", "output", ("cache", "__pycache__")

    def argv(self, same_work: bool = False) -> list[str]:  # no same-work mode: Pelican has no image processing of its own
        return [str(PEER_VENV / "bin" / "pelican"), "content", "-s", "pelicanconf.py", "-o", str(self.out), "-q"]

    def article_rel(self, name: str) -> str:
        return f"content/{name}"

    @staticmethod
    def version() -> str:
        code = ("import importlib.metadata as m; print(m.version('pelican'), 'markdown', m.version('markdown'))")
        return subprocess.run([str(PEER_VENV / "bin" / "python"), "-c", code], capture_output=True, text=True).stdout.strip()


PEER_CLASSES = {"hugo": Hugo, "eleventy": Eleventy, "pelican": Pelican}


# --------------------------------------------------------------------------------------------------------------
# Servers


def start_server(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, queue.Queue]:
    """Start a preview server in its own process group; its output lines arrive in the queue as they are printed."""
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return proc, lines


def wait_for_line(proc: subprocess.Popen, lines: queue.Queue, test: Callable, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise BuildFailed(f"{what}: nothing after {timeout:.0f} s")
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            continue
        if line is None:
            raise BuildFailed(f"{what}: the server stopped (exit status {proc.poll()})")
        found = test(line)
        if found:
            return found


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            run._kill_group(proc.pid)
            proc.wait(timeout=15)


def preview_ours(ctx: Context) -> Measurement:
    """`build.py serve` on 127.0.0.1: the time from writing the article to the reload message on the reload
    WebSocket (what a browser waits for), and the server's own "rebuilt in N ms" for the same edits."""
    rel = run.middle_article(ctx.site)
    port = run.free_port()
    argv = [ctx.python, str(ctx.cli.build_py), "serve", "--site", str(ctx.site), "--port", str(port)]
    proc, lines = start_server(argv, ctx.env, REPO)
    reloads, logged = [], []
    try:
        wait_for_line(proc, lines, lambda line: line.startswith("serving "), ctx.timeout or 600, "build.py serve")

        async def edits() -> None:
            ws = await run.reload_socket(port)
            for i in range(PREVIEW_EDITS + 1):
                started = time.perf_counter()
                ctx.edit(rel, lambda b: preview_edit(b, i))
                message = await asyncio.wait_for(ws.read_message(), timeout=120)
                if message is None:
                    raise BuildFailed("the preview closed the reload socket")
                took = time.perf_counter() - started
                match = wait_for_line(proc, lines, OURS_REBUILT_RE.match, 30, "build.py serve's rebuild line")
                if i:
                    reloads.append(took)
                    logged.append(int(match.group(1)) / 1000)
                await asyncio.sleep(0.3)
            ws.close()

        asyncio.run(edits())
    finally:
        stop_server(proc)
        ctx.restore()
    return Measurement(seconds=statistics.median(reloads), extra={
        "edited": rel, "reload_sent_ms": [round(x * 1000, 1) for x in reloads],
        "logged_ms": [round(x * 1000, 1) for x in logged], "logged_median_s": statistics.median(logged)})


CI_SOURCES = ("content", "data", "templates", "static", "schemas")  # what a checkout of the site holds


def _fresh_clone(site: Path, clone: Path) -> None:
    """What a CI checkout gives: the sources in new files (new inodes and times), no output, no cache."""
    import shutil

    if clone.exists():
        run.discard(clone)
    clone.mkdir(parents=True)
    for name in CI_SOURCES:
        if (site / name).exists():
            shutil.copytree(site / name, clone / name)


def scenario_ci(ctx: Context) -> Measurement:
    """A publisher's CI run with the cache step (README, Deploying): a fresh clone, `.sitegen-cache` restored from
    the previous run, one article edited, `python build.py`. The previous run is made first, untimed, in a clone at
    the same path (CI builds in the same folder every time), and its cache is what the timed build restores."""
    import shutil

    clone = run.SITES / f"{ctx.site.name}-ci"
    saved = run.SITES / f".{ctx.site.name}-ci-cache"
    if saved.exists():
        run.discard(saved)
    _fresh_clone(ctx.site, clone)
    if ctx.cache_present():  # seeds the previous run, so that it is not a cold build itself
        # CI builds once per job into a missing output/, so its cache never holds a kept previous output
        shutil.copytree(ctx.site / ".sitegen-cache", clone / ".sitegen-cache",
                        ignore=shutil.ignore_patterns("previous-output"))
    previous = Context(n=ctx.n, site=clone, out=clone / "output", cli=ctx.cli, jobs=ctx.jobs, timeout=ctx.timeout,
                       env=ctx.env)
    previous.build()  # the previous CI run (untimed); actions/cache saves its cache at the end of the job
    os.rename(clone / ".sitegen-cache", saved)
    _fresh_clone(ctx.site, clone)  # the next CI run: a fresh checkout ...
    os.rename(saved, clone / ".sitegen-cache")  # ... the cache restored ...
    this = Context(n=ctx.n, site=clone, out=clone / "output", cli=ctx.cli, jobs=ctx.jobs, timeout=ctx.timeout,
                   env=ctx.env)
    rel = run.middle_article(clone)
    this.edit(rel, lambda b: b + EDIT_SENTENCE)  # ... and the commit that triggered it edited one article
    try:
        m = this.build()
    finally:
        run.discard(clone)
    m.extra["edited"] = rel
    return m


# --------------------------------------------------------------------------------------------------------------
# What is compared


@dataclass
class Comparison:
    name: str  # --only and the JSON
    label: str
    about: str
    ours: Callable[[Context], Measurement]
    peers: tuple[tuple[str, str], ...]  # (peer, its scenario method)
    reuses: str | None = None  # a comparison of the same repeat whose run of ours this one reads, when it runs too


COMPARISONS = [
    Comparison("cold", "cold full build", "no cache, empty output; each peer: its cold build (output and caches cleared)",
               run.scenario_cold, (("eleventy", "cold"), ("pelican", "cold"), ("hugo", "cold"))),
    Comparison("cold_same", "cold, peers same work",
               "ours: the cold build (the `cold` comparison's run when both run); Eleventy and Hugo: a cold build that "
               "also makes the lead images' WebP and JPEG variants and the social cards, then Pagefind's index",
               run.scenario_cold, (("eleventy", "cold_same"), ("hugo", "cold_same")), reuses="cold"),
    Comparison("warm", "warm full build", "our cache present, output empty; Hugo: a cold build (it keeps no such cache)",
               run.scenario_warm, (("hugo", "cold"),)),
    Comparison("no_change", "no-change build", "nothing edited, output present; Hugo: its build with output present",
               run.scenario_no_change, (("hugo", "no_change"),)),
    Comparison("one_article", "one-article rebuild", "one article's body edited; Hugo: its build after the same edit",
               run.scenario_one_article, (("hugo", "one_article"),)),
    Comparison("ci", "CI: clone+cache+1 edit",
               "fresh clone, .sitegen-cache restored, one article edited, empty output; Hugo: a cold build (CI's)",
               scenario_ci, (("hugo", "cold"),)),
    Comparison("preview_article", "preview: article edit",
               "serve: write -> reload sent (median of 5); hugo server: its logged 'Total in N ms' for the same edit",
               preview_ours, (("hugo", "preview"),)),
]


def groups(chosen: list[Comparison]) -> list[tuple[Comparison, tuple[Comparison, ...]]]:
    """The chosen comparisons with the ones that reuse each one's run of ours (its riders, whose peers run in the
    same alternated list, after ours or before it); a comparison whose reused one is not chosen runs on its own."""
    names = {c.name for c in chosen}
    return [(c, tuple(d for d in chosen if d.reuses == c.name)) for c in chosen if c.reuses not in names]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare sitegen's builds with Hugo, Eleventy and Pelican.")
    parser.add_argument("--n", type=run.parse_sizes, default=list(DEFAULT_SIZES), metavar="N[,N...]",
                        help="article counts (default: 4000)")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, metavar="K", help="repeats; medians shown (default 3)")
    parser.add_argument("--only", default=None, metavar="NAME[,NAME...]", help="these comparisons only (see --list)")
    parser.add_argument("--peers", default="hugo,eleventy,pelican", help="which peers (default: all three)")
    parser.add_argument("--list", action="store_true", help="list the comparisons and exit")
    parser.add_argument("--markdown", type=Path, default=None, metavar="JSON",
                        help="print the table of a results file as Markdown (for bench/README.md) and exit")
    parser.add_argument("--jobs", type=int, default=None, help="passed to our `build --jobs`")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--timeout", type=float, default=None, metavar="S", help="kill a build that runs longer than S s")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs build.py (default: this one)")
    parser.add_argument("--json", type=Path, default=run.RESULTS / "compare.json", help="where to write the results")
    args = parser.parse_args(argv)

    if args.markdown:
        print(markdown_table(json.loads(args.markdown.read_text(encoding="utf-8"))))
        return 0
    if args.list:
        for c in COMPARISONS:
            print(f"{c.name:16} {c.label:24} vs {', '.join(p for p, _ in c.peers):24} {c.about}")
        return 0
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    chosen = COMPARISONS
    if args.only:
        chosen = run.pick(args.only, COMPARISONS, "comparison", parser)
    peer_names = [p.strip() for p in args.peers.split(",") if p.strip()]
    if unknown := [p for p in peer_names if p not in PEER_CLASSES]:
        parser.error(f"--peers: unknown {', '.join(unknown)} (known: {', '.join(PEER_CLASSES)})")

    cli = run.inspect_cli(args.python)
    info_machine, info_versions = run.machine(), run.versions()
    peer_versions = {name: PEER_CLASSES[name].version() for name in peer_names}
    print(f"cores: {info_machine['cpu_count']} (usable: {info_machine['usable_cpus']})   memory: {info_machine['memory_gb']} GB"
          f"   load average: {' '.join(map(str, info_machine['load_average']))}")
    if info_machine["cpu_model"]:
        print(f"cpu: {info_machine['cpu_model']}")
    print(f"ours: sitegen {info_versions['sitegen']} (python {info_machine['python']}, revision {run.git_revision()})")
    print("peers: " + "   ".join(f"{k} {v}" for k, v in peer_versions.items()), flush=True)
    run.empty_trash()
    probes = run.disk_probe()
    env = run.build_env()
    report = {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": info_machine, "versions": info_versions, "peer_versions": peer_versions,
        "revision": run.git_revision(),
        "config": {"sizes": args.n, "repeat": args.repeat, "comparisons": [c.name for c in chosen], "peers": peer_names,
                   "jobs": args.jobs, "source_date_epoch": run.SOURCE_DATE_EPOCH},
        "disk_probe_us": probes, "cpu_probe_ms": {"start": run.cpu_probe_ms()}, "results": [], "errors": [],
    }
    print(f"cpu probe: {report['cpu_probe_ms']['start']} ms\n", flush=True)

    def save() -> None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.json.with_suffix(".tmp")
        tmp.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, args.json)

    rows: list[dict] = []
    status = 0
    for n in args.n:
        print(f"N = {n}", flush=True)
        site = run.ensure_site(n, args.seed)
        peers_root = run.SITES / f"{site.name}-peers"
        started = time.perf_counter()
        if convert.ensure(site, peers_root, NODE_MODULES):
            print(f"  converted for the peers into {peers_root.relative_to(REPO)} in {time.perf_counter() - started:.1f} s",
                  flush=True)
        peers = {name: PEER_CLASSES[name](peers_root / name, env, args.timeout, n, args.python) for name in peer_names}
        samples: dict[tuple[str, str], list[Measurement]] = {}
        try:
            for rep in range(args.repeat):
                ctx = Context(n=n, site=site, out=site / "output", cli=cli, jobs=args.jobs, timeout=args.timeout, env=env)
                rel = run.middle_article(site)
                try:
                    for c, riders in groups(chosen):
                        runs = [(d, p, (lambda p=p, how=how: getattr(peers[p], how)(rel)))
                                for d in (c, *riders) for p, how in d.peers if p in peers]
                        if not runs:
                            continue
                        runs.insert(0, (c, "sitegen", lambda c=c: c.ours(ctx)))
                        if rep % 2:  # alternate who goes first
                            runs = runs[1:] + runs[:1]
                        for d, who, do in runs:
                            m = do()
                            for e in ((c, *riders) if who == "sitegen" else (d,)):  # riders read our run
                                samples.setdefault((e.name, who), []).append(m)
                            print(f"  {d.label:24} {who:9} {m.seconds:8.3f} s  {fmt(m.peak_mb, '.0f'):>5} MB"
                                  f"  (run {rep + 1}/{args.repeat})", flush=True)
                finally:
                    ctx.restore()
                    for peer in peers.values():
                        peer.restore()
        except BuildFailed as exc:
            print(f"  {exc}", file=sys.stderr, flush=True)
            report["errors"].append({"n": n, "error": str(exc)})
            status = 1
        for c in chosen:
            ours = samples.get((c.name, "sitegen"), [])
            for p, _how in c.peers:
                theirs = samples.get((c.name, p), [])
                if not ours or not theirs:
                    continue
                o, t = median([m.seconds for m in ours]), median([m.seconds for m in theirs])
                row = {"n": n, "comparison": c.name, "label": c.label, "peer": p, "peer_version": peer_versions[p],
                       "ours_s": round(o, 4), "peer_s": round(t, 4), "ratio": round(o / t, 3) if t else None,
                       "ours_peak_mb": _peak(ours), "peer_peak_mb": _peak(theirs),
                       "ours_pages": ours[-1].pages, "peer_pages": theirs[-1].pages,
                       # the part of our build that made the search index (issue 17; the peers make none), and its size
                       "ours_search_s": _stage_seconds(ours, "search"),
                       # the part that converted images (issue 16; 0 when every variant came from the cache)
                       "ours_images_s": _stage_seconds(ours, "images"),
                       "ours_index": ours[-1].extra.get("search_index"),
                       "ours_samples": [asdict(m) for m in ours], "peer_samples": [asdict(m) for m in theirs]}
                if c.name == "preview_article":
                    row["ours_logged_s"] = round(median([m.extra["logged_median_s"] for m in ours]), 4)
                rows.append(row)
                report["results"].append(row)
        report["cpu_probe_ms"][f"after N={n}"] = run.cpu_probe_ms()
        save()
        print(flush=True)

    run.empty_trash()
    print_table(rows, peer_versions, report)
    save()
    print(f"\nresults: {args.json.relative_to(REPO) if args.json.is_relative_to(REPO) else args.json}")
    return status


def _stage_seconds(samples: list[Measurement], stage: str) -> float | None:
    """Median seconds of a stage of our build (`search`: the Pagefind index, `images`: the image variants); 0 when
    its work came from the cache."""
    found = [m.extra["stages"].get(stage, 0.0) for m in samples if "stages" in m.extra]
    return round(median(found), 4) if found else None


def _peak(samples: list[Measurement]) -> float | None:
    peaks = [m.peak_mb for m in samples if m.peak_mb is not None]
    return round(max(peaks), 1) if peaks else None


def print_table(rows: list[dict], peer_versions: dict[str, str], report: dict) -> None:
    header = (f"{'N':>6}  {'scenario':24} {'ours s':>8} {'peer s':>8} {'ratio':>6}  {'peer':30} {'ours MB':>8} {'peer MB':>8}"
              f" {'search s':>8} {'images s':>8}")
    print("cpu probe, ms: " + ", ".join(f"{k} {v}" for k, v in report["cpu_probe_ms"].items()))
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['n']:>6}  {r['label']:24} {r['ours_s']:>8.3f} {r['peer_s']:>8.3f} {fmt(r['ratio'], '.2f'):>6}  "
              f"{r['peer'] + ' ' + r['peer_version']:30} {fmt(r['ours_peak_mb'], '.0f'):>8} {fmt(r['peer_peak_mb'], '.0f'):>8}"
              f" {fmt(r.get('ours_search_s'), '.3f'):>8} {fmt(r.get('ours_images_s'), '.3f'):>8}")
        if r["comparison"] == "preview_article":
            o = r["ours_logged_s"]
            print(f"{'':>6}  {'  (ours: rebuilt in)':24} {o:>8.3f} {r['peer_s']:>8.3f} {o / r['peer_s']:>6.2f}  "
                  f"{'each side its own log line':30}")
    cold = {r["peer"]: r for r in rows if r["comparison"] == "cold"}
    if "hugo" in cold and cold["hugo"]["ours_peak_mb"] and cold["hugo"]["peer_peak_mb"]:
        h = cold["hugo"]
        print(f"{h['n']:>6}  {'peak memory, cold build':24} {h['ours_peak_mb']:>6.0f}MB {h['peer_peak_mb']:>6.0f}MB "
              f"{h['ours_peak_mb'] / h['peer_peak_mb']:>6.2f}  {'hugo ' + h['peer_version']:30}")
    print("\nratio = ours / peer (below 1: sitegen is faster); medians over the repeats; MB = peak summed RSS of the "
          "whole process tree (max over the repeats); search s = the part of our build that made the Pagefind index "
          "(included in ours s); images s = the part that converted images. The peers make no search index and copy the "
          "images as they are, except in 'cold, peers same work': there Eleventy and Hugo also make the image variants "
          "and social cards, and run Pagefind after their build")


def markdown_table(report: dict) -> str:
    m = report["machine"]
    lines = [f"{report['generated_at'][:16].replace('T', ' ')} UTC, {m['cpu_count']} cores ({m['cpu_model']}), "
             f"{m['memory_gb']} GB, load average at the start {' '.join(map(str, m['load_average']))}; sitegen "
             f"{report['versions']['sitegen']} at {report['revision']}, Python {m['python']}; {report['config']['repeat']} "
             f"repeats, medians; CPU probe {', '.join(f'{k} {v} ms' for k, v in report['cpu_probe_ms'].items())}.", "",
             "| N | scenario | ours s | peer s | ratio | peer | ours MB | peer MB | search s | images s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["results"]:
        lines.append(f"| {r['n']:,} | {r['label']} | {r['ours_s']:.3f} | {r['peer_s']:.3f} | {fmt(r['ratio'], '.2f')} | "
                     f"{r['peer']} {r['peer_version']} | {fmt(r['ours_peak_mb'], '.0f')} | {fmt(r['peer_peak_mb'], '.0f')} | "
                     f"{fmt(r.get('ours_search_s'), '.3f')} | {fmt(r.get('ours_images_s'), '.3f')} |")
        if r["comparison"] == "preview_article":
            o = r["ours_logged_s"]
            lines.append(f"| | (ours: serve's own `rebuilt in`) | {o:.3f} | {r['peer_s']:.3f} | {o / r['peer_s']:.2f} | "
                         "each side's own log line | | | | |")
    cold = {r["peer"]: r for r in report["results"] if r["comparison"] == "cold"}
    if "hugo" in cold and cold["hugo"]["ours_peak_mb"] and cold["hugo"]["peer_peak_mb"]:
        h = cold["hugo"]
        lines.append(f"| {h['n']:,} | peak memory, cold build | {h['ours_peak_mb']:.0f} MB | {h['peer_peak_mb']:.0f} MB | "
                     f"{h['ours_peak_mb'] / h['peer_peak_mb']:.2f} | hugo {h['peer_version']} | | | | |")
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; edited files are restored", file=sys.stderr)
        sys.exit(130)
