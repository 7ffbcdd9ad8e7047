"""Message texts for people outside a request (SMS, Zalo, e-mail), translated with Babel.

Pages and the API render through Flask-Babel at the HTTP edge (``http.labels.render``); a
message built by a job has no request, so this module reads the same compiled catalogs with
plain Babel (no Flask) in the recipient's language. Vietnamese first: an unknown or missing
language is Vietnamese; English is the message id.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from ..domain.text import Msg

PACKAGE_TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"

_directory: Path = PACKAGE_TRANSLATIONS


def use_directory(directory: str | Path) -> None:
    """Read catalogs from ``directory`` (the app's BABEL_TRANSLATION_DIRECTORIES)."""
    global _directory
    if Path(directory) != _directory:
        _directory = Path(directory)
        _catalog.cache_clear()


def locale_of(value: str | None) -> str:
    """Return a supported language for a stored locale ("vi" when none or unknown)."""
    lang = (value or "").split("_")[0].split("-")[0].lower()
    return lang if lang in LOCALES else DEFAULT_LOCALE


@lru_cache(maxsize=8)
def _catalog(locale: str) -> NullTranslations:
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(_directory), [locale])


def render(message: Msg | str, locale: str | None) -> str:
    """Translate a ``Msg`` (its ``Msg`` parameters first) into ``locale``; a str is kept."""
    if not isinstance(message, Msg):
        return str(message)
    lang = locale_of(locale)
    params = {k: render(v, lang) if isinstance(v, Msg) else v for k, v in message.params.items()}
    text = _catalog(lang).gettext(message.id)
    return text % params if params else text
