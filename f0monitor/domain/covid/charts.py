"""Warning lines for the vital charts, from the rule table (codes and values; no words)."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date

from .age import age_on
from .model import Profile
from .rules import _W2, _W3_BOUNDS, _W3_VALUES, _W4, RULES, _from

# The codes a chart line can have; http/labels.py has the words of each.
CHART_LINE_CODES = ("fever", "C2", "W3", "W2", "W4_high", "W4_low")

ChartLine = tuple[float, str, dict[str, object]]


def chart_thresholds(profile: Profile, on: date) -> dict[str, tuple[ChartLine, ...]]:
    """Return the warning lines to draw on a patient's vital charts, for their age on a day.

    Keys are vital names; each line is (value, code, params), code one of
    ``CHART_LINE_CODES``. The values are the rule table's, so a chart can never disagree with
    the assessment.
    """
    _years, months = age_on(profile.date_of_birth, on)
    lines: dict[str, tuple[ChartLine, ...]] = {}
    temp: list[ChartLine] = [(RULES["CHART_FEVER_C"], "fever", {})]
    if months < RULES["C2_UNDER_AGE_MONTHS"]:
        temp.append((RULES["C2_HIGH_FEVER_ABOVE_C"], "C2", {}))
    lines["temperature_c"] = tuple(temp)
    op, limit = _W3_VALUES[bisect_right(_W3_BOUNDS, months) - 1]
    lines["spo2"] = ((limit, "W3", {"op": op, "limit": limit}),)
    rr_limit = _from(*_W2, months)
    lines["respiratory_rate"] = ((rr_limit, "W2", {"limit": rr_limit}),)
    pulse_limits = _from(*_W4, months)
    if pulse_limits is not None:
        low, high = pulse_limits
        lines["pulse"] = (
            (high, "W4_high", {"limit": high}),
            (low, "W4_low", {"limit": low}),
        )
    return lines
