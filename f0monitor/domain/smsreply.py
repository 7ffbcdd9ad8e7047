"""Reading an SMS check-in from a feature phone, forgivingly (standard library only).

People answer the prompt the way they type on a keypad: any order, with or without
diacritics, upper or lower case, a decimal comma or a point, with or without a colon, units
or none (``SPO2 96 NHIET 38,5 MACH 100 KHO THO``, ``nhiệt độ 38.5, spo2: 96%``, ``sot 38,5
khong kho tho``). ``read_sms`` turns such a text into the same values the report form and
the API take — one number per vital of the spec (``domain.vitals``), "no oximeter", and the
symptom and warning-sign codes of ``covid.vocab`` — or says why it could not.

It never guesses a number it cannot name: a bare ``97`` is a problem (the reply asks again,
and a person calls), never an SpO2. A value outside the spec's range, or one the web form
would ask to confirm (SpO2 under 70, pulse over 180, temperature over 41.5), is a problem too:
nobody can tick "I have checked" in an SMS, so a person calls instead. A warning sign is read
as said unless it is denied just before ("không khó thở", "ko đau ngực"); said and denied in
one message, it counts as said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .covid.vocab import SYMPTOMS
from .textfold import fold
from .vitals import VITALS_BY_NAME, check_vitals

# Names of the vitals, folded (no diacritics, lower case), each a tuple of words. A name only
# counts when a number follows it (after an optional ":", "=", "la" or "là").
VITAL_NAMES: dict[str, tuple[str, ...]] = {
    "spo2": (
        "spo2", "sp02", "spo", "sp o2", "oxy", "oxi", "o2", "nong do oxy", "do oxy",
        "bao hoa oxy", "do bao hoa oxy", "chi so oxy", "chi so spo2", "do spo2",
    ),
    "spo2_recheck": ("spo2 lan 2", "spo2 lan hai", "do lai", "lan 2", "lan hai", "do lai spo2"),
    "temperature_c": ("nhiet", "nhiet do", "than nhiet", "t", "to", "nd", "sot", "sot cao"),
    "pulse": ("mach", "nhip tim", "nhip", "tim", "mach dap", "hr"),
    "respiratory_rate": ("nhip tho", "tho", "tan so tho", "rr", "nhip tho/phut"),
    # Blood pressure is one name for two vitals, written "120/80".
    "blood_pressure": ("huyet ap", "ha", "bp", "ap huyet"),
}

# Phrases (folded) and what they mean: a symptom code, or one of the special meanings below.
NO_OXIMETER = "no_oximeter"
WELL = "well"  # "I am fine": a report with no symptom
POLITE = "polite"  # "cảm ơn": words of courtesy, read so that "ơn" is not taken for "ổn"
SYMPTOM_PHRASES: dict[str, tuple[str, ...]] = {
    "fever": ("sot", "bi sot", "phat sot", "sot nhe", "sot cao", "nong sot"),
    "cough": ("ho", "ho khan", "ho nhieu", "ho nhe", "ho it"),
    "productive_cough": ("ho co dom", "ho dom", "ho ra dom", "co dom", "kho dom", "dom"),
    "sore_throat": ("dau hong", "rat hong", "viem hong", "ngua hong", "dau hong nhe"),
    "runny_nose": ("so mui", "chay mui", "nghet mui", "tac mui", "ngat mui"),
    "fatigue": ("met", "met moi", "moi met", "uon oai", "duoi suc", "bi met"),
    "headache": ("dau dau", "nhuc dau", "nhuc dau nhe"),
    "myalgia": ("dau co", "dau minh", "dau nhuc", "nhuc moi", "nhuc minh", "moi co", "dau nguoi",
                "dau nhuc co", "dau minh may"),
    "chills": ("on lanh", "lanh run", "ret run", "ron lanh"),
    "red_eyes": ("do mat", "mat do", "dau mat do"),
    "loss_of_taste_smell": ("mat vi", "mat vi giac", "mat khuu giac", "mat mui", "mat vi giac va khuu giac",
                            "khong ngui thay mui", "khong ngui duoc", "khong nem duoc vi", "mat ngui"),
    "diarrhea": ("tieu chay", "di ngoai", "di long", "ia chay", "di cau nhieu", "ia long"),
    "nausea_vomiting": ("buon non", "non", "non oi", "oi", "muon oi"),
    "anorexia": ("chan an", "an khong ngon", "bieng an", "an kem", "khong muon an"),
    "dizziness": ("chong mat", "hoa mat", "choang", "choang vang", "hoa mat chong mat"),
    "hemoptysis": ("ho ra mau", "ho mau", "khac ra mau", "ho co mau"),
    # The warning-sign questions, as words.
    "shortness_of_breath": ("kho tho", "tho kho", "hut hoi", "tho gap", "tho nhanh", "nghet tho",
                            "ngop tho", "tho doc", "tho met", "tho khong noi", "kho tho nhe"),
    "chest_pain": ("dau nguc", "tuc nguc", "nang nguc", "that nguc", "nhoi nguc", "dau tuc nguc"),
    "altered_consciousness": ("lu lan", "li bi", "lo mo", "kho danh thuc", "ngu li bi", "mat y thuc",
                              "co giat", "bat tinh", "ngat", "lu do", "kho goi day"),
    "cyanosis": ("tim moi", "moi tim", "moi xanh", "moi tai", "tim tai", "mong tim", "tim mong",
                 "da tai", "moi tham", "moi xam", "mong tay tim", "moi va mong tim"),
    "cannot_drink_or_feed": ("khong an uong duoc", "khong uong duoc", "khong an duoc", "non het",
                             "an gi non nay", "uong gi non nay", "bo an", "mat nuoc", "khong an uong"),
    "other_acute_illness": ("sot xuat huyet", "tay chan mieng", "sxh", "benh cap khac", "benh khac"),
    "wants_call": ("goi lai", "goi cho toi", "goi cho em", "goi cho minh", "can goi", "xin goi",
                   "goi giup", "met hon", "nang hon", "te hon", "yeu hon", "can bac si", "can tu van",
                   "can giup", "can giup do", "goi dien", "goi em", "goi toi"),
    NO_OXIMETER: ("khong co may do", "ko co may do", "k co may do", "khong co may", "chua co may do",
                  "khong co may spo2", "khong co may do spo2", "khong co may do oxy", "khong do duoc",
                  "khong co spo2", "ko co may", "k co may", "khong may do", "ko may do", "kcmd",
                  "khong co may kep", "khong co may kep tay", "khong co may do oxi"),
    WELL: ("khoe", "binh thuong", "on", "van on", "khong trieu chung", "khong co trieu chung",
           "ko trieu chung", "khong sao", "ok", "tot", "da do"),
    POLITE: ("cam on", "cam on bac si", "xin cam on", "cam on nhieu"),
}

# Words that deny what follows ("không khó thở", "hết sốt"), and the ones that may sit between.
NEGATIONS = frozenset({"khong", "ko", "k", "hok", "hong", "khg", "kh", "het", "chua", "hem"})
NEGATION_GAP = frozenset({"co", "bi", "con", "thay", "may", "he", "phai"})
# Units and joining words after a name or a number; they carry no meaning of their own.
JOINERS = frozenset({"la", "=", ":", "-", "duoc", "do", "khoang"})
UNIT_HINTS: dict[str, str] = {
    "%": "spo2",
    "c": "temperature_c",
    "oc": "temperature_c",
    "°c": "temperature_c",
    "°": "temperature_c",
    "do c": "temperature_c",
    "bpm": "pulse",
    "l/p": "pulse",
    "lan/phut": "pulse",
    "nhip/phut": "pulse",
    "mmhg": "blood_pressure",
}
# A number followed by one of these is a duration or a time ("sốt 3 ngày", "8 giờ"), no vital.
DURATIONS = frozenset({"ngay", "hom", "tieng", "gio", "h", "tuan", "buoi", "phut", "thang"})
# A message that is only one of these opts out of SMS (api.md: "STOP by SMS").
STOP_PHRASES = frozenset(
    {"stop", "huy", "ngung", "dung lai", "huy dang ky", "tu choi", "stop sms", "ngung nhan",
     "khong nhan tin nua", "dung nhan tin", "huy tin nhan", "dung gui", "ngung gui"}
)

_TOKEN = re.compile(r"\d+(?:[.,]\d+)?(?:/\d+)?|[a-z]+\d*|\d+|%|°c?|[:=]|[/,.;!?+]")


@dataclass(frozen=True)
class Problem:
    """Why a part of the text could not be taken: the vital (or "text") and a code.

    Codes: ``out_of_range``, ``not_integer``, ``implausible`` (would need confirmation),
    ``diastolic_not_below_systolic``, ``given_twice`` (two different numbers for one vital),
    ``number_without_name`` (a number we cannot tie to a vital), ``name_without_number``,
    ``spo2_with_no_oximeter``, ``nothing_understood``.
    """

    field: str
    code: str
    text: str = ""  # the piece of the message concerned, folded


@dataclass(frozen=True)
class SmsReading:
    """What an SMS check-in said, in the report's terms."""

    values: dict[str, int | float] = field(default_factory=dict)  # vital name -> number
    no_oximeter: bool = False
    symptoms: frozenset[str] = frozenset()
    denied: frozenset[str] = frozenset()  # symptoms explicitly denied ("không khó thở")
    well: bool = False  # "khỏe", "bình thường": nothing to report
    stop: bool = False  # the sender opts out of SMS
    problems: tuple[Problem, ...] = ()

    @property
    def understood(self) -> bool:
        """True when something of a report was read (a value, a symptom, a denial, "well")."""
        return bool(self.values or self.symptoms or self.denied or self.well or self.no_oximeter)

    @property
    def readable(self) -> bool:
        """True when the text can be stored as a report as it is."""
        return not self.stop and not self.problems and self.understood


