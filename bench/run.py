#!/usr/bin/env python3
"""Build benchmark (issue 5 point 1): time the real CLI on generated sites of N articles.

    python bench/run.py                      # N = 1000, 4000, 20000
    python bench/run.py --n 1000,4000 --repeat 3
    python bench/run.py --n 100000 --jobs 2
    make bench-sizes ARGS="--n 4000"     (make bench runs bench/compare.py: sitegen against Hugo, Eleventy, Pelican)

For each N it generates bench/sites/n<N>/ when missing or stale (bench/generate.py), then runs every scenario in
SCENARIOS in order. Every build is a subprocess `python build.py build --site SITE --out SITE/output`; its wall time
and the peak resident memory of its whole process tree (workers included; /proc polled every 20 ms) are recorded.
Results are printed as a table and written to bench/results/latest.json.

Adding a scenario (the preview latency of issue 4 point 8 goes here): append a Scenario to SCENARIOS. Its `run`
receives a Context (site paths, the interpreter, `ctx.build()`, `ctx.measure()`, `ctx.edit()`) and returns a
Measurement. See bench/README.md, "Adding a scenario".
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import resource
import shutil
import socket
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
import generate  # noqa: E402  (bench/generate.py)

SITES = BENCH / "sites"
RESULTS = BENCH / "results"
DEFAULT_SIZES = (1000, 4000, 20000)
CACHE_DIRS = (".sitegen-cache",)  # the persistent build cache, relative to the site (issue 5 point 3)
TRASH = SITES / ".trash"  # outputs and caches a scenario cleared, deleted when the whole run is over
BACKUP_DIR = ".bench-backup"  # originals of files a scenario edited; restored at the end (or by the next run)
POLL_SECONDS = 0.02
# Every generated article is dated before 2026-01-01; fixing "today" keeps the page set identical on any day.
SOURCE_DATE_EPOCH = str(int(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).timestamp()))
SUMMARY_RE = re.compile(r"built (\d+) pages? and (\d+) static files? into .* in ([0-9.]+) s")
STAGE_RE = re.compile(r"^\s+([a-z][\w -]*?)\s+([0-9.]+) s$")  # "    render      0.66 s" in the build's summary table
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------------------------------------------
# Measuring one process tree


def _parents(newer_than: int = 0) -> dict[int, int]:
    """pid -> parent pid for every process now alive with a pid of at least `newer_than` (read from
    /proc/<pid>/stat). A build's processes are newer than the build, and pids grow until they wrap around at
    pid_max (4 million here), so reading only those skips the other 60-odd processes of the machine."""
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) < newer_than:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2 :].split()  # the command name may contain spaces and parentheses
        parents[int(name)] = int(fields[1])
    return parents


def descendants(root: int, everyone: bool = True) -> list[int]:
    """`root` and every process below it, now (`everyone` False: among processes newer than `root` only)."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents(0 if everyone else root).items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def rss_bytes(pids: list[int]) -> tuple[int, int]:
    """(summed resident set size of the processes still alive, how many were alive)."""
    total = count = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE_SIZE
            count += 1
        except (OSError, IndexError, ValueError):
            pass
    return total, count


