"""The staging folder's folders, made ahead by another process while the build loads and plans.

A staged build makes every folder of the site again (6,500 at 4,000 articles: one per article for its page and
card). On a journaling disk a new folder costs a block allocation: measured 0.3 to 2.5 s for those 6,500 on this
machine's disk, most of a one-article rebuild. The folders the last build wrote into are known from its manifest
before anything is loaded, so `mkdir -p` makes them in a child process (a Python thread would wait for the lock
after each call) while the build reads its sources; the build itself still makes any folder it needs
(`os.makedirs(exist_ok=True)` meets `mkdir -p` without harm), and the folders no file landed in are removed before
the swap, so the output is the same folder for folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable

from .outpaths import unsafe_reason


class Folders:
    """start() in the staging folder; settle() before anything relies on the child being done."""

    def __init__(self, stage: str):
        self.stage = stage
        self.made: list[str] = []  # relative, '/'-separated, parents before children
        self._proc: subprocess.Popen | None = None

    def start(self, files: Iterable[str]) -> None:
        """Make the folders of these output files (paths from the last build's manifest: each passes the writer's
        check first, so nothing lands outside the staging folder, which is new and holds no link)."""
        folders = {folder for folder in folders_of(files) if unsafe_reason(folder) is None}
        xargs = shutil.which("xargs") if os.name == "posix" else None
        if not folders or xargs is None:
            return
        self.made = sorted(folders)
        with tempfile.TemporaryFile() as listing:  # the child reads it as its standard input
            listing.write(b"\0".join(os.fsencode(folder) for folder in self.made))
            listing.seek(0)
            try:
                self._proc = subprocess.Popen([xargs, "-0", "mkdir", "-p", "--"], stdin=listing, cwd=self.stage,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except OSError:
                self.made = []

    def settle(self) -> None:
        """Wait for the child (a failure of it only means the build makes those folders itself)."""
        if self._proc is not None:
            self._proc.wait()
            self._proc = None

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self.settle()

    def prune(self, files: Iterable[str]) -> None:
        """Remove the folders made ahead that none of the output's `files` is in (a page that is gone)."""
        self.settle()
        if not self.made:
            return
        needed = folders_of(files)
        for folder in reversed(self.made):  # children first
            if folder not in needed:
                try:
                    os.rmdir(os.path.join(self.stage, folder))
                except OSError:  # not empty after all, or never made
                    pass


def folders_of(files: Iterable[str]) -> set[str]:
    """The folders these relative, '/'-separated file paths are in, with every folder above them."""
    found: set[str] = set()
    for rel in files:
        folder = rel.rpartition("/")[0]
        while folder and folder not in found:
            found.add(folder)
            folder = folder.rpartition("/")[0]
    return found
