"""The COVID-19 vocabularies: symptom, warning-sign and comorbidity codes (api.md).

Keys only: their words are in ``http/labels.py`` (rendered through Babel).
"""

from __future__ import annotations

# Display order of the report form.
SYMPTOMS: tuple[str, ...] = (
    "fever",
    "cough",
    "productive_cough",
    "sore_throat",
    "runny_nose",
    "fatigue",
    "headache",
    "myalgia",
    "chills",
    "red_eyes",
    "loss_of_taste_smell",
    "diarrhea",
    "nausea_vomiting",
    "anorexia",
    "dizziness",
    "hemoptysis",
    "shortness_of_breath",
    "chest_pain",
    "altered_consciousness",
    "cyanosis",
    "cannot_drink_or_feed",
    "other_acute_illness",
    "wants_call",
)

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
COMORBIDITIES: tuple[str, ...] = (
    "diabetes",
    "chronic_lung_disease",
    "cancer",
    "chronic_kidney_disease",
    "transplant",
    "obesity",
    "cardiovascular_disease",
    "cerebrovascular_disease",
    "down_syndrome",
    "hiv",
    "neurological_disease",
    "sickle_cell_disease",
    "asthma",
    "hypertension",
    "immunodeficiency",
    "liver_disease",
    "substance_use_disorder",
    "immunosuppressant_use",
    "systemic_disease",
    "prematurity",
    "other",
)
