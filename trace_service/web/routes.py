"""Page routes (HTML). The pages themselves are static files under `static/`: the browser
fetches the evidence from the public API and checks it itself, so the server renders nothing
a consumer would have to take on trust."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from sqlalchemy import select

from trace_service.codes.digital_link import digital_link_uri
from trace_service.db import get_session
from trace_service.lifecycle.models import Subject
from trace_service.plumbing.static_pages import page

bp = Blueprint("web", __name__)

# The pages, by route: the merchant scan console, the courier scan view, the regulator dashboard.
PAGES = {"merchant": "merchant.html", "courier": "courier.html", "regulator": "regulator.html"}


@bp.get("/")
def index() -> str:
    """The service's front page: what it is, recent items to verify, and where the API is."""
    items = get_session().scalars(
        select(Subject.id).where(Subject.kind == "item").order_by(Subject.head_idx.desc()).limit(12)
    )
    base = current_app.config["RESOLVER_BASE_URL"]
    links = [(item, digital_link_uri(base, item)) for item in items]
    return render_template("index.html", items=links)


@bp.get("/merchant")
def merchant_console() -> Response:
    """Merchant scan console: list, sell, dispatch, print labels; events signed in the browser."""
    return page(PAGES["merchant"])


@bp.get("/courier")
def courier_view() -> Response:
    """Courier scan view: pickup, hub and delivery handoffs signed with the staff key."""
    return page(PAGES["courier"])


@bp.get("/regulator")
def regulator_dashboard() -> Response:
    """Regulator dashboard: ratings, charts, evidence drill-down, lists, objections."""
    return page(PAGES["regulator"])
