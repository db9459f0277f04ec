"""Command line: `python -m compliance lists [diff|refresh|import]`, `compare`, `screen`,
`keys [create|list|revoke|bootstrap]`, `audit [verify|export]`, `batch [screen|submit]`, `worker`,
`monitor [enroll|rescreen|deliver]` (compliance/cli_monitor.py).

Reads the same settings as the service (COMPLIANCE_* environment variables).
"""
from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy.exc import SQLAlchemyError

from compliance.audit import Actor, AuditEvent, AuditFilter, AuditLog
from compliance.config import ConfigError, Settings
from compliance.keys import KeyNotFoundError, KeyStore, Role
from compliance.lists import Watchlists, build_catalog, status_of
from compliance.matching.records import RecordError, candidate_from_record, query_from_record
from compliance.models import Match, Query, Verdict
from compliance.policy import overall
from compliance.store import Store
from watchlists.catalog import BUNDLE_DIR, Catalog, CatalogError
from watchlists.diff import ListDiff, diff_entities
from watchlists.fetch import refresh
from watchlists.lists import LISTS
from watchlists.manifest import MANIFEST, import_files, read_manifest
from watchlists.model import Entity, EntityType, ListParseError

if TYPE_CHECKING:
    from compliance.batch.service import BatchService


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _catalog(settings: Settings) -> Catalog:
    try:
        return build_catalog(settings)
    except CatalogError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def main() -> None:
    """Sanctions screening: lists, matching and audit."""


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.pass_context
def lists(ctx: click.Context, as_json: bool) -> None:
    """Show the lists in force: publish date, age, staleness, counts, sha256."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings()
    catalog = _catalog(settings)
    try:
        rows = [status_of(catalog.active(list_id), settings) for list_id in catalog.enabled]
    except CatalogError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        keys = ("id", "name", "published", "age_days", "stale", "entities", "names", "sha256", "version")
        click.echo(json.dumps([{k: getattr(r, k) for k in keys} for r in rows], indent=2))
        return
    table = [("ID", "NAME", "PUBLISHED", "AGE (DAYS)", "STALE", "ENTITIES", "NAMES", "SHA256")]
    table += [
        (r.id, r.name, r.published or "unknown", "" if r.age_days is None else str(r.age_days),
         "STALE" if r.stale else "fresh", f"{r.entities:,}", f"{r.names:,}", r.sha256[:12])
        for r in rows
    ]
    _print_table(table, right=(3, 5, 6))
    stale = [r.id for r in rows if r.stale]
    if stale:
        click.echo(f"\n{len(stale)} of {len(rows)} lists are older than {settings.stale_after_days} days: "
                   f"run `python -m compliance lists refresh` where the network allows.")


def _print_table(rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        click.echo("  ".join(cells).rstrip())


@lists.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def lists_diff(old: str, new: str, as_json: bool) -> None:
    """Entities added, removed and changed between two versions.

    OLD and NEW are `LIST@VERSION` (a version prefix such as ofac_sdn@2021-03), a bare
    LIST for the version in force, or a stored version directory.
    """
    catalog = _catalog(_settings())
    try:
        before, after = (catalog.load(_version(catalog, ref)) for ref in (old, new))
    except (CatalogError, ListParseError) as exc:
        raise click.ClickException(str(exc)) from exc
    result = diff_entities(before.entities, after.entities)
    if as_json:
        click.echo(json.dumps(_diff_json(before.meta.ref, after.meta.ref, result), indent=2, ensure_ascii=False))
    else:
        _print_diff(before.meta.ref, after.meta.ref, result)


def _version(catalog: Catalog, ref: str):
    path = Path(ref)
    if path.is_dir() and (path / MANIFEST).is_file():
        return read_manifest(path)
    return catalog.resolve(ref)


def _summary(e: Entity) -> dict:
    return {"id": e.id, "name": e.name, "type": e.type.value, "programs": list(e.programs)}


def _diff_json(old: str, new: str, d: ListDiff) -> dict:
    return {
        "old": old,
        "new": new,
        "counts": {"added": len(d.added), "removed": len(d.removed), "changed": len(d.changed),
                   "unchanged": d.unchanged},
        "added": [_summary(e) for e in d.added],
        "removed": [_summary(e) for e in d.removed],
        "changed": [
            {"id": c.id, "name": c.name,
             "fields": {f.field: {"removed": list(f.removed), "added": list(f.added)} for f in c.fields}}
            for c in d.changed
        ],
    }


def _print_diff(old: str, new: str, d: ListDiff) -> None:
    click.echo(f"{old} -> {new}: {len(d.added):,} added, {len(d.removed):,} removed, "
               f"{len(d.changed):,} changed, {d.unchanged:,} unchanged")
    for title, items in (("Added", d.added), ("Removed", d.removed)):
        if items:
            click.echo(f"\n{title}:")
            mark = "+" if title == "Added" else "-"
            for e in items:
                click.echo(f"  {mark} {e.id}  {e.name}  [{'; '.join(e.programs)}]")
    if d.changed:
        click.echo("\nChanged:")
        for c in d.changed:
            click.echo(f"  ~ {c.id}  {c.name}: {', '.join(f.field for f in c.fields)}")


@lists.command("refresh")
@click.option("--list", "list_ids", multiple=True, type=click.Choice(list(LISTS)),
              help="Refresh only this list (repeatable). Default: every list in use.")
@click.option("--url", help="Download from this address instead of the configured one (with one --list).")
def lists_refresh(list_ids: tuple[str, ...], url: str | None) -> None:
    """Download lists from their official sources and put new versions in force.

    A version changes only after a complete download that parses in full and passes the
    sanity checks; on any failure the version in force stays, and the exit code is 1.
    """
    settings = _settings()
    catalog = _catalog(settings)
    targets = list_ids or catalog.enabled
    if url and len(targets) != 1:
        raise click.UsageError("--url needs exactly one --list")
    from compliance.cli_monitor import after_refresh, before_refresh

    failed = 0
    audit, _ = _store(settings)
    before = before_refresh(settings)  # the entities in force, when some account is monitored
    updated: list[str] = []
    for list_id in targets:
        outcome = refresh(catalog, LISTS[list_id], url or settings.refresh_urls[list_id], settings.fetch)
        _audit_list_operation(audit, "lists.refresh", list_id, {
            "status": outcome.status, "version": outcome.version, "previous": outcome.previous,
            "sha256": outcome.sha256, "entities": outcome.entities, "error": outcome.error,
            "url": url or settings.refresh_urls[list_id]})
        if outcome.status == "failed":
            failed += 1
            click.echo(f"{list_id}: FAILED: {outcome.error} (in force: {outcome.previous or 'nothing'})", err=True)
        elif outcome.status == "unchanged":
            click.echo(f"{list_id}: unchanged ({outcome.version}, sha256 {outcome.sha256[:12]})")
        else:
            click.echo(f"{list_id}: updated to {outcome.version} ({outcome.entities:,} entities, "
                       f"{outcome.names:,} names, sha256 {outcome.sha256[:12]}); previous {outcome.previous}")
            updated.append(f"{outcome.previous} -> {list_id}@{outcome.version}")
    if before is not None and updated:
        after_refresh(settings, before, "; ".join(updated))  # re-screen the monitored accounts
    if failed:
        sys.exit(1)


@lists.command("import")
@click.argument("list_id", type=click.Choice(list(LISTS)))
@click.argument("primary", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--add", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="OFAC CSV add file.")
@click.option("--alt", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="OFAC CSV alt file.")
@click.option("--comments", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="OFAC CSV comments file.")
@click.option("--source", required=True, help="Provenance: where the file came from.")
@click.option("--published", type=click.DateTime(["%Y-%m-%d"]),
              help="Publish date, for files that state none.")
@click.option("--note", default="", help="How the publish date was established.")
@click.option("--bundle", is_flag=True, help="Store into the bundled data (watchlists/data), not the instance.")
def lists_import(list_id, primary, add, alt, comments, source, published, note, bundle) -> None:
    """Parse a list file in full and store it as a new version (compressed, with manifest)."""
    settings = _settings()
    files = {"primary": primary, **{k: v for k, v in (("add", add), ("alt", alt), ("comments", comments)) if v}}
    dest = BUNDLE_DIR if bundle else settings.list_store_dir
    when: date | None = published.date() if published else None
    try:
        meta, result = import_files(LISTS[list_id], files, dest, source, when, note)
    except ListParseError as exc:
        raise click.ClickException(str(exc)) from exc
    audit, _ = _store(settings)
    _audit_list_operation(audit, "lists.import", list_id, {
        "version": meta.version, "sha256": meta.sha256, "entities": meta.entities, "source": source,
        "files": {k: Path(v).name for k, v in files.items()}, "bundle": bundle})
    click.echo(f"stored {meta.ref}: {meta.entities:,} entities, {meta.names:,} names, "
               f"{meta.issues} malformed records, sha256 {meta.sha256[:12]} in {meta.path}")
    for issue in result.issues[:20]:
        click.echo(f"  malformed: {issue.position}: {issue.message}", err=True)


def _engine(settings: Settings):
    from compliance.matching.engine import Engine

    try:
        watchlists = Watchlists.load(settings)
    except (CatalogError, ListParseError) as exc:
        raise click.ClickException(str(exc)) from exc
    return Engine.build(e for item in watchlists.lists for e in item.entities)


def _records(stream) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, record, error) for every non-blank line of a JSONL stream."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not JSON: {exc.msg} at column {exc.colno}"
            continue
        if not isinstance(record, dict):
            yield number, None, "a line must hold a JSON object"
            continue
        yield number, record, None


def _match_json(match: Match) -> dict:
    e = match.entity
    return {"entity_id": e.id, "list": e.list_id, "name": e.name, "matched_name": match.comparison.matched_name,
            "programs": list(e.programs), "score": match.score, "verdict": match.verdict.value,
            "explanation": match.comparison.explanation}


@main.command("compare")
@click.argument("pairs", type=click.File("r", encoding="utf-8"))
def compare_cmd(pairs) -> None:
    """Score labelled pairs (JSONL: `query` and `candidate` objects) and add a `result` to each.

    A record whose candidate is null is screened against all lists in use instead.
    Malformed lines are reported on stderr; the exit code is then 1.
    """
    engine = _engine(_settings())
    errors = 0
    for number, record, error in _records(pairs):
        try:
            if error is not None:
                raise RecordError(error)
            record["result"] = _compare_record(engine, record)
        except RecordError as exc:
            errors += 1
            click.echo(f"line {number}: {exc}", err=True)
            continue
        click.echo(json.dumps(record, ensure_ascii=False))
    if errors:
        raise click.ClickException(f"{errors} malformed line(s)")


def _compare_record(engine, record: dict) -> dict:
    if not isinstance(record.get("query"), dict):
        raise RecordError("a record needs a `query` object")
    query = query_from_record(record["query"])
    if record.get("candidate") is None:
        matches = engine.screen(query, limit=1)
        if not matches:
            return {"score": 0.0, "verdict": Verdict.CLEAR.value, "explanation": {"summary": "No listed name resembles the query."}}
        top = matches[0]
        return {"score": top.score, "verdict": top.verdict.value, "entity_id": top.entity.id,
                "explanation": top.comparison.explanation}
    if not isinstance(record["candidate"], dict):
        raise RecordError("`candidate` must be an object or null")
    comparison = engine.compare(query, candidate_from_record(record["candidate"]))
    return {"score": comparison.score, "verdict": comparison.verdict.value, "explanation": comparison.explanation}


@main.command("screen")
@click.argument("name", required=False)
@click.option("--alias", "aliases", multiple=True, help="Another display name (repeatable).")
@click.option("--handle", help="Account handle, e.g. @khamenei_ir.")
@click.option("--dob", help="Date of birth: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--country", "countries", multiple=True, help="Country (ISO code or name), repeatable.")
@click.option("--type", "entity_type", type=click.Choice(["person", "organization", "vessel", "aircraft"]))
@click.option("--list", "lists", multiple=True, type=click.Choice(list(LISTS)), help="Only these lists.")
@click.option("--limit", default=10, show_default=True, help="At most this many matches.")
@click.option("--jsonl", "jsonl", type=click.File("r", encoding="utf-8"),
              help="Screen one query object per line (the `query` format of compare).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def screen_cmd(name, aliases, handle, dob, countries, entity_type, lists, limit, jsonl, as_json) -> None:
    """Screen one account holder (or a JSONL file of them) against the lists in use."""
    if jsonl is None and not (name or handle):
        raise click.UsageError("give a NAME, --handle, or --jsonl FILE")
    engine = _engine(_settings())
    if jsonl is not None:
        _screen_jsonl(engine, jsonl, limit)
        return
    query = Query(names=tuple(n for n in (name, *aliases) if n), handle=handle, birth_date=dob,
                  countries=countries, type=EntityType(entity_type) if entity_type else None,
                  lists=lists or None)
    matches = engine.screen(query, limit=limit)
    verdict = overall(m.verdict for m in matches)
    if as_json:
        click.echo(json.dumps({"query": _query_json(query), "verdict": verdict.value,
                               "matches": [_match_json(m) for m in matches]}, indent=2, ensure_ascii=False))
        return
    click.echo(f"verdict: {verdict.value.upper()} ({len(matches)} match{'es' if len(matches) != 1 else ''})")
    for m in matches:
        e = m.entity
        click.echo(f"\n{m.score:.3f}  {m.verdict.value:6}  {e.id}  {e.name}  [{'; '.join(e.programs)}]")
        click.echo(f"       {m.comparison.explanation['summary']}")


def _query_json(query: Query) -> dict:
    out = {"names": list(query.names), "handle": query.handle, "birth_date": query.birth_date,
           "countries": list(query.countries), "type": query.type.value if query.type else None}
    return {k: v for k, v in out.items() if v not in (None, [], ())}


def _screen_jsonl(engine, stream, limit: int) -> None:
    errors = 0
    for number, record, error in _records(stream):
        try:
            if error is not None:
                raise RecordError(error)
            query = query_from_record(record.get("query", record))
        except RecordError as exc:
            errors += 1
            click.echo(f"line {number}: {exc}", err=True)
            continue
        matches = engine.screen(query, limit=limit)
        out = {"query": record.get("query", record), "verdict": overall(m.verdict for m in matches).value,
               "matches": [_match_json(m) for m in matches]}
        click.echo(json.dumps(out, ensure_ascii=False))
    if errors:
        raise click.ClickException(f"{errors} malformed line(s)")


def _store(settings: Settings) -> tuple[AuditLog, KeyStore]:
    """The audit log and key store at settings.store_url (tables created if missing)."""
    try:
        store = Store.connect(settings.store_url)
    except (SQLAlchemyError, ValueError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise click.ClickException(f"cannot open the store: {str(reason).splitlines()[0]}") from exc
    audit = AuditLog(store, settings.audit_retention_years)
    return audit, KeyStore(store, audit)


def _audit_list_operation(audit: AuditLog, action: str, list_id: str, detail: dict) -> None:
    """Record a list operation (refresh, import) in the audit log, with what it did."""
    audit.append(AuditEvent(action=action, actor=_operator(), detail={"list": list_id, **detail}))


def _operator() -> Actor:
    """The person at the command line, as the audit log names them."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry, as in some containers
        user = "unknown"
    return Actor.system(f"cli:{user}")


