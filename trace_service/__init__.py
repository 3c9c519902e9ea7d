"""trace_service: signed product trace and courier credit (来源可查、去向可追、责任可究)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_smorest import Api

from trace_service import db, ops, registrations
from trace_service.config import Settings
from trace_service.identity import service_signer
from trace_service.ledger import log_key
from trace_service.lifecycle import personal_data
from trace_service.plumbing import problems
from trace_service.plumbing.openapi import ProblemApi
from trace_service.tracing import on_complaint


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app; `test_config` overrides settings read from the environment."""
    # The instance folder holds the keys, so it is fixed before anything reads them.
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("TRACE_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=str(Path(instance).resolve()) if instance else None,
        instance_relative_config=True,
        static_folder=str(Path(__file__).resolve().parent.parent / "static"),
        static_url_path="/static",
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(Settings.from_env(Path(app.instance_path)).as_flask_config())
    app.config.update(
        API_TITLE="trace_service",
        API_VERSION="1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # readable Chinese in JSON
    registrations.register_all()  # every domain's record types (done once, at import)

    db.init_app(app)
    log_key.init_app(app)
    service_signer.init_app(app)
    personal_data.init_app(app)
    ops.init_app(app)
    on_complaint.init_app(app)
    api = ProblemApi(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    _register_blueprints(app, api)
    problems.init_app(app)

    from trace_service import cli

    cli.init_app(app)
    return app


def _register_blueprints(app: Flask, api: Api) -> None:
    from trace_service.codes.api import blp as codes_blp
    from trace_service.credit.api import blp as credit_blp
    from trace_service.identity.api import blp as identity_blp
    from trace_service.interop.api import blp as interop_blp
    from trace_service.interop.docs import docs_blueprint
    from trace_service.ledger.api import blp as ledger_blp
    from trace_service.lifecycle.api import blp as lifecycle_blp
    from trace_service.tracing.api import blp as tracing_blp
    from trace_service.web.assets import bp as vendor_bp
    from trace_service.web.routes import bp as web_bp

    for blp in (identity_blp, ledger_blp, lifecycle_blp, codes_blp, tracing_blp, credit_blp):
        api.register_blueprint(blp)
    api.register_blueprint(interop_blp)
    app.register_blueprint(web_bp)
    app.register_blueprint(vendor_bp)
    app.register_blueprint(docs_blueprint())
