"""pyproject.toml declares every package that sitegen, its tests and bench/ import directly, each with a range, and
the installed versions (the ones this suite runs with) are inside the ranges."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

from conftest import REPO

# import name -> distribution name, where they differ
DISTRIBUTIONS = {"yaml": "pyyaml", "pymdownx": "pymdown-extensions", "PIL": "pillow", "fontTools": "fonttools"}
LOCAL = {"sitegen", "conftest", "servers", "generate", "test_serve", "test_markdown_prefilter"}
IGNORED = {"node_modules", "sites", "results", "__pycache__"}
REQUIREMENT_RE = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[A-Za-z0-9_,-]+\])?((?:[<>=!~]=?[^,]+,?)+)$")  # name[extras]>=x,<y


def _requirements() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    out = {}
    for req in project["dependencies"] + project["optional-dependencies"]["test"]:
        match = REQUIREMENT_RE.match(req.replace(" ", ""))
        assert match, req
        out[match.group(1).lower()] = match.group(2)
    return out


def _imported() -> set[str]:
    names = set()
    for folder in ("sitegen", "tests", "bench", "tools"):
        for path in (REPO / folder).rglob("*.py"):
            if any(part.startswith(".") or part in IGNORED for part in path.relative_to(REPO).parts):
                continue  # installed tools (bench/peers/.venv), generated sites: not the repository's code
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    names.add("playwright")  # pytest.importorskip("playwright.sync_api")
    # the repository's own modules (bench/peers/convert.py is imported as `convert`, say)
    local = LOCAL | {p.stem for folder in ("sitegen", "tests", "bench", "tools") for p in (REPO / folder).rglob("*.py")
                     if not any(part.startswith(".") or part in IGNORED for part in p.relative_to(REPO).parts)}
    return {n for n in names if n not in sys.stdlib_module_names and n not in local}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def test_every_imported_package_is_declared_with_a_range():
    declared = _requirements()
    for name in sorted(_imported()):
        dist = DISTRIBUTIONS.get(name, name).lower()
        assert dist in declared, f"{name} is imported but {dist} is not in pyproject.toml"
    for dist, spec in declared.items():
        assert ">=" in spec and "<" in spec.replace("<=", ""), f"{dist}{spec}: give a lower and an upper bound"


def test_the_installed_versions_are_inside_the_ranges():
    for dist, spec in _requirements().items():
        installed = _version(metadata.version(dist))
        for part in spec.split(","):
            op, bound = re.match(r"([<>=!~]=?)(.+)", part).groups()
            low = _version(bound)
            if op == ">=":
                assert installed >= low, (dist, spec)
            elif op == "<":
                assert installed[:len(low)] < low, (dist, spec)
