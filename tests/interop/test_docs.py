"""Interactive API docs at /docs: Swagger UI over /openapi.json, every asset from the service
itself (it must work with no internet)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

ASSET = re.compile(r"""(?:src|href)="([^"]+)\"""")


def test_docs_load_from_the_service_alone(client: FlaskClient) -> None:
    page = client.get("/docs", follow_redirects=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "://" not in html  # no external URL at all: not a script, a style or a validator
    assert '"url": "/openapi.json"' in html
    assets = ASSET.findall(html)
    assert {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"} <= set(assets)
    for asset in assets:
        assert asset.startswith("/docs/"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.data) > 100, asset
    assert client.get("/docs/swagger-ui-bundle.js").mimetype == "text/javascript"
    assert client.get("/docs/swagger-ui.css").mimetype == "text/css"
    assert client.get("/openapi.json").status_code == 200


def test_swagger_ui_reads_openapi_3_1(client: FlaskClient) -> None:
    html = client.get("/docs/").get_data(as_text=True)
    version = re.search(r'<meta name="version" content="(\d+)\.', html)
    assert version and int(version.group(1)) >= 5  # Swagger UI 4 refuses 3.1 documents
    assert client.get("/openapi.json").get_json()["openapi"] == "3.1.0"


def test_the_page_runs_under_the_content_security_policy(client: FlaskClient) -> None:
    response = client.get("/docs/")
    policy = response.headers.get("Content-Security-Policy", "")
    if policy:  # its one inline script is allowed by hash; nothing from elsewhere
        assert "'sha256-" in policy and "http" not in policy
