from watchlists.diff import diff_entities
from watchlists.model import BirthDate, Entity, EntityType, Name, NameKind


def e(source_id: str, name: str, *aliases: str, programs=("SDGT",), dob: str | None = None) -> Entity:
    names = (Name(name), *(Name(a, NameKind.AKA) for a in aliases))
    dates = (BirthDate(dob, dob),) if dob else ()
    return Entity(f"ofac_sdn:{source_id}", "ofac_sdn", source_id, EntityType.PERSON, names,
                  programs=programs, birth_dates=dates)


def test_added_removed_changed_unchanged():
    old = [e("1", "ONE, A"), e("2", "TWO, B", "TWO, Bee"), e("3", "THREE, C")]
    new = [e("1", "ONE, A"), e("2", "TWO, B", "TWO, Bea", programs=("SDGT", "IRAN")), e("4", "FOUR, D")]
    d = diff_entities(old, new)
    assert [x.id for x in d.added] == ["ofac_sdn:4"]
    assert [x.id for x in d.removed] == ["ofac_sdn:3"]
    assert d.unchanged == 1
    (change,) = d.changed
    assert change.id == "ofac_sdn:2"
    fields = {f.field: f for f in change.fields}
    assert set(fields) == {"names", "programs"}
    assert fields["names"].removed == ("TWO, Bee [aka]",)
    assert fields["names"].added == ("TWO, Bea [aka]",)
    assert fields["programs"].added == ("IRAN",) and fields["programs"].removed == ()


def test_reordering_is_not_a_change():
    old = [e("1", "ONE, A", "X", "Y", programs=("A", "B"))]
    new = [e("1", "ONE, A", "Y", "X", programs=("B", "A"))]
    d = diff_entities(old, new)
    assert d.changed == [] and d.unchanged == 1


def test_birth_date_change_is_reported():
    d = diff_entities([e("1", "ONE, A", dob="1960")], [e("1", "ONE, A", dob="1961")])
    (change,) = d.changed
    assert [(f.field, f.removed, f.added) for f in change.fields] == [("birth_dates", ("1960",), ("1961",))]
