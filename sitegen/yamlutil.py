"""Safe, bounded YAML loading that remembers the line of every value (validation: sitegen.schemas)."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import yaml

from .limits import MAX_ALIAS_VALUES, MAX_YAML_DEPTH

# libyaml's C loader when present (issue: speed), the pure-Python safe loader otherwise. Never the unsafe one.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Lines = dict[tuple, int]  # JSON path (tuple of keys and indexes) -> 1-based line


class YamlSyntaxError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _record_lines(node: yaml.Node, path: tuple, lines: Lines) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _check_text(key_node)
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"  # a complex key: refused later
            lines[path + (key,)] = key_node.start_mark.line + 1
            _record_lines(value_node, path + (key,), lines)
            # the key's own line wins for the error "field X: ..." (a folded value starts later)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, path + (index,), lines)
    else:
        _check_text(node)


SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _check_text(node: yaml.Node) -> None:
    """A double-quoted "\\ud800" is a lone surrogate: no UTF-8 page, feed or store can hold it."""
    if isinstance(node.value, str):
        found = SURROGATE_RE.search(node.value)
        if found:
            raise YamlSyntaxError(node.start_mark.line + 1, f"invalid character U+{ord(found.group()):04X} (half of a "
                                  "surrogate pair, which is not text); remove the \\u escape")


def _plain(value: Any) -> Any:
    """Dates become ISO strings so that one JSON Schema (format: date) checks YAML dates and quoted dates alike."""
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def load(text: str, line_offset: int = 0) -> tuple[Any, Lines]:
    """Parse one YAML document safely and within the limits of sitegen.limits. Returns (data, lines). Raises
    YamlSyntaxError with a 1-based line."""
    try:
        if _may_be_large(text):
            _check_bounds(text)
        loader = SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, {(): 1 + line_offset}
            lines: Lines = {}
            _record_lines(node, (), lines)
            try:
                data = loader.construct_document(node)
            except ValueError as exc:  # an impossible date such as 2026-13-01, an integer of 5,000 digits
                line, message = _bad_scalar(node, exc)
                raise YamlSyntaxError(line, message) from None
        finally:
            loader.dispose()
    except YamlSyntaxError as exc:
        raise YamlSyntaxError(exc.line + line_offset, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        problem = exc.problem or "malformed YAML"
        context = f" {exc.context}" if exc.context else ""
        raise YamlSyntaxError(line, f"invalid YAML: {problem}{context}") from None
    except yaml.reader.ReaderError as exc:  # a control character: its position, not a mark
        line = text.count("\n", 0, max(0, exc.position)) + 1 + line_offset
        raise YamlSyntaxError(line, f"invalid YAML: unacceptable character U+{exc.character:04X}: {exc.reason}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - every other error of libyaml and PyYAML is marked
        raise YamlSyntaxError(1 + line_offset, f"invalid YAML: {exc}") from None
    if line_offset:
        lines = {k: v + line_offset for k, v in lines.items()}
    return _plain(data), lines


def _may_be_large(text: str) -> bool:
    """Whether a document could nest deeper than MAX_YAML_DEPTH or use aliases at all: most front matter can do
    neither (no '*', few brackets, few lines), and is spared the extra pass over its events."""
    return "*" in text or text.count("\n") >= MAX_YAML_DEPTH or text.count("[") + text.count("{") >= MAX_YAML_DEPTH


def _check_bounds(text: str) -> None:
    """One pass over the document's events, before anything is built from them: how deep it nests, and how many
    values its aliases add (each alias counts the whole value it repeats, so nine levels of `&a [*b, *b, ...]`
    are refused after 10,000 values instead of built in gigabytes). An alias inside its own anchor is refused."""
    loader = SafeLoader(text)
    try:
        open_: list[list] = []  # [anchor, values so far] of each collection being read
        sizes: dict[str, int] = {}  # anchor -> values it stands for
        added = 0
        while loader.check_event():
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                if event.anchor:
                    sizes[event.anchor] = 1
                if open_:
                    open_[-1][1] += 1
            elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
                open_.append([event.anchor, 1])
                if len(open_) > MAX_YAML_DEPTH:
                    raise YamlSyntaxError(event.start_mark.line + 1,
                                          f"YAML nested deeper than {MAX_YAML_DEPTH} levels; flatten it")
            elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
                anchor, size = open_.pop()
                if anchor:
                    sizes[anchor] = size
                if open_:
                    open_[-1][1] += size
            elif kind is yaml.AliasEvent:
                line = event.start_mark.line + 1
                if any(anchor == event.anchor for anchor, _size in open_):
                    raise YamlSyntaxError(line, f"YAML alias '*{event.anchor}' is used inside its own anchor "
                                                f"'&{event.anchor}' (a value that contains itself)")
                size = sizes.get(event.anchor, 1)  # an unknown anchor: the composer reports it
                added += size
                if added > MAX_ALIAS_VALUES:
                    raise YamlSyntaxError(line, f"YAML aliases expand to more than {MAX_ALIAS_VALUES:,} values "
                                                "(an alias bomb?); write the values out or use fewer aliases")
                if open_:
                    open_[-1][1] += size
    finally:
        loader.dispose()


def _bad_scalar(node: yaml.Node, exc: ValueError) -> tuple[int, str]:
    """The first scalar that cannot be constructed: its 1-based line and what is wrong with it."""
    stack = [node]
    constructor = yaml.constructor.SafeConstructor()
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.ScalarNode):
            try:
                constructor.construct_object(current)
            except ValueError as error:
                shown = current.value if len(current.value) <= 40 else current.value[:37] + "..."
                if "integer string conversion" in str(error):  # Python's 4,300-digit limit
                    return current.start_mark.line + 1, (f"invalid number '{shown}': {len(current.value):,} digits "
                                                         "(at most 4,300); put it in quotes if it is text")
                what = "date" if current.tag == "tag:yaml.org,2002:timestamp" else "value"
                return current.start_mark.line + 1, f"invalid {what} '{shown}': {error}"
        elif isinstance(current, yaml.MappingNode):
            stack.extend(v for pair in reversed(current.value) for v in reversed(pair))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
    return 1, f"invalid value: {exc}"


def line_of(lines: Lines, path: tuple) -> int:
    """The line of the deepest recorded ancestor of `path`."""
    path = tuple(path)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)
