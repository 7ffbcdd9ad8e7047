"""Forms of the login's second step and of the account's security page (CSRF on each)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length


class CodeForm(FlaskForm):
    """A six-digit code from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[InputRequired(_l("enter the code your app shows")), Length(max=32)],
    )
    submit = SubmitField(_l("Confirm"))
