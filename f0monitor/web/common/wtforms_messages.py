"""WTForms' and Flask-WTF's own messages, so that Babel extracts them into our catalog.

WTForms ships no Vietnamese and Flask-WTF's CSRF messages are not translated at all; the
forms (``web.common.forms.Form``) look every such message up in f0monitor's catalog instead.
Singular and plural are separate ids: Vietnamese has one form.
"""

from __future__ import annotations

from ...domain.text import N_

MESSAGES = (
    N_("This field is required."),
    N_("Invalid input."),
    N_("Field must be at least %(min)d character long."),
    N_("Field must be at least %(min)d characters long."),
    N_("Field cannot be longer than %(max)d character."),
    N_("Field cannot be longer than %(max)d characters."),
    N_("Field must be exactly %(max)d character long."),
    N_("Field must be exactly %(max)d characters long."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Not a valid choice."),
    N_("Invalid Choice: could not coerce."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("'%(value)s' is not a valid choice for this field."),
    N_("'%(value)s' are not valid choices for this field."),
    N_("Not a valid datetime value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
    N_("Invalid CSRF Token."),
    N_("CSRF token missing."),
    N_("CSRF failed."),
    N_("CSRF token expired."),
    # Flask-WTF (flask_wtf/csrf.py), raised untranslated
    N_("The CSRF token is missing."),
    N_("The CSRF session token is missing."),
    N_("The CSRF token has expired."),
    N_("The CSRF token is invalid."),
    N_("The CSRF tokens do not match."),
)
