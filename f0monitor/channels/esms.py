"""SMS through eSMS.vn (a Vietnamese SMS gateway), its documented JSON API.

Documentation: https://developers.esms.vn/en/esms-api/send-sms-api/send-otp-customer-care-message
(``POST https://rest.esms.vn/MainService.svc/json/SendMultipleMessage_V4_post_json/`` with
``ApiKey``, ``SecretKey``, ``Phone``, ``Content``, ``Brandname``, ``SmsType`` 2 = customer care,
``IsUnicode``, ``Sandbox``, ``RequestId`` "to prevent the request from being duplicated",
``CallbackUrl``; the answer has ``CodeResult`` "100" for a valid request and ``SMSID``, or an
``ErrorMessage``). Delivery status comes back to ``CallbackUrl``
(https://developers.esms.vn/en/esms-api/callback-url), which a gateway relays to our
``POST /api/v1/hooks/sms/status``.

Not retried: codes that a second try cannot fix (101 authorisation failed, 103 balance,
104 brandname, 118 type, 119 advertising brandname, 131 content length ...); every other code,
timeouts and HTTP 429/5xx are retried by the outbox with back-off. Vietnamese is sent with
``IsUnicode`` 1 (one unit per 70 characters) unless ``unicode`` is off, then without accents.

One request per message is what the API documents for customer-care messages (its bulk
endpoint, ``SendMultipleSMSBrandname``, is for advertising: at least 30 numbers, one
RequestId and one SMSID for them all, and approval of each campaign), so a burst of
reminders goes as ``concurrency`` requests in flight at once (``ESMS_CONCURRENCY``), each
on a kept-alive connection of its own: at ~50 ms a round trip to eSMS, one request at a time
would be 20 messages a second, 300,000 reminders in four hours. The requests go through
urllib3 directly: ``requests`` cost 1.26 ms of CPU a request, urllib3 0.57 ms (measured against
the local test server), and at a burst's 1,000 a second that CPU is what the machine lacks.
"""

from __future__ import annotations

import json
import math
import threading
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, ProtocolError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from .base import Outgoing, Sent, status_failure

ENDPOINT = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
DEFAULT_BASE_URL = "https://rest.esms.vn"
PERMANENT_CODES = frozenset({"101", "103", "104", "118", "119", "131", "132", "177"})
RATE_LIMIT_CODES = frozenset({"124", "145"})  # duplicate-in-window / sending too fast


def strip_accents(text: str) -> str:
    """Vietnamese without diacritics, case kept ("GỌI 115" → "GOI 115"), for non-Unicode SMS."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def local_phone(e164: str) -> str:
    """eSMS takes the national form: +84912345678 → 0912345678."""
    return "0" + e164[3:] if e164.startswith("+84") else e164.lstrip("+")


def units(text: str, unicode: bool) -> int:
    per = 70 if unicode else 160
    return max(1, math.ceil(len(text) / per))


class EsmsChannel:
    provider = "esms"

    def __init__(self, *, api_key: str, secret_key: str, brandname: str = "", sms_type: str = "2",
                 base_url: str = DEFAULT_BASE_URL, callback_url: str = "", unicode: bool = True,
                 sandbox: bool = False, timeout: float = 10.0, concurrency: int = 1) -> None:
        self.api_key, self.secret_key, self.brandname = api_key, secret_key, brandname
        self.sms_type, self.callback_url, self.unicode = sms_type, callback_url, unicode
        self.sandbox, self.timeout = sandbox, timeout
        self.url = base_url.rstrip("/") + ENDPOINT
        self.concurrency = max(1, concurrency)
        # one kept-alive connection per request in flight; urllib3 retries nothing (the outbox does)
        self.http = urllib3.PoolManager(num_pools=2, maxsize=self.concurrency, retries=False,
                                        timeout=urllib3.Timeout(connect=timeout, read=timeout))
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.http.clear()

    def send_many(self, messages: Sequence[Outgoing]) -> list[Sent]:
        """One request per message, up to ``concurrency`` at once; answers in the given order."""
        if self.concurrency == 1 or len(messages) < 2:
            return [self.send(m) for m in messages]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="esms")
            pool = self._pool
        return list(pool.map(self.send, messages))

    def send(self, message: Outgoing) -> Sent:
        text = message.text if self.unicode else strip_accents(message.text)
        body = {
            "ApiKey": self.api_key,
            "SecretKey": self.secret_key,
            "Phone": local_phone(message.to),
            "Content": text,
            "SmsType": self.sms_type,
            "IsUnicode": "1" if self.unicode else "0",
            "Sandbox": "1" if self.sandbox else "0",
            "RequestId": message.key,
        }
        if self.brandname:
            body["Brandname"] = self.brandname
        if self.callback_url:
            body["CallbackUrl"] = self.callback_url
        try:
            response = self.http.request("POST", self.url, body=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        except (NewConnectionError, ProtocolError) as exc:
            return Sent.failure(f"eSMS connection error ({type(exc).__name__})", retryable=True)
        except Urllib3Timeout:
            return Sent.failure("eSMS timeout", retryable=True)
        except HTTPError as exc:
            return Sent.failure(f"eSMS connection error ({type(exc).__name__})", retryable=True)
        if response.status != 200:
            return status_failure(response.status, response.headers.get("Retry-After"), "eSMS")
        try:
            answer = json.loads(response.data)
        except ValueError:
            return Sent.failure("eSMS answered no JSON", retryable=True)
        code = str(answer.get("CodeResult", ""))
        if code == "100":
            return Sent(True, provider_message_id=str(answer.get("SMSID") or ""),
                        cost_units=units(text, self.unicode))
        error = f"eSMS {code}: {answer.get('ErrorMessage') or 'error'}"
        if code in RATE_LIMIT_CODES:
            return Sent.failure(error, retryable=True, retry_after=60)
        return Sent.failure(error, retryable=code not in PERMANENT_CODES)
