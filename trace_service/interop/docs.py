"""Interactive API documentation at /docs: Swagger UI over /openapi.json, from local assets.

Swagger UI 5 (it reads OpenAPI 3.1) is served from the `flask-swagger-ui` package itself, so
the page works with no internet, as every page of the service must (DESIGN §8).
"""

from __future__ import annotations

from flask import Blueprint
from flask_swagger_ui import get_swaggerui_blueprint

DOCS_PATH = "/docs"


def docs_blueprint(spec_url: str = "/openapi.json") -> Blueprint:
    """The /docs blueprint: the page and Swagger UI's scripts and styles."""
    blueprint: Blueprint = get_swaggerui_blueprint(
        DOCS_PATH,
        spec_url,
        config={
            "app_name": "trace_service API",
            # Relative, and no call to the public validator: nothing leaves this service.
            "oauth2RedirectUrl": f"{DOCS_PATH}/oauth2-redirect.html",
            "validatorUrl": None,
        },
        blueprint_name="api_docs",
    )
    return blueprint
