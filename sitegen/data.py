"""Data files: every `data/**/*.{yaml,yml,json,csv}` as `data.<name>`, validated by `schemas/<name>.schema.json`.

`data/pay/by_city.csv` is `data.pay.by_city`; its value is the file's top-level value (a CSV is a list of records,
its header row giving the keys, numbers read as numbers). `data/site.yaml` is also the site settings (`Site`).
Each file keeps the line of every value, so problems and records are reported where they are written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import yamlutil
from .errors import Problem
from .model import Site
from .schemas import Schemas, validate, validate_fields
from .yamlutil import Lines, line_of

SITE_FILE = "data/site.yaml"
SUFFIXES = (".yaml", ".yml", ".json", ".csv")
NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:(\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)?")
INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)")


@dataclass(frozen=True)
class DataFile:
    rel: str  # data/pay/by_city.csv
    name: str  # pay.by_city
    value: Any
    lines: Lines = field(compare=False, repr=False)

    def line(self, *path) -> int:
        return line_of(self.lines, tuple(path))


def name_of(rel: str) -> str | None:
    """`data/pay/by_city.csv` -> 'pay.by_city'; None for a file that is not data."""
    inner = rel.removeprefix("data/")
    for suffix in SUFFIXES:
        if inner.endswith(suffix):
            return inner[: -len(suffix)].replace("/", ".")
    return None


def parse(text: str, rel: str, schemas: Schemas, known=None,
          base_url: str | None = None) -> tuple[DataFile | None, list[Problem]]:
    """One data file read, typed and validated by its schema (if the site has one). `base_url` (--base-url)
    replaces the site settings' own, checked by the same schema."""
    name = name_of(rel)
    assert name is not None
    if "." in rel.removeprefix("data/").rsplit(".", 1)[0]:
        return None, [Problem(rel, 1, "a data file's name may not contain dots before its extension "
                                      f"(data.{name} would be ambiguous); rename it")]
    try:
        if rel.endswith(".csv"):
            value, lines = _csv(text, rel)
        elif rel.endswith(".json"):
            value, lines = _json(text)
        else:
            value, lines = yamlutil.load(text)
    except yamlutil.YamlSyntaxError as exc:
        return None, [Problem(rel, exc.line, exc.message)]
    if rel == SITE_FILE:
        value = {} if value is None else value
        if not isinstance(value, dict):
            return None, [Problem(rel, 1, "the site settings must be a mapping (title: ..., base_url: ...)")]
        if base_url is not None:
            value = {**value, "base_url": base_url}
        problems = validate_fields(value, lines, "site", schemas, rel, known)
    else:
        schema = schemas.get(name.replace(".", "/"))
        problems = validate(value, lines, schema, rel, known) if schema is not None else []
    if problems:
        return None, problems
    return DataFile(rel, name, value, lines), []


