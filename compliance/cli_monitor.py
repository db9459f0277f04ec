"""Command line for monitoring: `python -m compliance monitor [enroll|rescreen|deliver]`, and the
re-screening that `lists refresh` runs when a refresh puts new versions in force."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from compliance.cli import _operator, _settings, _store, main
from compliance.config import Settings
from compliance.lists import Watchlists
from compliance.memory import ReviewMemory
from compliance.monitoring import Monitor, monitor_for
from compliance.service import Caller, Screener
from watchlists.catalog import CatalogError
from watchlists.model import Entity, ListParseError

ENROLL_CHUNK = 10_000


def _monitor(settings: Settings) -> Monitor:
    audit, _ = _store(settings)
    return monitor_for(audit.store, audit, settings)


def _load(settings: Settings) -> Watchlists:
    try:
        return Watchlists.load(settings)
    except (CatalogError, ListParseError) as exc:
        raise click.ClickException(str(exc)) from exc


def rescreen(settings: Settings, monitor: Monitor, old: list[Entity], new: Watchlists, refresh: str) -> dict[str, Any]:
    """Re-screen the monitored accounts for a change from `old` to the lists `new`."""
    from compliance.matching.engine import Engine

    engine = Engine.build(e for item in new.lists for e in item.entities)
    screener = Screener(engine, new, monitor.audit, settings, memory=ReviewMemory(monitor.store))
    return monitor.on_refresh(old, engine.entities, screener, Caller(_operator()), refresh)


def before_refresh(settings: Settings) -> list[Entity] | None:
    """The entities in force before a refresh, when some account is monitored (else None: nothing to do)."""
    try:
        if _monitor(settings).count() == 0:
            return None
    except click.ClickException:
        return None
    return [e for item in _load(settings).lists for e in item.entities]


def after_refresh(settings: Settings, old: list[Entity], refresh: str) -> None:
    """`lists refresh` put new versions in force: alert on what changed for the monitored accounts."""
    report = rescreen(settings, _monitor(settings), old, _load(settings), refresh)
    _summary(report)


def _summary(report: dict[str, Any]) -> None:
    counts, seconds = report["counts"], report["seconds"]
    click.echo(f"monitoring {report['refresh']}: {counts.get('added', 0):,} added, {counts.get('changed', 0):,} "
               f"changed, {counts.get('removed', 0):,} removed; {counts.get('accounts', 0):,} accounts, "
               f"{counts.get('screened', 0):,} screened, {len(report['alerts']):,} new alerts "
               f"({seconds['total']:.1f} s)")
    if "webhook" in report:
        click.echo(f"webhook: {report['webhook']['delivered']} delivered, {report['webhook']['failed']} failed")


@main.group("monitor")
def monitor_group() -> None:
    """Monitored accounts: enroll a file, re-screen for a list change, deliver alerts."""


@monitor_group.command("enroll")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def monitor_enroll(path: Path) -> None:
    """Enroll the accounts of a JSON Lines file (the /v1/screen fields, with account_id)."""
    from compliance.batch.accounts import json_account
    from compliance.batch.inputs import RowError

    monitor, caller = _monitor(_settings()), Caller(_operator())
    chunk, total, errors = [], 0, 0
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                account = json_account(json.loads(line))
                if account.account_id is None:
                    raise RowError("account_id: required for monitoring")
            except (ValueError, RowError) as exc:
                errors += 1
                click.echo(f"line {number}: {exc if isinstance(exc, RowError) else 'not a JSON object'}", err=True)
                continue
            chunk.append(account)
            if len(chunk) == ENROLL_CHUNK:
                total += len(monitor.enroll(chunk, caller))
                chunk = []
    total += len(monitor.enroll(chunk, caller)) if chunk else 0
    click.echo(f"enrolled {total:,} accounts; {errors} lines refused")
    if errors:
        sys.exit(1)


@monitor_group.command("rescreen")
@click.option("--from", "old_ref", required=True, help="LIST@VERSION before, e.g. ofac_sdn@2021-03-10.")
@click.option("--to", "new_ref", required=True, help="LIST@VERSION after, e.g. ofac_sdn@2024-05-03.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def monitor_rescreen(old_ref: str, new_ref: str, as_json: bool) -> None:
    """Alert on what changed from one stored version of a list to another (the other lists as in force)."""
    settings = _settings()
    (old_list, _, old_version), (new_list, _, new_version) = old_ref.partition("@"), new_ref.partition("@")
    if old_list != new_list or not old_version or not new_version:
        raise click.UsageError("--from and --to are LIST@VERSION of the same list")

    def pinned(version: str) -> Settings:
        return replace(settings, list_versions={**settings.list_versions, old_list: version})

    old = [e for item in _load(pinned(old_version)).lists for e in item.entities]
    report = rescreen(settings, _monitor(settings), old, _load(pinned(new_version)), f"{old_ref} -> {new_ref}")
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        _summary(report)


@monitor_group.command("deliver")
def monitor_deliver() -> None:
    """Send the alerts no webhook delivery has succeeded for (COMPLIANCE_WEBHOOK_URL)."""
    monitor = _monitor(_settings())
    if monitor.sender is None:
        raise click.ClickException("no webhook configured: set COMPLIANCE_WEBHOOK_URL")
    delivered, failed = monitor.sender.deliver_all(monitor.alerts.undelivered())
    click.echo(f"webhook: {delivered} delivered, {failed} failed")
    if failed:
        sys.exit(1)
