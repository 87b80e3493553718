"""Errors an editor or designer can cause: each is one line, `path:line: message`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one source file. `path` is relative to the site root, `line` is 1-based."""

    path: str
    line: int
    message: str

    def __post_init__(self) -> None:
        # one problem, one line: a newline or control character in a message (quoted from a source file) is shown
        # escaped, so no input can forge more lines of output
        if not self.message.isprintable():
            clean = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in self.message)
            object.__setattr__(self, "message", clean)
        if not self.path.isprintable():
            object.__setattr__(self, "path", "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in self.path))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class BuildError(Exception):
    """The build stopped: it carries every problem found, in a stable order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def raise_if(cls, problems: list[Problem]) -> None:
        if problems:
            raise cls(problems)


class Collector:
    """Collects problems while a stage keeps going; `raise_if_any` fails once with all of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, line: int, message: str) -> None:
        self.problems.append(Problem(path, max(1, line), message))

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise BuildError(self.problems)
