"""HTTP interface of back-tracing (责任倒查): complaint cases for regulators and the parties they
concern, and tracing on demand. Objections, decisions and resolutions are signed events posted to
/events; nothing here writes them."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from trace_service.db import get_session, utcnow
from trace_service.errors import Forbidden
from trace_service.identity.auth import BEARER_DOC, current_party
from trace_service.lifecycle.ingest import IngestContext
from trace_service.plumbing.openapi import problem_docs
from trace_service.tracing import case_file, queries
from trace_service.tracing.operations import trace_pending
from trace_service.tracing.schemas import CaseDetail, CasePage, CaseQuery, TraceResult

blp = Blueprint(
    "tracing",
    __name__,
    description="Complaint cases: attribution, objection, decision, resolution (责任倒查)",
)
problems = problem_docs(blp)

# Who may run tracing on demand: regulators and platform operators (it only applies the rules).
TRACERS = ("regulator", "platform")


@blp.route("/cases")
class Cases(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.arguments(CaseQuery, location="query")
    @blp.response(200, CasePage)
    @problems(403)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Complaint cases, newest first (regulators: all; an attributed party or its company:
        the cases naming it), with outcome, shares, objection and its review deadline."""
        return queries.list_cases(
            get_session(), current_party(), queries.CaseFilter(**query), utcnow()
        )


@blp.route("/cases/trace")
class Trace(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.response(200, TraceResult)
    @problems(403)
    def post(self) -> dict[str, int]:
        """Attribute every complaint not yet traced and re-trace the waiting ones now
        (regulators and platform operators); returns how many records were logged."""
        actor = current_party()
        if actor.kind not in TRACERS:
            raise Forbidden("tracing is run by regulators and platform operators")
        logged = trace_pending(get_session(), IngestContext.for_app(current_app), utcnow())
        return {"logged": logged}


@blp.route("/cases/<string:complaint>")
class CaseView(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.response(200, CaseDetail)
    @problems(403, 404)
    def get(self, complaint: str) -> dict[str, Any]:
        """One case: the complaint, every record with its rule and evidence, the deadlines and,
        for regulators, the parcel's personal-data access log."""
        return case_file.case_detail(get_session(), current_party(), complaint, utcnow())
