"""Choosing the version in force, loading it, and refusing corrupt stored files."""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from watchlists.catalog import BUNDLE_DIR, Catalog, CatalogError
from watchlists.lists import LISTS
from watchlists.manifest import import_files, read_manifest
from watchlists.model import ListParseError, read_bytes

UN_DIR = next((BUNDLE_DIR / "un_sc").iterdir())


def test_selection_beats_refresh_and_default(tmp_path):
    catalog = Catalog(store_dir=tmp_path, selections={"ofac_sdn": "2021-07"})
    assert catalog.active("ofac_sdn").version.startswith("2021-07-07-ofac_csv")
    assert Catalog(store_dir=tmp_path).active("ofac_sdn").version.startswith("2024-05-03-ofac_csv")


def test_ambiguous_and_unknown_references(tmp_path):
    catalog = Catalog(store_dir=tmp_path)
    with pytest.raises(CatalogError, match="matches several versions"):
        catalog.find("ofac_sdn", "2021")
    with pytest.raises(CatalogError, match="unknown list 'nope'"):
        catalog.resolve("nope@2021")
    with pytest.raises(CatalogError, match="unknown list"):
        Catalog(store_dir=tmp_path, enabled=["ofac_sdn", "fatf"])
    assert catalog.resolve("un_sc") == catalog.active("un_sc")


def test_cache_is_used_and_gives_the_same_entities(tmp_path):
    catalog = Catalog(store_dir=tmp_path, cache_dir=tmp_path / "cache")
    version = catalog.active("un_sc")
    first = catalog.load(version)
    (cached,) = (tmp_path / "cache").glob("un_sc@*.pickle")
    assert cached.stat().st_size > 0
    again = catalog.load(version)
    assert again.entities == first.entities and again.meta == version


def copy_un(tmp_path: Path) -> Path:
    bundle = tmp_path / "bundle"
    shutil.copytree(UN_DIR, bundle / "un_sc" / UN_DIR.name)
    return bundle


def test_truncated_stored_file_names_file_and_position(tmp_path):
    bundle = copy_un(tmp_path)
    version = read_manifest(bundle / "un_sc" / UN_DIR.name)
    stored = version.path / version.files[0].name
    stored.write_bytes(stored.read_bytes()[:50_000])
    with pytest.raises(ListParseError) as info:
        Catalog(store_dir=tmp_path / "store", bundle_dir=bundle).load(version)
    assert info.value.file == "UN_consolidated.xml.gz"
    assert "byte" in info.value.position


def test_edited_stored_file_fails_the_checksum(tmp_path):
    bundle = copy_un(tmp_path)
    version = read_manifest(bundle / "un_sc" / UN_DIR.name)
    stored = version.path / version.files[0].name
    data = read_bytes(stored).replace(b"ERIC", b"ERIK", 1)
    stored.write_bytes(gzip.compress(data))
    with pytest.raises(ListParseError, match="does not match the manifest's sha256"):
        Catalog(store_dir=tmp_path / "store", bundle_dir=bundle).load(version)


def test_import_of_a_truncated_file_writes_nothing(tmp_path):
    broken = tmp_path / "consolidated.xml"
    broken.write_bytes(read_bytes(UN_DIR / "UN_consolidated.xml.gz")[:300_000])
    with pytest.raises(ListParseError) as info:
        import_files(LISTS["un_sc"], {"primary": broken}, tmp_path / "store", source="test")
    assert info.value.file == "consolidated.xml"
    assert info.value.position.startswith("line ")
    assert not (tmp_path / "store" / "un_sc").exists() or not any((tmp_path / "store" / "un_sc").iterdir())


def test_import_is_reproducible(tmp_path):
    source = tmp_path / "UN_consolidated.xml"
    source.write_bytes(read_bytes(UN_DIR / "UN_consolidated.xml.gz"))
    meta, result = import_files(LISTS["un_sc"], {"primary": source}, tmp_path / "store", source="test")
    bundled = read_manifest(UN_DIR)
    assert (meta.version, meta.sha256, meta.entities, meta.names) == (
        bundled.version, bundled.sha256, bundled.entities, bundled.names)
    assert (meta.path / "UN_consolidated.xml.gz").read_bytes() == (UN_DIR / "UN_consolidated.xml.gz").read_bytes()
    assert len(result.entities) == 1003
