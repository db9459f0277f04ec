"""Webhook delivery against a loopback HTTP receiver: signature, retries with backoff, the delivery log."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from compliance.alerts import Alerts
from compliance.monitoring import Monitor
from compliance.webhooks import SIGNATURE_HEADER, WebhookPolicy, WebhookSender
from tests.compliance.monitoring.conftest import OPERATOR, holder

SECRET = "s3cret-for-tests"


class Receiver:
    """An HTTP server on 127.0.0.1 answering POSTs with the statuses given, in turn (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def alerts(store, audit_log) -> Alerts:
    return Alerts(store, audit_log)


@pytest.fixture
def alert(alerts, store) -> dict:
    from compliance.alerts import NewAlert

    with store.begin_write() as conn:
        return alerts.add(conn, [NewAlert("listed", "m-1", "un_sc:1", "ENTITY ONE", "un_sc", "f" * 64)])[0]


def sender(store, url: str, retries: int = 3) -> tuple[WebhookSender, list[float]]:
    slept: list[float] = []
    return WebhookSender(store, WebhookPolicy(url, SECRET, timeout=5, retries=retries, backoff=0.01),
                         sleep=lambda s: slept.append(s)), slept


def attempts(store) -> list[tuple]:
    t = store.tables.review.webhook_deliveries
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.c.attempt, t.c.status, t.c.error, t.c.delivered).order_by(t.c.seq))
        return [tuple(r) for r in rows]


def test_a_delivery_is_signed_json(store, alert):
    with Receiver([]) as receiver:
        webhook, _ = sender(store, receiver.url)
        assert webhook.deliver(alert)
    [(headers, body)] = receiver.received
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[SIGNATURE_HEADER], expected)
    assert headers["Content-Type"] == "application/json" and headers["X-Alert-Id"] == alert["id"]
    assert json.loads(body) == {"type": "alert", "alert": alert}
    assert attempts(store) == [(1, 200, None, True)]


def test_a_failing_receiver_is_retried_with_backoff_until_it_succeeds(store, alert, alerts):
    with Receiver([500, 503]) as receiver:
        webhook, slept = sender(store, receiver.url)
        assert webhook.deliver(alert)
    assert len(receiver.received) == 3 and len({body for _, body in receiver.received}) == 1
    assert slept == [0.01, 0.02]
    assert attempts(store) == [(1, 500, "HTTP 500", False), (2, 503, "HTTP 503", False), (3, 200, None, True)]
    assert alerts.undelivered() == []


def test_retries_run_out_and_a_client_error_is_final(store, alert, alerts):
    with Receiver([500, 500, 500, 400]) as receiver:
        webhook, slept = sender(store, receiver.url, retries=2)
        assert not webhook.deliver(alert)
        assert [a[1] for a in attempts(store)] == [500, 500, 500] and slept == [0.01, 0.02]
        assert [a["id"] for a in alerts.undelivered()] == [alert["id"]]
        assert not webhook.deliver(alert)  # 400: not retried
    assert [a[1] for a in attempts(store)][3:] == [400]


def test_an_unreachable_receiver_is_logged_without_the_payload(store, alert):
    with Receiver([]) as receiver:
        url = receiver.url
    webhook, _ = sender(store, url, retries=1)
    assert not webhook.deliver(alert)
    assert [(a[0], a[1], a[2], a[3]) for a in attempts(store)] == [(1, None, "ConnectionError", False),
                                                                    (2, None, "ConnectionError", False)]


def test_monitoring_delivers_its_new_alerts(store, audit_log, un_refresh, new_screener):
    with Receiver([502]) as receiver:
        webhook, _ = sender(store, receiver.url)
        monitor = Monitor(store, audit_log, Alerts(store, audit_log), webhook)
        monitor.enroll([holder("m-1", "Germain Katanga"), holder("m-2", "Thomas Lubanga")], OPERATOR)
        report = monitor.on_refresh(un_refresh.old, un_refresh.new, new_screener, OPERATOR)
    assert report["webhook"] == {"delivered": 2, "failed": 0}
    delivered = {json.loads(body)["alert"]["account_id"] for _, body in receiver.received}
    assert delivered == {"m-1", "m-2"} and len(receiver.received) == 3