def _json(text: str) -> tuple[Any, Lines]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise yamlutil.YamlSyntaxError(exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise yamlutil.YamlSyntaxError(1, "JSON nested too deeply") from None
    try:  # JSON is (nearly) YAML: its parse gives the line of every value; when it does not, every line is 1
        same, lines = yamlutil.load(text)
        if same != value:
            lines = {(): 1}
    except yamlutil.YamlSyntaxError:
        lines = {(): 1}
    return value, lines


def _number(cell: str) -> Any:
    if NUMBER_RE.fullmatch(cell):
        return int(cell) if INT_RE.fullmatch(cell) and len(cell) < 20 else float(cell)
    return cell


def _csv(text: str, rel: str) -> tuple[list[dict], Lines]:
    """Records of a CSV file: the header row names the keys; cells that are numbers become numbers."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[dict] = []
    lines: Lines = {(): 1}
    try:
        header = next(reader, None)
        if header is None:
            return [], lines
        header = [h.strip() for h in header]
        seen = set()
        for column, name in enumerate(header, 1):
            if not name:
                raise yamlutil.YamlSyntaxError(1, f"column {column} of the header row has no name")
            if name in seen:
                raise yamlutil.YamlSyntaxError(1, f"column '{name}' appears twice in the header row")
            seen.add(name)
        start = reader.line_num + 1
        for row in reader:
            if not any(cell.strip() for cell in row):
                start = reader.line_num + 1
                continue
            if len(row) != len(header):
                raise yamlutil.YamlSyntaxError(start, f"row has {len(row)} values, the header has {len(header)}")
            index = len(records)
            records.append({key: _number(cell.strip()) for key, cell in zip(header, row, strict=True)})
            lines[(index,)] = start
            for key in header:
                lines[(index, key)] = start
            start = reader.line_num + 1
    except csv.Error as exc:
        raise yamlutil.YamlSyntaxError(reader.line_num or 1, f"invalid CSV: {exc}") from None
    return records, lines


class DataSet:
    """Every data file of a site, by name, and the tree templates see as `data`."""

    def __init__(self, files: dict[str, DataFile]):
        self.files = files
        self.tree: dict[str, Any] = {}
        for name in sorted(files):
            node = self.tree
            *folders, last = name.split(".")
            for part in folders:
                node = node.setdefault(part, {})
            node[last] = files[name].value

    def __reduce__(self):
        return (DataSet, (self.files,))

    def get(self, name: str) -> DataFile | None:
        return self.files.get(name)

    def keys(self, name: str) -> list[str] | None:
        """The keys of `data.<name>` (a mapping's keys, the `id` of each record of a list), or None if there is
        no such data."""
        found = self.files.get(name)
        if found is None:
            return None
        return list(records(found.value))

    def record_line(self, name: str, key: str) -> tuple[str, int]:
        found = self.files[name]
        if isinstance(found.value, dict):
            return found.rel, found.line(key)
        for index, record in enumerate(found.value if isinstance(found.value, list) else ()):
            if isinstance(record, dict) and str(record.get("id")) == key:
                return found.rel, found.line(index)
        return found.rel, 1


def records(value: Any) -> dict[str, Any]:
    """id -> record of a mapping, or of a list of records that each have an `id`."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {str(r["id"]): r for r in value if isinstance(r, dict) and "id" in r}
    return {}


def clashes(rels: list[str]) -> tuple[list[str], list[Problem]]:
    """The data files to load, and a problem for each that would get a name another file (or folder) has."""
    names: dict[str, str] = {}
    problems = []
    kept = []
    for rel in sorted(rels):
        name = name_of(rel)
        if name is None:
            continue
        if name in names:
            problems.append(Problem(rel, 1, f"data.{name} is already {names[name]}; rename one of them"))
            continue
        names[name] = rel
        kept.append(rel)
    for name, rel in sorted(names.items()):
        parts = name.split(".")
        for depth in range(1, len(parts)):
            folder = ".".join(parts[:depth])
            if folder in names:
                problems.append(Problem(rel, 1, f"data.{folder} is both the file {names[folder]} and a folder "
                                                "of data files; rename one of them"))
    return kept, problems


def site_settings(settings: dict) -> Site:
    """The engine's view of `data/site.yaml` (validated)."""
    return Site(
        title=settings["title"],
        description=settings["description"],
        base_url=settings["base_url"],
        base_path=urlsplit(settings["base_url"]).path or "/",
        language=settings["language"],
        author=settings.get("author"),
        faq_schema=settings.get("faq_schema", True),
        page_size=settings.get("page_size", 10),
        words_per_minute=settings.get("words_per_minute", 230),
        settings=settings,
    )


def read_site(root, base_url: str | None = None) -> tuple[Site, DataSet]:
    """The settings and data of the site at `root`, read and validated as a build reads them (for tools and
    tests); BuildError with every problem."""
    from pathlib import Path

    from .errors import BuildError
    from .sources import discover

    root = Path(root)
    schemas = Schemas.load(root)
    problems = list(schemas.problems)
    rels, found = clashes([p.relative_to(root).as_posix() for p in discover(root / "data")])
    problems += found
    files = {}
    for rel in rels:
        parsed, found = parse((root / rel).read_text("utf-8-sig"), rel, schemas,
                              base_url=base_url if rel == SITE_FILE else None)
        problems += found
        if parsed is not None:
            files[parsed.name] = parsed
    BuildError.raise_if(problems)
    dataset = DataSet(files)
    return site_settings(dataset.files["site"].value), dataset
