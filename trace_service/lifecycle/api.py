"""HTTP interface of the lifecycle: signed event submission, products, resolution, recipients."""

from __future__ import annotations

import json
import logging
from typing import Any, cast
from urllib.parse import quote

from flask import Response, current_app, redirect, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from trace_service.codes.digital_link import parse_subject
from trace_service.db import get_session, utcnow
from trace_service.errors import BadRequest, DomainError, Forbidden, NotFound
from trace_service.identity.auth import BEARER_DOC, current_party
from trace_service.ledger.envelope import b64
from trace_service.ledger.models import LogEntry
from trace_service.ledger.schemas import LoggedEnvelope
from trace_service.lifecycle import personal_data, products, resolve
from trace_service.lifecycle.group_commit import GroupCommit
from trace_service.lifecycle.ingest import IngestContext, ingest
from trace_service.lifecycle.receipts import Receipt
from trace_service.lifecycle.schemas import (
    AccessRecord,
    BatchResponse,
    BatchSubmission,
    EnvelopeSubmission,
    ParcelLinksOut,
    ProductIn,
    ProductOut,
    ReceiptSchema,
    RecipientOut,
    RecipientQuery,
    TimelineOut,
)
from trace_service.lifecycle.signals import complaints_accepted, events_ingested
from trace_service.plumbing.openapi import problem_docs
from trace_service.plumbing.static_pages import page
from trace_service.plumbing.timestamps import format_time

blp = Blueprint("lifecycle", __name__, description="Signed lifecycle events and item resolution")
problems = problem_docs(blp)

log = logging.getLogger(__name__)


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415
    title = "Send application/json"


class BatchTooLarge(DomainError):
    code = "batch_too_large"
    status = 413
    title = "Too many events in one batch"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json_body() -> Any:
    """The request body as JSON; raises UnsupportedMediaType or BadRequest (malformed_json)."""
    if not request.is_json:
        raise UnsupportedMediaType("the body must be application/json")
    raw = request.get_data(cache=False)
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        message = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise BadRequest(f"the body is not valid JSON: {message}", code="malformed_json") from exc


def _context() -> IngestContext:
    return IngestContext.for_app(current_app)


def _sent_as_built(data: dict[str, Any], status: int) -> Response:
    """JSON of a dict already shaped like its response schema (what flask-smorest would send):
    dumping hundreds of receipts through marshmallow again costs more than building them."""
    response = cast(Response, current_app.json.response(data))
    response.status_code = status
    return response


def receipt_json(receipt: Receipt) -> dict[str, Any]:
    leaf = b64(receipt.leaf_hash)
    return {
        "index": receipt.index,
        "hash": receipt.hash,
        "leaf_hash": leaf,
        "integrated_at": format_time(receipt.integrated_at),
        "checkpoint": receipt.checkpoint,
        "inclusion": {
            "index": receipt.index,
            "tree_size": receipt.tree_size,
            "leaf_hash": leaf,
            "hashes": [b64(h) for h in receipt.inclusion],
        },
        "duplicate": receipt.duplicate,
    }


def _complaint_time(raw: Any) -> str | None:
    """The signed time of a submitted complaint, None for any other submission."""
    payload = raw.get("payload") if isinstance(raw, dict) else None
    if isinstance(payload, dict) and payload.get("type") == "complaint":
        return str(payload.get("time"))
    return None


