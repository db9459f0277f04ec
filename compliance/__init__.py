"""Sanctions-screening service. `create_app()` is the one place that wires it together:
config -> logging -> services (lists, engine, store, audit log, keys, screener, batch jobs, review,
monitoring) -> API. Refreshed lists are put in force while it runs (compliance/reloading.py)."""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from flask import Flask

from compliance.config import Settings
from compliance.lists import Watchlists
from watchlists.catalog import CatalogError
from watchlists.model import ListParseError

if TYPE_CHECKING:
    from compliance.audit import AuditLog
    from compliance.batch.pool import Background
    from compliance.batch.service import BatchService
    from compliance.keys import KeyStore
    from compliance.matching.engine import Engine
    from compliance.monitoring import Monitor
    from compliance.reloading import ListReloader
    from compliance.review import ReviewDesk
    from compliance.service import Screener
    from compliance.store import Store

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What the views use; built once per app (before gunicorn forks, so workers share it)."""

    settings: Settings
    store: Store
    audit: AuditLog
    keys: KeyStore
    watchlists: Watchlists | None = None
    load_error: str | None = None  # why the lists could not be loaded (then screening is 503)
    engine: Engine | None = None
    screener: Screener | None = None
    batches: BatchService | None = None
    batch_pool: Background | None = None  # the background batch workers, if configured
    review: ReviewDesk | None = None  # decisions and the review queue
    monitor: Monitor | None = None  # monitored accounts and alerts
    reloader: ListReloader | None = None  # puts refreshed lists in force without a restart

    def install(self, watchlists: Watchlists, engine: Engine) -> Engine | None:
        """Screen against these lists from now on (at start, and at each reload: one reference
        swap per service); the engine replaced."""
        from compliance.memory import ReviewMemory
        from compliance.service import Screener

        screener = Screener(engine, watchlists, self.audit, self.settings, memory=ReviewMemory(self.store))
        retired = self.engine
        self.watchlists, self.engine, self.screener, self.load_error = watchlists, engine, screener, None
        if self.batches is not None:
            self.batches.screener = screener
        return retired


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app.

    `test_config` keys: UPPER_CASE ones go to Flask's config (TESTING...); lower_case ones
    that name a Settings field override it; `watchlists` passes already loaded lists and
    `engine` an engine already built from them (tests share one per session).
    """
    config = dict(test_config or {})
    preloaded = config.pop("watchlists", None)
    engine = config.pop("engine", None)
    known = {f.name for f in fields(Settings)}
    overrides = {k: config.pop(k) for k in list(config) if k in known}
    settings = Settings.from_env(**overrides)

    app = Flask(__name__, instance_path=str(settings.instance_dir))
    app.config.from_mapping(MAX_CONTENT_LENGTH=settings.max_request_bytes)
    app.config.update({k: v for k, v in config.items() if k.isupper()})
    app.json.sort_keys = False  # type: ignore[attr-defined]  # documents keep their documented order
    _configure_logging()
    app.extensions["compliance"] = services = _services(settings, preloaded, engine)
    _batches(services)
    _review(services)
    _register_api(app)
    _reloading(app, services)
    return app


def _services(settings: Settings, preloaded: Watchlists | None, engine: Engine | None) -> Services:
    from compliance.audit import AuditLog
    from compliance.keys import KeyStore
    from compliance.store import Store

    store = Store.connect(settings.store_url)
    audit = AuditLog(store, settings.audit_retention_years)
    services = Services(settings, store, audit, KeyStore(store, audit), preloaded)
    if services.watchlists is None:
        try:
            services.watchlists = Watchlists.load(settings)
        except (ListParseError, CatalogError, OSError) as exc:
            log.error("lists could not be loaded: %s", exc)
            services.load_error = f"lists could not be loaded: {exc}"
            return services
        log.info("loaded %d lists, %d entities", len(services.watchlists.lists), services.watchlists.entity_count)
    services.install(services.watchlists, engine or _build_engine(services.watchlists))
    return services


def _batches(services: Services) -> None:
    """Batch jobs; and their workers beside the service when COMPLIANCE_BATCH_WORKERS is set."""
    from compliance.batch.service import BatchService

    services.batches = BatchService(services.store, services.audit, services.settings, services.screener)
    if services.settings.batch_workers > 0 and services.screener is not None:
        services.batch_pool = services.batches.start_background(services.settings.batch_workers)
        log.info("started %d batch worker processes", services.settings.batch_workers)


def _review(services: Services) -> None:
    """Review decisions and queue; monitoring, with its webhook when COMPLIANCE_WEBHOOK_URL is set."""
    from compliance.monitoring import monitor_for
    from compliance.review import ReviewDesk

    services.review = ReviewDesk(services.store, services.audit, services.keys)
    services.monitor = monitor_for(services.store, services.audit, services.settings)


def _reloading(app: Flask, services: Services) -> None:
    """Each worker checks for refreshed lists before a request, every COMPLIANCE_LISTS_CHECK_SECONDS."""
    from compliance.reloading import ListReloader

    services.reloader = ListReloader(services.settings, services.watchlists, services.install, services.audit,
                                     "service")
    app.before_request(services.reloader.poll)


def _build_engine(watchlists: Watchlists) -> Engine:
    from compliance.matching import speedups
    from compliance.matching.engine import Engine

    started = time.perf_counter()
    engine = Engine.build(e for item in watchlists.lists for e in item.entities)
    log.info("engine built over %d entities in %.2f s", len(engine.entities), time.perf_counter() - started)
    if speedups.native is None:
        log.warning("the compiled retrieval and alignment are not built (%s): screening runs on the Python "
                    "path, with the same results but slower; build them with `python scripts/build_speedups.py`",
                    speedups.reason)
    return engine


def _register_api(app: Flask) -> None:
    from compliance.api import audit, auth, batches, context, docs, health, keys, lists, monitoring, reviews, screening
    from compliance.api.spec import ComplianceApi

    api = ComplianceApi(app)  # also registers the problem+json error handlers
    context.install(app, auth.authenticate)
    for blueprint in (health.bp, screening.bp, lists.bp, audit.bp, batches.bp, reviews.bp, monitoring.bp, keys.bp):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.bp)


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
