"""A client for a running service's batch API (`python -m compliance batch submit`): upload a file
(streamed from disk), follow the job, download its results CSV (streamed to disk).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import requests

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 300.0  # the service copies and splits the whole file before it answers
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
ENDED = ("done", "failed", "cancelled")


class ClientError(Exception):
    """The service refused a request, or could not be reached; the message says which and why."""


class BatchClient:
    """Talks to one service with one API key."""

    def __init__(self, url: str, key: str, session: requests.Session | None = None) -> None:
        self.url = url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def submit(self, path: Path, fmt: str, mapping: Sequence[str] = (), encoding: str | None = None,
               monitor: bool = False) -> dict[str, Any]:
        """Upload the file as the request body; the queued job's document."""
        params: dict[str, Any] = {"format": fmt, "map": list(mapping)}
        if encoding:
            params["encoding"] = encoding
        if monitor:
            params["monitor"] = "true"
        with path.open("rb") as body:
            return self._json("POST", "/v1/batches", params=params, data=body,
                              headers={"Content-Type": MEDIA_TYPES[fmt]})

    def status(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/batches/{job_id}")

    def follow(self, job_id: str, progress: Callable[[dict[str, Any]], None], poll_seconds: float = 1.0
               ) -> dict[str, Any]:
        """Poll the job until it ends, calling `progress` with each document; the last one."""
        while True:
            job = self.status(job_id)
            progress(job)
            if job["state"] in ENDED:
                return job
            time.sleep(poll_seconds)

    def download(self, job_id: str, target: Path) -> int:
        """Stream the results CSV into `target`; the bytes written."""
        written = 0
        with self._send("GET", f"/v1/batches/{job_id}/results.csv", stream=True) as response, \
                target.open("wb") as sink:
            for block in response.iter_content(chunk_size=1 << 16):
                written += sink.write(block)
        return written

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        with self._send(method, path, **kwargs) as response:
            return response.json()

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, self.url + path, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                                            **kwargs)
        except requests.RequestException as exc:
            raise ClientError(f"cannot reach {self.url}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise ClientError(_problem(response))
        return response


def _problem(response: requests.Response) -> str:
    """`<status> <title>: <detail>` from a problem document (or the status alone)."""
    try:
        body = response.json()
        errors = "; ".join(e.get("detail", "") for e in body.get("errors", []) if isinstance(e, dict))
        text = f"{body.get('title', response.reason)}: {body.get('detail', '')}" + (f" ({errors})" if errors else "")
    except ValueError:
        text = response.reason or "error"
    finally:
        response.close()
    return f"{response.status_code} {text}"
