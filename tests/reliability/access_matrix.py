"""Who may call what: the access-control table of every endpoint against every role (DESIGN §7,
README "API"), as data, so a reviewer reads the policy in one place and a test checks it pair by
pair.

The rule the service follows, and that the table states endpoint by endpoint:
- Public reads (consumer lookups, the log, codes, ratings, lists, exports, pages, probes) answer
  every caller alike; a credential sent with them is ignored, even a revoked or unknown one.
- Private reads and the registration/workflow writes need a bearer credential. Without one, or
  with an unknown or revoked one, or from a suspended party: 401 ``unauthorized``. With a valid
  credential of a party not entitled: 403 with the endpoint's own stable code. The service never
  answers 404 to hide something from an unentitled caller; 404 only means it does not exist.
- Signed event writes (``POST /events``, ``POST /events/batch``) are authorised by the
  signatures alone (the credential plays no part): a key the service does not know is 422
  ``unknown_key``; a signer not entitled to the event is 403 with the lifecycle rule's code
  (``wrong_signer``, ``not_holder``, ``not_buyer``, ``countersignature_required``,
  ``key_revoked``, ``party_inactive``). Those cases are in `signing_matrix`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import Flask

ROLES: tuple[str, ...] = (
    "anonymous",  # no credential; signs with a key nobody registered
    "buyer",  # a consumer key named in a sale; buyers have no credential (sends its key id)
    "merchant",  # the merchant that sold the item and sent the parcel
    "staff_holding",  # courier staff holding the parcel now
    "staff_not_holding",  # a colleague of the same company (the last mile, named in a case)
    "courier_company",  # the parcel's courier company
    "other_company",  # another courier company
    "other_staff",  # a staff member of the other company
    "platform",  # the e-commerce platform (a registrar)
    "regulator",  # a postal regulator
    "revoked_key",  # staff of the parcel's company whose signing key was revoked
    "revoked_credential",  # a regulator whose bearer credential was revoked
    "suspended",  # a merchant a regulator suspended
)
# Roles whose credential the service must not accept at all.
UNAUTHENTICATED = ("anonymous", "buyer", "revoked_credential", "suspended")


@dataclass(frozen=True)
class Expect:
    """What the role must get: a status and, for a refusal, the problem's stable code."""

    status: int
    code: str | None = None

    @property
    def allowed(self) -> bool:
        return 200 <= self.status < 300

    def __str__(self) -> str:
        return str(self.status) + (f" {self.code}" if self.code else "")


