"""Webhooks of the SMS gateway: inbound check-ins (api.md, ``POST /api/v1/hooks/sms``).

The gateway holds no user account: it proves itself with the header ``X-F0-Hook-Token``,
compared in constant time with the ``SMS_HOOK_TOKEN`` setting. With no token configured the
hook refuses everything (401), so an install that never set one up accepts nothing.
"""

from __future__ import annotations

import hmac

from flask import abort, current_app, jsonify, request

from ..data.session import get_session
from ..domain.clock import utcnow
from ..http.access import PUBLIC, access
from ..services import smscheckin
from . import bp, documented, load_body
from .schemas import SmsHookIn, SmsHookOut


def check_hook_token() -> None:
    """Refuse the request (401) unless it carries the configured hook token."""
    expected = current_app.config.get("SMS_HOOK_TOKEN") or ""
    given = request.headers.get("X-F0-Hook-Token") or ""
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        abort(401)


@bp.route("/hooks/sms", methods=("POST",))
@access(PUBLIC)  # authenticated by the hook token, not a login
@documented(body=SmsHookIn, response=SmsHookOut, errors=(401,))
def sms_inbound():
    """Take an inbound SMS check-in: store it once as a report (channel sms) and return the reply."""
    check_hook_token()
    data = load_body(SmsHookIn())
    session = get_session()
    received = smscheckin.receive(
        session,
        message_id=data["message_id"],
        sender=data["sender"],
        text=data["text"],
        received_at=data.get("received_at"),
        now=utcnow(),
    )
    session.commit()
    row = received.checkin
    return jsonify({"reply": row.reply, "report_id": row.report_id}), 200
