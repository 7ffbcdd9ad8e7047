"""Languages (Vietnamese first, English second) and Vietnamese date and time display."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_babel import format_datetime, format_decimal, get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from .._catalogs import missing_catalogs
from ..domain.clock import VN_TZ
from ..extensions import babel

LANG_COOKIE = "lang"


def select_locale() -> str:
    """Pick the language: the user's saved choice, the session, then the browser, then vi."""
    languages = current_app.config["LANGUAGES"]
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in languages:
            return current_user.locale
    chosen = session.get(LANG_COOKIE) or request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(languages, default="vi")
    # Pages default to Vietnamese: a browser set to English on a shared phone should not
    # switch an older patient's screen; the switcher is one tap away.
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def request_translations():
    """Return the request's translations, found once per locale.

    Flask-Babel's own look-up walks half a dozen context proxies for every string, and a
    queue or patient page asks for about 500 of them. The translations are kept on
    Flask-Babel's request namespace with the locale they were found for: a change of locale
    (``force_locale``, which sets a new one and restores the old) finds them again.
    """
    try:
        ns = g.get("_flask_babel")
    except RuntimeError:  # no application context: Flask-Babel's answer (no translation)
        return get_translations()
    if ns is not None:
        memo = getattr(ns, "f0_translations", None)
        if memo is not None and memo[0] is getattr(ns, "babel_locale", None):
            return memo[1]
    translations = get_translations()  # chooses the locale if not done yet
    ns = g.get("_flask_babel")
    if ns is not None:
        ns.f0_translations = (getattr(ns, "babel_locale", None), translations)
    return translations


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext`` (same answer), with the translations found once a request."""
    rv = request_translations().ugettext(string)
    return rv % variables if variables else rv


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Flask-Babel's ``ngettext`` (same answer, ``num`` among the variables), found as `gettext`."""
    variables.setdefault("num", num)
    return request_translations().ungettext(singular, plural, num) % variables


@lru_cache(maxsize=8192)
def _translated(translations: Any, string: str, markup: bool) -> str:
    rv = translations.ugettext(string)
    return (Markup(rv) if markup else rv) % {}


@pass_context
def _jinja_gettext(context: Any, string: str, **variables: Any) -> str:
    markup = context.eval_ctx.autoescape
    if not variables:  # most labels: the same answer for the same catalog and string
        return _translated(request_translations(), string, markup)
    rv = request_translations().ugettext(string)
    return (Markup(rv) if markup else rv) % variables


@pass_context
def _jinja_ngettext(context: Any, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    rv = request_translations().ungettext(singular, plural, num)
    return (Markup(rv) if context.eval_ctx.autoescape else rv) % variables


@pass_context
def _jinja_pgettext(context: Any, ctx: str, string: str, **variables: Any) -> str:
    variables.setdefault("context", ctx)
    rv = request_translations().upgettext(ctx, string)
    return (Markup(rv) if context.eval_ctx.autoescape else rv) % variables


@pass_context
def _jinja_npgettext(context: Any, ctx: str, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("context", ctx)
    variables.setdefault("num", num)
    rv = request_translations().unpgettext(ctx, singular, plural, num)
    return (Markup(rv) if context.eval_ctx.autoescape else rv) % variables


def current_lang() -> str:
    """Return "vi" or "en"."""
    locale = get_locale()
    return locale.language if locale else "vi"


def fmt_datetime(value: datetime | None) -> str:
    """Format an instant as dd/mm/yyyy HH:MM in Vietnam time (24-hour)."""
    if value is None:
        return ""
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def fmt_time(value: datetime | None) -> str:
    """Format an instant as HH:MM in Vietnam time."""
    if value is None:
        return ""
    return value.astimezone(VN_TZ).strftime("%H:%M")


def fmt_day_time(value: datetime | None) -> str:
    """Format an instant as dd/mm HH:MM in Vietnam time (for tables within a treatment)."""
    if value is None:
        return ""
    return value.astimezone(VN_TZ).strftime("%d/%m %H:%M")


def fmt_number(value: float | int | None, decimals: int = 1) -> str:
    """Format a measurement with Babel for the reader's locale: 37,5 in Vietnamese, 37.5 in English.

    Whole numbers stay whole; others show ``decimals`` decimals.
    """
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer() and decimals == 0:
        return format_decimal(value, format="#,##0")
    return format_decimal(value, format="#,##0." + "0" * decimals)


def fmt_date(value: date | datetime | None) -> str:
    """Format a day as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    return value.strftime("%d/%m/%Y")


def fmt_when(value: datetime | None, now: datetime | None = None) -> str:
    """Format an instant as HH:MM when it is today in Vietnam, else with its date.

    Staff read "open since 16:45" as today; an alert from five days ago must say so.
    """
    if value is None:
        return ""
    local = value.astimezone(VN_TZ)
    today = (now or datetime.now(VN_TZ)).astimezone(VN_TZ).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime("%d/%m %H:%M")
    return local.strftime("%d/%m/%Y %H:%M")


def init_app(app: Flask) -> None:
    """Bind Flask-Babel and the template filters."""
    if "BABEL_TRANSLATION_DIRECTORIES" not in app.config:
        # Compiled at build time (setup.py's build_py: pip install, pip wheel; or make).
        folder = Path(app.root_path) / "translations"
        installed = (Path(app.root_path) / "_site").is_dir()  # built by setup.py, not a checkout
        stale = missing_catalogs(folder, check_age=not installed)
        if stale:
            app.logger.warning(
                "no current compiled catalog for %s: pages fall back to English; reinstall "
                "(pip install .) or run make translations",
                ", ".join(str(p.relative_to(folder)) for p in stale),
            )
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(folder)
    babel.init_app(app, locale_selector=select_locale)
    # Jinja's new-style gettext as Jinja defines it (the string is always a format string,
    # Markup under autoescape), with the request's translations found once (see above).
    app.jinja_env.globals.update(gettext=_jinja_gettext, _=_jinja_gettext, ngettext=_jinja_ngettext,
                                 pgettext=_jinja_pgettext, npgettext=_jinja_npgettext)
    app.jinja_env.filters["dt"] = fmt_datetime
    app.jinja_env.filters["d"] = fmt_date
    app.jinja_env.filters["hm"] = fmt_time
    app.jinja_env.filters["dm_hm"] = fmt_day_time
    app.jinja_env.filters["num"] = fmt_number
    app.jinja_env.filters["when"] = fmt_when
    app.jinja_env.globals["current_lang"] = current_lang
    app.jinja_env.globals["format_datetime"] = format_datetime
