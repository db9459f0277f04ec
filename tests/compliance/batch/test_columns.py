"""Column mapping and rows -> accounts: header names, the caller's mapping, and the same checks and
Query as POST /v1/screen."""
from __future__ import annotations

import pytest

from compliance.api.schemas import AccountSchema
from compliance.batch.accounts import csv_account, json_account
from compliance.batch.columns import ColumnMap
from compliance.batch.inputs import InputError, RowError
from compliance.models import Query
from watchlists.model import EntityType


@pytest.mark.parametrize("header, expected", [
    (["account_id", "name", "date_of_birth", "country"],
     {"account_id": ["account_id"], "name": ["name"], "date_of_birth": ["date_of_birth"], "country": ["country"]}),
    (["Customer ID", "Full Name", "DOB", "Nationality", "Alias", "alias_2"],
     {"account_id": ["Customer ID"], "name": ["Full Name", "Alias", "alias_2"], "date_of_birth": ["DOB"],
      "nationality": ["Nationality"]}),
    (["id", "first_name", "middle_name", "last_name", "username"],
     {"account_id": ["id"], "name": ["first_name+middle_name+last_name"], "handle": ["username"]}),
    (["Surname", "Given-Name", "type", "identifiers"],
     {"name": ["Given-Name+Surname"], "type": ["type"], "identifiers": ["identifiers"]}),
])
def test_fields_are_found_by_header_name(header, expected):
    assert ColumnMap.build(header).describe() == expected


def test_the_callers_mapping_comes_first_and_may_join_columns():
    header = ["cust_no", "given", "family", "aka", "name", "born"]
    mapping = ColumnMap.build(header, ["account_id=cust_no", "name=given+family", "name=AKA", "date_of_birth=born"])
    assert mapping.describe() == {"account_id": ["cust_no"], "name": ["given+family", "aka"],
                                  "date_of_birth": ["born"]}
    assert mapping.values(["7", " Ali ", "Khamenei", "", "ignored", "1939"]) == {
        "account_id": ["7"], "name": ["Ali Khamenei"], "date_of_birth": ["1939"]}


@pytest.mark.parametrize("header, given, message", [
    (["foo", "bar"], [], "no column to screen"),
    (["name"], ["nmae=name"], "a column mapping item is `field=column`"),
    (["name"], ["name=missing"], "a column the header does not have: 'missing'"),
    (["name", "a", "b"], ["account_id=a", "account_id=b"], "only `name` may be mapped more than once"),
])
def test_mapping_errors_are_clear(header, given, message):
    with pytest.raises(InputError, match=message) as caught:
        ColumnMap.build(header, given)
    assert caught.value.errors[0]["parameter"] == "map"


def test_a_csv_row_becomes_the_account_the_api_would_screen():
    columns = ColumnMap.build(["account_id", "name", "alias", "date_of_birth", "country", "type", "identifiers"])
    account = csv_account(["a1", "Ali Khamenei ", "Sayyid Ali", "1939-04-19", "IR", "Individual",
                           "passport:A123; 99887"], columns)
    assert account.account_id == "a1"
    assert account.query == Query(names=("Ali Khamenei", "Sayyid Ali"), type=EntityType.PERSON,
                                  birth_date="1939-04-19", countries=("IR",),
                                  identifiers=(("passport", "A123"), ("id", "99887")))
    assert account.input["name"] == "Ali Khamenei " and account.input["type"] == "Individual"  # as given
    short = csv_account(["a2", "Bob"], columns)  # trailing cells left out: empty
    assert short.query.names == ("Bob",) and short.input["country"] == ""


@pytest.mark.parametrize("cells, message", [
    (["a", "", ""], "nothing to screen"),
    (["a", "Bob", "31/12/1980"], "date_of_birth: use YYYY"),
    (["a", "Bob", "1980-02-30"], "date_of_birth: use YYYY"),
    (["a", "B" * 513, ""], "name: longer than 512"),
    (["a", "Bob\x00", ""], "name: may not contain control characters"),
    (["a", "Bob", "", "extra"], "4 cells, but the header has 3 columns"),
])
def test_bad_csv_rows_name_the_rule_not_the_value(cells, message):
    with pytest.raises(RowError, match=message) as caught:
        csv_account(cells, ColumnMap.build(["account_id", "name", "date_of_birth"]))
    assert "Bob" not in str(caught.value) and "31/12" not in str(caught.value)


JSON_ACCOUNTS = [
    {"names": ["Ali Khamenei", "Ali Khamenei"], "account_id": "a1"},
    {"names": ["Vladimir Putin"], "type": "person", "date_of_birth": "1952-10", "country": "RU", "nationality": "RU"},
    {"handle": "@khamenei_ir", "lists": ["un_sc"]},
    {"identifiers": [{"type": "passport", "value": "A123"}], "type": "organization"},
]


@pytest.mark.parametrize("obj", JSON_ACCOUNTS)
def test_a_jsonl_object_loads_as_the_api_schema_loads_it(obj):
    assert json_account(obj).query == AccountSchema().load(obj)["query"]


@pytest.mark.parametrize("obj, message", [
    ({"nmae": ["x"]}, "unknown field 'nmae'"),
    ({"names": "Ali"}, "names: a list of at most 20 strings"),
    ({"names": ["Ali"], "type": "vessel"}, "type: use person, organization or unknown"),
    ({"names": [" "]}, "names: may not be blank"),
    ({"names": ["Ali"], "identifiers": [{"type": "passport"}]}, "identifiers: each item is an object"),
    ({}, "nothing to screen"),
])
def test_bad_jsonl_objects(obj, message):
    with pytest.raises(RowError, match=message):
        json_account(obj)
