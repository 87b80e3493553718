"""JSON Schemas: the site's own (`schemas/<name>.schema.json`) or the package's defaults, and validation with
`path:line` messages.

`schemas/article.schema.json` and `schemas/page.schema.json` type the front matter of articles and pages,
`schemas/site.schema.json` the settings, and `schemas/<name>.schema.json` the data file `data/<name>.*` (subfolders
nest: `schemas/pay/by_city.schema.json` checks `data/pay/by_city.csv`). Front matter and settings are also checked
against the engine's own fields (ENGINE_FIELDS), so a site's schema can add fields but never break the engine.

Two keywords of our own: `"x-data-ref": "roles"` on a string, or on a list of strings, says the values are keys of
`data.roles` (checked once data is loaded: assemble); `"x-markdown": true` on a string field of the front matter
says it is Markdown, converted with the body (components allowed) and given to templates as HTML.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Protocol

from .errors import Problem
from .limits import MAX_DATA_BYTES
from .yamlutil import Lines, line_of

SCHEMA_SUFFIX = ".schema.json"
# the front-matter fields the engine itself reads; a site's schema may add others
ENGINE_FIELDS = ("title", "description", "date", "updated", "draft", "slug", "aliases", "layout", "category", "tags",
                 "related", "author", "faq_schema")


@dataclass(frozen=True)
class Schema:
    """One schema: its name (`article`, `roles`, `pay/by_city`), where it comes from and its text."""

    name: str
    origin: str  # 'schemas/roles.schema.json', or 'sitegen/schemas/...' for a package default
    text: bytes
    value: dict = field(compare=False, repr=False)

    @functools.cached_property  # noqa: B019 - one per schema, which lives as long as its build
    def digest(self) -> str:
        return hashlib.blake2b(self.text, digest_size=16).hexdigest()

    def __reduce__(self):  # workers get the text, not the compiled validator
        return (_rebuild, (self.name, self.origin, self.text))

    def refs(self) -> dict[str, str]:
        """Top-level field -> the data it names keys of (`x-data-ref`), for the field or its items."""
        out = {}
        for name, prop in (self.value.get("properties") or {}).items():
            if not isinstance(prop, dict):
                continue
            ref = prop.get("x-data-ref")
            items = prop.get("items")
            if ref is None and isinstance(items, dict):
                ref = items.get("x-data-ref")
            if isinstance(ref, str):
                out[name] = ref
        return out

    def markdown_fields(self) -> tuple[str, ...]:
        return tuple(name for name, prop in (self.value.get("properties") or {}).items()
                     if isinstance(prop, dict) and prop.get("x-markdown") is True)


def _rebuild(name: str, origin: str, text: bytes) -> Schema:
    return Schema(name, origin, text, json.loads(text))


@functools.cache
def default(name: str) -> Schema:
    """The package's schema for sites without their own (article, page, site)."""
    text = resources.files("sitegen").joinpath("schemas", name + SCHEMA_SUFFIX).read_bytes()
    return Schema(name, f"sitegen/schemas/{name}{SCHEMA_SUFFIX}", text, json.loads(text))


@functools.cache
def engine(kind: str) -> Schema:
    """The engine's own fields of `kind` (article, page, site) with any other field allowed: what every site's
    front matter and settings must satisfy, whatever its own schema says."""
    base = default(kind)
    value = {**base.value, "additionalProperties": True}
    text = json.dumps(value, sort_keys=True).encode()
    return Schema(f"{kind} (engine)", base.origin, text, value)


class Schemas:
    """The schemas of one site: `schemas/**/<name>.schema.json` under its root, the package's defaults for the
    front matter and settings where the site has none."""

    def __init__(self, found: dict[str, Schema], problems: list[Problem]):
        self.found = found
        self.problems = problems

    @classmethod
    def load(cls, root: Path, known: "KnownValid | None" = None) -> "Schemas":
        """`known`: where schemas found to be valid JSON Schemas are remembered (the check imports jsonschema,
        50 ms a build that needs nothing else of it)."""
        found: dict[str, Schema] = {}
        problems: list[Problem] = []
        folder = root / "schemas"
        if folder.is_dir():
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for filename in sorted(filenames):
                    if not filename.endswith(SCHEMA_SUFFIX) or filename.startswith("."):
                        continue
                    path = Path(dirpath) / filename
                    rel = path.relative_to(root).as_posix()
                    name = rel.removeprefix("schemas/").removesuffix(SCHEMA_SUFFIX)
                    schema, problem = _read(path, rel, name, known)
                    if problem is not None:
                        problems.append(problem)
                    else:
                        found[name] = schema
        return cls(found, problems)

    def get(self, name: str) -> Schema | None:
        """The site's schema called `name`, else the package's default for the front matter and settings."""
        if name in self.found:
            return self.found[name]
        return default(name) if name in ("article", "page", "site") else None

    def own(self, name: str) -> bool:
        return name in self.found

    @functools.cached_property
    def digest(self) -> str:
        h = hashlib.blake2b(digest_size=16)
        for name in sorted(self.found):
            h.update(f"{name}\0{self.found[name].digest}\n".encode())
        return h.hexdigest()

    def __reduce__(self):
        return (Schemas, (self.found, self.problems))