def _phrase_table() -> list[tuple[tuple[str, ...], str, str]]:
    """Return (words, kind, meaning) for every name and phrase, longest first."""
    rows: list[tuple[tuple[str, ...], str, str]] = []
    for vital, names in VITAL_NAMES.items():
        rows += [(tuple(name.split()), "vital", vital) for name in names]
    for meaning, phrases in SYMPTOM_PHRASES.items():
        rows += [(tuple(phrase.split()), "phrase", meaning) for phrase in phrases]
    rows.sort(key=lambda row: -len(row[0]))
    return rows


_TABLE = _phrase_table()
_MAX_WORDS = max(len(words) for words, _kind, _meaning in _TABLE)


def tokens(text: str) -> list[str]:
    """Return the folded words, numbers and signs of a text ("SpO2: 96%" → spo2 : 96 %)."""
    folded = fold(text).replace("º", "°")
    # "SP02", "spo 2", "sp o2" are all SpO2 on a keypad.
    folded = re.sub(r"\bsp\s*[o0]\s*2\b", "spo2", folded)
    return _TOKEN.findall(folded)


def _number(token: str) -> float | None:
    try:
        return float(token.replace(",", "."))
    except ValueError:
        return None


def _is_number(token: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:[.,]\d+)?", token))


def _match(words: list[str], i: int) -> tuple[int, str, str] | None:
    """Return (length, kind, meaning) of the longest name or phrase starting at ``i``.

    A vital's name counts only with a number after it; otherwise the next candidate (a symptom
    phrase such as "tim môi" rather than the pulse's "tim") is tried.
    """
    for length in range(min(_MAX_WORDS, len(words) - i), 0, -1):
        piece = tuple(words[i : i + length])
        for kind_words, kind, meaning in _TABLE:
            if kind_words != piece:
                continue
            if kind == "vital" and _number_after(words, i + length) is None:
                continue
            return length, kind, meaning
    return None


