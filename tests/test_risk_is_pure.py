"""Enforce that f0monitor/risk.py is pure: standard library only, and no clock reads.

Parsed with ast rather than imported: importing f0monitor.risk runs f0monitor/__init__.py,
which imports Flask, so sys.modules could not tell what risk.py itself needs.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

RISK = Path(__file__).resolve().parent.parent / "f0monitor" / "domain" / "covid" / "__init__.py"

CLOCK_ATTRIBUTES = {"now", "today", "utcnow"}
CLOCK_FUNCTIONS = {"time", "time_ns", "monotonic", "perf_counter", "localtime", "gmtime", "ctime"}
NONDETERMINISTIC_MODULES = {"random", "secrets", "uuid"}


def violations(source: str) -> list[str]:
    """Return every impurity found in a module's source."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found += _module_violation(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append(f"line {node.lineno}: relative import")
            else:
                found += _module_violation(node.module or "", node.lineno)
                if node.module == "time":
                    found += [
                        f"line {node.lineno}: time.{a.name}"
                        for a in node.names
                        if a.name in CLOCK_FUNCTIONS
                    ]
        elif isinstance(node, ast.Attribute):
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


def test_risk_module_is_pure() -> None:
    assert violations(RISK.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "import sqlalchemy.orm",
        "from marshmallow import Schema",
        "from . import db",
        "from .models import Patient",
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
