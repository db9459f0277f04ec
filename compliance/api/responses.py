"""Response schemas: the documents the service builds (compliance/service.py), as documented and dumped."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

Str = fields.String
Strs = lambda **kw: fields.List(fields.String(), **kw)  # noqa: E731


class ListStatusSchema(ma.Schema):
    id = Str(metadata={"example": "ofac_sdn"})
    name = Str()
    version = Str()
    format = Str()
    published = Str(allow_none=True, metadata={"description": "publish date, ISO"})
    age_days = fields.Integer(allow_none=True)
    stale = fields.Boolean(metadata={"description": "older than COMPLIANCE_STALE_AFTER_DAYS"})
    entities = fields.Integer()
    names = fields.Integer()
    issues = fields.Integer(metadata={"description": "malformed records counted at parse"})
    sha256 = Str()
    source = Str()


class ListsSchema(ma.Schema):
    lists = fields.List(fields.Nested(ListStatusSchema))


class NameSchema(ma.Schema):
    name = Str()
    kind = Str(metadata={"description": "primary, variation, aka, fka, nka"})
    quality = Str(allow_none=True, metadata={"description": "the list's own word: strong/weak, good/low"})
    script = Str(allow_none=True)


class DetailsSchema(ma.Schema):
    type = Str(metadata={"example": "person"})
    birth_dates = fields.List(fields.Dict(), metadata={"description": "{text, start, end, circa} as published"})
    birth_places = Strs()
    nationalities = Strs()
    citizenships = Strs()
    countries = Strs(metadata={"description": "nationality, citizenship and address countries"})
    addresses = fields.List(fields.Dict(), metadata={"description": "{full, city, country}"})
    identifiers = fields.List(fields.Dict(), metadata={"description": "{type, value, country, note}"})
    positions = Strs()
    gender = Str(allow_none=True)
    remarks = Str(allow_none=True)
    extra = fields.List(fields.Dict(), metadata={"description": "list-specific {field, value} pairs"})


class EntitySchema(ma.Schema):
    entity_id = Str(metadata={"example": "ofac_sdn:26945"})
    list = Str(metadata={"example": "ofac_sdn"})
    list_name = Str()
    list_version = Str(allow_none=True)
    source_id = Str()
    name = Str(metadata={"description": "primary name as published"})
    names = fields.List(fields.Nested(NameSchema), metadata={"description": "primary name and aliases"})
    programs = Strs(metadata={"example": ["IRAN-EO13876"]})
    legal_basis = Strs(metadata={"description": "legal authority, where the list publishes it"})
    listed_on = Str(allow_none=True, metadata={"description": "listing date, ISO"})
    details = fields.Nested(DetailsSchema)


class MatchSchema(EntitySchema):
    matched_name = Str(allow_none=True, metadata={"description": "the listed name the query met"})
    score = fields.Float(metadata={"description": "0.0-1.0"})
    verdict = Str(metadata={"description": "match / review"})
    explanation = fields.Dict(metadata={"description": "name alignment, evidence, policy and a summary"})


class SuppressionSchema(ma.Schema):
    decision_id = Str(metadata={"description": "the false_positive decision in force"})
    cleared_by = fields.Dict(metadata={"description": "{key_id, name, role} of who decided"})
    cleared_at = Str()


class SuppressedMatchSchema(MatchSchema):
    suppression = fields.Nested(SuppressionSchema)


SUPPRESSED = ("matches cleared as false_positive on this account, while neither the entity's record nor the "
              "account's screened fields changed: they do not drive the verdict")


class ScreenResultSchema(ma.Schema):
    screening_id = Str(metadata={"description": "the id of this screening's audit record"})
    screened_at = Str()
    account_id = Str(allow_none=True)
    verdict = Str(metadata={"description": "match / review / clear"})
    matches = fields.List(fields.Nested(MatchSchema), metadata={"description": "ranked, best first"})
    suppressed = fields.List(fields.Nested(SuppressedMatchSchema), metadata={"description": SUPPRESSED})
    lists = fields.List(fields.Nested(ListStatusSchema), metadata={"description": "the lists screened"})
    engine_version = Str()
    policy_version = Str()


class BatchItemSchema(ma.Schema):
    ref = Str(allow_none=True)
    screening_id = Str()
    account_id = Str(allow_none=True)
    verdict = Str()
    matches = fields.List(fields.Nested(MatchSchema))
    suppressed = fields.List(fields.Nested(SuppressedMatchSchema), metadata={"description": SUPPRESSED})
    lists = Strs(metadata={"description": "ids of the lists screened (statuses at the top level)"})


class BatchResultSchema(ma.Schema):
    batch_id = Str()
    screened_at = Str()
    count = fields.Integer()
    verdicts = fields.Dict(keys=Str(), values=fields.Integer())
    lists = fields.List(fields.Nested(ListStatusSchema))
    engine_version = Str()
    policy_version = Str()
    results = fields.List(fields.Nested(BatchItemSchema), metadata={"description": "in request order"})


class CompareResultSchema(ma.Schema):
    comparison_id = Str(metadata={"description": "the id of this comparison's audit record"})
    entity_id = Str()
    matched_name = Str(allow_none=True)
    score = fields.Float()
    verdict = Str()
    explanation = fields.Dict()
    engine_version = Str()
    policy_version = Str()


class ActorSchema(ma.Schema):
    key_id = Str(allow_none=True)
    name = Str(allow_none=True)
    role = Str(allow_none=True)


class AuditRecordSchema(ma.Schema):
    id = Str()
    seq = fields.Integer()
    ts = Str(metadata={"description": "UTC, ISO 8601"})
    retain_until = Str()
    action = Str(metadata={"example": "screen"})
    actor = fields.Nested(ActorSchema)
    input = fields.Raw(allow_none=True, metadata={"description": "the request as received"})
    account_id = Str(allow_none=True)
    verdict = Str(allow_none=True)
    matches = fields.List(fields.Dict())
    list_versions = fields.Dict(keys=Str(), values=Str())
    engine_version = Str(allow_none=True)
    policy_version = Str(allow_none=True)
    request_id = Str(allow_none=True)
    client = Str(allow_none=True)
    batch_id = Str(allow_none=True)
    status = fields.Integer(allow_none=True)
    detail = fields.Raw(allow_none=True)
    hash_scheme = Str()
    prev_hash = Str()
    hash = Str()


class AuditPageSchema(ma.Schema):
    records = fields.List(fields.Nested(AuditRecordSchema), metadata={"description": "newest first"})
    next_cursor = Str(allow_none=True)


class ChainReportSchema(ma.Schema):
    ok = fields.Boolean()
    checked = fields.Integer()
    broken_seq = fields.Integer(allow_none=True)
    broken_id = Str(allow_none=True)
    reason = Str(allow_none=True)
