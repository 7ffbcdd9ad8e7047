"""FHIR search: the parameters we support, read into SQL, and searchset Bundles with paging.

Supported (the CapabilityStatement lists them): ``_id``, ``_lastUpdated`` (Patient),
``patient`` / ``subject`` (``123`` or ``Patient/123``), ``date`` (prefixes eq, ge, gt, le,
lt; a date is a Vietnamese day, a dateTime without offset is Vietnam time), ``code``
(Observation: a LOINC code, ``http://loinc.org|59408-5`` or bare), ``_count`` (1–200,
default 50) and ``_page`` (from 1). A value we cannot read is a 400 OperationOutcome naming it;
parameters we do not support are ignored (FHIR's lenient handling) and are not echoed in the
self link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from ..data.types import as_id
from ..domain.clock import VN_TZ

MAX_COUNT = 200
DEFAULT_COUNT = 50
MAX_PAGE = 100_000
_PREFIXES = ("eq", "ge", "gt", "le", "lt")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadSearch(Exception):
    """A search parameter we cannot read; the message names it."""


@dataclass
class Search:
    count: int = DEFAULT_COUNT
    page: int = 1
    patient_id: int | None = None
    ids: list[int] = field(default_factory=list)
    dates: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    last_updated: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    codes: set[str] | None = None
    echoed: list[tuple[str, str]] = field(default_factory=list)  # for the self / next links

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.count


def _interval(name: str, raw: str) -> tuple[str, datetime, datetime]:
    prefix = raw[:2] if raw[:2] in _PREFIXES else "eq"
    text = raw[2:] if raw[:2] in _PREFIXES else raw
    try:
        if _DATE.match(text):
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(0), tzinfo=VN_TZ)
            return prefix, start, start + timedelta(days=1)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=VN_TZ)
        return prefix, moment, moment + timedelta(seconds=1)
    except (ValueError, OverflowError):
        raise BadSearch(f"{name}: not a FHIR date or dateTime with an optional prefix "
                        f"(eq, ge, gt, le, lt): {raw[:40]!r}") from None


def _reference_id(name: str, raw: str) -> int:
    text = raw.removeprefix("Patient/")
    pid = as_id(text) if text.isdigit() else None
    if pid is None:
        raise BadSearch(f"{name}: expected a Patient id (123 or Patient/123)")
    return pid


def _bounded(name: str, raw: str, low: int, high: int) -> int:
    if not raw.isdigit():
        raise BadSearch(f"{name}: expected a whole number from {low} to {high}")
    return min(high, max(low, int(raw)))


def parse(args: Any, allowed: set[str]) -> Search:
    """Read the query string of a search of a resource type that supports `allowed`.

    :raise BadSearch: a supported parameter with a value we cannot read.
    """
    search = Search()
    for name, raw in args.items(multi=True):
        if name not in allowed:
            continue
        raw = raw.strip()
        if name == "_count":
            search.count = _bounded(name, raw, 1, MAX_COUNT)
            continue
        if name == "_page":
            search.page = _bounded(name, raw, 1, MAX_PAGE)
            continue
        search.echoed.append((name, raw))
        if name in ("patient", "subject"):
            search.patient_id = _reference_id(name, raw)
        elif name == "_id":
            for part in raw.split(","):
                rid = as_id(part) if part.strip().isdigit() else None
                if rid is None:
                    raise BadSearch("_id: expected ids")
                search.ids.append(rid)
        elif name in ("date", "authored"):
            search.dates.append(_interval(name, raw))
        elif name == "_lastUpdated":
            search.last_updated.append(_interval(name, raw))
        elif name == "code":
            search.codes = (search.codes or set()) | {
                part.split("|")[-1] for part in raw.split(",") if part.strip()
            }
    return search


def date_clauses(column: Any, intervals: list[tuple[str, datetime, datetime]]) -> list[Any]:
    """Return the WHERE clauses of date intervals on a column (FHIR's prefix semantics)."""
    clauses = []
    for prefix, start, end in intervals:
        clauses.append({
            "eq": sa.and_(column >= start, column < end),
            "ge": column >= start,
            "gt": column >= end,
            "le": column < end,
            "lt": column < start,
        }[prefix])
    return clauses


def bundle(
    resources: list[dict[str, Any]], *, total: int, search: Search, base: str, self_url: str
) -> dict[str, Any]:
    """Return a searchset Bundle with self, first, previous and next links."""

    def url(page: int) -> str:
        query = [*search.echoed, ("_count", str(search.count)), ("_page", str(page))]
        return f"{self_url}?{urlencode(query)}"

    links = [{"relation": "self", "url": url(search.page)}, {"relation": "first", "url": url(1)}]
    if search.page > 1:
        links.append({"relation": "previous", "url": url(search.page - 1)})
    if search.offset + search.count < total:
        links.append({"relation": "next", "url": url(search.page + 1)})
    out: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
    }
    if resources:
        out["entry"] = [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
             "search": {"mode": "match"}}
            for r in resources
        ]
    return out
