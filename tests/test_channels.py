"""Each channel adapter against a real local server speaking its protocol."""

from __future__ import annotations

import socket
from email.header import decode_header, make_header

import pytest

from f0monitor import channels
from f0monitor.channels import Outgoing
from f0monitor.channels.esms import EsmsChannel
from f0monitor.channels.smtp import SmtpChannel
from f0monitor.channels.webhook import WebhookChannel
from f0monitor.channels.zalo import ZaloZnsChannel

from .providers import EsmsServer, WebhookServer, ZaloServer, start, stop

TEXT = "Nhắc: 08:00 là giờ báo cáo sức khỏe buổi sáng."
MSG = Outgoing(key="f0-1", to="+84912345678", text=TEXT, purpose="reminder", locale="vi")


@pytest.fixture
def esms():
    server, url = start(EsmsServer)
    channel = EsmsChannel(api_key="key", secret_key="secret", brandname="F0MONITOR",
                          base_url=url, callback_url="https://example.vn/cb", timeout=0.5)
    yield server, channel
    stop(server, channel)


def test_esms_sends_the_documented_request(esms):
    server, channel = esms
    sent = channel.send(MSG)
    assert sent.ok and sent.provider_message_id == "esms-1" and sent.cost_units == 1
    body = server.recorder.received[0]
    assert body["Phone"] == "0912345678" and body["Content"] == TEXT
    assert body["RequestId"] == "f0-1" and body["SmsType"] == "2" and body["IsUnicode"] == "1"
    assert body["Brandname"] == "F0MONITOR" and body["CallbackUrl"] == "https://example.vn/cb"


def test_esms_errors_are_retryable_or_not(esms):
    server, channel = esms
    server.recorder.fail_next("code", "103")  # balance: a retry cannot fix it
    assert channel.send(MSG) == channels.Sent.failure("eSMS 103: test failure", retryable=False)
    server.recorder.fail_next("code", "99")  # unknown error: retry
    assert channel.send(MSG).retryable
    server.recorder.fail_next("http", 429)
    limited = channel.send(MSG)
    assert limited.retryable and limited.retry_after == 1 and "429" in limited.error
    server.recorder.fail_next("http", 503)
    assert channel.send(MSG).retryable
    server.recorder.fail_next("slow", 1.0)  # beyond the 0.5 s timeout
    slow = channel.send(MSG)
    assert not slow.ok and slow.retryable and "timeout" in slow.error
    bad = EsmsChannel(api_key="wrong", secret_key="x", base_url=channel.url.split("/Main")[0])
    assert bad.send(MSG).error.startswith("eSMS 101") and not bad.send(MSG).retryable
    bad.close()


def test_esms_without_unicode_strips_the_accents(esms):
    server, channel = esms
    channel.unicode = False
    channel.send(Outgoing(key="k", to="+84912345678", text="GỌI 115 NGAY, đừng chờ"))
    assert server.recorder.received[0]["Content"] == "GOI 115 NGAY, dung cho"


def test_a_refused_connection_is_retryable():
    channel = EsmsChannel(api_key="key", secret_key="secret", base_url="http://127.0.0.1:9", timeout=0.5)
    sent = channel.send(MSG)
    channel.close()
    assert not sent.ok and sent.retryable and "connection" in sent.error


def test_zalo_zns_template_message():
    server, url = start(ZaloServer)
    try:
        channel = ZaloZnsChannel(access_token="oa-token", templates={"reminder": "271828"}, base_url=url)
        sent = channel.send(MSG)
        assert sent.ok and sent.provider_message_id == "zns-1"
        body = server.recorder.received[0]
        assert body == {"phone": "84912345678", "template_id": "271828",
                        "template_data": {"content": TEXT, "code": "f0-1"}, "tracking_id": "f0-1"}
        assert server.recorder.headers[0]["access_token"] == "oa-token"
        server.recorder.fail_next("code", -133)  # over quota: later
        assert channel.send(MSG).retryable
        server.recorder.fail_next("code", -108)  # phone invalid: never
        assert not channel.send(MSG).retryable
        no_template = channel.send(Outgoing(key="k", to="+84912345678", text="x", purpose="advice"))
        assert not no_template.ok and "template" in no_template.error
        other = ZaloZnsChannel(access_token="x", templates={"default": "1"}, base_url=url)
        assert other.send(MSG).error.startswith("Zalo -124")
    finally:
        stop(server, channel, other)


def test_webhook_batches_and_reports_each_message():
    server, url = start(WebhookServer)
    try:
        channel = WebhookChannel(url=url + "/send", token="t0k", batch=2)
        out = [Outgoing(key=f"f0-{i}", to="+84912345678", text=f"m{i}") for i in range(5)]
        results = channel.send_many(out)
        assert [r.provider_message_id for r in results] == [f"wh-f0-{i}" for i in range(5)]
        assert [len(b["messages"]) for b in server.recorder.received] == [2, 2, 1]
        assert server.recorder.headers[0]["Authorization"] == "Bearer t0k"
        assert server.recorder.headers[0]["Idempotency-Key"] == "f0-0"
        server.recorder.fail_next("http", 400)
        assert not channel.send(out[0]).retryable
    finally:
        stop(server, channel)


def free_port() -> int:
    """A port nobody listens on now (aiosmtpd's Controller connects to its port to start)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_smtp_against_a_real_smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Collect(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        channel = SmtpChannel(host="127.0.0.1", port=controller.port,
                              sender="f0monitor@example.vn", security="none", timeout=5)
        results = channel.send_many([Outgoing(key="f0-7", to="binh@example.vn", text=TEXT,
                                              subject="Nhắc báo cáo"), MSG.__class__(
            key="f0-8", to="lan@example.vn", text="Second")])
        assert all(r.ok for r in results) and results[0].provider_message_id == "f0-7@f0monitor.local"
        first = handler.messages[0]
        assert first["To"] == "binh@example.vn" and first["Message-ID"] == "<f0-7@f0monitor.local>"
        assert str(make_header(decode_header(first["Subject"]))) == "Nhắc báo cáo"
        assert first.get_payload(decode=True).decode(first.get_content_charset()).strip() == TEXT
        assert len(handler.messages) == 2
    finally:
        controller.stop()
    down = SmtpChannel(host="127.0.0.1", port=9, sender="x@example.vn", security="none", timeout=1)
    assert down.send(MSG).retryable


def test_the_registry_builds_the_configured_adapter():
    assert channels.build("sms", {}).provider == "console"
    assert channels.build("sms", {"SMS_PROVIDER": "esms", "ESMS_API_KEY": "k",
                                  "ESMS_SECRET_KEY": "s"}).provider == "esms"
    assert channels.build("email", {"EMAIL_PROVIDER": "smtp", "SMTP_HOST": "h",
                                    "SMTP_SENDER": "a@b.vn"}).provider == "smtp"
    with pytest.raises(ValueError):
        channels.build("sms", {"SMS_PROVIDER": "smtp"})
    console = channels.build("zalo", {}).send(MSG)
    assert console.ok and console.delivered