def _tell(outcomes: list[Any], *, batch: bool, complained: list[str]) -> None:
    """Tell whoever listens what ingest did (metrics) and which complaints it accepted
    (back-tracing attributes them at once, 责任倒查)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    events_ingested.send(app, outcomes=outcomes, batch=batch)
    if complained:
        complaints_accepted.send(app, times=complained, now=utcnow())


@blp.route("/events")
class Events(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": EnvelopeSubmission}}})
    @blp.response(
        201, ReceiptSchema, description="accepted; 200 with the same receipt on resubmission"
    )
    @blp.alt_response(200, schema=ReceiptSchema, description="already accepted (idempotent)")
    @problems(403, 409, 415)
    def post(self) -> Response:
        """Submit one signed event; the receipt carries its log index and inclusion proof."""
        body = read_json_body()
        # Concurrent requests of this worker are ingested together (one lock, one checkpoint).
        group: GroupCommit = current_app.extensions.setdefault("trace_group_commit", GroupCommit())
        outcome = group.submit(get_session(), body, _context(), utcnow)
        complained = _complaint_time(body)
        fresh = not isinstance(outcome, DomainError) and not outcome.duplicate
        _tell([outcome], batch=False, complained=[complained] if fresh and complained else [])
        if isinstance(outcome, DomainError):
            raise outcome
        return _sent_as_built(receipt_json(outcome), 200 if outcome.duplicate else 201)


@blp.route("/events/batch")
class EventBatch(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": BatchSubmission}}})
    @blp.response(200, BatchResponse)
    @problems(415)
    def post(self) -> Response:
        """Submit many signed events. Each is accepted or refused on its own (not atomic):
        every result carries its own receipt or problem, in submission order, and a later event
        may build on an earlier one of the same batch."""
        body = read_json_body()
        events = body.get("events") if isinstance(body, dict) else None
        if not isinstance(events, list):
            raise BadRequest('the body is {"events": [envelope, ...]}', code="malformed_batch")
        limit = current_app.config["MAX_BATCH_EVENTS"]
        if len(events) > limit:
            raise BatchTooLarge(f"at most {limit} events per batch, got {len(events)}", limit=limit)
        outcomes = ingest(get_session(), events, _context(), utcnow())
        results: list[dict[str, Any]] = []
        for outcome in outcomes:
            if isinstance(outcome, DomainError):
                results.append({"status": outcome.status, "problem": outcome.problem()})
            else:
                results.append(
                    {"status": 200 if outcome.duplicate else 201, "receipt": receipt_json(outcome)}
                )
        complained = [
            time
            for raw, outcome in zip(events, outcomes, strict=True)
            if not isinstance(outcome, DomainError) and not outcome.duplicate
            for time in [_complaint_time(raw)]
            if time is not None
        ]
        _tell(list(outcomes), batch=True, complained=complained)
        accepted = sum(1 for r in results if "receipt" in r)
        body = {"accepted": accepted, "rejected": len(results) - accepted, "results": results}
        return _sent_as_built(body, 200)


@blp.route("/events/<string:event_hash>")
class EventView(MethodView):
    @blp.response(
        200,
        LoggedEnvelope,
        description="the canonical envelope, byte for byte",
        headers={"Log-Index": {"description": "its log index", "schema": {"type": "integer"}}},
    )
    @problems(404)
    def get(self, event_hash: str) -> Response:
        """An accepted event's canonical envelope, with its log index in `Log-Index`."""
        entry = get_session().scalar(select(LogEntry).where(LogEntry.hash == event_hash))
        if entry is None:
            raise NotFound(f"no event {event_hash}")
        response = Response(bytes(entry.body), mimetype="application/json")
        response.headers["Log-Index"] = str(entry.idx)
        return response


