"""Folding Vietnamese text for search and sorting: "Nguyễn Đức" → "nguyen duc"."""

from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """Return text without diacritics, with đ as d, case-folded and with single spaces.

    People type names without accents on cheap phones ("Nguyen Thi Lan"); staff must still
    find "Nguyễn Thị Lan". Folding in Python keeps SQLite and PostgreSQL alike (no unaccent).
    """
    if not text:
        return ""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
