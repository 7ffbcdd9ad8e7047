"""The COVID-19 vocabularies: symptom, warning-sign and comorbidity codes (api.md)."""

from __future__ import annotations

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
