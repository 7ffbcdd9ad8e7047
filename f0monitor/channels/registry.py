"""Building the configured adapter of each channel from plain settings (a mapping).

Settings (config.py, instance/config.py or ``F0MONITOR_*`` environment variables):

- ``SMS_PROVIDER``: ``console`` (default) | ``esms`` | ``webhook``; ``ESMS_API_KEY``,
  ``ESMS_SECRET_KEY``, ``ESMS_BRANDNAME``, ``ESMS_SMS_TYPE``, ``ESMS_BASE_URL``,
  ``ESMS_CALLBACK_URL``, ``ESMS_CONCURRENCY`` (requests in flight per sender, default 8); ``SMS_WEBHOOK_URL``, ``SMS_WEBHOOK_TOKEN``, ``SMS_WEBHOOK_BATCH``.
- ``ZALO_PROVIDER``: ``console`` | ``zalo``; ``ZALO_ACCESS_TOKEN``, ``ZALO_ZNS_TEMPLATES``
  (purpose → template id), ``ZALO_BASE_URL``.
- ``EMAIL_PROVIDER``: ``console`` | ``smtp``; ``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_SENDER``,
  ``SMTP_USERNAME``, ``SMTP_PASSWORD``, ``SMTP_SECURITY`` (none | starttls | ssl).
- ``CHANNEL_TIMEOUT`` seconds (default 10).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Channel
from .console import ConsoleChannel
from .esms import EsmsChannel
from .smtp import SmtpChannel
from .webhook import WebhookChannel
from .zalo import ZaloZnsChannel

PROVIDERS = {
    "sms": ("console", "esms", "webhook"),
    "zalo": ("console", "zalo"),
    "email": ("console", "smtp"),
}


def build(channel: str, config: Mapping[str, Any]) -> Channel:
    """The adapter configured for a channel (sms, zalo, email)."""
    provider = str(config.get(f"{channel.upper()}_PROVIDER") or "console")
    if provider not in PROVIDERS.get(channel, ()):
        raise ValueError(f"{channel}: unknown provider {provider!r}")
    timeout = float(config.get("CHANNEL_TIMEOUT", 10))
    if provider == "console":
        return ConsoleChannel(channel)
    if provider == "esms":
        return EsmsChannel(
            api_key=config["ESMS_API_KEY"], secret_key=config["ESMS_SECRET_KEY"],
            brandname=config.get("ESMS_BRANDNAME", ""), sms_type=str(config.get("ESMS_SMS_TYPE", "2")),
            base_url=config.get("ESMS_BASE_URL") or "https://rest.esms.vn",
            callback_url=config.get("ESMS_CALLBACK_URL", ""), timeout=timeout,
            concurrency=int(config.get("ESMS_CONCURRENCY", 8)),
        )
    if provider == "webhook":
        return WebhookChannel(url=config["SMS_WEBHOOK_URL"], token=config.get("SMS_WEBHOOK_TOKEN", ""),
                              batch=int(config.get("SMS_WEBHOOK_BATCH", 1)), timeout=timeout)
    if provider == "zalo":
        return ZaloZnsChannel(access_token=config["ZALO_ACCESS_TOKEN"],
                              templates=config.get("ZALO_ZNS_TEMPLATES") or {},
                              base_url=config.get("ZALO_BASE_URL") or "https://business.openapi.zalo.me",
                              timeout=timeout)
    return SmtpChannel(host=config["SMTP_HOST"], port=int(config.get("SMTP_PORT", 25)),
                       sender=config["SMTP_SENDER"], username=config.get("SMTP_USERNAME", ""),
                       password=config.get("SMTP_PASSWORD", ""),
                       security=config.get("SMTP_SECURITY", "starttls"), timeout=timeout)


def build_all(config: Mapping[str, Any]) -> dict[str, Channel]:
    return {channel: build(channel, config) for channel in PROVIDERS}
