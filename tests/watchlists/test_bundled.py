"""Full-file tests over every bundled snapshot: the counts the sources state, and the
2019 designation of Iran's Supreme Leader wherever it should be."""
from __future__ import annotations

import pytest

from watchlists.catalog import DEFAULT_BUNDLE
from watchlists.manifest import file_sha256
from watchlists.model import EntityType

# (list, version prefix) -> entities; the counts SOURCES.md states for each file.
EXPECTED = {
    ("ofac_sdn", "2024-05-03-ofac_csv"): 14965,
    ("ofac_sdn", "2021-03-10-ofac_xml"): 8832,
    ("ofac_sdn", "2021-07-07-ofac_csv"): 8976,
    ("ofac_cons", "2025-06-30-ofac_xml"): 443,
    ("ofac_cons", "2025-12-19-ofac_csv"): 442,
    ("un_sc", "2026-02-27-un_xml"): 1003,
    ("eu_fsf", "2021-03-02-eu_xml"): 2269,
    ("uk_ofsi", "2025-04-14-uk_xlsx"): 4688,
}


@pytest.mark.parametrize("key", EXPECTED, ids=lambda k: f"{k[0]}@{k[1]}")
def test_bundled_version_loads_in_full(bundled, key):
    list_id, prefix = key
    version = bundled.find(list_id, prefix)
    loaded = bundled.load(version)
    assert len(loaded.entities) == EXPECTED[key] == version.entities
    assert sum(len(e.names) for e in loaded.entities) == version.names
    assert len(loaded.issues) == version.issues
    ids = [e.id for e in loaded.entities]
    assert len(set(ids)) == len(ids)
    assert all(e.id.startswith(f"{list_id}:") and e.names and e.list_version == version.version
               for e in loaded.entities)
    for info in version.files:
        assert file_sha256(version.path / info.name) == (info.sha256, info.bytes)


def test_defaults_are_the_freshest_snapshots(bundled):
    assert {k: bundled.active(k).version.rsplit("-", 1)[0] for k in DEFAULT_BUNDLE} == DEFAULT_BUNDLE


@pytest.mark.parametrize("prefix", ["2024-05-03-ofac_csv", "2021-03-10-ofac_xml", "2021-07-07-ofac_csv"])
def test_khamenei_in_every_sdn_snapshot(bundled, prefix):
    loaded = bundled.load(bundled.find("ofac_sdn", prefix))
    by_id = {e.id: e for e in loaded.entities}
    leader = by_id["ofac_sdn:26945"]
    assert leader.name == "KHAMENEI, Ali Husseini"
    assert leader.type is EntityType.PERSON
    assert leader.programs == ("IRAN-EO13876",)
    assert leader.birth_dates[0].start == "1939-04-19"
    assert by_id["ofac_sdn:27848"].name == "KHAMENEI, Mojtaba"
