"""Classify home-treated COVID-19 patients by risk (rule set VN-2022.1). Pure module.

Standard library only: no Flask, SQLAlchemy, I/O, configuration or clock. Frozen dataclasses
in, frozen dataclasses out; the caller passes every date and time in. The rules are the
product decisions of ``shared/clinical-rules-decisions.md`` (rule set VN-2022.1); the
evidence for every number is in ``shared/clinical-rules.md`` (§ numbers below point there):
261/QĐ-BYT (31/01/2022) warning signs and home-care eligibility, 528 and 604/QĐ-BYT
(03/2022) for children, 5525/QĐ-BYT (01/12/2021) risk colours, 4689 and 250/QĐ-BYT adult
severity, 250/QĐ-BYT end of home treatment, RCP NEWS2 (2017).

Every clinical threshold lives once, in the ``RULES`` table below (the typo guards of the
entry forms live in ``INPUT_RANGES``). Change a number there and bump ``RULES_VERSION``.

Reason codes (``Reason.code``; ``Reason.message(lang)`` gives the text in "vi" or "en")

==========================  =======  ==========================================================
code                        tier     meaning
==========================  =======  ==========================================================
Warning signs (§2 of the decisions) -> alert, clinical tier red
W1                          red      reported shortness of breath / abnormal breathing
W2                          red      respiratory rate at or above the limit for age
W3                          red      SpO2 <= 96 % from 16 years, < 96 % under 16 (recheck wins)
W4                          red      pulse > 120 or < 50, from 12 years
W5                          red      systolic < 90 or diastolic < 60 mmHg, from 12 years
W6                          red      reported chest pain or tightness
W7                          red      reported altered consciousness
W8                          red      reported cyanosis
W9                          red      reported cannot drink or feed / vomits everything
W10                         red      reported another acute illness (dengue, HFMD...)
W11                         red      "I feel worse, call me" button, or a staff member's concern
C2                          red      under 16: temperature > 39.0 °C, or fever >= 38.0 °C for 48 h
NEWS2 (§5; adults >= 16, not pregnant) -> clinical tier
NEWS2_HIGH                  red      NEWS2 >= 7 (also when incomplete but the parameters
                                     present already add up to 7: params complete=False)
NEWS2_MEDIUM                orange   NEWS2 5-6 (same rule for an incomplete lower bound)
NEWS2_SINGLE_3              orange   one parameter scores 3 (one reason per parameter)
Baseline tier (§3, 5525/QĐ-BYT colours); several may apply, the highest wins
AGE_65_COMORBID             red      age >= 65 with a comorbidity (BMI >= 30 counts)
AGE_65_UNVACCINATED         red      age >= 65 not fully vaccinated
AGE_65_VACCINATED           orange   age >= 65 fully vaccinated, no comorbidity
COMORBIDITY                 orange   a listed comorbidity, under 65
BMI_30                      orange   BMI >= 30 (counts as a comorbidity)
AGE_50_64_UNVACCINATED      orange   age 50-64 not fully vaccinated
PREGNANT                    orange   pregnant
POSTPARTUM                  orange   gave birth in the last 42 days
INFANT_UNDER_3_MONTHS       orange   under 3 completed months
AGE_50_64_VACCINATED        yellow   age 50-64 fully vaccinated, no comorbidity
UNVACCINATED                yellow   age 3 months-49 years not fully vaccinated
BMI_25                      yellow   BMI 25-29.9
LOW_RISK                    green    none of the above (3 months-49 y, vaccinated, ...)
Home-care eligibility (§6, 261/QĐ-BYT) -> Assessment.eligibility_reasons
ELIG_WARNING_SIGNS          -        a warning sign (covers RR >= 20 and SpO2 <= 96 in adults)
ELIG_SEVERITY               -        adult severity class moderate or severe
ELIG_COMORBIDITY            -        a comorbidity (or BMI >= 30) not under stable treatment
End of home treatment (§7, 250/QĐ-BYT) -> recovery_check()
RECOVERY_BEFORE_DAY_7       -        treatment day < 7
RECOVERY_NEEDS_NEGATIVE_TEST  -      day 7-9 (13 unvaccinated) without a negative supervised test
==========================  =======  ==========================================================

Interpretations made here where the decisions leave a gap (clinician review welcome):

- Age: completed years and months on the report's local date (``VN_TZ``). A birthday that
  does not exist in a month (29 February, the 31st) is reached on the 1st of the next month.
- C2 applies under 16 only (both the > 39.0 °C and the 48-hour parts: "high fever in a
  child"). For the 48-hour part, reports without a temperature are "not measured": they
  neither break nor make the chain, so E is the latest earlier report *with a temperature*
  made at least 48 h before this one. Reports at or after this one are ignored.
- ``prematurity`` counts as a comorbidity under 16 only (it is on the child list, not on the
  adult Annex 01 list); every other listed condition, and ``other``, counts at any age.
  The BMI cut-offs apply at every age.
- Adult severity (age >= 16): severe = RR > 25 or SpO2 < 94; moderate = RR 20-25, SpO2 94-96
  or reported shortness of breath; otherwise mild (any symptom or temperature >= 38.0) or
  asymptomatic, which need RR *and* SpO2 measured: without them the class is ``None``
  (not measured is never normal).
- Eligibility "RR < 20 and SpO2 > 96 where measured" is the adult form of W2/W3; children
  use the W2/W3 limits for their age, so any warning sign makes a patient ineligible.
- A NEWS2 with a missing parameter has no score, but the parameters present still raise the
  clinical tier (a single 3, or a partial sum already >= 5 or >= 7): a missing value never
  hides another.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from types import MappingProxyType
from typing import Any

__all__ = [
    "COMORBIDITIES",
    "INPUT_RANGES",
    "MISSING_AFTER",
    "OVERDUE_AFTER",
    "RULES",
    "RULES_VERSION",
    "SYMPTOMS",
    "VN_TZ",
    "WARNING_SYMPTOMS",
    "Assessment",
    "News2",
    "Profile",
    "Range",
    "Reason",
    "Report",
    "Tier",
    "age_on",
    "assess",
    "baseline_tier",
    "check_vitals",
    "comorbidity_label",
    "day_of_treatment",
    "max_tier",
    "news2",
    "recovery_check",
    "reporting_flag",
    "symptom_label",
]

RULES_VERSION = "VN-2022.1"
VN_TZ = timezone(timedelta(hours=7))  # Vietnam: UTC+7 all year, no daylight saving time

_INF = math.inf


class Tier(str, Enum):  # noqa: UP042 - the interface others code against is str + Enum
    """Triage colour of 5525/QĐ-BYT, ordered green < yellow < orange < red."""

    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    @property
    def rank(self) -> int:
        """Return 0 for green up to 3 for red."""
        return _TIER_RANK[self]

    # str's own ordering would be alphabetical ("green" < "orange" < "red" < "yellow").
    def __lt__(self, other: object) -> bool:
        o = _as_tier(other)
        return NotImplemented if o is None else _TIER_RANK[self] < _TIER_RANK[o]

    def __le__(self, other: object) -> bool:
        o = _as_tier(other)
        return NotImplemented if o is None else _TIER_RANK[self] <= _TIER_RANK[o]

    def __gt__(self, other: object) -> bool:
        o = _as_tier(other)
        return NotImplemented if o is None else _TIER_RANK[self] > _TIER_RANK[o]

    def __ge__(self, other: object) -> bool:
        o = _as_tier(other)
        return NotImplemented if o is None else _TIER_RANK[self] >= _TIER_RANK[o]


_TIERS = (Tier.GREEN, Tier.YELLOW, Tier.ORANGE, Tier.RED)
_TIER_RANK = {t: i for i, t in enumerate(_TIERS)}


def _as_tier(value: object) -> Tier | None:
    if isinstance(value, Tier):
        return value
    if isinstance(value, str):
        return Tier(value)  # an unknown colour raises ValueError rather than compare by name
    return None


def max_tier(*tiers: Tier | str) -> Tier:
    """Return the highest of the tiers given (green when none is given)."""
    rank = 0
    for t in tiers:
        r = _TIER_RANK[t] if isinstance(t, Tier) else _TIER_RANK[Tier(t)]
        if r > rank:
            rank = r
    return _TIERS[rank]


# --------------------------------------------------------------------------------------------
# Vocabularies (api.md)
# --------------------------------------------------------------------------------------------

# key: (Vietnamese label, English label); display order of the report form.
_SYMPTOM_LABELS: dict[str, tuple[str, str]] = {
    "fever": ("Sốt", "Fever"),
    "cough": ("Ho", "Cough"),
    "productive_cough": ("Ho có đờm", "Cough with phlegm"),
    "sore_throat": ("Đau họng", "Sore throat"),
    "runny_nose": ("Chảy nước mũi", "Runny nose"),
    "fatigue": ("Mệt mỏi", "Tiredness"),
    "headache": ("Đau đầu", "Headache"),
    "myalgia": ("Đau mỏi cơ", "Muscle aches"),
    "chills": ("Ớn lạnh, gai rét", "Chills"),
    "red_eyes": ("Đỏ mắt", "Red eyes"),
    "loss_of_taste_smell": ("Mất vị giác hoặc khứu giác", "Loss of taste or smell"),
    "diarrhea": ("Tiêu chảy", "Diarrhoea"),
    "nausea_vomiting": ("Buồn nôn, nôn", "Nausea or vomiting"),
    "anorexia": ("Chán ăn", "Loss of appetite"),
    "dizziness": ("Chóng mặt", "Dizziness"),
    "hemoptysis": ("Ho ra máu", "Coughing up blood"),
    "shortness_of_breath": (
        "Khó thở, thở hụt hơi hoặc thở bất thường",
        "Short of breath, breathing hard or abnormal breathing",
    ),
    "chest_pain": ("Đau hoặc tức ngực", "Chest pain or tightness"),
    "altered_consciousness": (
        "Lú lẫn, lơ mơ, li bì khó đánh thức hoặc co giật",
        "Confused, very drowsy, hard to wake or convulsing",
    ),
    "cyanosis": (
        "Môi, móng tay hoặc móng chân tím tái, da xanh tái",
        "Blue or grey lips or nails, pale skin",
    ),
    "cannot_drink_or_feed": (
        "Không uống hoặc không bú/ăn được, nôn tất cả mọi thứ",
        "Cannot drink or feed, or vomits everything",
    ),
    "other_acute_illness": (
        "Mắc bệnh cấp tính khác (sốt xuất huyết, tay chân miệng…)",
        "Another acute illness (dengue, hand-foot-mouth disease…)",
    ),
    "wants_call": (
        "Tôi thấy mệt hơn và muốn được gọi lại",
        "I feel worse and want a call",
    ),
}
SYMPTOMS: tuple[str, ...] = tuple(_SYMPTOM_LABELS)

# §2: the sign questions asked on every report.
WARNING_SYMPTOMS: dict[str, str] = {
    "shortness_of_breath": "W1",
    "chest_pain": "W6",
    "altered_consciousness": "W7",
    "cyanosis": "W8",
    "cannot_drink_or_feed": "W9",
    "other_acute_illness": "W10",
    "wants_call": "W11",
}

# 4038/QĐ-BYT Annex 01 (§8.1), plus the child list's prematurity, plus "other".
_COMORBIDITY_LABELS: dict[str, tuple[str, str]] = {
    "diabetes": ("Đái tháo đường", "Diabetes"),
    "chronic_lung_disease": (
        "Bệnh phổi mạn tính (COPD và các bệnh phổi khác)",
        "Chronic lung disease (COPD and others)",
    ),
    "cancer": ("Ung thư", "Cancer"),
    "chronic_kidney_disease": ("Bệnh thận mạn tính", "Chronic kidney disease"),
    "transplant": (
        "Ghép tạng hoặc ghép tế bào gốc tạo máu",
        "Organ or stem-cell transplant",
    ),
    "obesity": ("Béo phì, thừa cân", "Obesity, overweight"),
    "cardiovascular_disease": ("Bệnh tim mạch", "Cardiovascular disease"),
    "cerebrovascular_disease": ("Bệnh lý mạch máu não", "Cerebrovascular disease"),
    "down_syndrome": ("Hội chứng Down", "Down syndrome"),
    "hiv": ("HIV/AIDS", "HIV/AIDS"),
    "neurological_disease": (
        "Bệnh thần kinh, kể cả sa sút trí tuệ",
        "Neurological disease, including dementia",
    ),
    "sickle_cell_disease": ("Bệnh hồng cầu hình liềm", "Sickle cell disease"),
    "asthma": ("Hen phế quản", "Asthma"),
    "hypertension": ("Tăng huyết áp", "Hypertension"),
    "immunodeficiency": ("Suy giảm miễn dịch", "Immunodeficiency"),
    "liver_disease": ("Bệnh gan", "Liver disease"),
    "substance_use_disorder": ("Rối loạn do sử dụng chất", "Substance use disorder"),
    "immunosuppressant_use": (
        "Đang dùng corticoid hoặc thuốc ức chế miễn dịch khác",
        "Corticosteroid or other immunosuppressant use",
    ),
    "systemic_disease": ("Bệnh hệ thống", "Systemic disease"),
    "prematurity": ("Sinh non, nhẹ cân (trẻ em)", "Prematurity, low birth weight (children)"),
    "other": ("Bệnh nền khác", "Other underlying condition"),
}
COMORBIDITIES: tuple[str, ...] = tuple(_COMORBIDITY_LABELS)

_VI, _EN = 0, 1


def _lang_index(lang: str) -> int:
    return _EN if lang[:2].lower() == "en" else _VI


def symptom_label(key: str, lang: str = "vi") -> str:
    """Return the display label of a symptom key."""
    return _SYMPTOM_LABELS[key][_lang_index(lang)]


def comorbidity_label(key: str, lang: str = "vi") -> str:
    """Return the display label of a comorbidity key."""
    return _COMORBIDITY_LABELS[key][_lang_index(lang)]


# --------------------------------------------------------------------------------------------
# THE rule table. Ages are in completed months. Bands ending in "_UPTO" are (inclusive upper
# bound, result) pairs in ascending order; bands ending in "_FROM" are (inclusive lower bound,
# result) pairs in ascending order.
# --------------------------------------------------------------------------------------------

RULES: Mapping[str, Any] = MappingProxyType(
    {
        # §2 W2 (261; 528/604 C3 under 1 year; A1: adult limit from the 12th birthday):
        # (from age in months, RR at or above which W2 fires)
        "W2_RR_FROM": ((0, 60), (2, 50), (12, 40), (60, 30), (144, 20)),
        # §2 W3: (from age in months, comparison, SpO2 limit); 261 adults, 528/604 children
        "W3_SPO2_FROM": ((0, "<", 96), (192, "<=", 96)),
        # §2 W4 (261; not applied under 12): (from age in months, (fires below, fires above))
        "W4_PULSE_FROM": ((0, None), (144, (50, 120))),
        # §2 W5 (261, "or" reading; not applied under 12): (from age, (systolic <, diastolic <))
        "W5_BP_FROM": ((0, None), (144, (90, 60))),
        # §2 C2 (528/604): under this age; > high °C; or >= fever °C lasting >= hours
        "C2_UNDER_AGE_MONTHS": 192,
        "C2_HIGH_FEVER_ABOVE_C": 39.0,
        "C2_FEVER_FROM_C": 38.0,
        "C2_FEVER_HOURS": 48,
        # §3 baseline (5525): age bands -> facts used by the baseline rows
        "BASELINE_AGE_FROM": (
            (0, ("under_3_months", "under_65")),
            (3, ("age_3m_49", "under_65")),
            (50 * 12, ("age_50_64", "under_65")),
            (65 * 12, ("age_65",)),
        ),
        # §3 BMI bands (kg/m², unrounded): (from BMI, facts)
        "BASELINE_BMI_FROM": ((25.0, ("bmi_25",)), (30.0, ("bmi_30", "comorbid"))),
        # §1/§8.1: comorbidities counted only under an age (months); the rest at any age
        "COMORBIDITY_UNDER_AGE_MONTHS": {"prematurity": 192},
        # §3 rows: (reason code, tier, facts that must all hold). Every matching row is a
        # reason; the highest tier wins; no row -> green (LOW_RISK).
        "BASELINE_ROWS": (
            ("AGE_65_COMORBID", "red", ("age_65", "comorbid")),
            ("AGE_65_UNVACCINATED", "red", ("age_65", "not_vaccinated")),
            ("AGE_65_VACCINATED", "orange", ("age_65", "vaccinated", "no_comorbid")),
            ("COMORBIDITY", "orange", ("under_65", "listed_comorbidity")),
            ("BMI_30", "orange", ("bmi_30",)),
            ("AGE_50_64_UNVACCINATED", "orange", ("age_50_64", "not_vaccinated")),
            ("PREGNANT", "orange", ("pregnant",)),
            ("POSTPARTUM", "orange", ("postpartum",)),
            ("INFANT_UNDER_3_MONTHS", "orange", ("under_3_months",)),
            ("AGE_50_64_VACCINATED", "yellow", ("age_50_64", "vaccinated", "no_comorbid")),
            ("UNVACCINATED", "yellow", ("age_3m_49", "not_vaccinated")),
            ("BMI_25", "yellow", ("bmi_25",)),
        ),
        # §5 NEWS2 (RCP 2017 chart 1): adults from 16, not in pregnancy
        "NEWS2_FROM_AGE_MONTHS": 192,
        "NEWS2_RR_UPTO": ((8, 3), (11, 1), (20, 0), (24, 2), (_INF, 3)),
        "NEWS2_SPO2_SCALE1_UPTO": ((91, 3), (93, 2), (95, 1), (_INF, 0)),
        # Scale 2 on room air: 88-92 and >= 93 on air both score 0
        "NEWS2_SPO2_SCALE2_UPTO": ((83, 3), (85, 2), (87, 1), (_INF, 0)),
        "NEWS2_AIR_POINTS": 0,  # patients at home are on room air (oxygen would add 2)
        "NEWS2_SYSTOLIC_UPTO": ((90, 3), (100, 2), (110, 1), (219, 0), (_INF, 3)),
        "NEWS2_PULSE_UPTO": ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (_INF, 3)),
        "NEWS2_CONSCIOUSNESS": {"alert": 0, "new_confusion": 3},  # W7 -> new confusion
        "NEWS2_TEMPERATURE_UPTO": ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (_INF, 2)),
        # total -> band (a single 3 turns "low" into "low_medium")
        "NEWS2_BAND_UPTO": ((4, "low"), (6, "medium"), (_INF, "high")),
        "NEWS2_SINGLE_POINTS": 3,
        # §4 clinical tier from NEWS2: (total from, tier, reason code), highest first
        "NEWS2_TIER_FROM": ((7, "red", "NEWS2_HIGH"), (5, "orange", "NEWS2_MEDIUM")),
        "NEWS2_SINGLE_TIER": "orange",
        # §4/§6 adult severity (4689/250): from age; RR and SpO2 bands
        "SEVERITY_FROM_AGE_MONTHS": 192,
        "SEVERITY_RR_UPTO": ((19, "mild"), (25, "moderate"), (_INF, "severe")),
        "SEVERITY_SPO2_UPTO": ((93, "severe"), (96, "moderate"), (_INF, "mild")),
        "SEVERITY_SYMPTOMS_MODERATE": ("shortness_of_breath",),
        "SEVERITY_FEVER_FROM_C": 38.0,  # a measured fever makes the patient symptomatic
        # §6 eligibility (261): severity classes that may stay home
        "ELIGIBLE_SEVERITIES": ("asymptomatic", "mild", None),
        # §7 end of home treatment (250): day with a negative supervised test; else by vaccine
        "RECOVERY_DAY_WITH_NEGATIVE_TEST": 7,
        "RECOVERY_DAY_VACCINATED": 10,
        "RECOVERY_DAY_NOT_VACCINATED": 14,
        # §4 reporting flags
        # §2 SpO2 recheck: the report form asks for a second reading at or below this value
        # (the adult W3 limit; the form asks children too: a second reading never hurts)
        "SPO2_RECHECK_AT_OR_BELOW": 96,
        # Patient charts: the fever line drawn on the temperature chart (§2 C2 / severity)
        "CHART_FEVER_C": 38.0,
        "OVERDUE_AFTER_HOURS": 12,
        "MISSING_AFTER_HOURS": 24,
    }
)

SPO2_RECHECK_AT: int = RULES["SPO2_RECHECK_AT_OR_BELOW"]
OVERDUE_AFTER = timedelta(hours=RULES["OVERDUE_AFTER_HOURS"])
MISSING_AFTER = timedelta(hours=RULES["MISSING_AFTER_HOURS"])


# Pre-split band tables so lookups are one bisect (built once, at import).
def _split(table: Sequence[tuple[Any, Any]]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    return tuple(row[0] for row in table), tuple(row[1] for row in table)


def _upto(bounds: tuple[Any, ...], values: tuple[Any, ...], x: float) -> Any:
    """Return the value of the first band whose inclusive upper bound is >= x."""
    return values[bisect_left(bounds, x)]


def _from(bounds: tuple[Any, ...], values: tuple[Any, ...], x: float) -> Any:
    """Return the value of the last band whose inclusive lower bound is <= x."""
    return values[bisect_right(bounds, x) - 1]


_W2 = _split(RULES["W2_RR_FROM"])
_W3_BOUNDS = tuple(r[0] for r in RULES["W3_SPO2_FROM"])
_W3_VALUES = tuple(r[1:] for r in RULES["W3_SPO2_FROM"])
_W4 = _split(RULES["W4_PULSE_FROM"])
_W5 = _split(RULES["W5_BP_FROM"])
_C2_UNDER = RULES["C2_UNDER_AGE_MONTHS"]
_C2_HIGH = RULES["C2_HIGH_FEVER_ABOVE_C"]
_C2_FEVER = RULES["C2_FEVER_FROM_C"]
_C2_SPAN = timedelta(hours=RULES["C2_FEVER_HOURS"])
_AGE_FACTS = _split(RULES["BASELINE_AGE_FROM"])
_BMI_FACTS = _split(RULES["BASELINE_BMI_FROM"])
_COMORBIDITY_UNDER = RULES["COMORBIDITY_UNDER_AGE_MONTHS"]
_BASELINE_ROWS = tuple(
    (code, _TIER_RANK[Tier(tier)], frozenset(facts)) for code, tier, facts in RULES["BASELINE_ROWS"]
)
_NEWS2_FROM = RULES["NEWS2_FROM_AGE_MONTHS"]
_N_RR = _split(RULES["NEWS2_RR_UPTO"])
_N_SPO2 = {1: _split(RULES["NEWS2_SPO2_SCALE1_UPTO"]), 2: _split(RULES["NEWS2_SPO2_SCALE2_UPTO"])}
_N_AIR = RULES["NEWS2_AIR_POINTS"]
_N_SBP = _split(RULES["NEWS2_SYSTOLIC_UPTO"])
_N_PULSE = _split(RULES["NEWS2_PULSE_UPTO"])
_N_ACVPU = RULES["NEWS2_CONSCIOUSNESS"]
_N_TEMP = _split(RULES["NEWS2_TEMPERATURE_UPTO"])
_N_BAND = _split(RULES["NEWS2_BAND_UPTO"])
_N_SINGLE = RULES["NEWS2_SINGLE_POINTS"]
_N_TIERS = tuple((lo, _TIER_RANK[Tier(t)], code) for lo, t, code in RULES["NEWS2_TIER_FROM"])
_N_SINGLE_RANK = _TIER_RANK[Tier(RULES["NEWS2_SINGLE_TIER"])]
_SEV_FROM = RULES["SEVERITY_FROM_AGE_MONTHS"]
_SEV_RR = _split(RULES["SEVERITY_RR_UPTO"])
_SEV_SPO2 = _split(RULES["SEVERITY_SPO2_UPTO"])
_SEV_SYMPTOMS = frozenset(RULES["SEVERITY_SYMPTOMS_MODERATE"])
_SEV_FEVER = RULES["SEVERITY_FEVER_FROM_C"]
_SEV_RANK = {"asymptomatic": 0, "mild": 1, "moderate": 2, "severe": 3}
_ELIGIBLE_SEVERITIES = frozenset(RULES["ELIGIBLE_SEVERITIES"])

_RED = _TIER_RANK[Tier.RED]
_SYMPTOM_SET = frozenset(SYMPTOMS)
_COMORBIDITY_SET = frozenset(COMORBIDITIES)


# --------------------------------------------------------------------------------------------
# Input ranges (§8 of the decisions): typo guards, not clinical rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
    """Accepted values of one entry field: low..high inclusive, confirm outside the band."""

    low: float
    high: float
    confirm_below: float | None  # a value below this is accepted only after confirmation
    confirm_above: float | None  # a value above this is accepted only after confirmation
    integer: bool


INPUT_RANGES: dict[str, Range] = {
    "temperature_c": Range(34.0, 43.0, None, 41.5, False),
    "spo2": Range(50, 100, 70, None, True),
    "pulse": Range(25, 250, None, 180, True),
    "respiratory_rate": Range(5, 80, None, None, True),
    "systolic_bp": Range(50, 260, None, None, True),
    "diastolic_bp": Range(30, 160, None, None, True),
}
# Fields checked against another field's range.
_RANGE_ALIASES = {"spo2_recheck": "spo2"}


def check_vitals(
    values: Mapping[str, float | None],
) -> tuple[dict[str, str], dict[str, str]]:
    """Check entered vitals; return (errors, needs_confirmation), each field -> code.

    Error codes: "not_a_number", "out_of_range", "not_integer",
    "diastolic_not_below_systolic" (on "diastolic_bp"). Confirmation code: "implausible".
    None means not measured and is always accepted; keys without a range are ignored;
    "spo2_recheck" uses the "spo2" range.
    """
    errors: dict[str, str] = {}
    confirm: dict[str, str] = {}
    for key, value in values.items():
        rng = INPUT_RANGES.get(_RANGE_ALIASES.get(key, key))
        if rng is None or value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            errors[key] = "not_a_number"
        elif not rng.low <= value <= rng.high:
            errors[key] = "out_of_range"
        elif rng.integer and value != int(value):
            errors[key] = "not_integer"
        elif (rng.confirm_below is not None and value < rng.confirm_below) or (
            rng.confirm_above is not None and value > rng.confirm_above
        ):
            confirm[key] = "implausible"
    systolic, diastolic = values.get("systolic_bp"), values.get("diastolic_bp")
    if (
        systolic is not None
        and diastolic is not None
        and "systolic_bp" not in errors
        and "diastolic_bp" not in errors
        and diastolic >= systolic
    ):
        errors["diastolic_bp"] = "diastolic_not_below_systolic"
    return errors, confirm


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

    @property
    def effective_spo2(self) -> int | None:
        """Return the SpO2 the rules use: the recheck when given, else the first reading."""
        return self.spo2 if self.spo2_recheck is None else self.spo2_recheck


_VITALS = ("temperature_c", "spo2", "pulse", "respiratory_rate", "systolic_bp", "diastolic_bp")


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a rule fired: a stable code plus the values that made it fire."""

    code: str
    params: tuple[tuple[str, object], ...] = ()

    def message(self, lang: str = "vi") -> str:
        """Return the plain-language text in Vietnamese ("vi", default) or English ("en")."""
        i = _lang_index(lang)
        template = _MESSAGES.get(self.code)
        if template is None:
            return self.code
        params = dict(self.params)
        text = template[i]
        if callable(text):
            return text(params, i)
        return text.format_map({k: _fmt(v, i) for k, v in params.items()})

    def to_dict(self, lang: str = "vi") -> dict[str, str]:
        """Return {"code", "message"} as in the API."""
        return {"code": self.code, "message": self.message(lang)}


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

    def to_dict(self, lang: str = "vi") -> dict[str, Any]:
        """Return the /api/v1/assess response body."""
        n = self.news2
        return {
            "tier": self.tier.value,
            "baseline_tier": self.baseline_tier.value,
            "alert": bool(self.warning_signs),
            "warning_signs": [r.to_dict(lang) for r in self.warning_signs],
            "reasons": [r.to_dict(lang) for r in self.reasons],
            "news2": None
            if n is None
            else {"score": n.score, "band": n.band, "complete": n.complete},
            "severity": self.severity,
            "eligible_home_care": self.eligible_home_care,
            "rules_version": self.rules_version,
        }


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def age_on(date_of_birth: date, on: date) -> tuple[int, int]:
    """Return (completed years, completed months in total) of a person born on date_of_birth.

    A monthly birthday that does not exist (29 February, the 31st) falls on the 1st of the
    next month. Raises ValueError when ``on`` is before the date of birth.
    """
    if on < date_of_birth:
        raise ValueError("date is before the date of birth")
    months = (on.year - date_of_birth.year) * 12 + on.month - date_of_birth.month
    if on.day < date_of_birth.day:
        months -= 1
    return months // 12, months


