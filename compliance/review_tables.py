"""The store's tables for review and monitoring: decisions, the review queue, monitored accounts,
alerts and webhook deliveries (created with the others by `Store.connect`).

The audit log stays the source of truth: `review_items` is an index of screening records, kept
up to date from the log (`review_sync` holds how far); decisions and alerts are each written in
the transaction that appends their audit record.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

from compliance.store import SEQ, UTCDateTime

FINGERPRINT = 64  # sha256 hex


@dataclass(frozen=True)
class ReviewTables:
    review_items: Table
    review_sync: Table
    decisions: Table
    monitored_accounts: Table
    alerts: Table
    webhook_deliveries: Table


def review_tables(metadata: MetaData) -> ReviewTables:
    return ReviewTables(*_review(metadata), *_monitoring(metadata))


def _review(metadata: MetaData) -> tuple[Table, Table, Table]:
    items = Table(
        "review_items", metadata,
        Column("screening_id", String(36), primary_key=True),  # the screening's audit record
        Column("seq", SEQ, nullable=False, unique=True),
        Column("action", String(), nullable=False),
        Column("account_id", String()),
        Column("verdict", String(8), nullable=False),
        Column("top_score", Float(), nullable=False),
        Column("match_count", Integer(), nullable=False),
        Column("decided_count", Integer(), nullable=False, default=0),  # matches with a final decision
        Column("status", String(8), nullable=False),  # open, closed
        Column("assignee_key_id", String(32)),
        Column("assignee_name", String()),
        Column("assigned_at", UTCDateTime()),
        Column("screened_at", UTCDateTime(), nullable=False),
        Index("ix_review_items_queue", "status", "top_score", "seq"),
    )
    sync = Table(
        "review_sync", metadata,
        Column("id", Integer(), primary_key=True, autoincrement=False),
        Column("seq", SEQ, nullable=False),  # audit records up to here are indexed
    )
    decisions = Table(
        "decisions", metadata,
        Column("id", String(36), primary_key=True),  # the decision's audit record
        Column("seq", SEQ, nullable=False, unique=True),
        Column("screening_id", String(36), nullable=False, index=True),
        Column("account_id", String()),
        Column("entity_id", String(), nullable=False),
        Column("decision", String(16), nullable=False),
        Column("note", Text(), nullable=False),
        *(Column(name, String()) for name in ("actor_key_id", "actor_name", "actor_role")),
        Column("decided_at", UTCDateTime(), nullable=False),
        Column("entity_fingerprint", String(FINGERPRINT)),  # the entity as screened
        Column("account_fingerprint", String(FINGERPRINT)),  # the account's screened fields
        Index("ix_decisions_account_entity", "account_id", "entity_id", "seq"),
    )
    return items, sync, decisions


def _monitoring(metadata: MetaData) -> tuple[Table, Table, Table]:
    accounts = Table(
        "monitored_accounts", metadata,
        Column("account_id", String(), primary_key=True),
        Column("input", Text(), nullable=False),  # JSON: the account as received
        Column("query", Text(), nullable=False),  # JSON: the parsed query that is screened
        Column("forms", Text(), nullable=False),  # its normalized names for the reverse index (Forms.dumps)
        Column("fingerprint", String(FINGERPRINT), nullable=False),
        Column("enrolled_at", UTCDateTime(), nullable=False),
        Column("enrolled_by", String()),
    )
    alerts = Table(
        "alerts", metadata,
        Column("seq", SEQ, primary_key=True, autoincrement=True),
        Column("id", String(32), nullable=False, unique=True),
        Column("kind", String(16), nullable=False),  # listed, changed, delisted
        Column("account_id", String(), nullable=False),
        Column("entity_id", String(), nullable=False),
        Column("entity_name", String()),
        Column("list_id", String()),
        Column("score", Float()),
        Column("verdict", String(8)),
        Column("record_id", String(36)),  # the audit record that raised it (for listed, changed: the screening)
        Column("refresh", String()),  # the list versions, "from -> to"
        Column("entity_fingerprint", String(FINGERPRINT), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("acknowledged_at", UTCDateTime()),
        Column("acknowledged_by", String()),
        # one alert per account, entity version and kind, however often a refresh is replayed
        Index("ux_alerts_once", "account_id", "entity_id", "entity_fingerprint", "kind", unique=True),
        Index("ix_alerts_account", "account_id", "seq"),
        Index("ix_alerts_open", "acknowledged_at", "seq"),
    )
    deliveries = Table(
        "webhook_deliveries", metadata,
        Column("seq", SEQ, primary_key=True, autoincrement=True),
        Column("alert_id", String(32), nullable=False, index=True),
        Column("attempt", Integer(), nullable=False),
        Column("status", Integer()),  # the receiver's HTTP status, if it answered
        Column("error", Text()),  # why the attempt failed (never the payload)
        Column("delivered", Boolean(), nullable=False),
        Column("at", UTCDateTime(), nullable=False),
        Column("duration_ms", Float(), nullable=False),
    )
    return accounts, alerts, deliveries
