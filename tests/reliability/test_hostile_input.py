"""Hostile input on every write endpoint, property-based (hypothesis, derandomized, bounded): each
input is refused with an RFC 9457 problem (4xx, application/problem+json, a stable `code`), or,
for an exact replay of an accepted envelope, answered with the same receipt; and nothing is
written: the row count of every table and the checkpoint's tree size stay as they were.

tests/lifecycle/test_never_a_server_error.py fuzzes /events with random JSON and random envelopes
(never a server error; a write only when the event happens to be valid). This module aims at what
must be refused: unicode edge cases, hostile numbers and bad base64 in otherwise valid signed
events, keys revoked before signing, accepted envelopes replayed with other signatures, and hostile
bodies, media types and sizes on every write endpoint.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import next_uscc
from tests.lifecycle.flow import GTIN, World, now
from tests.tracing.cases_flow import sscc
from trace_service.errors import DomainError
from trace_service.ledger.envelope import parse_envelope
from trace_service.lifecycle.compose import KeyHolder, payload, recipient, sign, submission

if TYPE_CHECKING:
    from tests.reliability.conftest import Arena

pytestmark = pytest.mark.slow

HOSTILE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# NUL, newline, no-break space, combining acute (non-NFC), ZWJ, RLM, RLO, line separator, BOM,
# a noncharacter, an emoji, lone surrogates.
EDGES = "\x00\n\u00a0\u0301\u200d\u200f\u202e\u2028\ufeff\uffff\U0001f600\ud800\udfff"
FULLWIDTH = {c: chr(0xFF10 + i) for i, c in enumerate("0123456789")} | {
    c: chr(0xFF21 + i) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
}
ARABIC_INDIC = {c: chr(0x0660 + i) for i, c in enumerate("0123456789")}
L_ED25519 = 2**252 + 27742317777372353535851937790883648493


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {merchant}, {key}, {hub}: filled from the world
    role: str | None  # whose credential it carries
    members: tuple[str, ...]  # what its body may hold; () when it reads no body

    def resolve(self, w: World) -> tuple[str, dict[str, str]]:
        url = self.path.format(merchant=w.merchant.party_id, key=w.merchant.key.keyid,
                               hub=w.hub.party_id)  # fmt: skip
        return url, getattr(w, self.role).auth if self.role else {}


ENDPOINTS = [
    Endpoint("POST", "/events", None, ("payload", "signatures", "personal_data")),
    Endpoint("POST", "/events/batch", None, ("events",)),
    Endpoint("POST", "/parties", "regulator", ("kind", "name", "uscc", "company_id", "outlet_id",
                                               "city", "party_id")),
    Endpoint("POST", "/parties/{merchant}/keys", "merchant", ("public_key", "valid_from")),
    Endpoint("POST", "/keys/{key}/revoke", "merchant", ("at",)),
    Endpoint("PUT", "/parties/{hub}/status", "regulator", ("status",)),
    Endpoint("POST", "/products", "merchant", ("gtin", "name", "origin", "producer", "licences")),
    Endpoint("POST", "/ratings/snapshots", "regulator", ("as_of",)),
    Endpoint("POST", "/parties/{merchant}/credentials", "merchant", ()),
    Endpoint("POST", "/cases/trace", "regulator", ()),
]  # fmt: skip


def _send(arena: Arena, endpoint: Endpoint, data: bytes, content_type: str) -> Any:
    url, auth = endpoint.resolve(arena.world)
    return arena.client.open(url, method=endpoint.method, data=data,
                             content_type=content_type, headers=auth)  # fmt: skip


# --- strategies ----------------------------------------------------------------------------------


@st.composite
def hostile_string(draw: st.DrawFn, valid: str, b64: bool = False) -> str:
    """`valid` with one edge: a unicode edge character, look-alike digits or letters, a
    combining mark; for base64 also a foreign alphabet, lost padding, whitespace, a wrong length.
    Each result is something the member must refuse."""
    ops = ["insert", "append", "prepend", "twins"] + (["alphabet", "padding", "space", "length"]
                                                      if b64 else [])  # fmt: skip
    op = draw(st.sampled_from(ops))
    at = draw(st.integers(0, max(len(valid) - 1, 0)))
    edge = draw(st.sampled_from(EDGES))
    if op == "twins" and any(c in FULLWIDTH for c in valid):
        table = draw(st.sampled_from([FULLWIDTH, ARABIC_INDIC]))
        spots = [i for i, c in enumerate(valid) if c in table] or [i for i, c in enumerate(valid)
                                                                    if c in FULLWIDTH]  # fmt: skip
        i = draw(st.sampled_from(spots))
        return valid[:i] + table.get(valid[i], FULLWIDTH[valid[i]]) + valid[i + 1 :]
    if op == "alphabet":
        return valid[:at] + draw(st.sampled_from("-_.!*$~")) + valid[at + 1 :]
    if op == "padding":
        return valid.rstrip("=") if valid.endswith("=") else valid + "="
    if op == "space":
        return valid[:at] + draw(st.sampled_from([" ", "\n", "\t", "\r\n"])) + valid[at:]
    if op == "length":
        return base64.b64encode(bytes(draw(st.sampled_from([0, 8, 65, 96])))).decode()
    if op == "prepend":
        return edge + valid
    if op == "append":
        return valid + edge
    return valid[:at] + edge + valid[at:]


def hostile_number(valid: Any) -> st.SearchStrategy[Any]:
    """Instead of a small integer: out of range, past ±(2^53−1), a float, a bool, a string."""
    return st.sampled_from([-1, 10**7 + 1, 2**53, -(2**53) - 1, 10**30, 1.5, 1e308, -0.0,
                            float(valid), True, False, str(valid), None, [valid]])  # fmt: skip


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from([2**53, -(2**63), 10**40, 1e308])
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(EDGES + "a1/=", max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text(EDGES + "ab", max_size=4), children, max_size=4),
    max_leaves=12,
)  # fmt: skip
RAW = ["NaN", "-Infinity", "1e400", '"\\ud800"', '"\\udc00\\ud800"', "[" * 5000 + "]" * 5000]


@st.composite
def on_the_wire(draw: st.DrawFn, body: Any) -> bytes:
    """The body as JSON text, plainly or twisted: a token JSON peers do not exchange (NaN, a
    float past double range, lone surrogate escapes, nesting past any parser), bytes that are not
    UTF-8 (raw, CESU-8 surrogates, an overlong NUL), a byte order mark, a duplicate member."""
    text = json.dumps(body, ensure_ascii=draw(st.booleans()))
    twist = draw(st.sampled_from(["plain", "token", "bytes", "bom", "duplicate"]))
    if twist == "token" and text.startswith("{"):
        member = (
            f'"{draw(st.sampled_from(["x", "payload", "status"]))}": {draw(st.sampled_from(RAW))}'
        )
        text = "{" + member + ("" if text == "{}" else ", " + text[1:])
    elif twist == "duplicate" and text.startswith("{") and text != "{}":
        text = text[:-1] + ", " + text[1:]
    data = text.encode("utf-8", "surrogatepass")
    if twist == "bytes":
        bad = draw(st.sampled_from([b"\xff", b"\xed\xa0\x80", b"\xc0\x80", b"\x80"]))
        data = b'{"x": "' + bad + b'", ' + data[1:] if data.startswith(b"{") else bad + data
    return (b"\xef\xbb\xbf" + data) if twist == "bom" else data


# --- every write endpoint ------------------------------------------------------------------------


@settings(HOSTILE, max_examples=120)
@given(endpoint=st.sampled_from([e for e in ENDPOINTS if e.members]), data=st.data())
def test_hostile_bodies_on_every_write_endpoint(
    arena: Arena, endpoint: Endpoint, data: st.DataObject
) -> None:
    """A body the endpoint cannot take (one member or more it does not know, with values from
    the unicode, number and nesting edges), sent plainly or twisted on the wire, is refused."""
    names = st.text(EDGES + "ab_", max_size=6).filter(lambda n: n not in endpoint.members)
    body: Any = data.draw(st.dictionaries(names, json_values, min_size=1, max_size=3))
    if endpoint.path == "/events/batch" and data.draw(st.booleans()):
        body = {"events": [body]}  # a batch answers 200, with a problem for the event
    before = arena.footprint()
    response = _send(arena, endpoint, data.draw(on_the_wire(body)), "application/json")
    if response.status_code == 200 and endpoint.path == "/events/batch":
        arena.refused_in_batch(response)
    else:
        arena.refused(response)
    assert arena.footprint() == before


def _valid_body(arena: Arena, endpoint: Endpoint) -> Any:
    """What the endpoint would act on with the right media type."""
    w = arena.world
    listing = payload("listing", f"01/{GTIN}/21/H0005", None, now(), listing_ref="L-5",
                      **arena.market())  # fmt: skip
    return {
        "/events": submission(sign(listing, w.merchant.key)),
        "/events/batch": {"events": [submission(sign(listing, w.merchant.key))]},
        "/parties": {"kind": "merchant", "name": "新商户", "uscc": next_uscc()},
        "/parties/{merchant}/keys": {"public_key": KeyHolder().public_b64},
        "/parties/{hub}/status": {"status": "suspended"},
        "/products": {"gtin": "09506000134369", "name": "n", "origin": "o", "producer": "p"},
    }.get(endpoint.path, {})


MEDIA_TYPES = st.sampled_from([
    "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz", "application/octet-stream", "application/xml",
    "text/json", "application/json-seq", "application/jsonl", "application/x-ndjson", "json",
    "text/html", "image/png",
]) | st.from_regex(r"\A(text|application)/x-[a-z]{1,8}\Z")  # fmt: skip


@settings(HOSTILE, max_examples=60)
@given(endpoint=st.sampled_from(ENDPOINTS), media_type=MEDIA_TYPES)
def test_bodies_that_are_not_json_on_every_write_endpoint(
    arena: Arena, endpoint: Endpoint, media_type: str
) -> None:
    """A body the endpoint would act on, sent as another media type, is refused 415: never read
    as no body (a snapshot taken, a credential issued, a key revoked on the defaults)."""
    before = arena.footprint()
    data = json.dumps(_valid_body(arena, endpoint)).encode()
    assert arena.refused(_send(arena, endpoint, data, media_type)) == "unsupported_media_type"
    assert arena.footprint() == before


def test_the_same_bodies_as_json_are_taken(arena: Arena) -> None:
    """The control of the two tests around it: sent as application/json within the size limit,
    each of those bodies is acted on (so their refusal is the media type's, or the size's)."""
    for endpoint in ENDPOINTS:  # the revocation comes after the last event the key signs
        data = json.dumps(_valid_body(arena, endpoint)).encode()
        response = _send(arena, endpoint, data, "application/json")
        assert 200 <= response.status_code < 300, (endpoint, response.get_json())


def test_oversize_bodies_on_every_write_endpoint(arena: Arena) -> None:
    """Past the size limit, a body is refused 413 on every write, before anything is read."""
    arena.app.config["MAX_CONTENT_LENGTH"] = 4096
    for endpoint in ENDPOINTS:
        body = _valid_body(arena, endpoint)
        big = body | {"padding": "正" * 4096} if isinstance(body, dict) else body
        before = arena.footprint()
        response = _send(arena, endpoint, json.dumps(big).encode(), "application/json")
        assert arena.refused(response) == "body_too_large", endpoint
        assert arena.footprint() == before


# --- signed events with one hostile value --------------------------------------------------------


def _events(arena: Arena) -> list[tuple[dict[str, Any], list[KeyHolder], Any, list[str]]]:
    """Events the service would accept now: (payload, signing keys, personal data, the members
    whose values are constrained: ids, enums, money, times, hashes, numbers, base64)."""
    w = arena.world
    market = arena.market()
    listed = f"01/{GTIN}/21/H0002"
    personal, commitment = recipient("赵六", "13600000000", "上海市徐汇区漕溪北路88号")
    common = ["v", "type", "subject", "time", "prev"]
    return [
        (payload("listing", f"01/{GTIN}/21/H0003", None, now(), listing_ref="L-3", **market),
         [w.merchant.key], None, [*common, "platform", "price.amount", "price.currency"]),
        (payload("sale", listed, w.heads[listed], now(), order_ref="O-2",
                 buyer_key=KeyHolder().public_b64, **market),
         [w.merchant.key], None, [*common, "platform", "price.amount", "buyer_key"]),
        (payload("dispatch", sscc(902), None, now(), items=[f"01/{GTIN}/21/H0006"],
                 courier=w.courier.party_id, declared_weight_g=500, origin_city="杭州",
                 promised_by=now() + timedelta(days=2), destination_city="上海",
                 recipient_commitment=commitment),
         [w.merchant.key, w.pickup.key], personal,
         [*common, "items.0", "courier", "declared_weight_g", "promised_by",
          "recipient_commitment", "personal_data.salt"]),
        (payload("commitment", f"party/{w.merchant.party_id}", None, now(),
                 standard="信用承诺书 v1", text="诚信经营"), [w.merchant.key], None, common),
    ]  # fmt: skip


def test_the_unaltered_events_are_accepted(arena: Arena) -> None:
    """The control of the next test: each event, as it is, is accepted."""
    for body, keys, personal, _ in _events(arena):
        response = arena.client.post("/events", json=submission(sign(body, *keys), personal))
        assert response.status_code == 201, (body["type"], response.get_json())


def _member(root: dict[str, Any], path: str) -> tuple[Any, str]:
    *parents, last = path.split(".")
    for name in parents:
        root = root[int(name)] if isinstance(root, list) else root[name]
    return root, last


@settings(HOSTILE, max_examples=200)
@given(data=st.data())
def test_one_hostile_value_in_a_signed_event(arena: Arena, data: st.DataObject) -> None:
    """An event the service would accept but for one constrained value, signed by the right
    keys whenever it can be canonicalised (else carrying the valid event's signatures): refused."""
    body, keys, personal, paths = data.draw(st.sampled_from(_events(arena)))
    where = data.draw(st.sampled_from(paths))
    sigs = submission(sign(body, *keys))["signatures"]
    parent, name = _member(personal if where.startswith("personal_data.") else body,
                           where.removeprefix("personal_data."))  # fmt: skip
    key = int(name) if isinstance(parent, list) else name
    valid = parent[key]
    if isinstance(valid, int):
        parent[key] = data.draw(hostile_number(valid))
    else:  # a string, or prev null (then a well-formed hash of nothing logged is the base)
        b64 = where in ("buyer_key", "personal_data.salt")
        parent[key] = data.draw(hostile_string(valid or "0" * 64, b64))
    try:
        sent = submission(sign(body, *keys), personal)
    except DomainError:  # not canonicalisable: sent as is, with the valid event's signatures
        sent = {
            "payload": body,
            "signatures": sigs,
            **({"personal_data": personal} if personal else {}),
        }
    before = arena.footprint()
    arena.refused(arena.client.post("/events", data=json.dumps(sent).encode(),
                                    content_type="application/json"))  # fmt: skip
    assert arena.footprint() == before


@settings(HOSTILE, max_examples=40)
@given(after=st.integers(1, 240), kind=st.sampled_from(["listing", "commitment"]), data=st.data())
def test_signatures_by_revoked_keys(
    arena: Arena, after: int, kind: str, data: st.DataObject
) -> None:
    """Events valid but for their key, signed after its revocation: refused key_revoked."""
    w = arena.world
    key = data.draw(st.sampled_from(arena.revoked))
    at = now() + timedelta(seconds=after)
    if kind == "listing" and key.party_id == w.merchant.party_id:
        body = payload("listing", f"01/{GTIN}/21/H0004", None, at, listing_ref="L-4",
                       **arena.market())  # fmt: skip
    else:
        body = payload("commitment", f"party/{key.party_id}", None, at, standard="信用承诺书 v1",
                       text="诚信经营")  # fmt: skip
    before = arena.footprint()
    assert (
        arena.refused(arena.client.post("/events", json=submission(sign(body, key))))
        == "key_revoked"
    )
    assert arena.footprint() == before


# --- accepted envelopes replayed with other signatures -------------------------------------------

REPLAYS = ["flip", "malleate", "drop", "extra", "swap", "reorder", "padding_bits", "keyid_upper",
           "duplicate", "truncate"]  # fmt: skip


@settings(HOSTILE, max_examples=80)
@given(data=st.data(), how=st.sampled_from(REPLAYS))
def test_replays_with_changed_signatures(arena: Arena, data: st.DataObject, how: str) -> None:
    """An accepted envelope sent again with its signatures changed: refused; only when the change
    leaves the canonical envelope as it was (order, base64 spelling) is it the same event, and
    the answer is the same receipt."""
    original, receipt = data.draw(st.sampled_from(arena.accepted))
    sent = json.loads(json.dumps(original))
    sigs = sent["signatures"]
    i = data.draw(st.integers(0, len(sigs) - 1))
    raw = base64.b64decode(sigs[i]["sig"])
    other = arena.world.platform.key
    if how == "flip":
        at = data.draw(st.integers(0, 511))
        raw = raw[: at // 8] + bytes([raw[at // 8] ^ 1 << at % 8]) + raw[at // 8 + 1 :]
    elif how == "malleate":  # S + L: the same signature to a lax verifier, not to Ed25519
        raw = raw[:32] + (int.from_bytes(raw[32:], "little") + L_ED25519).to_bytes(32, "little")
    elif how == "truncate":
        raw = raw[:63]
    elif how in ("extra", "swap"):
        [theirs] = submission(sign(sent["payload"], other))["signatures"]
        sigs[i : i + 1] = [sigs[i], theirs] if how == "extra" else [theirs]
    elif how == "drop":
        del sigs[i]
    elif how == "reorder":
        sigs.reverse()
    elif how == "keyid_upper":
        sigs[i]["keyid"] = sigs[i]["keyid"].upper()
    elif how == "duplicate":
        sigs.append(dict(sigs[i]))
    if how in ("flip", "malleate", "truncate"):
        sigs[i]["sig"] = base64.b64encode(raw).decode()
    elif how == "padding_bits":  # unused bits of the last base64 digit set: the same bytes
        text = sigs[i]["sig"]
        sigs[i]["sig"] = text[:-3] + chr(ord(text[-3]) + 1) + "=="
    try:
        same = (
            parse_envelope({k: sent[k] for k in ("payload", "signatures")}).hash == receipt["hash"]
        )
    except DomainError:
        same = False
    before = arena.footprint()
    response = arena.client.post("/events", json=sent)
    if same:
        arena.tally["inputs"] += 1
        arena.tally["exact replays"] += 1
        assert response.status_code == 200, response.get_json()
        assert (response.get_json()["index"], response.get_json()["hash"]) == (
            receipt["index"], receipt["hash"])  # fmt: skip
    else:
        arena.refused(response)
    assert arena.footprint() == before
