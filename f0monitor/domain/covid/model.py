"""What the rules take and give: profile, report, reason, NEWS2 and assessment (frozen)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from ..states import Tier
from ..vitals import round_half_up
from .rules import _COMORBIDITY_SET, _SYMPTOM_SET, _TEMPERATURE_DECIMALS, RULES_VERSION

# --------------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------------


def _frozen_keys(value: Iterable[str], allowed: frozenset[str], what: str) -> frozenset[str]:
    keys = value if isinstance(value, frozenset) else frozenset(value)
    unknown = keys - allowed
    if unknown:
        # An unknown key (a typo such as "shortness_of_breth") must never pass silently:
        # it would hide a warning sign.
        raise ValueError(f"unknown {what}: {', '.join(sorted(unknown))}")
    return keys


@dataclass(frozen=True, slots=True)
class Profile:
    """What the rules need to know about a patient; not a database row."""

    date_of_birth: date
    sex: str | None = None
    comorbidities: frozenset[str] = frozenset()
    comorbidities_stable: bool = False
    pregnant: bool = False
    postpartum: bool = False  # gave birth in the last 42 days
    fully_vaccinated: bool = False  # primary series complete
    height_cm: float | None = None
    weight_kg: float | None = None
    positive_test_date: date | None = None
    news2_scale: int = 1  # 2 only if a clinician set it (hypercapnic respiratory failure)

    def __post_init__(self) -> None:
        if isinstance(self.date_of_birth, datetime) or not isinstance(self.date_of_birth, date):
            raise ValueError("date_of_birth must be a date")
        object.__setattr__(
            self,
            "comorbidities",
            _frozen_keys(self.comorbidities, _COMORBIDITY_SET, "comorbidity"),
        )
        if self.news2_scale not in (1, 2):
            raise ValueError("news2_scale must be 1 or 2")

    @property
    def bmi(self) -> float | None:
        """Return weight / height² in kg/m², or None when either is not known."""
        if self.height_cm is None or self.weight_kg is None:
            return None
        if self.height_cm <= 0 or self.weight_kg <= 0:
            return None
        metres = self.height_cm / 100.0
        return self.weight_kg / (metres * metres)


@dataclass(frozen=True, slots=True)
class Report:
    """One self-report or staff-entered report; every vital optional (None = not measured)."""

    reported_at: datetime  # aware
    temperature_c: float | None = None
    spo2: int | None = None
    spo2_recheck: int | None = None  # replaces spo2 wherever SpO2 is used, when given
    pulse: int | None = None
    respiratory_rate: int | None = None
    systolic_bp: int | None = None
    diastolic_bp: int | None = None
    symptoms: frozenset[str] = frozenset()
    staff_concern: bool = False  # a staff member's judgement -> W11

    def __post_init__(self) -> None:
        if not isinstance(self.reported_at, datetime) or self.reported_at.utcoffset() is None:
            raise ValueError("reported_at must be an aware datetime")
        object.__setattr__(self, "symptoms", _frozen_keys(self.symptoms, _SYMPTOM_SET, "symptom"))
        if self.temperature_c is not None:
            # §1: half up to one decimal before any rule (39.05 -> 39.1, so C2 > 39.0 fires)
            object.__setattr__(
                self, "temperature_c", round_half_up(self.temperature_c, _TEMPERATURE_DECIMALS)
            )

    @property
    def effective_spo2(self) -> int | None:
        """Return the SpO2 the rules use: the recheck when given, else the first reading."""
        return self.spo2 if self.spo2_recheck is None else self.spo2_recheck



@dataclass(frozen=True, slots=True)
class Reason:
    """Why a rule fired: a stable code plus the values that made it fire.

    No words here: ``http/labels.py`` renders a reason in the reader's language.
    """

    code: str
    params: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class News2:
    """NEWS2 of one report; score and band are None unless every parameter was measured."""

    score: int | None
    band: str | None  # "low", "low_medium", "medium", "high"
    complete: bool
    parameters: tuple[tuple[str, int], ...]  # points of each parameter present
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Assessment:
    """Result of the rules on one report and profile."""

    tier: Tier
    baseline_tier: Tier
    clinical_tier: Tier
    warning_signs: tuple[Reason, ...]
    reasons: tuple[Reason, ...]
    news2: News2 | None
    severity: str | None
    eligible_home_care: bool
    eligibility_reasons: tuple[Reason, ...]
    not_measured: tuple[str, ...]
    rules_version: str = RULES_VERSION

    @property
    def alert(self) -> bool:
        """Return True exactly when there is a warning sign."""
        return bool(self.warning_signs)