def _number_after(words: list[str], j: int) -> int | None:
    """Return the index of the number after a name (skipping ":", "=", "là"), if any."""
    while j < len(words) and words[j] in JOINERS:
        j += 1
    if j < len(words) and re.fullmatch(r"\d+(?:[.,]\d+)?(?:/\d+)?", words[j]):
        if _is_duration(words, j):
            return None
        return j
    return None


def _is_duration(words: list[str], j: int) -> bool:
    """Tell whether the number at ``j`` is a duration or a clock time ("3 ngày", "16:00")."""
    after = words[j + 1] if j + 1 < len(words) else ""
    if after in DURATIONS:
        return True
    return after == ":" and j + 2 < len(words) and words[j + 2].isdigit()


def _unit_after(words: list[str], j: int) -> tuple[int, str | None]:
    """Return (words used, vital hinted) by a unit written after a number ("96 %", "38,5 độ C")."""
    two = " ".join(words[j : j + 2])
    if two in UNIT_HINTS:
        return 2, UNIT_HINTS[two]
    if j < len(words) and words[j] in UNIT_HINTS:
        return 1, UNIT_HINTS[words[j]]
    if j < len(words) and words[j] == "do" and _match(words, j) is None:  # "38,5 độ": degrees
        return 1, "temperature_c"
    if " ".join(words[j : j + 3]) in ("lan / phut", "nhip / phut", "l / p"):
        return 3, "pulse"
    return 0, None


