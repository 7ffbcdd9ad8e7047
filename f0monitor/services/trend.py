"""A patient's last days at a glance: per-day figures and small line drawings, no JavaScript.

The patient home draws these on the server (an inline SVG and a table), so a cheap phone sees
its trend without downloading plotly.js; the full charts load only when asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..domain.clock import VN_TZ
from ..domain.states import max_tier
from ..domain.vitals import CHARTED, effective_value

DAYS = 3


@dataclass(frozen=True)
class Day:
    """One local day of reports: how many, and the worst of each vital and of the tier."""

    day: date
    reports: int
    temperature_max: float | None
    spo2_min: int | None
    pulse_max: int | None
    respiratory_rate_max: int | None
    tier: str | None
    alert: bool


@dataclass(frozen=True)
class Line:
    """One vital over the last days, in a width x height box (0, 0 is the top left)."""

    name: str
    label: str  # message id of the vital's chart title
    unit: str
    points: tuple[tuple[float, float, float, str], ...]  # x, y, value, local "dd/mm HH:MM"
    thresholds: tuple[tuple[float, float, str], ...]  # y, value, label
    low: float
    high: float
    ticks: tuple[tuple[float, str], ...]  # x, local "dd/mm"

    @property
    def summary(self) -> str:
        """The points in words, for the drawing's text alternative: "01/12 08:00: 37.5; …"."""
        return "; ".join(f"{when}: {value:g}" for _x, _y, value, when in self.points)

    @property
    def last(self) -> float:
        return self.points[-1][2]

    @property
    def path(self) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _v, _t) in enumerate(self.points))


def _local(moment: datetime) -> datetime:
    return moment.astimezone(VN_TZ)


def last_days(reports: Sequence[object], today: date, days: int = DAYS) -> list[Day]:
    """Return the last ``days`` local days up to ``today``, newest first (days without a report too)."""
    out = []
    for back in range(days):
        day = today - timedelta(days=back)
        rows = [r for r in reports if _local(r.reported_at).date() == day]  # type: ignore[attr-defined]

        def values(name: str, rows: list = rows) -> list[float]:
            return [v for r in rows if (v := effective_value(r, name)) is not None]

        temps, spo2, pulse, rr = values("temperature_c"), values("spo2"), values("pulse"), values("respiratory_rate")
        tiers = [r.assessment.tier for r in rows if getattr(r, "assessment", None) is not None]
        out.append(
            Day(
                day=day,
                reports=len(rows),
                temperature_max=max(temps) if temps else None,
                spo2_min=int(min(spo2)) if spo2 else None,
                pulse_max=int(max(pulse)) if pulse else None,
                respiratory_rate_max=int(max(rr)) if rr else None,
                tier=max_tier(*tiers).value if tiers else None,
                alert=any(r.assessment.alert for r in rows if getattr(r, "assessment", None) is not None),
            )
        )
    return out


def lines(
    reports: Sequence[object],
    thresholds: Mapping[str, Sequence[tuple[float, str]]],
    now: datetime,
    *,
    days: int = DAYS,
    width: float = 300,
    height: float = 60,
    pad: float = 6,
) -> list[Line]:
    """Return one small line per charted vital measured in the last ``days`` days, oldest left."""
    end = now
    start = _local(now).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    span = (end - start).total_seconds() or 1.0
    out = []
    for spec in CHARTED:
        pts = sorted(
            (r.reported_at, v)  # type: ignore[attr-defined]
            for r in reports
            if r.reported_at >= start and (v := effective_value(r, spec.name)) is not None  # type: ignore[attr-defined]
        )
        if not pts:
            continue
        marks = [value for value, _label in thresholds.get(spec.name, ())]
        low = min([v for _m, v in pts] + marks)
        high = max([v for _m, v in pts] + marks)
        if high - low < 1:
            low, high = low - 0.5, high + 0.5

        def y(value: float, low: float = low, high: float = high) -> float:
            return pad + (high - value) / (high - low) * (height - 2 * pad)

        def x(moment: datetime) -> float:
            return pad + (moment - start).total_seconds() / span * (width - 2 * pad)

        out.append(
            Line(
                name=spec.name,
                label=spec.chart_label or spec.label,
                unit=spec.unit,
                points=tuple((x(m), y(v), v, _local(m).strftime("%d/%m %H:%M")) for m, v in pts),
                thresholds=tuple((y(v), v, label) for v, label in thresholds.get(spec.name, ())),
                low=low,
                high=high,
                ticks=tuple(
                    (x(start + timedelta(days=d)), (start + timedelta(days=d)).strftime("%d/%m")) for d in range(days)
                ),
            )
        )
    return out
