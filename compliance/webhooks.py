"""Webhook delivery of alerts: one signed JSON POST per alert, retried with backoff, every attempt logged.

The body is `{"type": "alert", "alert": {...}}` as UTF-8 JSON; `X-Signature-SHA256` is the hex
HMAC-SHA256 of exactly those bytes under COMPLIANCE_WEBHOOK_SECRET (receivers recompute it and
compare in constant time), `X-Alert-Id` names the alert. Connection errors, timeouts, 429 and
5xx are retried after backoff, backoff*2, backoff*4...; any other status is final. Each attempt
is a row in `webhook_deliveries` (status, error, duration), never the payload.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from sqlalchemy import insert

from compliance.store import Store

SIGNATURE_HEADER = "X-Signature-SHA256"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookPolicy:
    url: str
    secret: str | None = None
    timeout: float = 10.0  # seconds per attempt (connect and read)
    retries: int = 4  # attempts after the first
    backoff: float = 1.0  # seconds before the first retry, doubled for each further one


def signature(secret: str, body: bytes) -> str:
    """The X-Signature-SHA256 value of `body`."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Delivers alert documents to one URL and logs every attempt in the store."""

    def __init__(self, store: Store, policy: WebhookPolicy, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.store = store
        self.policy = policy
        self.session = session or requests.Session()
        self.sleep = sleep
        self._t = store.tables.review.webhook_deliveries

    def deliver_all(self, alerts: Iterable[dict[str, Any]]) -> tuple[int, int]:
        """Deliver each alert in turn: (delivered, failed after every retry)."""
        done = failed = 0
        for alert in alerts:
            if self.deliver(alert):
                done += 1
            else:
                failed += 1
        return done, failed

    def deliver(self, alert: dict[str, Any]) -> bool:
        """POST one alert until it is accepted (2xx) or the retries run out."""
        body = json.dumps({"type": "alert", "alert": alert}, ensure_ascii=False, sort_keys=True).encode("utf-8")
        headers = {"Content-Type": "application/json", "X-Alert-Id": alert["id"]}
        if self.policy.secret:
            headers[SIGNATURE_HEADER] = signature(self.policy.secret, body)
        for attempt in range(1, self.policy.retries + 2):
            if attempt > 1:
                self.sleep(self.policy.backoff * 2 ** (attempt - 2))
            status, error, final, seconds = self._attempt(body, headers)
            delivered = status is not None and 200 <= status < 300
            self._log(alert["id"], attempt, status, error, delivered, seconds)
            if delivered:
                return True
            if final:
                break
        log.warning("webhook: alert %s not delivered after %d attempt(s)", alert["id"], attempt)
        return False

    def _attempt(self, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None, bool, float]:
        """(status, error, final, seconds) of one POST."""
        started = time.perf_counter()
        try:
            response = self.session.post(self.policy.url, data=body, headers=headers, timeout=self.policy.timeout,
                                         allow_redirects=False)
            response.close()
        except requests.RequestException as exc:
            return None, type(exc).__name__, False, time.perf_counter() - started
        status = response.status_code
        error = None if 200 <= status < 300 else f"HTTP {status}"
        return status, error, status not in _RETRY_STATUS, time.perf_counter() - started

    def _log(self, alert_id: str, attempt: int, status: int | None, error: str | None, delivered: bool,
             seconds: float) -> None:
        with self.store.begin_write() as conn:
            conn.execute(insert(self._t).values(alert_id=alert_id, attempt=attempt, status=status, error=error,
                                                delivered=delivered, at=datetime.now(UTC),
                                                duration_ms=round(seconds * 1000, 1)))
