"""docs/openapi.yaml is the API's published contract: it must match the code."""

from __future__ import annotations

import io
from pathlib import Path

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
