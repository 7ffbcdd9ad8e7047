"""Channels: how a message leaves f0monitor, one small adapter per provider (no Flask, no
database). Each adapter has one method, ``send(Outgoing) -> Sent``, and reports what the
provider answered: sent (with its message id and cost), delivered (the console), or an error
that is retryable (timeouts, 5xx, rate limits, with the provider's Retry-After) or not. The
outbox (``services.delivery``) decides about retries; adapters never retry by themselves.

Every adapter passes our idempotency key to the provider where its API has one (eSMS
``RequestId``, Zalo ``tracking_id``, the webhook's ``Idempotency-Key``, e-mail ``Message-ID``),
so a message re-sent after a crash between the provider's answer and our commit is dropped by
the provider rather than delivered twice.
"""

from __future__ import annotations

from .base import Channel, Outgoing, Sent
from .registry import PROVIDERS, build, build_all

__all__ = ["PROVIDERS", "Channel", "Outgoing", "Sent", "build", "build_all"]
