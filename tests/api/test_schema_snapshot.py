"""docs/openapi.yaml is the API's published contract: it must match the code."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

SNAPSHOT = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
REGENERATE = "python manage.py spectacular --file docs/openapi.yaml --validate"


def generated_schema() -> str:
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return out.getvalue()


def test_the_schema_snapshot_in_docs_matches_the_api():
    current = generated_schema()
    assert SNAPSHOT.exists(), f"docs/openapi.yaml is missing; create it with: {REGENERATE}"
    assert SNAPSHOT.read_text() == current, (
        "The API changed but docs/openapi.yaml did not. Review the difference, then "
        f"regenerate it with: {REGENERATE}"
    )


def test_the_schema_documents_token_and_session_authentication():
    schema = generated_schema()
    assert "tokenAuth:" in schema
    assert "cookieAuth:" in schema


@pytest.mark.django_db
def test_swagger_ui_is_served_from_our_own_static_files_with_no_inline_script(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn." not in html and "unpkg" not in html
    # The page's own start-up script is a separate file: the CSP forbids inline scripts.
    assert re.search(r'<script src="[^"]*/api/docs/\?script=', html)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


@pytest.mark.django_db
def test_the_schema_is_served_at_api_schema(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/api/pairs/{id}/run/" in response.json()["paths"]