@blp.route("/products")
class Products(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.arguments(ProductIn)
    @blp.response(201, ProductOut)
    @problems(403, 409, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a product (GTIN) to the calling merchant."""
        session = get_session()
        product = products.register_product(session, current_party(), data, utcnow())
        session.commit()
        return product


@blp.route("/products/<gtin>")
class ProductView(MethodView):
    @blp.response(200, ProductOut)
    @problems(404, 422)
    def get(self, gtin: str) -> Any:
        """A registered product."""
        return products.get_product(get_session(), gtin)


# A browser (Accept: text/html) gets the consumer verification page instead of the JSON.
_PAGE: dict[str, Any] = {
    "schema": {"type": "string"},
    "content_type": "text/html",
    "description": "JSON: the public timeline; HTML (Accept: text/html): the consumer page",
    "success": True,
}


def _wants_html() -> bool:
    if request.args.get("format") == "application/json":
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def _requested() -> tuple[str, str]:
    """The request's path (below the app's root) and query exactly as the client sent them.

    The router percent-decodes path variables, which loses where "/" was a separator and where
    a value; Digital Link needs the raw path. Werkzeug and gunicorn keep it in RAW_URI.
    """
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:  # a server that keeps no raw URI: re-encode the decoded path
        query = request.query_string.decode("latin-1")
        raw = quote(request.script_root + request.path) + (f"?{query}" if query else "")
    path, _, query = raw.partition("?")
    return path.removeprefix(request.script_root), query


def _resolve() -> Any:
    """Answer any valid Digital Link form of an item, lot or parcel, as /codes/parse reads it."""
    path, query = _requested()
    try:
        ref = parse_subject(path + (f"?{query}" if query else ""))
    except DomainError:
        if _wants_html():
            # The consumer verification page words an unknown or malformed code itself (a
            # phone camera must not land on raw JSON).
            return page("consumer.html")
        raise
    root = request.script_root
    if path != f"/{ref.subject}":
        # Another valid spelling of the same thing (a lot before the serial, lowercase escapes,
        # a qualifier order GS1 allows): point at the one canonical URI, keeping non-AI
        # parameters such as format= or linkType= (AI attributes were validated, not needed).
        keep = [p for p in query.split("&") if p and not p.partition("=")[0].isdigit()]
        return redirect(f"{root}/{ref.subject}" + (f"?{'&'.join(keep)}" if keep else ""), 301)
    base = current_app.config["RESOLVER_BASE_URL"]
    if ref.kind == "parcel":
        # A parcel has no consumer page (an SSCC is on a logistic label, not a consumer's QR
        # code): its Digital Link answers with where its public record is.
        return {
            "subject": ref.subject,
            "uri": ref.uri(base),
            "epcis": f"{root}/epcis/parcels/{ref.subject}",
        }
    if _wants_html():
        # The consumer verification page: it fetches this same URI as JSON and checks it.
        return page("consumer.html")
    return resolve.resolve_item(get_session(), ref, base)


_CANONICAL_REDIRECT = {
    "301": {
        "description": "Another valid Digital Link form of the subject (e.g. /10/<lot>/21/"
        "<serial>, lowercase percent-escapes): Location is the canonical URI"
    }
}


# merge_slashes=False: "/10//21/S1" is an empty lot to refuse, not a path to tidy and redirect.
@blp.route("/01/<gtin>/21/<path:serial>", merge_slashes=False)
class ItemResolver(MethodView):
    @blp.response(200, TimelineOut)
    @blp.alt_response(200, **_PAGE)
    @blp.doc(responses=_CANONICAL_REDIRECT)
    @problems(404, 422)
    def get(self, gtin: str, serial: str) -> Any:
        """GS1 Digital Link of a serialised item: the consumer page, or with
        `Accept: application/json` the product, merchant and verified public timeline.
        Every valid Digital Link form (a lot before the serial, query attributes such as
        `?17=<expiry>`) is read as `/codes/parse` reads it."""
        return _resolve()


@blp.route("/01/<gtin>/10/<path:lot>", merge_slashes=False)
class LotResolver(MethodView):
    @blp.response(200, TimelineOut)
    @blp.alt_response(200, **_PAGE)
    @blp.doc(responses=_CANONICAL_REDIRECT)
    @problems(404, 422)
    def get(self, gtin: str, lot: str) -> Any:
        """GS1 Digital Link of a lot, as for a serialised item; `/01/<gtin>/10/<lot>/21/<serial>`
        names the item and redirects to its canonical URI."""
        return _resolve()


@blp.route("/00/<sscc>", merge_slashes=False)
class ParcelResolver(MethodView):
    @blp.response(200, ParcelLinksOut)
    @blp.doc(responses=_CANONICAL_REDIRECT)
    @problems(422)
    def get(self, sscc: str) -> Any:
        """GS1 Digital Link of a parcel (SSCC): its canonical URI and where its EPCIS events are
        (no personal data). Other valid forms, e.g. with `?02=<gtin>&37=<count>`, are read as
        `/codes/parse` reads them."""
        return _resolve()


@blp.route("/parcels/<path:parcel>/recipient")
class Recipient(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.arguments(RecipientQuery, location="query")
    @blp.response(200, RecipientOut)
    @problems(403, 404)
    def get(self, query: dict[str, Any], parcel: str) -> dict[str, Any]:
        """The recipient's personal data: the current custodian while it holds the parcel, and
        regulators. Every read is logged."""
        session = get_session()
        data = personal_data.read_recipient(
            session,
            personal_data.current_vault(),
            current_party(),
            parcel,
            query["purpose"],
            utcnow(),
        )
        session.commit()
        return data


@blp.route("/parcels/<path:parcel>/recipient/reads")
class RecipientReads(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.response(200, AccessRecord(many=True))
    @problems(403, 404)
    def get(self, parcel: str) -> Any:
        """Who read a parcel's personal data, when and why (regulators)."""
        if current_party().kind != "regulator":
            raise Forbidden("the personal data access log is for regulators")
        return personal_data.access_log(get_session(), parcel)