@main.group()
def keys() -> None:
    """API keys: create (shown once), list, revoke, bootstrap the first admin key."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="What the key may do.")
@click.option("--name", required=True, help="Who or what uses the key, e.g. the calling system.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: id, name, role, key.")
def keys_create(role: str, name: str, as_json: bool) -> None:
    """Create a key and print it once: only its hash is stored."""
    _, key_store = _store(_settings())
    try:
        key, secret = key_store.create(name, Role(role), _operator())
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({"id": key.id, "name": key.name, "role": key.role.value, "key": secret}))
        return
    click.echo(f"created {key.role.value} key {key.id} ({key.name}). The key, shown only now:\n\n  {secret}\n\n"
               "Send it as `Authorization: Bearer <key>`.")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def keys_list(as_json: bool) -> None:
    """Every key with its role and state (never a secret)."""
    _, key_store = _store(_settings())
    found = key_store.list()
    if as_json:
        click.echo(json.dumps([k.to_dict() for k in found], indent=2, ensure_ascii=False))
        return
    table = [("ID", "NAME", "ROLE", "CREATED", "REVOKED")]
    table += [(k.id, k.name, k.role.value, _minute(k.created_at), _minute(k.revoked_at) or "-") for k in found]
    _print_table(table)


def _minute(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key: it stops working on the next request."""
    _, key_store = _store(_settings())
    try:
        key = key_store.revoke(key_id, _operator())
    except KeyNotFoundError as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    click.echo(f"revoked {key.role.value} key {key.id} ({key.name}) at {_minute(key.revoked_at)}")