@dataclass(frozen=True)
class Call:
    """One HTTP request, sent with the role's credential (if it has one)."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    json: Any = None


class Scene(Protocol):
    """What the request builders need from the world the test builds."""

    ids: dict[str, str]  # named ids: roles' party ids, parcel, item, complaint, hash, gtin...
    numbers: dict[str, int]  # log size, snapshot index

    def fresh_uscc(self) -> str: ...
    def fresh_gtin(self) -> str: ...
    def fresh_public_key(self) -> str: ...
    def spare_key(self, role: str) -> str: ...
    def item(self, gtin13: str | None = None) -> str: ...
    def held_parcel(self) -> str: ...
    def delivered_parcel(self) -> str: ...
    def envelope(self, kind: str, subject: str, *signers: str, **fields: Any) -> Any: ...


Builder = Callable[[Scene, str], Call]


@dataclass(frozen=True)
class Row:
    request: Builder
    expect: Mapping[str, Expect]


def public() -> dict[str, Expect]:
    """Anyone: every role gets 200, whatever credential it sends."""
    return {role: Expect(200) for role in ROLES}


def private(allowed: Mapping[str, int], code: str, **others: str) -> dict[str, Expect]:
    """Credential needed: `allowed` roles get their success status, the unauthenticated 401,
    the roles in `others` their own refusal code, everyone else 403 `code`."""
    table: dict[str, Expect] = {}
    for role in ROLES:
        if role in UNAUTHENTICATED:
            table[role] = Expect(401, "unauthorized")
        elif role in allowed:
            table[role] = Expect(allowed[role])
        else:
            table[role] = Expect(403, others.get(role, code))
    return table


def _get(path: str, **query: str) -> Builder:
    return lambda s, role: Call("GET", path.format(**s.ids, **s.numbers), dict(query))


REGULATOR = {"regulator": 200}
ATTRIBUTABLE = ("merchant", "staff_holding", "staff_not_holding", "courier_company")
# Every party a case could name lists cases (only those naming it); platforms are not among them.
CASE_READERS = {
    r: 200 for r in (*ATTRIBUTABLE, "other_company", "other_staff", "revoked_key", "regulator")
}
NAMED_IN_CASE = {"regulator": 200, "staff_not_holding": 200, "courier_company": 200}
CREDIT_READERS = {"regulator": 200, "staff_holding": 200, "courier_company": 200}
KEY_MANAGERS = {"regulator": 201, "staff_holding": 201, "courier_company": 201}
REVOKERS = {"regulator": 200, "staff_holding": 200, "courier_company": 200}
EVENTS = "signed"  # rows whose outcome the signatures decide: see signing_matrix

TABLE: dict[tuple[str, str], Row | str] = {
    # --- public: consumer lookups, the transparency log, codes -------------------------------
    ("GET", "/"): Row(_get("/"), public()),
    ("GET", "/01/<gtin>/21/<path:serial>"): Row(_get("/{item}"), public()),
    ("GET", "/01/<gtin>/10/<path:lot>"): Row(_get("/{lot}"), public()),
    ("GET", "/00/<sscc>"): Row(_get("/{parcel}"), public()),
    ("GET", "/events/<string:event_hash>"): Row(_get("/events/{event_hash}"), public()),
    ("GET", "/checkpoint"): Row(_get("/checkpoint"), public()),
    ("GET", "/log/key"): Row(_get("/log/key"), public()),
    ("GET", "/log/keys"): Row(_get("/log/keys"), public()),
    ("GET", "/log/entries/<int(max=9223372036854775807):index>"): Row(
        _get("/log/entries/{last_index}"), public()
    ),
    ("GET", "/log/inclusion"): Row(
        lambda s, r: Call("GET", "/log/inclusion", {"index": "0", "size": str(s.numbers["size"])}),
        public(),
    ),
    ("GET", "/log/consistency"): Row(
        lambda s, r: Call(
            "GET", "/log/consistency", {"first": "1", "second": str(s.numbers["size"])}
        ),
        public(),
    ),
    ("GET", "/parties/<party_id>"): Row(_get("/parties/{staff_holding}"), public()),
    ("GET", "/parties/<party_id>/keys"): Row(_get("/parties/{staff_holding}/keys"), public()),
    ("GET", "/products/<gtin>"): Row(_get("/products/{gtin}"), public()),
    ("GET", "/codes/qr/<path:subject>.<any(png, svg):fmt>"): Row(
        _get("/codes/qr/{item}.svg"), public()
    ),
    ("GET", "/codes/barcode/<any(ean13, 'gs1-128'):kind>/<path:value>.<any(png, svg):fmt>"): Row(
        _get("/codes/barcode/gs1-128/{parcel}.svg"), public()
    ),
    ("GET", "/codes/labels"): Row(
        lambda s, r: Call("GET", "/codes/labels", {"gtin": s.ids["gtin"], "serials": "A1,A2"}),
        public(),
    ),
    ("GET", "/codes/parse"): Row(
        lambda s, r: Call("GET", "/codes/parse", {"text": s.ids["item"]}), public()
    ),
    # --- public: credit disclosure (公示) and exports -----------------------------------------
    ("GET", "/ratings"): Row(_get("/ratings"), public()),
    ("GET", "/ratings/method"): Row(_get("/ratings/method"), public()),
    ("GET", "/ratings/snapshots"): Row(_get("/ratings/snapshots"), public()),
    ("GET", "/ratings/snapshots/<int(max=9223372036854775807):index>"): Row(
        _get("/ratings/snapshots/{snapshot}"), public()
    ),
    ("GET", "/ratings/snapshots/<int(max=9223372036854775807):index>/content"): Row(
        _get("/ratings/snapshots/{snapshot}/content"), public()
    ),
    ("GET", "/ratings/units/<party_id>"): Row(_get("/ratings/units/{staff_not_holding}"), public()),
    ("GET", "/ratings/units/<party_id>/explanation"): Row(
        _get("/ratings/units/{staff_not_holding}/explanation"), public()
    ),
    ("GET", "/lists/red"): Row(_get("/lists/red"), public()),
    ("GET", "/lists/black"): Row(_get("/lists/black"), public()),
    ("GET", "/admission/<party_id>"): Row(_get("/admission/{courier_company}"), public()),
    ("GET", "/epcis/items/<path:subject>"): Row(_get("/epcis/items/{item}"), public()),
    ("GET", "/epcis/parcels/<path:parcel>"): Row(_get("/epcis/parcels/{parcel}"), public()),
    ("GET", "/epcis/events"): Row(
        lambda s, r: Call("GET", "/epcis/events", {"from": s.ids["from"], "to": s.ids["to"]}),
        public(),
    ),
    ("GET", "/exchange/credit.json"): Row(_get("/exchange/credit.json"), public()),
    ("GET", "/exchange/credit.csv"): Row(_get("/exchange/credit.csv"), public()),
    # --- public: documentation, assets, probes -------------------------------------------------
    ("GET", "/openapi.json"): Row(_get("/openapi.json"), public()),
    ("GET", "/docs/"): Row(_get("/docs/"), public()),
    ("GET", "/docs/<path:path>"): Row(_get("/docs/swagger-ui.css"), public()),
    ("GET", "/static/<path:filename>"): Row(_get("/static/{static_file}"), public()),
    ("GET", "/vendor/<path:path>"): Row(_get("/vendor/{vendor_file}"), public()),
    ("GET", "/merchant"): Row(_get("/merchant"), public()),
    ("GET", "/courier"): Row(_get("/courier"), public()),
    ("GET", "/regulator"): Row(_get("/regulator"), public()),
    ("GET", "/healthz"): Row(_get("/healthz"), public()),
    ("GET", "/readyz"): Row(_get("/readyz"), public()),
    ("GET", "/metrics"): Row(_get("/metrics"), public()),
    # --- private reads ---------------------------------------------------------------------------
    ("GET", "/parcels/<path:parcel>/recipient"): Row(
        lambda s, role: Call("GET", f"/parcels/{s.ids['parcel']}/recipient", {"purpose": role}),
        private({"staff_holding": 200, "regulator": 200}, "personal_data_forbidden"),
    ),
    ("GET", "/parcels/<path:parcel>/recipient/reads"): Row(
        _get("/parcels/{parcel}/recipient/reads"), private(REGULATOR, "forbidden")
    ),
    ("GET", "/cases"): Row(
        _get("/cases"),
        private(CASE_READERS, "cases_forbidden"),
    ),
    ("GET", "/cases/<string:complaint>"): Row(
        _get("/cases/{complaint}"),
        private(NAMED_IN_CASE, "not_your_case", platform="cases_forbidden"),
    ),
    ("GET", "/lists/nominations"): Row(_get("/lists/nominations"), private(REGULATOR, "forbidden")),
    ("GET", "/parties/<party_id>/credit"): Row(
        _get("/parties/{staff_holding}/credit"), private(CREDIT_READERS, "not_your_records")
    ),
    # --- registration and workflow writes (credential) -------------------------------------------
    ("POST", "/parties"): Row(
        lambda s, r: Call(
            "POST",
            "/parties",
            json={"kind": "merchant", "name": f"新商户 {r}", "uscc": s.fresh_uscc()},
        ),
        private({"regulator": 201, "platform": 201}, "forbidden"),
    ),
    ("PUT", "/parties/<party_id>/status"): Row(
        lambda s, r: Call(
            "PUT", f"/parties/{s.ids['bystander']}/status", json={"status": "active"}
        ),
        private(REGULATOR, "forbidden"),
    ),
    ("POST", "/parties/<party_id>/keys"): Row(
        lambda s, r: Call(
            "POST",
            f"/parties/{s.ids['staff_holding']}/keys",
            json={"public_key": s.fresh_public_key()},
        ),
        private(KEY_MANAGERS, "forbidden"),
    ),
    ("POST", "/keys/<keyid>/revoke"): Row(
        lambda s, r: Call("POST", f"/keys/{s.spare_key('staff_holding')}/revoke", json={}),
        private(REVOKERS, "forbidden"),
    ),
    ("POST", "/parties/<party_id>/credentials"): Row(
        # The merchant was registered by the platform: its own registrar may issue it one.
        lambda s, r: Call("POST", f"/parties/{s.ids['merchant']}/credentials"),
        private({"merchant": 201, "platform": 201, "regulator": 201}, "forbidden"),
    ),
    ("POST", "/parties/<party_id>/departure"): Row(
        # 离职: the staff member's own company or a regulator; repeating it is harmless.
        lambda s, r: Call("POST", f"/parties/{s.ids['leaver']}/departure"),
        private({"courier_company": 200, "regulator": 200}, "forbidden"),
    ),
    ("POST", "/parties/<party_id>/credentials/revoke"): Row(
        # A lost phone: the party itself, its company, or a regulator voids its credentials.
        lambda s, r: Call("POST", f"/parties/{s.ids['leaver']}/credentials/revoke"),
        private({"courier_company": 200, "regulator": 200}, "forbidden"),
    ),
    ("POST", "/products"): Row(
        lambda s, r: Call(
            "POST",
            "/products",
            json={"gtin": s.fresh_gtin(), "name": "明前龙井", "origin": "杭州", "producer": "茶厂"},
        ),
        private({"merchant": 201}, "forbidden"),
    ),
    ("POST", "/cases/trace"): Row(
        lambda s, r: Call("POST", "/cases/trace"),
        private({"regulator": 200, "platform": 200}, "forbidden"),
    ),
    ("POST", "/ratings/snapshots"): Row(
        lambda s, r: Call("POST", "/ratings/snapshots", json={}),
        private({"regulator": 201}, "forbidden"),
    ),
    # --- signed writes: see signing_matrix ------------------------------------------------------
    ("POST", "/events"): EVENTS,
    ("POST", "/events/batch"): EVENTS,
}


# --- what the table must cover ----------------------------------------------------------------


def served_endpoints(app: Flask) -> set[tuple[str, str]]:
    """(method, rule) of every route the app serves; HEAD and OPTIONS are Flask's own."""
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def openapi_template(rule: str) -> str:
    """`/parties/<party_id>` as the OpenAPI document writes it: `/parties/{party_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", re.sub(r"\([^)]*\)", "", rule))


def openapi_operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path template) of every operation the published OpenAPI document lists."""
    verbs = ("get", "post", "put", "patch", "delete")
    return {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops if m in verbs}
