"""The Vietnamese catalog passes Babel's own checks (placeholders match), as `pybabel compile` runs them."""

from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parent.parent / "f0monitor/translations/vi/LC_MESSAGES/messages.po"


def test_every_translation_keeps_the_placeholders_of_its_source():
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    problems = [f"{message.id!r}: {errors}" for message, errors in catalog.check()]
    assert problems == []


def test_nothing_is_left_fuzzy_or_untranslated():
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    left = [m.id for m in catalog if m.id and (m.fuzzy or not (any(m.string) if isinstance(m.string, tuple) else m.string))]
    assert left == []
