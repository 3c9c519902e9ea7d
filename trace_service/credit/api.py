"""HTTP interface of courier credit: published ratings and their explanations (公示), snapshots,
the red and black lists, the platform admission check (准入核验), and a party's credit records.

Public reads need no credential; nominations, a party's records and taking a snapshot do.
Objections, decisions and rectifications are signed events posted to /events.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from trace_service.credit import list_queries, party_records, queries
from trace_service.credit.schemas import (
    MAX_INDEX,
    AdmissionOut,
    BlackListed,
    ExplanationOut,
    ExplanationQuery,
    MethodOut,
    Nomination,
    PageQuery,
    PartyCreditOut,
    RatingQuery,
    RatingsOut,
    RedListOut,
    SnapshotIn,
    SnapshotOut,
    SnapshotPage,
    SnapshotTakenOut,
    UnitRatingOut,
)
from trace_service.credit.snapshots import get_snapshot, snapshot_content, take_snapshot
from trace_service.db import get_session, utcnow
from trace_service.errors import Forbidden
from trace_service.identity.auth import BEARER_DOC, current_party
from trace_service.lifecycle.ingest import IngestContext
from trace_service.plumbing.openapi import problem_docs

blp = Blueprint(
    "credit",
    __name__,
    description="Courier credit ratings, explanations, lists and admission (信用评级与公示)",
)
problems = problem_docs(blp)

NDJSON = "application/x-ndjson"


@blp.route("/ratings")
class Ratings(MethodView):
    @blp.arguments(RatingQuery, location="query")
    @blp.response(200, RatingsOut)
    @problems(404)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The latest snapshot's ratings (公示): grade, posterior mean and 90% interval per
        million, exposure, weighted faults, red and black list standing of every unit."""
        return queries.latest_ratings(get_session(), queries.RatingFilter(**query))


@blp.route("/ratings/method")
class Method(MethodView):
    @blp.response(200, MethodOut)
    def get(self) -> dict[str, Any]:
        """The rating method's parameters and the attribution rules' version and periods."""
        return queries.method_disclosure()


@blp.route("/ratings/snapshots")
class Snapshots(MethodView):
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, SnapshotPage)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Logged rating snapshots, newest first."""
        return queries.list_snapshots(get_session(), query["page"], query["page_size"])

    @blp.doc(**BEARER_DOC)
    @blp.arguments(SnapshotIn)
    @blp.response(201, SnapshotTakenOut)
    @problems(403, 422)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Take a snapshot now, as of `as_of` (default now, never in the future), log it and the
        black-list nominations it calls for (regulators)."""
        if current_party().kind != queries.REGULATOR:
            raise Forbidden("on-demand snapshots are taken by regulators")
        session = get_session()
        now = utcnow().replace(microsecond=0)
        taken = take_snapshot(
            session, IngestContext.for_app(current_app), data.get("as_of") or now, now
        )
        header = queries.snapshot_header(get_snapshot(session, taken.index))
        return {**header, "nominations": taken.nominations}


@blp.route(f"/ratings/snapshots/<int(max={MAX_INDEX}):index>")
class SnapshotView(MethodView):
    @blp.response(200, SnapshotOut)
    @problems(404)
    def get(self, index: int) -> dict[str, Any]:
        """A snapshot's header and every unit's grade."""
        return queries.snapshot_grades(get_session(), index)


@blp.route(f"/ratings/snapshots/<int(max={MAX_INDEX}):index>/content")
class SnapshotContentView(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "header line and one line per unit, RFC 8785 JSON, '\\n'-joined; "
                "its SHA-256 is the snapshot's content_hash",
                "content": {NDJSON: {"schema": {"type": "string"}}},
            }
        }
    )
    @problems(404)
    def get(self, index: int) -> Response:
        """The snapshot's canonical content, to hash and compare with the logged content_hash."""
        content = snapshot_content(get_session(), index)
        response = Response(content, mimetype=NDJSON)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


@blp.route("/ratings/units/<party_id>")
class UnitRatingView(MethodView):
    @blp.response(200, UnitRatingOut)
    @problems(404)
    def get(self, party_id: str) -> dict[str, Any]:
        """A unit's latest rating and its grade history across snapshots."""
        return queries.unit_rating(get_session(), party_id)


@blp.route("/ratings/units/<party_id>/explanation")
class ExplanationView(MethodView):
    @blp.arguments(ExplanationQuery, location="query")
    @blp.response(200, ExplanationOut)
    @problems(404)
    def get(self, query: dict[str, Any], party_id: str) -> dict[str, Any]:
        """Every complaint that weighs in the unit's rating and by how much; the contributions
        sum exactly to the published weighted faults."""
        return queries.explanation(get_session(), party_id, query.get("snapshot"))


@blp.route("/lists/red")
class RedList(MethodView):
    @blp.response(200, RedListOut)
    @problems(404)
    def get(self) -> dict[str, Any]:
        """The red list (红名单) of the latest snapshot."""
        return list_queries.red_list(get_session())


@blp.route("/lists/black")
class BlackList(MethodView):
    @blp.response(200, BlackListed(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The confirmed black list (黑名单), with the reasons of each nomination."""
        return list_queries.black_list(get_session())


@blp.route("/lists/nominations")
class Nominations(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.response(200, Nomination(many=True))
    @problems(403)
    def get(self) -> list[dict[str, Any]]:
        """Black-list nominations awaiting a decision, with reasons and snapshot (regulators)."""
        return list_queries.pending_nominations(get_session(), current_party())


@blp.route("/admission/<party_id>")
class Admission(MethodView):
    @blp.response(200, AdmissionOut)
    @problems(404, 422)
    def get(self, party_id: str) -> dict[str, Any]:
        """Platform admission check (准入核验) of a courier company, outlet or staff member."""
        return list_queries.admission(get_session(), party_id)


@blp.route("/parties/<party_id>/credit")
class PartyCredit(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.response(200, PartyCreditOut)
    @problems(403, 404)
    def get(self, party_id: str) -> dict[str, Any]:
        """A party's credit records and what it may do next, with deadlines (the party, its
        courier company, or a regulator)."""
        return party_records.party_credit(get_session(), current_party(), party_id, utcnow())