def _local_date(moment: datetime) -> date:
    return moment.astimezone(VN_TZ).date()


def _baseline(profile: Profile, months: int) -> tuple[int, tuple[Reason, ...], tuple[str, ...]]:
    """Return (tier rank, reasons, conditions counted as comorbidities incl. "BMI_30")."""
    years = months // 12
    facts = set(_from(_AGE_FACTS[0], _AGE_FACTS[1], months))
    listed = tuple(
        c
        for c in COMORBIDITIES
        if c in profile.comorbidities and months < _COMORBIDITY_UNDER.get(c, _INF)
    )
    bmi = profile.bmi
    if bmi is not None and bmi >= _BMI_FACTS[0][0]:
        facts.update(_from(_BMI_FACTS[0], _BMI_FACTS[1], bmi))
    if listed:
        facts.update(("listed_comorbidity", "comorbid"))
    if "comorbid" not in facts:
        facts.add("no_comorbid")
    facts.add("vaccinated" if profile.fully_vaccinated else "not_vaccinated")
    if profile.pregnant:
        facts.add("pregnant")
    if profile.postpartum:
        facts.add("postpartum")

    conditions = listed + (("BMI_30",) if "bmi_30" in facts else ())
    rank = 0
    reasons = []
    for code, row_rank, needs in _BASELINE_ROWS:
        if needs <= facts:
            rank = max(rank, row_rank)
            if code == "AGE_65_COMORBID":
                params: tuple[tuple[str, object], ...] = (
                    ("age", years),
                    ("conditions", conditions),
                )
            elif code == "COMORBIDITY":
                params = (("conditions", listed),)
            elif code in ("BMI_30", "BMI_25"):
                params = (("bmi", _bmi_display(bmi)),)
            elif code == "INFANT_UNDER_3_MONTHS":
                params = (("months", months),)
            elif code.startswith("AGE_"):
                params = (("age", years),)
            else:
                params = ()
            reasons.append(Reason(code, params))
    if not reasons:
        reasons.append(_LOW_RISK)
    return rank, tuple(reasons), conditions


