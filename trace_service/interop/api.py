"""HTTP interface of interoperability: EPCIS 2.0 export of the logged events and the credit data
exchange for public credit platforms (thin: parse, read, map, serialise). Both are public, as the
log and the published ratings are."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from trace_service.codes.digital_link import InvalidSubject, parse_route_subject
from trace_service.db import get_session, utcnow
from trace_service.interop import epcis_reads
from trace_service.interop.epcis import epcis_document
from trace_service.interop.exchange import credit_export, export_csv
from trace_service.interop.schemas import (
    CreditExportOut,
    CreditExportQuery,
    EpcisDocumentOut,
    EpcisRangeQuery,
)
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle.subjects import WAYBILL
from trace_service.plumbing.openapi import problem_docs

blp = Blueprint(
    "interop",
    __name__,
    description="EPCIS 2.0 export and credit data exchange (公共信用信息平台)",
)
problems = problem_docs(blp)

JSON_LD = "application/ld+json"
CSV = "text/csv"


def _document(entries: list[LogEntry]) -> dict[str, Any]:
    session = get_session()
    events, complaint_subjects = epcis_reads.logged_events(session, entries)
    return epcis_document(
        events,
        base_url=current_app.config["RESOLVER_BASE_URL"],
        created_at=utcnow(),
        complaint_subjects=complaint_subjects,
    )


def _json_ld(document: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return Response(body, mimetype=JSON_LD, headers=headers or {})


_EPCIS = {"content_type": JSON_LD, "description": "an EPCIS 2.0 JSON-LD EPCISDocument"}


@blp.route("/epcis/items/<path:subject>")
class EpcisItem(MethodView):
    @blp.response(200, EpcisDocumentOut, **_EPCIS)
    @problems(404, 422)
    def get(self, subject: str) -> Response:
        """EPCIS events of an item (01/<gtin14>/21/<serial>) or lot (01/<gtin14>/10/<lot>):
        its own, its parcels' and its complaint cases'."""
        ref = parse_route_subject(subject)
        if ref.kind == "parcel":
            raise InvalidSubject(f"{subject!r} is a parcel; ask /epcis/parcels/{ref.subject}")
        return _json_ld(_document(epcis_reads.item_entries(get_session(), ref.subject)))


@blp.route("/epcis/parcels/<path:parcel>")
class EpcisParcel(MethodView):
    @blp.response(200, EpcisDocumentOut, **_EPCIS)
    @problems(404, 422)
    def get(self, parcel: str) -> Response:
        """EPCIS events of a parcel (00/<sscc> or wb/<courier>/<waybill number>) and of its
        complaint cases."""
        if not WAYBILL.match(parcel):
            ref = parse_route_subject(parcel)
            if ref.kind != "parcel":
                raise InvalidSubject(f"{parcel!r} is not 00/<sscc> or wb/<courier>/<number>")
            parcel = ref.subject
        return _json_ld(_document(epcis_reads.parcel_entries(get_session(), parcel)))


@blp.route("/epcis/events")
class EpcisEvents(MethodView):
    @blp.arguments(EpcisRangeQuery, location="query")
    @blp.response(
        200,
        EpcisDocumentOut,
        headers={"Link": {"description": '<…&nextPageToken=N>; rel="next" while more remain'}},
        **_EPCIS,
    )
    def get(self, query: dict[str, Any]) -> Response:
        """EPCIS events signed in [from, to), a page of logged events at a time in log order;
        the Link header names the next page."""
        limit = query["per_page"]
        entries = epcis_reads.range_entries(
            get_session(), query["start"], query["end"], query["after"], limit + 1
        )
        headers = {}
        if len(entries) > limit:
            entries = entries[:limit]
            following = {**request.args.to_dict(), "nextPageToken": str(entries[-1].idx)}
            headers["Link"] = f'<{request.path}?{urlencode(following)}>; rel="next"'
        return _json_ld(_document(entries), headers)


@blp.route("/exchange/credit.json")
class CreditExchangeJson(MethodView):
    @blp.arguments(CreditExportQuery, location="query")
    @blp.response(200, CreditExportOut)
    @problems(404)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Ratings of a snapshot (default: the latest), red list, black list and regulators'
        decisions, with the method and rules versions and the snapshot's index and content
        hash; check one with `flask --app trace_service verify-credit-export`."""
        return credit_export(get_session(), query.get("snapshot"), utcnow())


@blp.route("/exchange/credit.csv")
class CreditExchangeCsv(MethodView):
    @blp.arguments(CreditExportQuery, location="query")
    @blp.response(
        200,
        {"type": "string"},
        content_type=CSV,
        description="the same export as one table, UTF-8 with a BOM (see the README's columns)",
    )
    @problems(404)
    def get(self, query: dict[str, Any]) -> Response:
        """The credit exchange as CSV for spreadsheets (one row per rating, red-list entry,
        black-list entry and decision)."""
        export = credit_export(get_session(), query.get("snapshot"), utcnow())
        name = f"credit-{export['snapshot']['index']}.csv"
        return Response(
            export_csv(export).encode("utf-8"),
            mimetype=CSV,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
