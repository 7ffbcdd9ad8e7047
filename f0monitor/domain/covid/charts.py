"""Warning lines for the vital charts, from the rule table."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date

from .age import age_on
from .messages import _CHART_LABELS
from .model import Profile
from .rules import _W2, _W3_BOUNDS, _W3_VALUES, _W4, RULES, _from
from .vocab import _lang_index


def chart_thresholds(
    profile: Profile, on: date, lang: str = "vi"
) -> dict[str, tuple[tuple[float, str], ...]]:
    """Return the warning lines to draw on a patient's vital charts, for their age on a day.

    Keys are vital names; each line is (value, label). The values are the rule table's, so a
    chart can never disagree with the assessment.
    """
    i = _lang_index(lang)
    _years, months = age_on(profile.date_of_birth, on)
    lines: dict[str, tuple[tuple[float, str], ...]] = {}
    temp = [(RULES["CHART_FEVER_C"], _CHART_LABELS["fever"][i])]
    if months < RULES["C2_UNDER_AGE_MONTHS"]:
        temp.append((RULES["C2_HIGH_FEVER_ABOVE_C"], _CHART_LABELS["C2"][i]))
    lines["temperature_c"] = tuple(temp)
    op, limit = _W3_VALUES[bisect_right(_W3_BOUNDS, months) - 1]
    lines["spo2"] = ((limit, f"{_CHART_LABELS['W3'][i]} ({op} {limit})"),)
    rr_limit = _from(*_W2, months)
    lines["respiratory_rate"] = ((rr_limit, f"{_CHART_LABELS['W2'][i]} (≥ {rr_limit})"),)
    pulse_limits = _from(*_W4, months)
    if pulse_limits is not None:
        low, high = pulse_limits
        lines["pulse"] = (
            (high, f"{_CHART_LABELS['W4_high'][i]} (> {high})"),
            (low, f"{_CHART_LABELS['W4_low'][i]} (< {low})"),
        )
    return lines