def pss_bytes(pids: list[int]) -> int:
    """Summed proportional set size: a page shared by k processes counts 1/k in each (fork workers share the
    parent's loaded site copy-on-write, which summed RSS counts once per process)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, IndexError, ValueError):
            pass
    return total


class TreeMonitor:
    """Samples the summed RSS of a process tree. Finding the tree means reading /proc/*/stat for every process on
    the machine (this kernel has no /proc/<pid>/task/<tid>/children), so only processes newer than the build are
    read, every RESCAN_EVERY samples, and only the known members' /proc/<pid>/statm in between (11 us each). PSS
    comes from smaps_rollup, which makes the kernel walk the process's page tables (13 ms for one of 680 MB; every
    100 ms at 100,000 articles that was a third of a core beside the build), so it is read at most every 100 ms and
    otherwise only after 50 times as long as the last read took. `cpu_seconds`: what the sampling cost this run."""

    RESCAN_EVERY = 5
    PSS_SPACING = 50

    def __init__(self, root: int):
        self.root = root
        self.pids = [root]
        self.samples = 0
        self.peak = 0
        self.peak_pss = 0
        self.max_processes = 0
        self.next_pss = 0.0
        self.cpu_seconds = 0.0

    def sample(self) -> None:
        began = time.thread_time()
        if self.samples % self.RESCAN_EVERY == 0:
            # every second, all processes: a worker forked after the pids wrapped around is older than the build
            self.pids = descendants(self.root, everyone=self.samples % (self.RESCAN_EVERY * 10) == 0)
        self.samples += 1
        rss, count = rss_bytes(self.pids)
        self.peak = max(self.peak, rss)
        now = time.perf_counter()
        if now >= self.next_pss:
            self.peak_pss = max(self.peak_pss, pss_bytes(self.pids))
            took = time.perf_counter() - now
            self.next_pss = now + max(POLL_SECONDS * 5, took * self.PSS_SPACING)
        self.max_processes = max(self.max_processes, count)
        self.cpu_seconds += time.thread_time() - began


@dataclass
class Measurement:
    """One timed run. `seconds` is what the table shows; pages/peak are None when they do not apply."""

    seconds: float
    pages: int | None = None
    static_files: int | None = None
    peak_mb: float | None = None  # max over the run of the summed RSS of the whole process tree
    max_single_mb: float | None = None  # the largest single process (wait4 ru_maxrss): a floor for peak_mb
    peak_pss_mb: float | None = None  # max of the summed PSS (shared pages split between the processes sharing them)
    max_processes: int | None = None
    cli_seconds: float | None = None  # the build's own figure from its summary line
    returncode: int | None = 0
    extra: dict = field(default_factory=dict)


class BuildFailed(Exception):
    pass


def measure(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float | None = None, log: Path | None = None) -> tuple[Measurement, str, str]:
    """Run argv to completion; wall time, peak tree RSS. Returns (measurement, stdout, stderr)."""
    log = log or (RESULTS / "last-build")
    log.parent.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log.with_suffix(".stdout"), log.with_suffix(".stderr")
    with open(out_path, "wb") as out_fh, open(err_path, "wb") as err_fh:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out_fh, stderr=err_fh, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                start_new_session=True)  # its own process group: one killpg stops the whole tree
        tree = TreeMonitor(proc.pid)
        done = threading.Event()
        timed_out = [False]

        def monitor() -> None:
            while not done.is_set():
                tree.sample()
                if timeout and time.perf_counter() - started > timeout:
                    timed_out[0] = True
                    _kill_group(proc.pid)
                    return
                done.wait(POLL_SECONDS)

        thread = threading.Thread(target=monitor, daemon=True)
        thread.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)  # exact end time; the monitor thread does the polling
        except BaseException:
            _kill_group(proc.pid)
            done.set()
            proc.wait()
            raise
        seconds = time.perf_counter() - started
        done.set()
        thread.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    single = usage.ru_maxrss * 1024  # kilobytes on Linux: the largest process in the tree, children included
    m = Measurement(seconds=seconds, peak_mb=max(tree.peak, single) / 2**20, max_single_mb=single / 2**20,
                    peak_pss_mb=tree.peak_pss / 2**20 or None,
                    max_processes=tree.max_processes, returncode=proc.returncode)
    m.extra["rss_samples"] = tree.samples
    m.extra["monitor_cpu_seconds"] = round(tree.cpu_seconds, 3)
    if timed_out[0]:
        m.extra["timed_out"] = True
    return m, stdout, stderr


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------------------------------------------
# The CLI under test


@dataclass
class Cli:
    python: str
    build_py: Path
    help_text: str

    @property
    def has_no_cache(self) -> bool:
        return "--no-cache" in self.help_text

    @property
    def has_jobs(self) -> bool:
        return "--jobs" in self.help_text


def inspect_cli(python: str) -> Cli:
    build_py = REPO / "build.py"
    result = subprocess.run([python, str(build_py), "build", "--help"], capture_output=True, text=True, cwd=REPO)
    return Cli(python, build_py, result.stdout + result.stderr)


# --------------------------------------------------------------------------------------------------------------
# Scenarios


@dataclass
class Context:
    """What a scenario works with. One Context per N per repetition; edits are undone by `restore()`."""

    n: int
    site: Path
    out: Path
    cli: Cli
    jobs: int | None
    timeout: float | None
    env: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @property
    def python(self) -> str:
        return self.cli.python

    @property
    def cache_dirs(self) -> list[Path]:
        return [self.site / name for name in CACHE_DIRS]

    def build_argv(self, *extra: str) -> list[str]:
        argv = [self.python, str(self.cli.build_py), "build", "--site", str(self.site), "--out", str(self.out)]
        if self.jobs is not None and self.cli.has_jobs:
            argv += ["--jobs", str(self.jobs)]
        return argv + list(extra)

    def measure(self, argv: list[str]) -> tuple[Measurement, str, str]:
        return measure(argv, env=self.env, cwd=REPO, timeout=self.timeout, log=RESULTS / f"n{self.n}-last")

    def build(self, *extra: str) -> Measurement:
        """One full CLI build, timed. Raises BuildFailed when it exits non-zero."""
        os.sync()  # the previous build's files are written back now, not during this one (see Noise, README)
        m, stdout, stderr = self.measure(self.build_argv(*extra))
        if m.returncode != 0:
            tail = "\n".join((stderr or stdout).strip().splitlines()[-15:])
            why = "timed out" if m.extra.get("timed_out") else f"exit status {m.returncode}"
            raise BuildFailed(f"build failed ({why}): {' '.join(self.build_argv(*extra))}\n{tail}")
        match = SUMMARY_RE.search(stdout)
        if match:
            m.pages, m.static_files, m.cli_seconds = int(match.group(1)), int(match.group(2)), float(match.group(3))
        else:  # the summary line changed: count the pages written instead
            m.pages = sum(1 for _root, _dirs, files in os.walk(self.out) for f in files if f.endswith(".html"))
            m.extra["pages_counted"] = True
        # the build's own report (cache hits, pages re-rendered, seconds per stage) goes to the JSON as it is
        lines = [line.rstrip() for line in stdout.splitlines() if line.strip()]
        m.extra["summary"] = lines[-30:]
        stages = {k.strip(): float(v) for k, v in (STAGE_RE.match(line).groups() for line in lines if STAGE_RE.match(line))}
        if stages:
            m.extra["stages"] = stages
        m.extra["search_index"] = index_size(self.out)
        return m

    def clear_cache(self) -> None:
        for path in self.cache_dirs:
            if path.exists():
                discard(path)

    def cache_present(self) -> bool:
        return any(p.exists() for p in self.cache_dirs)

    def clear_output(self) -> None:
        if self.out.exists():
            discard(self.out)
        for leftover in self.out.parent.glob(f".{self.out.name}.sitegen-*"):  # staging dirs of a killed build
            discard(leftover)

    def edit(self, rel: str, change: Callable[[bytes], bytes]) -> None:
        """Change SITE/rel in place; its original is kept in SITE/.bench-backup/ and put back by restore()."""
        path = self.site / rel
        backup = self.site / BACKUP_DIR / rel
        original = path.read_bytes()
        if not backup.exists():
            backup.parent.mkdir(parents=True, exist_ok=True)
            backup.write_bytes(original)
        path.write_bytes(change(original))

    def restore(self) -> None:
        restore_backups(self.site)


def discard(path: Path) -> None:
    """Clear a folder for the next scenario by renaming it into the trash; the run deletes the trash at its end.

    Deleting tens of thousands of files just before a timed build bills the deletion to the build: on ext4
    without a journal (this machine's disk), creating inodes for about 45 s after a mass delete is 8-13x slower
    while the kernel skips the recently freed ones (`recently_deleted()` in ext4's inode allocator)."""
    TRASH.mkdir(parents=True, exist_ok=True)
    os.rename(path, TRASH / f"{path.name}-{time.monotonic_ns()}")


PROBE_FILES = 300
PROBE_SLOW_US = 80  # per folder with a 24 KB file; 55-75 us on this disk normally, 200-700 us after a mass delete


def empty_trash() -> None:
    if TRASH.exists():
        shutil.rmtree(TRASH, ignore_errors=True)
        os.sync()  # the freed inodes' table written back: the kernel then skips them for one minute, not six


def shortcuts_in_use(python: str) -> str:
    """sitegen/mdfast's line on which conversion shortcuts the builds get (SITEGEN_NO_SHORTCUTS=1: none)."""
    code = "from sitegen import markdown_ext, mdfast; mdfast.active(markdown_ext.make_markdown); print(mdfast.describe())"
    try:
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"conversion shortcuts: unknown ({exc})"
    return done.stdout.strip() or f"conversion shortcuts: unknown (this revision has no sitegen.mdfast: {done.returncode})"


def build_env() -> dict[str, str]:
    """The environment the timed builds run in: this one with SOURCE_DATE_EPOCH, and Python's bytecode cache on.
    A PYTHONDONTWRITEBYTECODE left in the environment (this machine's shells set it) would make every Python
    build (ours and Pelican's) compile its modules from source on every run, which no installed copy does."""
    env = dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def cpu_probe_ms() -> float:
    """Milliseconds of CPU to convert the repository's own article ten times with stock Python-Markdown (not
    sitegen's converter, so the reading does not move with sitegen's code), best of five after 0.5 s of warm-up.
    This machine is a VM on a shared host: in slow spells the same build takes 15-30 % longer, and this reading,
    taken before and after each article count, shows them. A small pure-Python loop did not: its working set fits
    in cache, and the spells seem to be other tenants taking the cache and memory bandwidth."""
    import markdown

    text = sorted((REPO / "content").glob("*.md"))[0].read_text(encoding="utf-8")  # the same file on every run
    md = markdown.Markdown(extensions=["tables", "toc", "footnotes", "attr_list", "admonition", "smarty"])

    def work() -> float:
        started = time.process_time()
        for _ in range(10):
            md.reset()
            md.convert(text)
        return time.process_time() - started

    warm_until = time.monotonic() + 0.5  # an idle virtual CPU runs slower for a moment: keep it busy first
    while time.monotonic() < warm_until:
        work()
    return round(min(work() for _ in range(5)) * 1000, 1)


def probe_us() -> float:
    """Microseconds to create a folder holding a 24 KB file, averaged over PROBE_FILES (the probe then goes to the
    trash, not deleted: deleting is what slows the disk down)."""
    probe = SITES / f".probe-{time.monotonic_ns()}"
    data = b"x" * 24_000
    started = time.perf_counter()
    for i in range(PROBE_FILES):
        folder = probe / str(i)
        folder.mkdir(parents=True)
        (folder / "index.html").write_bytes(data)
    elapsed = time.perf_counter() - started
    discard(probe)
    return elapsed / PROBE_FILES * 1e6


def disk_probe() -> list[float]:
    """One disk probe at the start, recorded in the results (`disk_probe_us`) and printed; it does not wait. A run
    used to wait up to 15 minutes for a disk slowed by a recent mass deletion to settle; the benchmark must start
    within a minute, so noise is now handled by alternating ours and the peers' runs, repeats and medians
    (bench/compare.py), and a slow reading is only reported."""
    speed = probe_us()
    if speed >= PROBE_SLOW_US:
        print(f"note: creating a folder with a file takes {speed:.0f} us (normally 55-75): files were deleted "
              "recently, the first builds may be slower (not waiting; compare medians)", flush=True)
    return [round(speed, 1)]


def restore_backups(site: Path) -> list[str]:
    """Put back every file a scenario edited (also after a run that was killed)."""
    root = site / BACKUP_DIR
    restored = []
    if root.is_dir():
        for backup in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = backup.relative_to(root)
            (site / rel).write_bytes(backup.read_bytes())
            restored.append(rel.as_posix())
        shutil.rmtree(root)
    return restored


def index_size(out: Path) -> dict | None:
    """The search index of a build (issue 17): its files and bytes under OUT/pagefind/, None without one."""
    bundle = out / "pagefind"
    if not bundle.is_dir():
        return None
    sizes = [p.stat().st_size for p in bundle.rglob("*") if p.is_file()]
    return {"files": len(sizes), "bytes": sum(sizes)}


def search_rows(n: int, samples: dict[str, list[Measurement]], labels: dict[str, str]) -> list[str]:
    """One line per build scenario: the median seconds of the build's `search` stage (0 when the index came from
    the cache) and the index's size."""
    rows = []
    for name, ms in samples.items():
        with_index = [m for m in ms if m.extra.get("search_index") and "stages" in m.extra]
        if not with_index:
            continue
        seconds = statistics.median(m.extra["stages"].get("search", 0.0) for m in with_index)
        size = with_index[-1].extra["search_index"]
        rows.append(f"{n:>7}  {labels[name]:22} {seconds:>9.2f} {size['bytes'] / 1e6:>9.1f} {size['files']:>7}")
    return rows


def middle_article(site: Path) -> str:
    names = sorted(p.name for p in (site / "content").glob("*.md"))
    return f"content/{names[len(names) // 2]}"


def scenario_cold(ctx: Context) -> Measurement:
    ctx.clear_cache()
    ctx.clear_output()
    return ctx.build(*(["--no-cache"] if ctx.cli.has_no_cache else []))


def scenario_warm(ctx: Context) -> Measurement:
    if ctx.cli.has_no_cache and not ctx.cache_present():
        ctx.notes.append("warm: primed the cache with one untimed build (cold ran with --no-cache)")
        ctx.clear_output()
        ctx.build()
    ctx.clear_output()
    return ctx.build()


def scenario_no_change(ctx: Context) -> Measurement:
    if not ctx.out.exists():
        ctx.build()
    return ctx.build()


def scenario_one_article(ctx: Context) -> Measurement:
    rel = middle_article(ctx.site)
    ctx.edit(rel, lambda text: text + b"\nThis sentence was added by bench/run.py to measure a one-article rebuild.\n")
    m = ctx.build()
    m.extra["edited"] = rel
    return m


def scenario_template(ctx: Context) -> Measurement:
    ctx.edit("templates/base.html", lambda text: text + b"<!-- bench/run.py: base template change -->\n")
    return ctx.build()


PREVIEW_EDITS = 5  # edits per preview scenario; the table shows their median


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def reload_socket(port: int):
    """A connection to `build.py serve`'s reload WebSocket on 127.0.0.1, registered as a page of the preview (the
    livereload handshake: hello, then info), as a browser's would be."""
    import asyncio
    import json as _json

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    origin = f"http://127.0.0.1:{port}"
    ws = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}/livereload", headers={"Origin": origin}))
    await ws.write_message(_json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
    await ws.read_message()
    await ws.write_message(_json.dumps({"command": "info", "url": origin + "/", "plugins": {}}))
    await asyncio.sleep(0.5)
    return ws


def pick(only: str, items: list, kind: str, parser: argparse.ArgumentParser) -> list:
    """The items named in a comma-separated --only, in their own order; an unknown name is a usage error."""
    wanted = [x.strip() for x in only.split(",") if x.strip()]
    unknown = [w for w in wanted if w not in {item.name for item in items}]
    if unknown:
        parser.error(f"--only: unknown {kind}(s) {', '.join(unknown)} (known: {', '.join(i.name for i in items)})")
    return [item for item in items if item.name in wanted]


def preview_latency(ctx: Context, rel: str, change: Callable[[bytes, int], bytes]) -> Measurement:
    """Start `build.py serve` on 127.0.0.1, connect to its reload WebSocket like a browser, then time each edit
    from the moment the file is written to the moment the reload message arrives."""
    import asyncio

    port = free_port()
    argv = [ctx.python, str(ctx.cli.build_py), "serve", "--site", str(ctx.site), "--port", str(port)]
    proc = subprocess.Popen(argv, env=ctx.env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    timings: list[float] = []
    try:
        deadline = time.monotonic() + (ctx.timeout or 600)
        for line in proc.stdout:  # the first build, then "serving ... at URL"
            if line.startswith("serving "):
                break
            if time.monotonic() > deadline:
                raise BuildFailed("the preview did not start in time")
        else:
            raise BuildFailed("the preview stopped before serving")
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # keep the pipe drained

        async def run() -> None:
            ws = await reload_socket(port)
            for i in range(PREVIEW_EDITS + 1):  # the first edit warms the preview up and is not counted
                started = time.perf_counter()
                ctx.edit(rel, lambda b: change(b, i))
                message = await asyncio.wait_for(ws.read_message(), timeout=120)
                if message is None:
                    raise BuildFailed("the preview closed the reload socket")
                if i:
                    timings.append(time.perf_counter() - started)
                await asyncio.sleep(0.3)
            ws.close()

        asyncio.run(run())
    finally:
        _kill_group(proc.pid)
        proc.wait(timeout=30)
        ctx.restore()
    timings.sort()
    return Measurement(seconds=timings[len(timings) // 2], peak_mb=None,
                       extra={"edited": rel, "latencies_ms": [round(t * 1000, 1) for t in timings]})


def scenario_preview_article(ctx: Context) -> Measurement:
    rel = middle_article(ctx.site)
    return preview_latency(ctx, rel, lambda b, i: b.replace(b"\n## ", f"\nEdited by the benchmark ({i}).\n\n## ".encode(), 1))


def scenario_preview_partial(ctx: Context) -> Measurement:
    return preview_latency(ctx, "templates/partials/cta.html", lambda b, i: b + f"<!-- bench {i} -->\n".encode())


def scenario_preview_data(ctx: Context) -> Measurement:
    def change(b: bytes, i: int) -> bytes:
        return re.sub(rb"median_base: (\d+)", lambda m: b"median_base: %d" % (int(m.group(1)) + 1000 * (i + 1)), b, count=1)
    return preview_latency(ctx, "data/roles.yaml", change)


@dataclass
class Scenario:
    name: str  # key in the JSON results and for --only
    label: str  # the table's scenario column
    about: str  # one line for --list and the README
    run: Callable[[Context], Measurement]
    sizes: frozenset[int] | None = None  # only for these N (None: every N)
    default: bool = True  # run without --only


# Run in this order on one site: each scenario starts from the state the previous one left (cache, output, edits).
# Edits stay in place until the end of the sequence, so a later scenario never sees a change it did not make as
# "pending"; the one-article edit comes before the template edit for that reason. Append new scenarios at the end
# (the preview latency of issue 4 point 8: see bench/README.md).
SCENARIOS: list[Scenario] = [
    Scenario("cold", "cold full build", "no cache (deleted; --no-cache when the CLI has it), empty output", scenario_cold),
    Scenario("warm", "warm full build", "cache present, empty output", scenario_warm),
    Scenario("no_change", "no-change build", "cache and output present, nothing edited", scenario_no_change),
    Scenario("one_article", "one-article rebuild", "one article's body edited, then a full CLI build", scenario_one_article),
    Scenario("template", "base template change", "a comment appended to templates/base.html, then a full CLI build",
             scenario_template),
    Scenario("preview_article", "preview: article edit", "serve: write of one article -> reload message (median of 5)",
             scenario_preview_article, sizes=frozenset({4000})),
    Scenario("preview_partial", "preview: partial edit", "serve: write of templates/partials/cta.html -> reload message",
             scenario_preview_partial, sizes=frozenset({4000})),
    Scenario("preview_data", "preview: data edit", "serve: a salary in data/roles.yaml -> reload message",
             scenario_preview_data, sizes=frozenset({4000})),
]


# --------------------------------------------------------------------------------------------------------------
# Environment report


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    names = ("sitegen", "jinja2", "markdown", "pymdown-extensions", "pyyaml", "pygments", "markupsafe", "jsonschema",
             "orjson", "lz4")
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    try:
        import yaml

        found["libyaml"] = "yes" if getattr(yaml, "__with_libyaml__", False) else "no"
    except ImportError:
        found["libyaml"] = None
    return found


def git_revision() -> str | None:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "sitegen", "templates",
                                "static", "data"], capture_output=True, text=True, cwd=REPO, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{rev}{'+dirty' if dirty else ''}" if rev else None


def machine() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = None
    try:
        mem_total = next(int(line.split()[1]) * 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal:"))
    except (OSError, StopIteration):
        mem_total = None
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "cpu_model": _cpu_model(),
        "memory_gb": round(mem_total / 2**30, 1) if mem_total else None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
    }


def _cpu_model() -> str | None:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------------------------------------------
# Main


def site_for(n: int, seed: int) -> Path:
    return SITES / (f"n{n}" if seed == 1 else f"n{n}-seed{seed}")


def ensure_site(n: int, seed: int) -> Path:
    site = site_for(n, seed)
    leftovers = restore_backups(site) if site.is_dir() else []
    if leftovers:
        print(f"  (restored {len(leftovers)} file(s) left edited by an interrupted run)", flush=True)
    if not generate.is_current(site, n, seed):
        started = time.perf_counter()
        stamp = generate.generate(n, site, seed)
        print(f"  generated {site.relative_to(REPO)}: {n} articles, ~{stamp['approx_words_per_article']} words each, "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
    generate.sync_theme(site)  # always measure the repository's current templates/, static/ and site settings
    return site


def parse_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if not part:
            continue
        value = int(float(part[:-1]) * 1000) if part.endswith("k") else int(part)
        if value < 1:
            raise argparse.ArgumentTypeError(f"--n: {value} is not a positive number of articles")
        sizes.append(value)
    if not sizes:
        raise argparse.ArgumentTypeError("--n: give at least one size, e.g. --n 1000,4000")
    return sizes


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def summarise(name: str, label: str, n: int, samples: list[Measurement]) -> dict:
    secs = [s.seconds for s in samples]
    median = statistics.median(secs)
    pages = samples[-1].pages
    peaks = [s.peak_mb for s in samples if s.peak_mb is not None]
    pss = [s.peak_pss_mb for s in samples if s.peak_pss_mb is not None]
    return {
        "n": n,
        "scenario": name,
        "label": label,
        "seconds": round(median, 4),
        "seconds_min": round(min(secs), 4),
        "seconds_max": round(max(secs), 4),
        "pages": pages,
        "pages_per_second": round(pages / median, 1) if pages and median > 0 else None,
        "peak_mb": round(max(peaks), 1) if peaks else None,
        "peak_pss_mb": round(max(pss), 1) if pss else None,
        "samples": [asdict(s) for s in samples],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark `python build.py build` on generated sites.")
    parser.add_argument("--n", type=parse_sizes, default=list(DEFAULT_SIZES), metavar="N[,N...]",
                        help="article counts (default: 1000,4000,20000; 100000 and '4k' work too)")
    parser.add_argument("--repeat", type=int, default=1, metavar="K", help="run the scenario sequence K times (median shown)")
    parser.add_argument("--jobs", type=int, default=None, metavar="J",
                        help="passed to `build --jobs` when the CLI supports it (default: the CLI's own default)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--only", default=None, metavar="NAME[,NAME...]",
                        help="run only these scenarios (see --list); scenarios they depend on are not added")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--timeout", type=float, default=None, metavar="S", help="kill a build that runs longer than S seconds")
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs build.py (default: this one)")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json", help="where to write the results")
    args = parser.parse_args(argv)

    if args.list:
        for s in SCENARIOS:
            extra = "" if s.default else " (only with --only)"
            sizes = f" [N in {sorted(s.sizes)}]" if s.sizes else ""
            print(f"{s.name:14} {s.label:22} {s.about}{sizes}{extra}")
        return 0
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.only:
        chosen = pick(args.only, SCENARIOS, "scenario", parser)
    else:
        chosen = [s for s in SCENARIOS if s.default]

    cli = inspect_cli(args.python)
    info_machine, info_versions = machine(), versions()
    print(f"cores: {info_machine['cpu_count']} (usable: {info_machine['usable_cpus']})   "
          f"memory: {info_machine['memory_gb']} GB   load average: {' '.join(map(str, info_machine['load_average']))}")
    if info_machine["cpu_model"]:
        print(f"cpu: {info_machine['cpu_model']}")
    print(f"python: {info_machine['python']} ({info_machine['python_implementation']}, {args.python})")
    print("versions: " + "  ".join(f"{k} {v or 'missing'}" for k, v in info_versions.items() if k != "libyaml")
          + f"   yaml.__with_libyaml__: {info_versions['libyaml']}")
    print(f"sitegen revision: {git_revision() or 'unknown'}   build flags: "
          f"--no-cache {'yes' if cli.has_no_cache else 'no (no cache yet)'}, --jobs {'yes' if cli.has_jobs else 'no'}")
    if args.jobs is not None and not cli.has_jobs:
        print(f"note: `build --help` has no --jobs option yet; --jobs {args.jobs} is ignored")
    shortcuts = shortcuts_in_use(args.python)
    print(shortcuts, flush=True)
    print(flush=True)

    empty_trash()  # an interrupted run's leftovers
    probes = disk_probe()
    env = build_env()
    report = {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": info_machine,
        "versions": info_versions,
        "revision": git_revision(),
        "config": {"sizes": args.n, "repeat": args.repeat, "seed": args.seed, "jobs": args.jobs,
                   "jobs_passed": args.jobs is not None and cli.has_jobs, "no_cache_flag": cli.has_no_cache,
                   "scenarios": [s.name for s in chosen], "poll_seconds": POLL_SECONDS,
                   "source_date_epoch": SOURCE_DATE_EPOCH, "python": args.python},
        "disk_probe_us": probes,
        "shortcuts": shortcuts,
        "cpu_probe_ms": {"start": cpu_probe_ms()},
        "results": [],
        "notes": [],
        "errors": [],
    }
    print(f"cpu probe: {report['cpu_probe_ms']['start']} ms (stock Python-Markdown, the repository's article ten times; higher: the host "
          "is in a slow spell)\n", flush=True)
    header = f"{'N':>7}  {'scenario':22} {'seconds':>9} {'pages/s':>9} {'peak MB':>9} {'PSS MB':>8}"
    if args.repeat > 1:
        header += f"  {'min-max s':>15}"
    rows: list[str] = []
    index_rows: list[str] = []  # the search index's time and size (issue 17)
    status = 0
    monitor_before = resource.getrusage(resource.RUSAGE_SELF)

    def save() -> None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        report["runner_cpu_seconds"] = round(usage.ru_utime + usage.ru_stime
                                              - monitor_before.ru_utime - monitor_before.ru_stime, 2)
        tmp = args.json.with_suffix(".tmp")
        tmp.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, args.json)

    for n in args.n:
        print(f"N = {n}", flush=True)
        site = ensure_site(n, args.seed)
        samples: dict[str, list[Measurement]] = {s.name: [] for s in chosen}
        try:
            for rep in range(args.repeat):
                ctx = Context(n=n, site=site, out=site / "output", cli=cli, jobs=args.jobs, timeout=args.timeout, env=env)
                try:
                    for s in chosen:
                        if s.sizes is not None and n not in s.sizes:
                            continue
                        m = s.run(ctx)
                        samples[s.name].append(m)
                        rep_note = f" (run {rep + 1}/{args.repeat})" if args.repeat > 1 else ""
                        print(f"  {s.label:22} {m.seconds:8.2f} s  {fmt(m.peak_mb, '.0f'):>5} MB{rep_note}", flush=True)
                finally:
                    ctx.restore()
                    report["notes"].extend(f"N={n}: {note}" for note in ctx.notes)
        except BuildFailed as exc:
            print(f"  {exc}", file=sys.stderr, flush=True)
            report["errors"].append({"n": n, "error": str(exc)})
            status = 1
        for s in chosen:
            if samples[s.name]:
                result = summarise(s.name, s.label, n, samples[s.name])
                report["results"].append(result)
                row = (f"{n:>7}  {s.label:22} {result['seconds']:>9.2f} {fmt(result['pages_per_second'], '.1f'):>9} "
                       f"{fmt(result['peak_mb'], '.0f'):>9} {fmt(result['peak_pss_mb'], '.0f'):>8}")
                if args.repeat > 1:
                    row += f"  {result['seconds_min']:>7.2f}-{result['seconds_max']:<7.2f}"
                rows.append(row)
        index_rows += search_rows(n, {k: v for k, v in samples.items() if v}, {s.name: s.label for s in chosen})
        report.setdefault("search", []).extend(
            {"n": n, "scenario": k, "search_seconds": [m.extra.get("stages", {}).get("search", 0.0) for m in v],
             "index": v[-1].extra.get("search_index")} for k, v in samples.items() if v and "search_index" in v[-1].extra)
        report["cpu_probe_ms"][f"after N={n}"] = cpu_probe_ms()
        save()
        print(flush=True)

    empty_trash()
    print("cpu probe, ms: " + ", ".join(f"{k} {v}" for k, v in report["cpu_probe_ms"].items()))
    print(header)
    print("-" * len(header))
    for row in rows:
        print(row)
    if index_rows:
        index_header = f"{'N':>7}  {'scenario':22} {'search s':>9} {'index MB':>9} {'files':>7}"
        print(f"\nsearch index (Pagefind), the build's own `search` stage, median; 0.00: from .sitegen-cache\n{index_header}")
        print("-" * len(index_header))
        for row in index_rows:
            print(row)
    print(f"\npages/s = pages the build reports / wall seconds of that build (the cold row is the headline figure); "
          f"peak MB = summed RSS of the build's process tree; PSS MB = the same with shared pages counted once.\nresults: {args.json.relative_to(REPO) if args.json.is_relative_to(REPO) else args.json}")
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; edited files are restored", file=sys.stderr)
        sys.exit(130)
