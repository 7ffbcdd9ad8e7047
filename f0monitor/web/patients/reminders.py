"""The patient's reminder settings: channels, e-mail, quiet hours, stopping reminders."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import Optional

from ...data.session import get_session
from ...domain.clock import utcnow
from ...http.access import access
from ...http.labels import MESSAGE_CHANNEL_LABELS, render
from ...services import preferences
from ..common.forms import CsrfForm, MultiCheckboxField
from . import _own_patient, bp


class RemindersForm(CsrfForm):
    channels = MultiCheckboxField(_l("Remind me by"), choices=list(preferences.CHANNELS), validators=[Optional()])
    email = StringField(_l("E-mail address"), validators=[Optional()])
    quiet_start = StringField(_l("Quiet from"), validators=[Optional()])
    quiet_end = StringField(_l("until"), validators=[Optional()])
    opted_out = BooleanField(_l("Stop all reminders"))


@bp.route("/reminders", methods=("GET", "POST"))
@access("patient")
def reminders():
    """Show and change how the patient is reminded to report."""
    patient = _own_patient()
    session = get_session()
    current = preferences.get(session, patient)
    form = RemindersForm()
    if request.method == "GET":
        form.channels.data = list(current.channels)
        form.email.data = current.email or ""
        form.quiet_start.data, form.quiet_end.data = current.quiet_hours
        form.opted_out.data = current.opted_out
    status = 200
    if request.method == "POST" and form.validate():
        try:
            preferences.update(
                session, patient=patient, now=utcnow(), via="web",
                channels=form.channels.data or [],
                email=(form.email.data or "").strip(),
                quiet_hours=[(form.quiet_start.data or "").strip(), (form.quiet_end.data or "").strip()],
                opted_out=bool(form.opted_out.data),
            )
        except preferences.PreferenceInvalid as exc:
            session.rollback()
            field = {"quiet_hours": "quiet_start"}.get(exc.field, exc.field)
            getattr(form, field).errors = [render(exc.msg)]
            status = 422
        else:
            session.commit()
            flash(_("Reminders stopped. You can turn them on again here.") if form.opted_out.data
                  else _("Your reminder settings are saved."), "success")
            return redirect(url_for("patients.reminders"))
    elif request.method == "POST":
        status = 422
    return render_template("patients/reminders.html", form=form, current=current,
                           channel_labels=MESSAGE_CHANNEL_LABELS), status
