"""The adapter interface every channel implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # imported when a message is sent: a web worker that sends none does not
    import requests  # hold it (worker RSS, bench/load.py)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to hand to a provider."""

    key: str  # our idempotency key, stable across retries (e.g. "f0-1234")
    to: str  # E.164 phone or e-mail address
    text: str
    purpose: str = "reminder"
    locale: str = "vi"
    subject: str = ""  # e-mail only


@dataclass(frozen=True, slots=True)
class Sent:
    """What the provider answered."""

    ok: bool
    provider_message_id: str | None = None
    cost_units: int | None = None
    delivered: bool = False  # the provider confirmed delivery already (console)
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def failure(cls, error: str, *, retryable: bool, retry_after: float | None = None) -> Sent:
        return cls(False, error=error[:255], retryable=retryable, retry_after=retry_after)


class Channel(Protocol):
    """A provider adapter."""

    provider: str

    def send(self, message: Outgoing) -> Sent: ...

    def send_many(self, messages: Sequence[Outgoing]) -> list[Sent]: ...


class SendsOneByOne:
    """``send_many`` for providers whose API takes one message per request."""

    def send(self, message: Outgoing) -> Sent:  # pragma: no cover - every adapter overrides
        raise NotImplementedError

    def send_many(self, messages: Sequence[Outgoing]) -> list[Sent]:
        return [self.send(m) for m in messages]


def retry_after_of(response: requests.Response) -> float | None:
    return _seconds(response.headers.get("Retry-After"))


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def http_failure(response: requests.Response, what: str) -> Sent:
    """A failed HTTP answer: 429 and 5xx are worth retrying, other 4xx are not."""
    return status_failure(response.status_code, response.headers.get("Retry-After"), what)


def status_failure(status: int, retry_after: str | None, what: str) -> Sent:
    """A failed HTTP status (and its Retry-After header), from any HTTP client."""
    retryable = status == 429 or status >= 500 or status == 408
    return Sent.failure(f"{what} HTTP {status}", retryable=retryable, retry_after=_seconds(retry_after))


def transport_failure(exc: Exception, what: str) -> Sent:
    """A timeout or a refused connection: always worth retrying."""
    import requests

    kind = "timeout" if isinstance(exc, requests.Timeout) else "connection error"
    return Sent.failure(f"{what} {kind}", retryable=True)