def _bmi_display(bmi: float | None) -> float:
    # Truncate to one decimal so a BMI of 29.97 reads "29.9", inside the 25-29.9 band.
    return math.floor((bmi or 0.0) * 10 + 1e-9) / 10


def baseline_tier(profile: Profile, on: date) -> tuple[Tier, tuple[Reason, ...]]:
    """Return the 5525/QĐ-BYT baseline tier on a date, with every reason that applies."""
    rank, reasons, _ = _baseline(profile, age_on(profile.date_of_birth, on)[1])
    return _TIERS[rank], reasons


def _news2(profile: Profile, report: Report, months: int) -> News2 | None:
    if months < _NEWS2_FROM or profile.pregnant:
        return None
    params: list[tuple[str, int]] = []
    missing: list[str] = []
    rr = report.respiratory_rate
    if rr is None:
        missing.append("respiratory_rate")
    else:
        params.append(("respiratory_rate", _upto(*_N_RR, rr)))
    spo2 = report.spo2 if report.spo2_recheck is None else report.spo2_recheck
    if spo2 is None:
        missing.append("spo2")
    else:
        params.append(("spo2", _upto(*_N_SPO2[profile.news2_scale], spo2)))
    params.append(("air_or_oxygen", _N_AIR))
    if report.systolic_bp is None:
        missing.append("systolic_bp")
    else:
        params.append(("systolic_bp", _upto(*_N_SBP, report.systolic_bp)))
    if report.pulse is None:
        missing.append("pulse")
    else:
        params.append(("pulse", _upto(*_N_PULSE, report.pulse)))
    confused = "altered_consciousness" in report.symptoms
    params.append(("consciousness", _N_ACVPU["new_confusion" if confused else "alert"]))
    if report.temperature_c is None:
        missing.append("temperature_c")
    else:
        params.append(("temperature_c", _upto(*_N_TEMP, report.temperature_c)))
    if missing:
        return News2(None, None, False, tuple(params), tuple(missing))
    score = 0
    single = False
    for _, points in params:
        score += points
        if points >= _N_SINGLE:
            single = True
    band = _upto(*_N_BAND, score)
    if single and band == "low":
        band = "low_medium"
    return News2(score, band, True, tuple(params), ())