def _read(path: Path, rel: str, name: str, known=None) -> tuple[Schema | None, Problem | None]:
    try:
        if path.stat().st_size > MAX_DATA_BYTES:
            return None, Problem(rel, 1, f"file is larger than {MAX_DATA_BYTES // (1024 * 1024)} MB")
        text = path.read_bytes()
        value = json.loads(text)
    except OSError as exc:
        return None, Problem(rel, 1, f"cannot read the file: {exc.strerror or exc}")
    except (UnicodeDecodeError, ValueError) as exc:
        line = getattr(exc, "lineno", 1)
        return None, Problem(rel, line, f"not a JSON Schema: invalid JSON: {getattr(exc, 'msg', exc)}")
    except RecursionError:
        return None, Problem(rel, 1, "not a JSON Schema: nested too deeply")
    if not isinstance(value, dict):
        return None, Problem(rel, 1, "not a JSON Schema: the file must hold an object")
    key = "schema\0" + hashlib.blake2b(_salt(text), digest_size=20).hexdigest()
    if known is None or not known.known_valid(key):
        import jsonschema

        try:
            jsonschema.validators.validator_for(value).check_schema(value)
        except jsonschema.SchemaError as exc:
            where = "/".join(map(str, exc.absolute_path)) or "the top"
            return None, Problem(rel, 1, f"not a valid JSON Schema at {where}: {exc.message}"[:300])
        if known is not None:
            known.remember_valid(key)
    return Schema(name, rel, text, value), None


@functools.lru_cache(maxsize=64)
def _validator(schema: Schema):
    import jsonschema  # 50 ms to import: a warm build whose data files were valid before does without it

    cls = jsonschema.validators.validator_for(schema.value)
    return cls(schema.value, format_checker=cls.FORMAT_CHECKER)


class KnownValid(Protocol):
    """Where validate() remembers data it found valid (sitegen.store.ValidData)."""

    def known_valid(self, key: str) -> bool: ...

    def remember_valid(self, key: str) -> None: ...


def validity_key(data: Any, schema: Schema) -> str:
    """Equal for data that validate() would judge the same: the data written out exactly (repr tells apart 1, 1.0,
    True and '1', NaN and None), the schema's text and the validator's version."""
    h = hashlib.blake2b(_salt(schema.text), digest_size=20)
    h.update(repr(data).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


@functools.lru_cache(maxsize=64)
def _salt(text: bytes) -> bytes:
    return text + b"\0" + metadata.version("jsonschema").encode() + b"\0"


def validate(data: Any, lines: Lines, schema: Schema, path: str, known: KnownValid | None = None) -> list[Problem]:
    """Every schema violation as a Problem at the line of the offending value. With `known`, data found valid
    before is not checked again (data files are read on every build and rarely change)."""
    key = validity_key(data, schema) if known is not None else None
    if key is not None and known.known_valid(key):
        return []
    problems = _violations(data, lines, schema, path)
    if key is not None and not problems:
        known.remember_valid(key)
    return problems


def validate_fields(data: Any, lines: Lines, kind: str, schemas: Schemas, path: str,
                    known: KnownValid | None = None) -> list[Problem]:
    """Front matter or settings of `kind`: the engine's own fields first, then the site's schema (or the
    package's default)."""
    schema = schemas.get(kind)
    assert schema is not None
    if schemas.own(kind):
        problems = validate(data, lines, engine(kind), path, known)
        if problems:
            return problems
    return validate(data, lines, schema, path, known)


def _violations(data: Any, lines: Lines, schema: Schema, path: str) -> list[Problem]:
    problems = []
    errors = sorted(_validator(schema).iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    for error in errors:
        error_path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            for key in extra:
                where = ".".join(str(p) for p in error_path + (key,))
                problems.append(Problem(path, line_of(lines, error_path + (key,)), f"{where}: unknown field"))
            continue
        problems.append(Problem(path, line_of(lines, error_path), _describe(error)))
    return problems


def _describe(error) -> str:
    where = ".".join(str(p) for p in error.absolute_path)
    prefix = f"{where}: " if where else ""
    validator = error.validator
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{prefix}missing required field '{missing}'"
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"{prefix}unknown field{'s' if len(extra) > 1 else ''} " + ", ".join(f"'{e}'" for e in extra)
    if validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        got = _json_type(error.instance)
        hint = ""
        if "string" in str(expected) and got in ("boolean", "number"):
            hint = " (YAML reads yes/no/on/off as booleans and 12:30 or 0123 as numbers: put the value in quotes)"
        return f"{prefix}expected {expected}, got {got} {_show(error.instance)}{hint}"
    if validator == "format":
        return f"{prefix}expected a {error.validator_value} (YYYY-MM-DD), got {_show(error.instance)}"
    if validator == "enum":
        return f"{prefix}must be one of " + ", ".join(_show(v) for v in error.validator_value) + f", got {_show(error.instance)}"
    if validator == "pattern":
        hint = error.schema.get("description", f"the pattern {error.validator_value}")
        return f"{prefix}{_show(error.instance)} does not match {hint}"
    if validator in ("minLength", "minItems", "minimum"):
        return f"{prefix}{_show(error.instance)} is too small or empty (minimum {error.validator_value})"
    return f"{prefix}{error.message}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "mapping"


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "(" + _json_type(value) + ")"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + '..."'


