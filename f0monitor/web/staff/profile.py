"""Staff correct a patient's risk profile (vaccination, illnesses, pregnancy, size, NEWS2 scale).

The patient is re-scored at once, in the same transaction, by the same rules as every report.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import RadioField, SubmitField

from ...data.session import get_session
from ...domain.clock import local_date, utcnow
from ...http.access import access
from ...http.labels import render_fields
from ...services import inputs
from ...services.patients import ProfileChange, update_profile
from ..common.forms import Form, RegistrationForm, _number, choices
from . import audit_patient, bp, scoped_patient

EDITORS = ("volunteer", "doctor", "coordinator", "admin")
SCALE_SETTERS = ("doctor",)  # NEWS2 Scale 2 is a clinician's decision (§5 of the decisions)


class ProfileForm(Form):
    comorbidities = RegistrationForm.comorbidities
    comorbidities_stable = RegistrationForm.comorbidities_stable
    pregnant = RegistrationForm.pregnant
    pregnancy_weeks = RegistrationForm.pregnancy_weeks
    postpartum = RegistrationForm.postpartum
    vaccine_doses = RegistrationForm.vaccine_doses
    fully_vaccinated = RegistrationForm.fully_vaccinated
    height_cm = RegistrationForm.height_cm
    weight_kg = RegistrationForm.weight_kg
    news2_scale = RadioField(
        _l("NEWS2 SpO2 scale"),
        choices=choices([("1", _l("Scale 1 (usual)")), ("2", _l("Scale 2 (hypercapnic respiratory failure, set by a doctor)"))]),
    )
    submit = SubmitField(_l("Save and re-assess"))

    def validate_for(self, sex: str, *, today) -> bool:
        super().validate()
        numbers = {
            "height_cm": _number(self, "height_cm", False),
            "weight_kg": _number(self, "weight_kg", False),
            "pregnancy_weeks": _number(self, "pregnancy_weeks", True),
        }
        data: dict[str, Any] = {
            **numbers,
            "sex": sex,
            "comorbidities": tuple(self.comorbidities.data or ()),
            "pregnant": bool(self.pregnant.data),
            "postpartum": bool(self.postpartum.data),
            "vaccine_doses": RegistrationForm._int(self.vaccine_doses.data) or 0,
        }
        for name, messages in render_fields(inputs.check_profile(data, today)).items():
            if name in self:
                self[name].errors = [*self[name].errors, *messages]
        if self.news2_scale.data not in ("1", "2"):
            self.news2_scale.errors = [_("choose scale 1 or 2")]
        self._data = data
        return not any(f.errors for f in self)

    def to_change(self) -> ProfileChange:
        d = self._data
        return ProfileChange(
            comorbidities=d["comorbidities"],
            comorbidities_stable=bool(self.comorbidities_stable.data),
            pregnant=d["pregnant"],
            pregnancy_weeks=d["pregnancy_weeks"],
            postpartum=d["postpartum"],
            vaccine_doses=d["vaccine_doses"],
            fully_vaccinated=bool(self.fully_vaccinated.data),
            height_cm=d["height_cm"],
            weight_kg=d["weight_kg"],
            news2_scale=int(self.news2_scale.data),
        )


@bp.route("/patients/<int:patient_id>/profile", methods=("GET", "POST"))
@access(*EDITORS)
def edit_profile(patient_id: int):
    """Correct a patient's risk profile; the patient is re-assessed at once."""
    session = get_session()
    patient = scoped_patient(session, patient_id)
    if request.method == "GET":
        form = ProfileForm(
            data={
                "comorbidities": patient.comorbidities or [],
                "comorbidities_stable": patient.comorbidities_stable,
                "pregnant": patient.pregnant,
                "pregnancy_weeks": str(patient.pregnancy_weeks or ""),
                "postpartum": patient.postpartum,
                "vaccine_doses": str(patient.vaccine_doses or 0),
                "fully_vaccinated": patient.fully_vaccinated,
                "height_cm": "" if patient.height_cm is None else f"{patient.height_cm:g}",
                "weight_kg": "" if patient.weight_kg is None else f"{patient.weight_kg:g}",
                "news2_scale": str(patient.news2_scale or 1),
            }
        )
        audit_patient(session, patient, "view_profile_form")
        session.commit()
        return render_template("staff/profile.html", form=form, patient=patient,
                               may_set_scale=current_user.role in SCALE_SETTERS)
    form = ProfileForm()
    if current_user.role not in SCALE_SETTERS:
        form.news2_scale.data = str(patient.news2_scale or 1)  # others cannot change it
    now = utcnow()
    if form.validate_for(patient.sex, today=local_date(now)):
        old, new = update_profile(session, patient, form.to_change(), now=now)
        audit_patient(session, patient, "update_profile", f"tier {old} -> {new}")
        session.commit()
        if old != new:
            names = {"green": _("green"), "yellow": _("yellow"), "orange": _("orange"), "red": _("red")}
            flash(
                _("Profile saved. The tier changed from %(old)s to %(new)s.",
                  old=names.get(old or "", "–"), new=names.get(new or "", "–")),
                "success",
            )
        else:
            flash(_("Profile saved. The tier is unchanged."), "success")
        return redirect(url_for("staff.patient", patient_id=patient.id))
    return (
        render_template("staff/profile.html", form=form, patient=patient,
                        may_set_scale=current_user.role in SCALE_SETTERS),
        422,
    )
