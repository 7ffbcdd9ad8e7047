"""The laptop default: every message is "delivered" to the log, and so shown in the staff
outbox page (its text is stored on the outbox row). Nothing leaves the machine."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from .base import Outgoing, Sent

log = logging.getLogger("f0monitor.channels.console")


class ConsoleChannel:
    provider = "console"

    def __init__(self, channel: str = "sms") -> None:
        self.channel = channel

    def send(self, message: Outgoing) -> Sent:
        # No personal data in logs: the key, not the address or the text.
        log.info("console %s message %s (%d characters)", self.channel, message.key, len(message.text))
        return Sent(True, provider_message_id=f"console-{message.key}", cost_units=0, delivered=True)

    def send_many(self, messages: Sequence[Outgoing]) -> list[Sent]:
        return [self.send(m) for m in messages]
