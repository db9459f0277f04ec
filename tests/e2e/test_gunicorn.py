"""The service under gunicorn (2 workers, app preloaded), over real HTTP on loopback: concurrent
screening from several threads, refused requests, then the audit chain whole and exactly one
audit record per request, found by the X-Request-Id each request sent."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

THREADS = 8
PER_THREAD = 25
TIMEOUT = 60  # seconds per request: a bound, not an expectation
KHAMENEI = "ofac_sdn:26945"
# Varied names: listed, near listed, plainly not listed, several scripts, people and companies.
NAMES: list[dict[str, Any]] = [
    {"names": ["Ali Khamenei"], "type": "person"},
    {"names": ["John Smith"]},
    {"names": ["Maria Garcia"], "date_of_birth": "1984-02", "country": "ES"},
    {"names": ["Владимир Путин"], "type": "person"},
    {"names": ["Wei Zhang"], "type": "person", "country": "CN"},
    {"names": ["Acme Trading LLC"], "type": "organization"},
    {"names": ["Kim Jong Un"], "type": "person"},
    {"names": ["Fatima Hassan"], "type": "person", "date_of_birth": "1990"},
    {"names": ["Hans Müller", "Hans Mueller"]},
    {"names": ["Ali Khamenei"], "date_of_birth": "1939-04-19", "country": "IR"},
    {"names": ["Priya Sharma"], "nationality": "IN"},
    {"handle": "@north_star_shipping"},
    {"names": ["Juan Pérez"], "identifiers": [{"type": "passport", "value": "X1234567"}]},
]


@dataclass(frozen=True)
class Sent:
    """One request as sent and what came back."""

    request_id: str
    kind: str  # "screen", or the refusal: "no-key", "bad-key", "auditor-screens", "screener-reads-audit"
    body: dict[str, Any] | None
    status: int
    echoed_id: str | None
    answer: dict[str, Any]


def _refused(session: requests.Session, base: str, keys: dict[str, str], kind: str, request_id: str) -> Sent:
    headers = {"X-Request-Id": request_id}
    bearer = {"no-key": None, "bad-key": "cs_00000000deadbeef_" + "x" * 43,
              "auditor-screens": keys["auditor"], "screener-reads-audit": keys["screener"]}[kind]
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    if kind == "screener-reads-audit":
        response = session.get(f"{base}/v1/audit", headers=headers, timeout=TIMEOUT)
    else:
        response = session.post(f"{base}/v1/screen", json={"names": ["John Smith"]}, headers=headers, timeout=TIMEOUT)
    return Sent(request_id, kind, None, response.status_code, response.headers.get("X-Request-Id"), response.json())


REFUSALS = ("no-key", "bad-key", "auditor-screens", "screener-reads-audit")
EXPECTED_STATUS = {"no-key": 401, "bad-key": 401, "auditor-screens": 403, "screener-reads-audit": 403}


def _client(base: str, keys: dict[str, str], thread: int, start: threading.Barrier) -> list[Sent]:
    """PER_THREAD screenings of varied names, with one refused request among them."""
    sent: list[Sent] = []
    with requests.Session() as session:
        auth = {"Authorization": f"Bearer {keys['screener']}"}
        start.wait()
        for i in range(PER_THREAD):
            if i == PER_THREAD // 2:
                sent.append(_refused(session, base, keys, REFUSALS[thread % len(REFUSALS)], uuid.uuid4().hex))
            body = {"account_id": f"e2e-{thread}-{i}", **NAMES[(thread * PER_THREAD + i) % len(NAMES)]}
            request_id = uuid.uuid4().hex
            response = session.post(f"{base}/v1/screen", json=body, headers={**auth, "X-Request-Id": request_id},
                                    timeout=TIMEOUT)
            sent.append(Sent(request_id, "screen", body, response.status_code,
                             response.headers.get("X-Request-Id"), response.json()))
    return sent


def _send_all(base: str, keys: dict[str, str]) -> list[Sent]:
    start = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(_client, base, keys, t, start) for t in range(THREADS)]
        return [s for f in futures for s in f.result()]


def _audit_records(base: str, auditor: str, action: str) -> Iterator[dict[str, Any]]:
    """Every record with this action, newest first, page by page through the cursor."""
    params: dict[str, Any] = {"action": action, "limit": 64}
    while True:
        response = requests.get(f"{base}/v1/audit", params=params, timeout=TIMEOUT,
                                headers={"Authorization": f"Bearer {auditor}"})
        assert response.status_code == 200, response.text
        page = response.json()
        yield from page["records"]
        if page["next_cursor"] is None:
            return
        params["cursor"] = page["next_cursor"]


def test_concurrent_screening_is_audited_once_per_request(server):
    sent = _send_all(server.url, server.keys)
    screens = [s for s in sent if s.kind == "screen"]
    refused = [s for s in sent if s.kind != "screen"]
    assert len(screens) == THREADS * PER_THREAD and len(refused) == THREADS

    for s in screens:
        assert s.status == 200, s.answer
        assert s.echoed_id == s.request_id
        assert s.answer["account_id"] == s.body["account_id"]
        assert s.answer["verdict"] in ("match", "review", "clear")
        assert s.answer["screening_id"]
    khamenei = [s for s in screens if s.body.get("names") == ["Ali Khamenei"]]
    assert khamenei
    for s in khamenei:
        assert s.answer["verdict"] == "match"
        assert s.answer["matches"][0]["entity_id"] == KHAMENEI
    for s in refused:
        assert s.status == EXPECTED_STATUS[s.kind], (s.kind, s.answer)
        assert s.answer["status"] == s.status and s.echoed_id == s.request_id

    auditor = server.keys["auditor"]
    screen_records = list(_audit_records(server.url, auditor, "screen"))
    denied_records = list(_audit_records(server.url, auditor, "auth.denied"))
    key_records = list(_audit_records(server.url, auditor, "key.create"))

    # every screening_id names exactly one "screen" record, with the request's id, input and verdict
    by_id = {r["id"]: r for r in screen_records}
    assert len(by_id) == len(screen_records) == len(screens)
    assert {s.answer["screening_id"] for s in screens} == set(by_id)
    for s in screens:
        record = by_id[s.answer["screening_id"]]
        assert record["request_id"] == s.request_id
        assert record["input"] == s.body and record["account_id"] == s.body["account_id"]
        assert record["verdict"] == s.answer["verdict"]
        assert record["actor"] == {"key_id": record["actor"]["key_id"], "name": "e2e-screener", "role": "screener"}
        assert record["client"] == "127.0.0.1"

    # every refused request: exactly one "auth.denied" record, with its status and path
    denied = {r["request_id"]: r for r in denied_records}
    assert len(denied) == len(denied_records) == len(refused)
    for s in refused:
        record = denied[s.request_id]
        assert record["status"] == s.status
        assert record["detail"]["path"] == ("/v1/audit" if s.kind == "screener-reads-audit" else "/v1/screen")
        expected_role = {"auditor-screens": "auditor", "screener-reads-audit": "screener"}.get(s.kind)
        assert record["actor"]["role"] == expected_role
    assert len(key_records) == 2

    # the chain is whole, and holds nothing but these records (the check itself is appended after)
    verify = requests.get(f"{server.url}/v1/audit/verify", headers={"Authorization": f"Bearer {auditor}"},
                          timeout=TIMEOUT)
    assert verify.status_code == 200, verify.text
    assert verify.json() == {"ok": True, "checked": len(screens) + len(refused) + 2,
                             "broken_seq": None, "broken_id": None, "reason": None}


def test_two_workers_under_one_master_serve_the_default_lists(server):
    """gunicorn.conf.py with --workers 2: a master and two workers; /readyz lists the five lists."""
    assert len(server.gunicorn.pids()) == 1 + 2
    ready = requests.get(f"{server.url}/readyz", timeout=TIMEOUT).json()
    assert ready["status"] == "ready" and ready["entities"] > 20_000
    assert {item["id"] for item in ready["lists"]} == {"ofac_sdn", "ofac_cons", "un_sc", "eu_fsf", "uk_ofsi"}
