#!/usr/bin/env python3
"""`make audit`: Lighthouse on the home, article and search pages served on 127.0.0.1; fails below the thresholds.

Builds the site with --base-url pointing at the local server (so canonical URLs are the served ones), serves
output on 127.0.0.1 only, runs npm's lighthouse@12.2.3 with Debian's chromium, prints the four scores per page
and exits 1 when accessibility, best practices or SEO is below 100 or performance below 95.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "tools" / "audit" / "node_modules" / ".bin" / "lighthouse"
PAGES = {"home": "", "article": "blog/ai-engineer-vs-ml-engineer/", "search": "search/?q=salary"}
THRESHOLDS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # noqa: D102 - keep the report readable
        pass


def main() -> int:
    if not LIGHTHOUSE.exists():
        print(f"error: {LIGHTHOUSE} missing: run `make audit` (it installs lighthouse@12.2.3)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
        base = f"http://127.0.0.1:{server.server_port}/"
        subprocess.run([sys.executable, str(ROOT / "build.py"), "--site", str(ROOT), "--out", str(out), "--base-url", base],
                       check=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        failed = []
        try:
            for name, path in PAGES.items():
                report = Path(tmp) / f"{name}.json"
                subprocess.run([str(LIGHTHOUSE), base + path, "--quiet", "--output=json", f"--output-path={report}",
                                f"--chrome-flags={CHROME_FLAGS}", "--only-categories=" + ",".join(THRESHOLDS)],
                               check=True, env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")})
                categories = json.loads(report.read_text())["categories"]
                scores = {key: round((categories[key]["score"] or 0) * 100) for key in THRESHOLDS}
                print(f"{name:8} " + "  ".join(f"{key} {value}" for key, value in scores.items()))
                failed += [f"{name} {key} {value} < {THRESHOLDS[key]}" for key, value in scores.items() if value < THRESHOLDS[key]]
                if failed:
                    data = json.loads(report.read_text())
                    for audit in data["audits"].values():
                        if audit.get("score") is not None and audit["score"] < 1 and audit.get("scoreDisplayMode") == "binary":
                            print(f"    failing audit: {audit['id']}: {audit['title']}")
        finally:
            server.shutdown()
            server.server_close()
    for line in failed:
        print(f"below threshold: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
