"""Page routes (HTML). The consumer, merchant and regulator pages build on these."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from trace_service.codes.digital_link import digital_link_uri
from trace_service.db import get_session
from trace_service.lifecycle.models import Subject

bp = Blueprint("web", __name__)


@bp.get("/")
def index() -> str:
    """The service's front page: what it is, recent items to verify, and where the API is."""
    items = get_session().scalars(
        select(Subject.id).where(Subject.kind == "item").order_by(Subject.head_idx.desc()).limit(12)
    )
    base = current_app.config["RESOLVER_BASE_URL"]
    links = [(item, digital_link_uri(base, item)) for item in items]
    return render_template("index.html", items=links)
