"""Sanctions-screening service. `create_app()` is the one place that wires it together:
config -> logging -> errors -> services -> blueprints."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from flask import Flask

from compliance.config import Settings
from compliance.errors import register_error_handlers
from compliance.lists import Watchlists
from watchlists.catalog import CatalogError
from watchlists.model import ListParseError

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What the views use; built once per app."""

    settings: Settings
    watchlists: Watchlists | None
    load_error: str | None = None


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app.

    `test_config` keys: UPPER_CASE ones go to Flask's config (TESTING...); lower_case ones
    that name a Settings field override it; `watchlists` passes already loaded lists.
    """
    config = dict(test_config or {})
    preloaded = config.pop("watchlists", None)
    known = {f.name for f in fields(Settings)}
    overrides = {k: config.pop(k) for k in list(config) if k in known}
    settings = Settings.from_env(**overrides)

    app = Flask(__name__, instance_path=str(settings.instance_dir))
    app.config.from_mapping(JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=1024 * 1024)
    app.config.update({k: v for k, v in config.items() if k.isupper()})
    _configure_logging()
    register_error_handlers(app)
    app.extensions["compliance"] = _services(settings, preloaded)

    from compliance.api import health

    app.register_blueprint(health.bp)
    return app


def _services(settings: Settings, preloaded: Watchlists | None) -> Services:
    if preloaded is not None:
        return Services(settings, preloaded)
    try:
        watchlists = Watchlists.load(settings)
    except (ListParseError, CatalogError, OSError) as exc:
        log.error("lists could not be loaded: %s", exc)
        return Services(settings, None, f"lists could not be loaded: {exc}")
    log.info("loaded %d lists, %d entities", len(watchlists.lists), watchlists.entity_count)
    return Services(settings, watchlists)


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
