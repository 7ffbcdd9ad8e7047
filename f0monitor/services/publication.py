"""Figures that leave the department: small counts are shown as "<5" (statistical disclosure).

A ward-day count of 1 to 4 can point at a person in a small commune, so the "for publication"
versions of the caseload export and the printable daily summary show it as ``"<5"``; 0 and
5 or more are shown as they are. The department's own dashboard and the API keep exact counts.
This works on finished rows (dicts or CSV rows), whatever built them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

SMALL = "<5"
THRESHOLD = 5
# Not counts: never suppressed.
NOT_COUNTS = frozenset({"date", "ward_code", "ward_name", "name", "median_minutes_to_acknowledge"})


def small(value: Any) -> Any:
    """Return "<5" for a count of 1–4, the value itself otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < THRESHOLD:
        return SMALL
    return value


def for_publication(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a row with every count of 1–4 as "<5" (nested dicts such as by_tier too)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in NOT_COUNTS:
            out[key] = value
        elif isinstance(value, Mapping):
            out[key] = for_publication(value)
        else:
            out[key] = small(value)
    return out


def flat_row(item: Mapping[str, Any], columns: Iterable[str]) -> list[Any]:
    """Flatten an API-shaped caseload item into CSV columns (``by_tier_green`` …)."""
    values = []
    for column in columns:
        if column.startswith("by_tier_"):
            values.append(item["by_tier"][column.removeprefix("by_tier_")])
        else:
            value = item.get(column)
            values.append("" if value is None else value)
    return values


def publication_csv(items: Iterable[Any], columns: tuple[str, ...]) -> str:
    """Return caseload items (``DayWard``) as CSV for publication: counts of 1–4 as "<5"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for item in items:
        row = item.as_dict()
        row["ward_code"] = int(row["ward_code"])
        writer.writerow(flat_row(for_publication(row), columns))
    return out.getvalue()


def publication_total(exact: int, shown: Iterable[Any]) -> Any:
    """Return a column's total for publication.

    An exact total next to one "<5" would give the hidden count away by subtraction, so a
    total whose column hides a count is rounded to the nearest 5 and marked "≈" (a total of
    1–4 is "<5" itself).
    """
    total = small(exact)
    if total == SMALL or not any(value == SMALL for value in shown):
        return total
    return f"≈{THRESHOLD * round(exact / THRESHOLD)}"
