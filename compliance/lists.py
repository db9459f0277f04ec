"""The lists in force for this service: a catalog built from the settings, and their status."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from compliance.config import Settings
from watchlists.catalog import Catalog, LoadedList
from watchlists.lists import LISTS
from watchlists.manifest import ListVersion


def build_catalog(settings: Settings) -> Catalog:
    return Catalog(
        store_dir=settings.list_store_dir,
        cache_dir=settings.cache_dir,
        selections=settings.list_versions,
        enabled=settings.lists,
    )


@dataclass(frozen=True)
class ListStatus:
    """One list version as shown to people: what it is, how old, whether stale."""

    id: str
    name: str
    version: str
    format: str
    published: str | None
    age_days: int | None
    stale: bool
    entities: int
    names: int
    issues: int
    sha256: str
    source: str

    def to_dict(self) -> dict:
        return asdict(self)


def status_of(version: ListVersion, settings: Settings, today: date | None = None) -> ListStatus:
    today = today or date.today()
    return ListStatus(
        id=version.list_id,
        name=LISTS[version.list_id].name,
        version=version.version,
        format=version.format,
        published=version.published.isoformat() if version.published else None,
        age_days=version.age_days(today),
        stale=version.is_stale(today, settings.stale_after_days),
        entities=version.entities,
        names=version.names,
        issues=version.issues,
        sha256=version.sha256,
        source=version.source,
    )


@dataclass
class Watchlists:
    """The loaded lists the service screens against."""

    lists: list[LoadedList]

    @classmethod
    def load(cls, settings: Settings) -> Watchlists:
        return cls(build_catalog(settings).load_active())

    def statuses(self, settings: Settings, today: date | None = None) -> list[ListStatus]:
        return [status_of(item.meta, settings, today) for item in self.lists]

    @property
    def entity_count(self) -> int:
        return sum(len(item.entities) for item in self.lists)
