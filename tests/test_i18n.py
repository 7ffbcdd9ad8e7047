"""Every text a person can see has a Vietnamese translation; dates are Vietnamese-style."""

from datetime import UTC, date, datetime

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from f0monitor import PROJECT_ROOT
from f0monitor.http.i18n import fmt_date, fmt_datetime

# N_ and Msg mark the untranslated messages of domain and services (domain/text.py).
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2),
            "N_": None, "Msg": None}
METHODS = [("f0monitor/**.py", "python"), ("templates/**.html", "jinja2")]


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(PROJECT_ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {}}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_vietnamese_translation():
    path = PROJECT_ROOT / "f0monitor/translations/vi/LC_MESSAGES/messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    translated = set()
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, tuple):  # a plural: every form must be translated
            if all(m.string):
                translated.add(m.id[0])
        elif m.string:
            translated.add(m.id)
    missing = sorted(source_messages() - translated)
    assert not missing, "add Vietnamese for: " + "; ".join(missing[:40])


def test_extraction_sees_templates_and_code():
    messages = source_messages()
    assert "Send report" in messages  # python (forms)
    assert "Not yet assessed" in messages  # template macro


def test_vietnamese_date_and_time_formats():
    moment = datetime(2026, 11, 22, 1, 5, tzinfo=UTC)  # 08:05 in Vietnam
    assert fmt_datetime(moment) == "22/11/2026 08:05"
    assert fmt_date(date(2026, 1, 2)) == "02/01/2026"
    assert fmt_date(datetime(2026, 11, 21, 18, 0, tzinfo=UTC)) == "22/11/2026"  # 01:00 next day
