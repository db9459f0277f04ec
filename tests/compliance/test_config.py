from pathlib import Path

import pytest

from compliance.config import ConfigError, Settings
from watchlists.lists import LISTS


def test_defaults():
    s = Settings.from_env({})
    assert s.lists == tuple(LISTS)
    assert s.stale_after_days == 30
    assert s.refresh_urls["un_sc"] == LISTS["un_sc"].url
    assert s.cache_dir == s.instance_dir / "cache"


def test_environment_values(tmp_path):
    s = Settings.from_env({
        "COMPLIANCE_INSTANCE_DIR": str(tmp_path),
        "COMPLIANCE_LISTS": "ofac_sdn, un_sc",
        "COMPLIANCE_LIST_VERSIONS": "ofac_sdn=2021-03-10",
        "COMPLIANCE_STALE_AFTER_DAYS": "7",
        "COMPLIANCE_LIST_CACHE": "off",
        "COMPLIANCE_REFRESH_URL_UN_SC": "http://127.0.0.1:9/un.xml",
        "COMPLIANCE_FETCH_RETRIES": "0",
        "COMPLIANCE_FETCH_READ_TIMEOUT": "1.5",
    })
    assert s.instance_dir == Path(tmp_path).resolve()
    assert s.lists == ("ofac_sdn", "un_sc")
    assert s.list_versions == {"ofac_sdn": "2021-03-10"}
    assert s.stale_after_days == 7
    assert s.cache_dir is None
    assert s.refresh_urls["un_sc"] == "http://127.0.0.1:9/un.xml"
    assert s.refresh_urls["ofac_sdn"] == LISTS["ofac_sdn"].url
    assert s.fetch.retries == 0 and s.fetch.read_timeout == 1.5


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("COMPLIANCE_STALE_AFTER_DAYS", "soon", "not a valid int"),
        ("COMPLIANCE_LIST_VERSIONS", "ofac_sdn", "list=version pairs"),
        ("COMPLIANCE_FETCH_MAX_BYTES", "1e9x", "not a valid int"),
    ],
)
def test_bad_values_are_named(name, value, message):
    with pytest.raises(ConfigError, match=message) as info:
        Settings.from_env({name: value})
    assert name in str(info.value)
