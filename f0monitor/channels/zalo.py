"""Zalo ZNS template messages through the Zalo OA API (Zalo Notification Service).

Documentation: https://developers.zalo.me/docs/zalo-notification-service/gui-tin-zns/gui-zns
(``POST https://business.openapi.zalo.me/message/template``, header ``access_token`` (the OA's),
JSON ``{"phone": "84912345678", "template_id", "template_data": {...}, "tracking_id"}``; the
answer is ``{"error": 0, "message": "Success", "data": {"msg_id", "sent_time", "quota"}}`` or a
negative ``error`` with a ``message``).

ZNS sends only templates approved by Zalo: the province registers one template per purpose
(reminder, escalation, confirmation, advice) with the parameters ``content`` (our text, in the
patient's language) and ``code`` (our key), and configures their ids (``ZALO_ZNS_TEMPLATES``).
``tracking_id`` is our key, for reconciliation. Errors that a retry can fix (rate or quota
limits, Zalo's internal errors, timeouts) are retried by the outbox; an invalid token, template,
or a phone without Zalo are reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the first channel built (worker RSS, bench/load.py)
    import requests

from .base import Outgoing, SendsOneByOne, Sent, http_failure, transport_failure

DEFAULT_BASE_URL = "https://business.openapi.zalo.me"
ENDPOINT = "/message/template"
# Documented ZNS error codes worth retrying: -1 / -32 internal or busy, -133 / -144 / -1204
# quota or rate of the day or of the minute.
RETRYABLE_ERRORS = frozenset({-1, -32, -133, -144, -1204})
MAX_CONTENT = 400


def zalo_phone(e164: str) -> str:
    return e164.lstrip("+")


class ZaloZnsChannel(SendsOneByOne):
    provider = "zalo"

    def __init__(self, *, access_token: str, templates: Mapping[str, str],
                 base_url: str = DEFAULT_BASE_URL, timeout: float = 10.0,
                 session: requests.Session | None = None) -> None:
        self.access_token, self.templates, self.timeout = access_token, dict(templates), timeout
        self.url = base_url.rstrip("/") + ENDPOINT
        import requests

        self.http = session or requests.Session()
        self._errors = requests.RequestException

    def close(self) -> None:
        self.http.close()

    def send(self, message: Outgoing) -> Sent:
        template = self.templates.get(message.purpose) or self.templates.get("default")
        if not template:
            return Sent.failure(f"Zalo: no ZNS template for {message.purpose}", retryable=False)
        body = {
            "phone": zalo_phone(message.to),
            "template_id": template,
            "template_data": {"content": message.text[:MAX_CONTENT], "code": message.key},
            "tracking_id": message.key,
        }
        try:
            response = self.http.post(self.url, json=body, timeout=self.timeout,
                                      headers={"access_token": self.access_token})
        except self._errors as exc:
            return transport_failure(exc, "Zalo")
        if response.status_code != 200:
            return http_failure(response, "Zalo")
        try:
            answer = response.json()
            code = int(answer.get("error", -1))
        except (ValueError, TypeError, AttributeError):
            return Sent.failure("Zalo answered no JSON", retryable=True)
        if code == 0:
            data = answer.get("data") or {}
            return Sent(True, provider_message_id=str(data.get("msg_id") or ""), cost_units=1)
        error = f"Zalo {code}: {answer.get('message') or 'error'}"
        return Sent.failure(error, retryable=code in RETRYABLE_ERRORS,
                            retry_after=60 if code in RETRYABLE_ERRORS else None)
