"""The server-drawn trend of the patient home (services.trend): days and small lines."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from f0monitor.domain.clock import VN_TZ
from f0monitor.services import trend

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=VN_TZ)


def _report(hours_ago: float, tier: str, alert: bool = False, **values):
    base = {name: None for name in ("temperature_c", "spo2", "spo2_recheck", "pulse", "respiratory_rate",
                                    "systolic_bp", "diastolic_bp")}
    base.update(values)
    return SimpleNamespace(reported_at=NOW - timedelta(hours=hours_ago), no_oximeter=False,
                           assessment=SimpleNamespace(tier=tier, alert=alert), **base)


REPORTS = [
    _report(1, "yellow", temperature_c=37.1, spo2=97, pulse=80),
    _report(26, "red", True, temperature_c=38.6, spo2=95, spo2_recheck=94, pulse=101),
    _report(30, "yellow", temperature_c=37.9, spo2=97, pulse=90),
    _report(200, "green", temperature_c=36.6),  # older than the days shown
]


def test_last_days_give_each_days_worst_values_and_tier():
    days = trend.last_days(REPORTS, NOW.date())
    assert [d.day.isoformat() for d in days] == ["2026-12-02", "2026-12-01", "2026-11-30"]
    today, yesterday, before = days
    assert (today.reports, today.tier, today.alert) == (1, "yellow", False)
    assert yesterday.reports == 2 and yesterday.temperature_max == 38.6
    assert yesterday.spo2_min == 94  # the second reading replaces the first
    assert (yesterday.pulse_max, yesterday.tier, yesterday.alert) == (101, "red", True)
    assert before.reports == 0 and before.tier is None


def test_lines_place_points_by_time_and_draw_the_limits():
    lines = {line.name: line for line in trend.lines(REPORTS, {"spo2": [(96, "low SpO2")]}, NOW)}
    assert set(lines) == {"temperature_c", "spo2", "pulse"}  # what was measured in the last days
    spo2 = lines["spo2"]
    assert [p[2] for p in spo2.points] == [97, 94, 97]  # oldest left; the recheck drawn
    xs = [p[0] for p in spo2.points]
    assert xs == sorted(xs) and 0 < xs[0] < xs[-1] <= 300
    (y_limit, value, label), = spo2.thresholds
    assert value == 96 and label == "low SpO2"
    assert spo2.points[1][1] > y_limit > spo2.points[2][1]  # 94 below the line, 97 above it
    assert spo2.path.startswith("M") and " L" in spo2.path
    assert "01/12" in spo2.summary and "94" in spo2.summary
    assert [label for _x, label in spo2.ticks] == ["30/11", "01/12", "02/12"]