def news2(profile: Profile, report: Report, on: date) -> News2 | None:
    """Return the NEWS2 of a report, or None under 16 and in pregnancy."""
    return _news2(profile, report, age_on(profile.date_of_birth, on)[1])


_PARAM_VALUE = {
    "respiratory_rate": lambda r: r.respiratory_rate,
    "spo2": lambda r: r.effective_spo2,
    "systolic_bp": lambda r: r.systolic_bp,
    "pulse": lambda r: r.pulse,
    "temperature_c": lambda r: r.temperature_c,
}


def _news2_reasons(n: News2, report: Report) -> tuple[int, list[Reason]]:
    total = 0
    reasons: list[Reason] = []
    for name, points in n.parameters:
        total += points
        if points >= _N_SINGLE:
            value = _PARAM_VALUE[name](report) if name in _PARAM_VALUE else None
            reasons.append(
                Reason(
                    "NEWS2_SINGLE_3", (("parameter", name), ("value", value), ("points", points))
                )
            )
    rank = _N_SINGLE_RANK if reasons else 0
    # An incomplete score is a lower bound (points are never negative), so it may still
    # reach a threshold: a missing value never hides the others.
    for low, tier_rank, code in _N_TIERS:
        if total >= low:
            reasons.insert(0, Reason(code, (("score", total), ("complete", n.complete))))
            rank = max(rank, tier_rank)
            break
    return rank, reasons


