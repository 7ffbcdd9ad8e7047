"""The printed certificate of completed home treatment and its QR code (staff and patient pages)."""

from __future__ import annotations

import io
from typing import Any

from flask import url_for
from markupsafe import Markup

from ..data.models import Patient
from ..domain.clock import local_date
from ..services import areas
from ..services.discharge import format_code


def qr_svg(data: str) -> Markup:
    """Return a QR code as inline SVG markup (no JavaScript, no image request, prints sharp)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg") :]  # drop the XML declaration: it is invalid inside HTML
    return Markup(svg.replace("<svg ", '<svg role="img" aria-hidden="true" focusable="false" ', 1))


def certificate_context(patient: Patient) -> dict[str, Any]:
    """Return what the printed certificate shows (the page adds its own links)."""
    url = url_for("public.verify", code=patient.certificate_code, _external=True)
    return {
        "patient": patient,
        "code": format_code(patient.certificate_code),
        "verify_url": url,
        "qr": qr_svg(url),
        "ward_name": areas.ward_name(patient.ward_code),
        "province_name": areas.province_name(patient.province_code),
        "completed_on": local_date(patient.discharged_at) if patient.discharged_at else None,
    }
