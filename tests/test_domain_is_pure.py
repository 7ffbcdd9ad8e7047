"""Enforce that f0monitor/domain is pure: standard library only, and no clock reads.

Parsed with ast rather than imported: importing f0monitor.domain runs f0monitor/__init__.py,
which imports Flask, so sys.modules could not tell what the domain itself needs. Relative
imports are allowed when they stay inside the domain package. Only ``domain/clock.py`` (the
one clock of the app) may read the time; the rules are handed every instant they use.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parent.parent / "f0monitor" / "domain"
DOMAIN_FILES = sorted(DOMAIN.rglob("*.py"))
CLOCK = DOMAIN / "clock.py"

CLOCK_ATTRIBUTES = {"now", "today", "utcnow"}
CLOCK_FUNCTIONS = {"time", "time_ns", "monotonic", "perf_counter", "localtime", "gmtime", "ctime"}
NONDETERMINISTIC_MODULES = {"random", "secrets", "uuid"}


def violations(source: str, depth: int = 0, *, clock_allowed: bool = False) -> list[str]:
    """Return every impurity found in a module's source.

    ``depth`` is how many packages below ``f0monitor.domain`` the module's package lies: a
    relative import may climb that many levels and no further.
    """
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found += _module_violation(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level - 1 > depth:
                    found.append(f"line {node.lineno}: relative import out of the domain")
            else:
                found += _module_violation(node.module or "", node.lineno)
                if node.module == "time":
                    found += [
                        f"line {node.lineno}: time.{a.name}"
                        for a in node.names
                        if a.name in CLOCK_FUNCTIONS
                    ]
        elif isinstance(node, ast.Attribute) and not clock_allowed:
            if node.attr in CLOCK_ATTRIBUTES:
                found.append(f"line {node.lineno}: .{node.attr}")
            elif (
                isinstance(node.value, ast.Name)
                and node.value.id == "time"
                and node.attr in CLOCK_FUNCTIONS
            ):
                found.append(f"line {node.lineno}: time.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("open", "input", "print", "__import__"):
                found.append(f"line {node.lineno}: {node.func.id}()")
    return found


def _module_violation(name: str, lineno: int) -> list[str]:
    top = name.split(".")[0]
    if top not in sys.stdlib_module_names:
        return [f"line {lineno}: import of non-stdlib module {name}"]
    if top in NONDETERMINISTIC_MODULES or top == "importlib":
        return [f"line {lineno}: import of {name}"]
    return []


def test_the_domain_has_its_modules() -> None:
    names = {str(p.relative_to(DOMAIN)) for p in DOMAIN_FILES}
    assert {"covid/assess.py", "vitals.py", "states.py", "alerts.py", "transfers.py"} <= names


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_module_is_pure(path: Path) -> None:
    depth = len(path.relative_to(DOMAIN).parts) - 1
    found = violations(path.read_text(encoding="utf-8"), depth, clock_allowed=path == CLOCK)
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "import sqlalchemy.orm",
        "from marshmallow import Schema",
        "from .. import db",
        "from ..data.models import Patient",
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.now(datetime.timezone.utc)",
        "from datetime import date\nx = date.today()",
        "from datetime import datetime\nx = datetime.utcnow()",
        "import time\nx = time.time()",
        "import time\nx = time.monotonic()",
        "from time import time",
        "import random",
        "x = open('rules.json').read()",
    ],
)
def test_the_checker_catches(source: str) -> None:
    assert violations(source), source


@pytest.mark.parametrize(
    "source",
    [
        "from __future__ import annotations",
        "import math\nfrom datetime import date, datetime, timedelta, timezone",
        "from collections.abc import Mapping\nfrom dataclasses import dataclass",
        "x = report.reported_at.astimezone(tz).date()",
    ],
)
def test_the_checker_allows(source: str) -> None:
    assert violations(source) == []