@keys.command("bootstrap")
def keys_bootstrap() -> None:
    """Create an admin key if there is no active one, and print it once (run by `make run`)."""
    _, key_store = _store(_settings())
    created = key_store.bootstrap(_operator())
    if created is None:
        click.echo("keys: an active admin key exists; no key created.")
        return
    key, secret = created
    click.echo(f"No admin key existed: created admin key {key.id} ({key.name}). Shown only now, store it:\n\n"
               f"  {secret}\n\nCreate a key per calling system and role with the CLI (this venv's python):\n"
               "  python -m compliance keys create --role screener --name <caller>\n"
               f"Roles: {', '.join(r.value for r in Role)}.\n")


@main.group("audit")
def audit_group() -> None:
    """The audit log: verify the hash chain, export records."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def audit_verify(as_json: bool) -> None:
    """Walk the whole chain; exit code 1 and the first broken link when it does not hold."""
    audit, _ = _store(_settings())
    report = audit.verify()
    audit.append(AuditEvent("audit.verify", _operator(), detail=report.to_dict()))
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    elif report.ok:
        click.echo(f"audit chain intact: {report.checked:,} records verified")
    else:
        click.echo(f"audit chain BROKEN at seq {report.broken_seq}"
                   f"{f' (record {report.broken_id})' if report.broken_id else ''}: {report.reason}; "
                   f"{report.checked:,} records before it verified", err=True)
    if not report.ok:
        sys.exit(1)


def _moment(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected an ISO 8601 date or time, e.g. 2026-11-21 or 2026-11-21T09:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@audit_group.command("export")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "jsonl"]))
@click.option("--since", callback=_moment, help="From this UTC time on (inclusive), ISO 8601.")
@click.option("--until", callback=_moment, help="Before this UTC time (exclusive), ISO 8601.")
@click.option("--actor", help="Key id or name.")
@click.option("--account-id")
@click.option("--action", help="e.g. screen, screen.batch_item, key.create.")
@click.option("--verdict", type=click.Choice(["match", "review", "clear"]))
@click.option("--entity-id", help="Records with a match on this entity.")
@click.option("--list-version", help="A version, or LIST@VERSION.")
@click.option("--batch-id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of stdout.")
def audit_export(fmt: str, output: Path | None, **filters: str | datetime | None) -> None:
    """Stream the matching records, oldest first; the export itself is audited."""
    audit, _ = _store(_settings())
    chosen = AuditFilter(**filters)
    shown = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in filters.items() if v is not None}
    audit.append(AuditEvent("audit.export", _operator(), detail={"format": fmt, "filters": shown}))
    chunks = audit.export(chosen, fmt)
    if output is None:
        for chunk in chunks:
            click.echo(chunk, nl=False)
        return
    with output.open("w", encoding="utf-8", newline="") as sink:
        for chunk in chunks:
            sink.write(chunk)
    click.echo(f"exported to {output}", err=True)


# -- batch screening (compliance/batch) --------------------------------------------------

def _batch_service(settings: Settings) -> BatchService:
    """The batch service over the store and the lists in use (the engine built here)."""
    from compliance.batch.service import BatchService
    from compliance.matching.engine import Engine
    from compliance.memory import ReviewMemory
    from compliance.service import Screener

    audit, _ = _store(settings)
    try:
        watchlists = Watchlists.load(settings)
    except (CatalogError, ListParseError) as exc:
        raise click.ClickException(str(exc)) from exc
    engine = Engine.build(e for item in watchlists.lists for e in item.entities)
    screener = Screener(engine, watchlists, audit, settings, memory=ReviewMemory(audit.store))
    return BatchService(audit.store, audit, settings, screener)


def _batch_format(path: Path, given: str | None) -> str:
    return given or ("jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv")


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_MAP_HELP = "CSV column mapping item, e.g. name=first_name+last_name or account_id=customer_no (repeatable)."
_MONITOR_HELP = "Also enroll every screened account for monitoring (each row needs an account_id)."


@main.group()
def batch() -> None:
    """Batch screening of account files (CSV or JSON Lines): here, or on a running service."""


@batch.command("screen")
@click.argument("path", type=_FILE)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the results CSV here.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Default: .jsonl/.ndjson, else csv.")
@click.option("--map", "mapping", multiple=True, help=_MAP_HELP)
@click.option("--encoding", help="The file's encoding, if not UTF-8 or UTF-16 (e.g. cp1252).")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
@click.option("--monitor", is_flag=True, help=_MONITOR_HELP)
def batch_screen(path: Path, output: Path, fmt: str | None, mapping: tuple[str, ...], encoding: str | None,
                 workers: int | None, monitor: bool) -> None:
    """Screen a file as a batch job in the store, with a progress bar; write the results CSV.

    Every row is audited ("screen.batch_item") under the job's id, as with the API.
    """
    from compliance.batch.inputs import Format, TooLargeError
    from compliance.errors import InvalidInputError
    from compliance.service import Caller

    service = _batch_service(_settings())
    try:
        with path.open("rb") as source:
            job = service.submit(source.read, Format(_batch_format(path, fmt)), Caller(_operator()), mapping, encoding,
                                 monitor)
    except (InvalidInputError, TooLargeError) as exc:
        raise click.ClickException(f"{path}: {exc.detail}") from exc
    with click.progressbar(length=job["rows"]["total"], label=f"batch {job['id']}", show_pos=True,
                           file=sys.stderr) as bar:
        done = service.run_job(job["id"], workers or os.cpu_count() or 1,
                               lambda j: bar.update(j.rows_done - bar.pos))
    if not done.state.ended:  # stopped by a signal: leave nothing half-queued behind
        service.cancel(done.id, Caller(_operator()))
        raise click.ClickException(f"stopped: batch {done.id} cancelled after {done.rows_done:,} rows")
    _write_results(service.csv(done.id), output)
    _batch_summary(service.status(done.id), output)
    if done.error:
        raise click.ClickException(f"batch {done.id} {done.state}: {done.error}")


def _write_results(chunks: Iterator[str], output: Path) -> None:
    with output.open("w", encoding="utf-8", newline="") as sink:
        for chunk in chunks:
            sink.write(chunk)


def _batch_summary(job: dict, output: Path) -> None:
    v, rows = job["verdicts"], job["rows"]
    click.echo(f"batch {job['id']} {job['state']}: {rows['done']:,} of {rows['total']:,} rows, {v['match']:,} match, "
               f"{v['review']:,} review, {v['clear']:,} clear, {rows['failed']:,} failed "
               f"({job['rate']:,.0f} rows/s); results in {output}", err=True)


@batch.command("submit")
@click.argument("path", type=_FILE)
@click.option("--url", required=True, envvar="COMPLIANCE_URL", help="The service, e.g. http://127.0.0.1:8000.")
@click.option("--key", required=True, envvar="COMPLIANCE_API_KEY", help="An API key that may screen.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the results CSV here (default: batch-<id>.csv).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), help="Default: .jsonl/.ndjson, else csv.")
@click.option("--map", "mapping", multiple=True, help=_MAP_HELP)
@click.option("--encoding", help="The file's encoding, if not UTF-8 or UTF-16 (e.g. cp1252).")
@click.option("--monitor", is_flag=True, help=_MONITOR_HELP)
def batch_submit(path: Path, url: str, key: str, output: Path | None, fmt: str | None, mapping: tuple[str, ...],
                 encoding: str | None, monitor: bool) -> None:
    """Send a file to a running service, follow the job's progress, then download its results."""
    from compliance.batch.client import BatchClient, ClientError

    client = BatchClient(url, key)
    try:
        job = client.submit(path, _batch_format(path, fmt), mapping, encoding, monitor)
        click.echo(f"batch {job['id']} queued: {job['rows']['total']:,} rows", err=True)
        with click.progressbar(length=job["rows"]["total"], label=f"batch {job['id']}", show_pos=True,
                               file=sys.stderr) as bar:
            job = client.follow(job["id"], lambda j: bar.update(j["rows"]["done"] - bar.pos))
        target = output or Path(f"batch-{job['id']}.csv")
        client.download(job["id"], target)
    except ClientError as exc:
        raise click.ClickException(str(exc)) from exc
    _batch_summary(job, target)
    if job["state"] != "done":
        raise click.ClickException(f"batch {job['id']} {job['state']}: {job.get('error') or 'not completed'}")


@main.command("worker")
@click.option("--processes", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
def worker_cmd(processes: int | None) -> None:
    """Process queued batch jobs until stopped; SIGTERM or Ctrl-C stops after the current chunks."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    service = _batch_service(_settings())
    count = processes or os.cpu_count() or 1
    click.echo(f"batch worker: {count} process{'es' if count > 1 else ''}, pid {os.getpid()}", err=True)
    service.serve(count)
    click.echo("batch worker: stopped", err=True)


from compliance import cli_monitor  # noqa: E402,F401  registers `monitor` on `main`
