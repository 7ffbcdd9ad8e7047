"""The seam between the services and a disease's rule set. Standard library only.

A rule set is what the services need from one disease: its version string (stored with
every assessment), the assessment of a report, the baseline tier, the warning lines of the
charts, the end-of-treatment check, the reporting flag, the treatment day, and its
vocabularies (symptom, warning-symptom and comorbidity codes). A disease is a package under
``f0monitor.domain`` that builds one ``RuleSet`` from its own functions and exposes it as
``RULE_SET`` (``domain.covid.RULE_SET`` is the first); a second disease is a second package,
not ``if`` branches in the first.

The disease's own input and output types (its profile, report, assessment and reason
classes) are type parameters: the seam names what goes in and out, not what is inside.
Every function is pure: the caller hands in every date and time it uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from .states import Tier

ProfileT = TypeVar("ProfileT")
ReportT = TypeVar("ReportT")
AssessmentT = TypeVar("AssessmentT")
ReasonT = TypeVar("ReasonT")

_FUNCTIONS = (
    "assess",
    "baseline_tier",
    "chart_thresholds",
    "recovery_check",
    "reporting_flag",
    "day_of_treatment",
)


@dataclass(frozen=True, slots=True)
class RuleSet(Generic[ProfileT, ReportT, AssessmentT, ReasonT]):
    """What the services need from one disease's rules.

    - ``version``: the rule set's version string, stored with every assessment.
    - ``assess(profile, report, previous_reports)``: the assessment of one report;
      ``previous_reports`` (any order) are the patient's earlier reports.
    - ``baseline_tier(profile, on)``: the tier from the profile alone on a date, and why.
    - ``chart_thresholds(profile, on)``: the warning lines to draw per vital sign for the
      patient's age on a date, taken from the same rule table as ``assess``.
    - ``recovery_check(positive_test_date, on, fully_vaccinated, negative_test)``: whether
      staff may end home treatment on a date, and the reason why not.
    - ``reporting_flag(last_report_at, registered_at, now)``: "missing", "overdue" or None.
    - ``day_of_treatment(positive_test_date, on)``: the treatment day (day 1 = positive test).
    - ``symptoms``, ``warning_symptoms`` (symptom code -> warning-sign code) and
      ``comorbidities``: the codes a report and a profile may carry, in display order.
    """

    version: str
    assess: Callable[[ProfileT, ReportT, Sequence[ReportT]], AssessmentT]
    baseline_tier: Callable[[ProfileT, date], tuple[Tier, tuple[ReasonT, ...]]]
    chart_thresholds: Callable[[ProfileT, date], Mapping[str, tuple[tuple[object, ...], ...]]]
    recovery_check: Callable[[date, date, bool, bool], tuple[bool, ReasonT | None]]
    reporting_flag: Callable[[datetime | None, datetime, datetime], str | None]
    day_of_treatment: Callable[[date, date], int]
    symptoms: tuple[str, ...]
    warning_symptoms: Mapping[str, str]
    comorbidities: tuple[str, ...]

    def __post_init__(self) -> None:
        # A malformed rule set must fail when its package is imported, not on a patient.
        if not isinstance(self.version, str) or not self.version:
            raise ValueError("a rule set needs a version string")
        for name in _FUNCTIONS:
            if not callable(getattr(self, name)):
                raise TypeError(f"RuleSet.{name} must be callable")
        for name in ("symptoms", "comorbidities"):
            codes = getattr(self, name)
            if not isinstance(codes, tuple) or len(set(codes)) != len(codes):
                raise ValueError(f"RuleSet.{name} must be a tuple of distinct codes")
        unknown = set(self.warning_symptoms) - set(self.symptoms)
        if unknown:
            raise ValueError(f"warning symptoms not in the symptoms: {', '.join(sorted(unknown))}")