def _fever_48h(report: Report, previous: Sequence[Report]) -> int | None:
    """Return the hours since E when the C2 48-hour fever rule holds, else None."""
    now = report.reported_at
    if report.temperature_c is None or report.temperature_c < _C2_FEVER:
        return None
    cutoff = now - _C2_SPAN
    e_at: datetime | None = None
    for r in previous:
        t = r.reported_at
        if r.temperature_c is not None and t <= cutoff and (e_at is None or t > e_at):
            e_at = t
    if e_at is None:
        return None
    for r in previous:
        t = r.reported_at
        if r.temperature_c is not None and e_at <= t < now and r.temperature_c < _C2_FEVER:
            return None
    return int((now - e_at).total_seconds() // 3600)


def _severity(report: Report, spo2: int | None, months: int) -> str | None:
    if months < _SEV_FROM:
        return None
    rr = report.respiratory_rate
    rank = _SEV_RANK["moderate"] if not _SEV_SYMPTOMS.isdisjoint(report.symptoms) else 0
    if rr is not None:
        rank = max(rank, _SEV_RANK[_upto(*_SEV_RR, rr)])
    if spo2 is not None:
        rank = max(rank, _SEV_RANK[_upto(*_SEV_SPO2, spo2)])
    if rank >= _SEV_RANK["moderate"]:
        return "severe" if rank == _SEV_RANK["severe"] else "moderate"
    if rr is None or spo2 is None:
        return None  # mild needs RR < 20 and SpO2 > 96 measured
    t = report.temperature_c
    if report.symptoms or (t is not None and t >= _SEV_FEVER):
        return "mild"
    return "asymptomatic"


# Signs without parameters are shared instances (built once).
# W1 comes first (before the measured signs) and W11 has its own parameters.
_SYMPTOM_SIGNS = tuple(
    (key, Reason(code)) for key, code in WARNING_SYMPTOMS.items() if code not in ("W1", "W11")
)
_W1 = Reason("W1")
_LOW_RISK = Reason("LOW_RISK")
_W11_PATIENT = Reason("W11", (("by", ("patient",)),))
_W11_STAFF = Reason("W11", (("by", ("staff",)),))
_W11_BOTH = Reason("W11", (("by", ("patient", "staff")),))


def assess(profile: Profile, report: Report, previous_reports: Sequence[Report] = ()) -> Assessment:
    """Apply rule set VN-2022.1 to one report; previous_reports (any order) serve C2."""
    months = age_on(profile.date_of_birth, _local_date(report.reported_at))[1]
    base_rank, base_reasons, conditions = _baseline(profile, months)
    symptoms = report.symptoms
    spo2 = report.spo2 if report.spo2_recheck is None else report.spo2_recheck
    signs: list[Reason] = []

    # §2 warning signs, in code order W1..W11, C2
    if "shortness_of_breath" in symptoms:
        signs.append(_W1)
    rr = report.respiratory_rate
    if rr is not None:
        limit = _from(*_W2, months)
        if rr >= limit:
            signs.append(Reason("W2", (("value", rr), ("limit", limit))))
    if spo2 is not None:
        op, limit = _W3_VALUES[bisect_right(_W3_BOUNDS, months) - 1]
        if spo2 < limit or (op == "<=" and spo2 == limit):
            recheck = report.spo2_recheck is not None
            signs.append(
                Reason("W3", (("value", spo2), ("op", op), ("limit", limit), ("recheck", recheck)))
            )
    pulse = report.pulse
    pulse_limits = _from(*_W4, months)
    if pulse is not None and pulse_limits is not None:
        low, high = pulse_limits
        if pulse < low:
            signs.append(Reason("W4", (("value", pulse), ("op", "<"), ("limit", low))))
        elif pulse > high:
            signs.append(Reason("W4", (("value", pulse), ("op", ">"), ("limit", high))))
    bp_limits = _from(*_W5, months)
    if bp_limits is not None:
        sys_limit, dia_limit = bp_limits
        sbp, dbp = report.systolic_bp, report.diastolic_bp
        low_sbp = sbp is not None and sbp < sys_limit
        low_dbp = dbp is not None and dbp < dia_limit
        if low_sbp or low_dbp:
            bp_params: list[tuple[str, object]] = []
            if low_sbp:
                bp_params += [("systolic_bp", sbp), ("systolic_limit", sys_limit)]
            if low_dbp:
                bp_params += [("diastolic_bp", dbp), ("diastolic_limit", dia_limit)]
            signs.append(Reason("W5", tuple(bp_params)))
    if symptoms:
        for key, reason in _SYMPTOM_SIGNS:
            if key in symptoms:
                signs.append(reason)
    wants_call = "wants_call" in symptoms
    if wants_call or report.staff_concern:
        signs.append(
            _W11_BOTH
            if wants_call and report.staff_concern
            else (_W11_PATIENT if wants_call else _W11_STAFF)
        )
    temp = report.temperature_c
    if months < _C2_UNDER and temp is not None and temp >= _C2_FEVER:
        hours = _fever_48h(report, previous_reports) if previous_reports else None
        if temp > _C2_HIGH or hours is not None:
            c2: tuple[tuple[str, object], ...] = (("temperature_c", temp), ("limit", _C2_HIGH))
            if hours is not None:
                c2 += (("fever_hours", hours), ("fever_limit", _C2_FEVER))
            signs.append(Reason("C2", c2))

    # §4 clinical tier
    clinical = _RED if signs else 0
    n = _news2(profile, report, months)
    news2_reasons: list[Reason] = []
    if n is not None:
        n_rank, news2_reasons = _news2_reasons(n, report)
        clinical = max(clinical, n_rank)

    severity = _severity(report, spo2, months)

    # §6 eligibility for home care
    elig: list[Reason] = []
    if signs:
        elig.append(Reason("ELIG_WARNING_SIGNS", (("codes", tuple(s.code for s in signs)),)))
    if severity not in _ELIGIBLE_SEVERITIES:
        elig.append(Reason("ELIG_SEVERITY", (("severity", severity),)))
    if conditions and not profile.comorbidities_stable:
        elig.append(Reason("ELIG_COMORBIDITY", (("conditions", conditions),)))

    warning_signs = tuple(signs)
    return Assessment(
        tier=_TIERS[max(base_rank, clinical)],
        baseline_tier=_TIERS[base_rank],
        clinical_tier=_TIERS[clinical],
        warning_signs=warning_signs,
        reasons=base_reasons + warning_signs + tuple(news2_reasons),
        news2=n,
        severity=severity,
        eligible_home_care=not elig,
        eligibility_reasons=tuple(elig),
        not_measured=tuple(
            name for name in _VITALS if (spo2 if name == "spo2" else getattr(report, name)) is None
        ),
    )


def reporting_flag(
    last_report_at: datetime | None, registered_at: datetime, now: datetime
) -> str | None:
    """Return "missing" after 24 h without a report, "overdue" after 12 h, else None.

    Counted from the last report, or from registration when there is none.
    """
    since = registered_at if last_report_at is None else last_report_at
    for moment in (since, now):
        if moment.utcoffset() is None:
            raise ValueError("datetimes must be aware")
    elapsed = now - since
    if elapsed >= MISSING_AFTER:
        return "missing"
    if elapsed >= OVERDUE_AFTER:
        return "overdue"
    return None


def day_of_treatment(positive_test_date: date, on: date) -> int:
    """Return the treatment day on a date; day 1 is the date of the positive test."""
    return (on - positive_test_date).days + 1


def recovery_check(
    positive_test_date: date,
    on: date,
    fully_vaccinated: bool,
    negative_supervised_rapid_test: bool,
) -> tuple[bool, Reason | None]:
    """Return whether staff may mark the patient recovered on a date, and why not (§7)."""
    day = day_of_treatment(positive_test_date, on)
    with_test = RULES["RECOVERY_DAY_WITH_NEGATIVE_TEST"]
    without_test = RULES[
        "RECOVERY_DAY_VACCINATED" if fully_vaccinated else "RECOVERY_DAY_NOT_VACCINATED"
    ]
    if (negative_supervised_rapid_test and day >= with_test) or day >= without_test:
        return True, None
    params = (("day", day), ("with_test_day", with_test), ("without_test_day", without_test))
    if day < with_test:
        return False, Reason("RECOVERY_BEFORE_DAY_7", params)
    return False, Reason("RECOVERY_NEEDS_NEGATIVE_TEST", params)


# --------------------------------------------------------------------------------------------
# Messages (Vietnamese first; decimals with a comma in Vietnamese)
# --------------------------------------------------------------------------------------------


def _fmt(value: object, lang: int) -> str:
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text.replace(".", ",") if lang == _VI else text
    if isinstance(value, tuple):
        return ", ".join(_fmt(v, lang) for v in value)
    return str(value)


def _conditions(keys: object, lang: int) -> str:
    labels = []
    for key in keys if isinstance(keys, tuple) else ():
        if key == "BMI_30":
            labels.append("BMI ≥ 30")
        else:
            labels.append(_COMORBIDITY_LABELS[key][lang])
    return ", ".join(labels)


def _w3(p: dict[str, object], lang: int) -> str:
    head = ("SpO2 thấp", "Low SpO2")[lang]
    tail = (" (đo lại)", " (recheck)")[lang] if p.get("recheck") else ""
    return f"{head}: SpO2 {p['value']}% ({_OPS[p['op']]} {p['limit']}%){tail}"


def _w5(p: dict[str, object], lang: int) -> str:
    parts = []
    if "systolic_bp" in p:
        label = ("tâm thu", "systolic")[lang]
        parts.append(f"{label} {p['systolic_bp']} mmHg (< {p['systolic_limit']})")
    if "diastolic_bp" in p:
        label = ("tâm trương", "diastolic")[lang]
        parts.append(f"{label} {p['diastolic_bp']} mmHg (< {p['diastolic_limit']})")
    return ("Huyết áp thấp: ", "Low blood pressure: ")[lang] + ", ".join(parts)


def _w11(p: dict[str, object], lang: int) -> str:
    texts = {
        "patient": (
            "người bệnh thấy mệt hơn và muốn được gọi lại",
            "the patient feels worse and wants a call",
        ),
        "staff": (
            "nhân viên y tế đánh giá cần xử trí ngay",
            "a staff member judged that the patient needs attention",
        ),
    }
    by = p.get("by", ())
    parts = [texts[b][lang] for b in by if isinstance(by, tuple) and b in texts]
    text = "; ".join(parts)
    return ("Cần hỗ trợ: ", "Needs help: ")[lang] + text


def _c2(p: dict[str, object], lang: int) -> str:
    temp = _fmt(p["temperature_c"], lang)
    if "fever_hours" in p:
        fever = _fmt(p["fever_limit"], lang)
        if lang == _VI:
            return f"Sốt ≥ {fever} °C kéo dài {p['fever_hours']} giờ (hiện {temp} °C)"
        return f"Fever ≥ {fever} °C for {p['fever_hours']} hours (now {temp} °C)"
    limit = _fmt(p["limit"], lang)
    if lang == _VI:
        return f"Sốt cao {temp} °C (> {limit} °C) ở trẻ em"
    return f"High fever {temp} °C (> {limit} °C) in a child"


_PARAM_LABELS = {
    "respiratory_rate": ("nhịp thở {} lần/phút", "respiratory rate {}/min"),
    "spo2": ("SpO2 {}%", "SpO2 {}%"),
    "systolic_bp": ("huyết áp tâm thu {} mmHg", "systolic BP {} mmHg"),
    "pulse": ("mạch {} lần/phút", "pulse {}/min"),
    "consciousness": ("lú lẫn mới xuất hiện", "new confusion"),
    "temperature_c": ("nhiệt độ {} °C", "temperature {} °C"),
}


def _news2_total(code: str) -> Callable[[dict[str, object], int], str]:
    label = {
        "NEWS2_HIGH": ("≥ 7: nguy cơ cao", "≥ 7: high risk"),
        "NEWS2_MEDIUM": ("5–6: nguy cơ trung bình", "5–6: medium risk"),
    }[code]

    def text(p: dict[str, object], lang: int) -> str:
        if p.get("complete", True):
            return f"NEWS2 = {p['score']} ({label[lang]})"
        if lang == _VI:
            return f"NEWS2 ít nhất {p['score']} ({label[lang]}; còn chỉ số chưa đo)"
        return f"NEWS2 at least {p['score']} ({label[lang]}; some values not measured)"

    return text


def _news2_single(p: dict[str, object], lang: int) -> str:
    name = str(p.get("parameter"))
    label = _PARAM_LABELS.get(name, (name + " {}", name + " {}"))[lang]
    value = p.get("value")
    shown = label.format(_fmt(value, lang)) if value is not None else label.format("").strip()
    return ("NEWS2: {} được 3 điểm", "NEWS2: {} scores 3")[lang].format(shown)


def _elig_warning(p: dict[str, object], lang: int) -> str:
    codes = _fmt(p.get("codes", ()), lang)
    if lang == _VI:
        return f"Có dấu hiệu cảnh báo ({codes}): cần đánh giá điều trị tại cơ sở y tế"
    return f"Warning signs ({codes}): needs assessment for facility care"


_SEVERITY_LABELS = {
    "asymptomatic": ("không triệu chứng", "asymptomatic"),
    "mild": ("nhẹ", "mild"),
    "moderate": ("trung bình", "moderate"),
    "severe": ("nặng", "severe"),
}


def _elig_severity(p: dict[str, object], lang: int) -> str:
    sev = _SEVERITY_LABELS.get(str(p.get("severity")), ("?", "?"))[lang]
    if lang == _VI:
        return f"Mức độ bệnh {sev}: chỉ người không triệu chứng hoặc nhẹ được điều trị tại nhà"
    return f"Severity {sev}: only asymptomatic or mild patients may be treated at home"


def _template(vi: str, en: str) -> tuple[Callable[[dict[str, object], int], str], ...]:
    def make(tmpl: str) -> Callable[[dict[str, object], int], str]:
        def text(p: dict[str, object], lang: int) -> str:
            return tmpl.format(
                age=p.get("age"),
                conditions=_conditions(p.get("conditions", ()), lang),
                bmi=_fmt(p.get("bmi"), lang),
                months=p.get("months"),
            )

        return text

    return make(vi), make(en)


_OPS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}

