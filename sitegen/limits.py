"""Bounds on what one source file may ask of the build: content and data are untrusted input (SECURITY.md).

Every limit here ends in a `path:line: message` problem, never in a traceback, a hang or a machine out of memory.
The README's "Limits" table lists them; change both together.
"""

from __future__ import annotations

import contextlib
import signal
import threading

MAX_CONTENT_BYTES = 4 * 1024 * 1024  # one Markdown file (front matter and body)
MAX_DATA_BYTES = 16 * 1024 * 1024  # one data file
MAX_YAML_DEPTH = 64  # nested mappings and lists in one YAML document
MAX_ALIAS_VALUES = 10_000  # values that YAML aliases (*name, <<: *name) may add to a document
MAX_MARKDOWN_DEPTH = 32  # nested lists, quotes and indentation levels before one line of Markdown
# Python-Markdown's inline patterns rescan the rest of a block from every '[' or '<' that closes nothing, so a block
# of n of them costs n^2 steps (20,000 '[' took 54 s): the sum of n^2 over an article's blocks is bounded.
MAX_INLINE_WORK = 4_000_000
MAX_CALL_CHARS = 2_000  # one {{ component(...) }} call
MAX_CALL_NESTING = 16  # brackets and parentheses inside one call
MAX_IMAGE_BYTES = 32 * 1024 * 1024  # one raster image under static/images/
# pixels of one image (width x height, before any resizing): a decompression bomb (a small PNG of 100,000 x 100,000
# pixels would take 10 GB to decode) is refused from its header, before any pixel is decoded. Pillow's own bound
# (Image.MAX_IMAGE_PIXELS) is set to it too.
MAX_IMAGE_PIXELS = 40_000_000
CONVERT_SECONDS = 20  # a last resort for an article whose conversion is still running (main thread only)


class TooSlow(Exception):
    """Raised inside a conversion that ran past its deadline."""


def _expire(signum, frame):  # noqa: ARG001 - signal handler signature
    raise TooSlow()


@contextlib.contextmanager
def deadline(seconds: float):
    """Stop the work inside the block with TooSlow after `seconds` (SIGALRM: only in a process's main thread, on
    systems that have it; elsewhere, such as the preview's build thread, the block runs unbounded and the other
    limits of this module are what bounds it)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