class _Reader:
    def __init__(self) -> None:
        self.values: dict[str, int | float] = {}
        self.symptoms: set[str] = set()
        self.denied: set[str] = set()
        self.no_oximeter = False
        self.well = False
        self.problems: list[Problem] = []

    def put(self, vital: str, raw: str) -> None:
        if vital == "blood_pressure" or "/" in raw:
            self.put_pressure(raw)
            return
        value = _number(raw)
        if value is None:
            self.problems.append(Problem(vital, "not_a_number", raw))
            return
        if vital == "spo2" and "spo2" in self.values and "spo2_recheck" not in self.values:
            # A second SpO2 is the reading after a minute (the form asks for it when low).
            vital = "spo2_recheck"
        if vital in self.values:
            if self.values[vital] != value:
                self.problems.append(Problem(vital, "given_twice", raw))
            return
        self.values[vital] = value

    def put_pressure(self, raw: str) -> None:
        upper, _slash, lower = raw.partition("/")
        if not lower:
            self.problems.append(Problem("systolic_bp", "name_without_number", raw))
            return
        for name, part in (("systolic_bp", upper), ("diastolic_bp", lower)):
            value = _number(part)
            if value is None:
                self.problems.append(Problem(name, "not_a_number", raw))
            elif name in self.values and self.values[name] != value:
                self.problems.append(Problem(name, "given_twice", raw))
            else:
                self.values[name] = value

    def result(self) -> SmsReading:
        problems = list(self.problems)
        checked = {k: v for k, v in self.values.items() if k != "spo2_recheck"}
        errors, implausible = check_vitals(checked)
        if "spo2_recheck" in self.values:
            rc_errors, rc_implausible = check_vitals({"spo2": self.values["spo2_recheck"]})
            if "spo2" in rc_errors:
                errors["spo2_recheck"] = rc_errors["spo2"]
            if "spo2" in rc_implausible:
                implausible["spo2_recheck"] = rc_implausible["spo2"]
        for name, code in errors.items():
            problems.append(Problem(name, code, _shown(self.values.get(name))))
        for name in implausible:
            problems.append(Problem(name, "implausible", _shown(self.values.get(name))))
        if self.no_oximeter and ("spo2" in self.values or "spo2_recheck" in self.values):
            problems.append(Problem("spo2", "spo2_with_no_oximeter"))
        values = {
            name: VITALS_BY_NAME[name].coerce(value)
            for name, value in self.values.items()
            if name not in errors
        }
        return SmsReading(
            values=values,
            no_oximeter=self.no_oximeter,
            symptoms=frozenset(self.symptoms),
            denied=frozenset(self.denied - self.symptoms),
            well=self.well,
            problems=tuple(problems),
        )


def _shown(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else str(value)


def read_sms(text: str) -> SmsReading:
    """Read an SMS check-in; see the module docstring for what is understood."""
    words = tokens(text or "")
    plain = " ".join(w for w in words if w not in {",", ".", "!", "?", ";"})
    if plain in STOP_PHRASES:
        return SmsReading(stop=True)
    reader = _Reader()
    negate_left = 0  # how many more words a "không" still reaches
    i = 0
    while i < len(words):
        word = words[i]
        found = _match(words, i)
        if found is not None:
            length, kind, meaning = found
            if kind == "vital":
                j = _number_after(words, i + length)
                assert j is not None  # _match only returns a name followed by a number
                if meaning == "temperature_c" and words[i] == "sot":
                    reader.symptoms.add("fever")  # "sốt 38,5": a fever, measured
                reader.put(meaning, words[j])
                used, _hint = _unit_after(words, j + 1)
                i, negate_left = j + 1 + used, 0
                continue
            if meaning == NO_OXIMETER:
                reader.no_oximeter = True
            elif meaning == POLITE:
                pass
            elif meaning == WELL:
                if negate_left == 0:
                    reader.well = True
            elif negate_left > 0:
                reader.denied.add(meaning)
            else:
                reader.symptoms.add(meaning)
            i, negate_left = i + length, 0
            continue
        if (_is_number(word) or re.fullmatch(r"\d+/\d+", word)) and _is_duration(words, i):
            i += 3 if words[i + 1] == ":" else 2
            negate_left = 0
            continue
        if _is_number(word) or re.fullmatch(r"\d+/\d+", word):
            used, hint = _unit_after(words, i + 1)
            if hint is None and "/" in word:
                hint = "blood_pressure"
            if hint is None:
                reader.problems.append(Problem("text", "number_without_name", word))
            else:
                reader.put(hint, word)
            i, negate_left = i + 1 + used, 0
            continue
        if word in NEGATIONS:
            negate_left = 3
        elif word in NEGATION_GAP and negate_left > 0:
            pass
        elif word in {",", ".", ";", "!", "?", "+"}:
            negate_left = 0
        elif negate_left > 0:
            negate_left -= 1
        i += 1
    reading = reader.result()
    if not reading.understood and not reading.problems:
        return SmsReading(problems=(Problem("text", "nothing_understood"),))
    return reading


def format_example() -> str:
    """Return the reply format, as sent back to an unreadable message (plain ASCII, one SMS)."""
    return "SPO2 96 NHIET 37,5 MACH 90"


# Every symptom code the reader can produce is one of the vocabulary's.
assert set(SYMPTOM_PHRASES) - {NO_OXIMETER, WELL, POLITE} <= set(SYMPTOMS)