_MESSAGES: dict[str, tuple[Any, Any]] = {
    "W1": (
        "Khó thở, thở hụt hơi hoặc thở bất thường",
        "Shortness of breath or abnormal breathing",
    ),
    "W2": (
        "Thở nhanh: nhịp thở {value} lần/phút (≥ {limit} lần/phút theo tuổi)",
        "Fast breathing: respiratory rate {value}/min (≥ {limit}/min for age)",
    ),
    "W3": (_w3, _w3),
    "W4": (
        lambda p, i: f"Mạch bất thường: {p['value']} lần/phút ({_OPS[p['op']]} {p['limit']})",
        lambda p, i: f"Abnormal pulse: {p['value']}/min ({_OPS[p['op']]} {p['limit']})",
    ),
    "W5": (_w5, _w5),
    "W6": ("Đau hoặc tức ngực", "Chest pain or tightness"),
    "W7": (
        "Thay đổi ý thức: lú lẫn, lơ mơ, li bì khó đánh thức hoặc co giật",
        "Altered consciousness: confusion, drowsiness, hard to wake or convulsions",
    ),
    "W8": (
        "Tím tái: môi, móng tay hoặc móng chân tím, da xanh tái",
        "Cyanosis: blue or grey lips or nails, pale skin",
    ),
    "W9": (
        "Không uống hoặc không bú/ăn được, nôn tất cả mọi thứ",
        "Cannot drink or feed, or vomits everything",
    ),
    "W10": (
        "Mắc bệnh cấp tính khác (sốt xuất huyết, tay chân miệng…)",
        "Another acute illness (dengue, hand-foot-mouth disease…)",
    ),
    "W11": (_w11, _w11),
    "C2": (_c2, _c2),
    "NEWS2_HIGH": (_news2_total("NEWS2_HIGH"), _news2_total("NEWS2_HIGH")),
    "NEWS2_MEDIUM": (_news2_total("NEWS2_MEDIUM"), _news2_total("NEWS2_MEDIUM")),
    "NEWS2_SINGLE_3": (_news2_single, _news2_single),
    "AGE_65_COMORBID": _template(
        "Từ 65 tuổi ({age} tuổi) và có bệnh nền: {conditions}",
        "Aged 65 or over ({age}) with an underlying condition: {conditions}",
    ),
    "AGE_65_UNVACCINATED": _template(
        "Từ 65 tuổi ({age} tuổi), chưa tiêm đủ liều vắc xin cơ bản",
        "Aged 65 or over ({age}), not fully vaccinated",
    ),
    "AGE_65_VACCINATED": _template(
        "Từ 65 tuổi ({age} tuổi), đã tiêm đủ liều vắc xin, không có bệnh nền",
        "Aged 65 or over ({age}), fully vaccinated, no underlying condition",
    ),
    "COMORBIDITY": _template(
        "Có bệnh nền: {conditions}",
        "Underlying condition: {conditions}",
    ),
    "BMI_30": _template(
        "Béo phì: BMI {bmi} (≥ 30), tính là bệnh nền",
        "Obesity: BMI {bmi} (≥ 30), counts as an underlying condition",
    ),
    "AGE_50_64_UNVACCINATED": _template(
        "Từ 50 đến 64 tuổi ({age} tuổi), chưa tiêm đủ liều vắc xin cơ bản",
        "Aged 50–64 ({age}), not fully vaccinated",
    ),
    "PREGNANT": ("Đang mang thai", "Pregnant"),
    "POSTPARTUM": ("Mới sinh con trong vòng 42 ngày", "Gave birth in the last 42 days"),
    "INFANT_UNDER_3_MONTHS": _template(
        "Trẻ dưới 3 tháng tuổi ({months} tháng)",
        "Infant under 3 months ({months} months)",
    ),
    "AGE_50_64_VACCINATED": _template(
        "Từ 50 đến 64 tuổi ({age} tuổi), đã tiêm đủ liều vắc xin, không có bệnh nền",
        "Aged 50–64 ({age}), fully vaccinated, no underlying condition",
    ),
    "UNVACCINATED": (
        "Từ 3 tháng đến 49 tuổi, chưa tiêm đủ liều vắc xin cơ bản",
        "Aged 3 months to 49 years, not fully vaccinated",
    ),
    "BMI_25": _template(
        "Thừa cân: BMI {bmi} (25–29,9)",
        "Overweight: BMI {bmi} (25–29.9)",
    ),
    "LOW_RISK": (
        "Nguy cơ thấp: từ 3 tháng đến 49 tuổi, đã tiêm đủ liều vắc xin, không có bệnh nền, "
        "không mang thai",
        "Low risk: aged 3 months to 49 years, fully vaccinated, no underlying condition, "
        "not pregnant",
    ),
    "ELIG_WARNING_SIGNS": (_elig_warning, _elig_warning),
    "ELIG_SEVERITY": (_elig_severity, _elig_severity),
    "ELIG_COMORBIDITY": _template(
        "Bệnh nền chưa được điều trị ổn định: {conditions}",
        "Underlying condition not under stable treatment: {conditions}",
    ),
    "RECOVERY_BEFORE_DAY_7": (
        "Mới đến ngày điều trị thứ {day}: sớm nhất từ ngày {with_test_day} nếu xét nghiệm "
        "nhanh kháng nguyên âm tính, hoặc từ ngày {without_test_day}",
        "Treatment day {day}: at the earliest from day {with_test_day} with a negative rapid "
        "antigen test, otherwise from day {without_test_day}",
    ),
    "RECOVERY_NEEDS_NEGATIVE_TEST": (
        "Ngày điều trị thứ {day}: cần xét nghiệm nhanh kháng nguyên âm tính do nhân viên y tế "
        "thực hiện hoặc giám sát, hoặc chờ đến ngày {without_test_day}",
        "Treatment day {day}: needs a negative rapid antigen test done or supervised by a "
        "health worker, or wait until day {without_test_day}",
    ),
}


_CHART_LABELS = {
    "fever": ("sốt", "fever"),
    "W2": ("thở nhanh", "fast breathing"),
    "W3": ("SpO2 thấp", "low SpO2"),
    "W4_low": ("mạch chậm", "slow pulse"),
    "W4_high": ("mạch nhanh", "fast pulse"),
    "C2": ("sốt cao", "high fever"),
}


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
