"""Local servers that speak the providers' protocols, for the channel and outbox tests and the
reminder bench: eSMS's SendMultipleMessage_V4_post_json, Zalo's ZNS /message/template, the
generic webhook, each on a free port (port 0), each recording what it received. A server can
be told to fail (HTTP status, provider error code, a slow answer for timeouts) for its next N
requests, to exercise retries."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorder:
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    failures: list[tuple[str, Any]] = field(default_factory=list)  # ("http", 503) | ("code", "99") | ("slow", 2.0)
    lock: threading.Lock = field(default_factory=threading.Lock)
    request_ids: set[str] = field(default_factory=set)
    duplicates: int = 0

    def fail_next(self, kind: str, value: Any, times: int = 1) -> None:
        self.failures.extend([(kind, value)] * times)

    def next_failure(self) -> tuple[str, Any] | None:
        with self.lock:
            return self.failures.pop(0) if self.failures else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The answer's headers and body are two writes: with Nagle's algorithm the body waited for
    # the client's delayed ACK (40 ms), capping a kept-alive connection at 25 requests a second.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        rec = self.server.recorder
        failure = rec.next_failure()
        if failure and failure[0] == "slow":
            time.sleep(failure[1])
        if failure and failure[0] == "http":
            self._answer(failure[1], {"error": "failure"}, {"Retry-After": "1"} if failure[1] == 429 else None)
            return
        with rec.lock:
            rec.received.append(body)
            rec.headers.append(dict(self.headers))
        self.server.handle_body(self, body, failure)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    recorder: Recorder

    def handle_body(self, handler: _Handler, body: dict[str, Any], failure: Any) -> None:
        raise NotImplementedError


class EsmsServer(_Server):
    """eSMS: CodeResult "100" and an SMSID; a RequestId seen before is not sent again."""

    def handle_body(self, handler, body, failure):
        rec = self.recorder
        if failure and failure[0] == "code":
            handler._answer(200, {"CodeResult": failure[1], "ErrorMessage": "test failure"})
            return
        if body.get("ApiKey") != "key" or body.get("SecretKey") != "secret":
            handler._answer(200, {"CodeResult": "101", "ErrorMessage": "Authorize Failed"})
            return
        with rec.lock:
            if body.get("RequestId") in rec.request_ids:
                rec.duplicates += 1
            rec.request_ids.add(body.get("RequestId"))
            n = len(rec.received)
        handler._answer(200, {"CodeResult": "100", "CountRegenerate": 0, "SMSID": f"esms-{n}"})


class ZaloServer(_Server):
    def handle_body(self, handler, body, failure):
        if failure and failure[0] == "code":
            handler._answer(200, {"error": failure[1], "message": "test failure"})
            return
        if handler.headers.get("access_token") != "oa-token":
            handler._answer(200, {"error": -124, "message": "Access token is invalid"})
            return
        n = len(self.recorder.received)
        handler._answer(200, {"error": 0, "message": "Success",
                              "data": {"msg_id": f"zns-{n}", "sent_time": "1700000000000"}})


class WebhookServer(_Server):
    def handle_body(self, handler, body, failure):
        rec = self.recorder
        results = []
        with rec.lock:
            for m in body.get("messages", []):
                if m["id"] in rec.request_ids:
                    rec.duplicates += 1
                rec.request_ids.add(m["id"])
                results.append({"id": m["id"], "status": "accepted",
                                "provider_message_id": "wh-" + m["id"], "cost_units": 1})
        handler._answer(202, {"results": results})


def start(kind: type[_Server]) -> tuple[_Server, str]:
    server = kind(("127.0.0.1", 0), _Handler)
    server.recorder = Recorder()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}"


def messages_received(server: _Server) -> int:
    """Messages the server accepted (a webhook batch counts each message)."""
    if isinstance(server, WebhookServer):
        return sum(len(b.get("messages", [])) for b in server.recorder.received)
    return len(server.recorder.received)


def stop(server: _Server, *channels: Any) -> None:
    """Close the adapters' HTTP sessions, then the server and its socket."""
    for channel in channels:
        close = getattr(channel, "close", None)
        if close:
            close()
    server.shutdown()
    server.server_close()
