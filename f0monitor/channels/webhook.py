"""A generic, configurable HTTP webhook: for an SMS gateway of the province's own, or any
provider reached through a relay.

``POST <url>`` with JSON ``{"messages": [{"id", "to", "text", "purpose", "locale"}]}`` (up to
``batch`` messages per request; 1 sends one message per request), the header
``Authorization: Bearer <token>`` when a token is set, and ``Idempotency-Key`` (the key of the
single message, or of the batch's first). The gateway answers 200/202 with
``{"results": [{"id", "status": "accepted" | "rejected", "provider_message_id", "cost_units",
"error"}]}`` in any order; a message missing from the answer is retried. 429 and 5xx are
retried (with ``Retry-After``), other 4xx are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the first channel built (worker RSS, bench/load.py)
    import requests

from .base import Outgoing, Sent, http_failure, transport_failure


class WebhookChannel:
    provider = "webhook"

    def __init__(self, *, url: str, token: str = "", batch: int = 1, timeout: float = 10.0,
                 session: requests.Session | None = None) -> None:
        self.url, self.token, self.batch, self.timeout = url, token, max(1, batch), timeout
        import requests

        self.http = session or requests.Session()
        self._errors = requests.RequestException

    def close(self) -> None:
        self.http.close()

    def send(self, message: Outgoing) -> Sent:
        return self.send_many([message])[0]

    def send_many(self, messages: Sequence[Outgoing]) -> list[Sent]:
        results: list[Sent] = []
        for start in range(0, len(messages), self.batch):
            results.extend(self._post(messages[start : start + self.batch]))
        return results

    def _post(self, chunk: Sequence[Outgoing]) -> list[Sent]:
        headers = {"Idempotency-Key": chunk[0].key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {"messages": [{"id": m.key, "to": m.to, "text": m.text, "purpose": m.purpose,
                              "locale": m.locale} for m in chunk]}
        try:
            response = self.http.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except self._errors as exc:
            return [transport_failure(exc, "webhook")] * len(chunk)
        if response.status_code not in (200, 201, 202):
            return [http_failure(response, "webhook")] * len(chunk)
        try:
            answers = {str(r.get("id")): r for r in response.json().get("results", [])}
        except (ValueError, AttributeError):
            return [Sent.failure("webhook answered no results", retryable=True)] * len(chunk)
        out = []
        for m in chunk:
            r = answers.get(m.key)
            if r is None:
                out.append(Sent.failure("webhook: message missing from the answer", retryable=True))
            elif r.get("status") == "accepted":
                cost = r.get("cost_units")
                out.append(Sent(True, provider_message_id=str(r.get("provider_message_id") or m.key),
                                cost_units=int(cost) if isinstance(cost, int) else None))
            else:
                out.append(Sent.failure(f"webhook: {r.get('error') or 'rejected'}", retryable=False))
        return out
