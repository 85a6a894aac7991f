"""Checking the sandbox's responses against the platforms' published schemas.

Spotify bodies are validated with openapi-schema-validator against the response
schema of the matching path, method and status in ``spotify-web-api.openapi.yml``;
token responses against BEHAVIOURS A3; YouTube bodies by ``conformance_youtube``
(the other half's module), when it exists. The specs are read at run time from
``MUSICSYNC_SPECS_DIR`` or ``<BASE_DIR>/../shared/specs``. Without them validation is
skipped with a warning, except under ``CI=true``, where that is an error.

``validate(path, method, status, body, query=...)`` returns a list of problems,
empty when the body conforms.
"""

from __future__ import annotations

import copy
import functools
import importlib
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from openapi_schema_validator import OAS30Validator

SPOTIFY_SPEC = "spotify-web-api.openapi.yml"
SPOTIFY_API = "/spotify/api/v1"

# Where the sandbox knowingly differs from the spec, because the real service does.
KNOWN_DEVIATIONS = """
- PlaylistTrackObject.item/track are null for tracks Spotify no longer offers; the spec
  does not mark them nullable.
- Every error answers {"error": {"status", "message"}} (BEHAVIOURS B6), also where the
  spec's 400 for /me/library names a bare ErrorObject.
- GET /tracks?ids= answers null for ids it does not know; the spec's array holds objects.
- Local-file items (is_local: true) carry a track object with null ids and a partial
  album; the spec does not model them, so they are not validated.
"""

_TOKEN_SCHEMA = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in"],
    "properties": {
        "access_token": {"type": "string", "minLength": 1},
        "token_type": {"enum": ["Bearer"]},
        "scope": {"type": "string"},
        "expires_in": {"type": "integer", "minimum": 1},
        "refresh_token": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
}
_TOKEN_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "error_description"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "message": {"type": "string"},
            },
        }
    },
}


class SpecsMissing(RuntimeError):
    pass


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def specs_dir() -> Path:
    """``MUSICSYNC_SPECS_DIR``, else ``shared/specs`` beside the project root."""
    configured = os.environ.get("MUSICSYNC_SPECS_DIR")
    if configured:
        return Path(configured)
    base: Any = None
    try:
        from django.conf import settings

        if settings.configured:
            base = getattr(settings, "BASE_DIR", None)
    except ImportError:
        pass
    root = Path(base) if base else Path(__file__).resolve().parents[2]
    return root.parent / "shared" / "specs"


@functools.cache
def _spotify_spec(directory: str) -> dict[str, Any]:
    path = Path(directory) / SPOTIFY_SPEC
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    # The deviations listed in KNOWN_DEVIATIONS, applied to a private copy of the spec.
    null = {"enum": [None], "nullable": True}
    for name in ("item", "track"):
        prop = schemas["PlaylistTrackObject"]["properties"][name]
        # A discriminator needs a mapping for "track" -> TrackObject; oneOf alone decides.
        prop.pop("discriminator", None)
        prop["oneOf"] = [*prop["oneOf"], null]
    many = spec["components"]["responses"]["ManyTracks"]["content"]["application/json"]
    tracks = many["schema"]["properties"]["tracks"]
    tracks["items"] = {"oneOf": [tracks["items"], null]}
    return spec


@functools.cache
def _spotify_operations(directory: str) -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    spec = _spotify_spec(directory)
    operations = []
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "/?$"
        operations.append((re.compile(pattern), template, item))
    # Literal paths before templated ones (/me/tracks/contains before /me/tracks/{id}).
    operations.sort(key=lambda op: op[1].count("{"))
    return operations


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _spotify_response_schema(
    directory: str, api_path: str, method: str, status: int
) -> tuple[str, dict[str, Any] | None]:
    """(what, schema): schema None when the spec documents no body for this answer."""
    spec = _spotify_spec(directory)
    for pattern, template, item in _spotify_operations(directory):
        if not pattern.match(api_path):
            continue
        operation = item.get(method.lower())
        if operation is None:
            raise LookupError(f"the spec has no {method} {template}")
        if status >= 400:
            return f"{method} {template} {status}", _ERROR_SCHEMA
        response = operation.get("responses", {}).get(str(status))
        if response is None:
            raise LookupError(f"the spec has no {status} answer for {method} {template}")
        response = _resolve(spec, response)
        content = response.get("content", {}).get("application/json")
        if content is None:
            return f"{method} {template} {status}", None
        return f"{method} {template} {status}", content["schema"]
    raise LookupError(f"the spec has no path matching {api_path}")


def _without_local_items(body: Any) -> Any:
    """A copy where local-file item objects are nulled (the spec cannot describe them)."""

    def visit(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("is_local") is True and ("item" in node or "track" in node):
                node = dict(node)
                for key in ("item", "track"):
                    if key in node:
                        node[key] = None
                return node
            return {key: visit(value) for key, value in node.items()}
        if isinstance(node, list):
            return [visit(value) for value in node]
        return node

    return visit(body)


def _problems(validator: Any, body: Any) -> list[str]:
    found = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(body)"
        found.append(f"{where}: {error.message[:300]}")
    return found[:20]


def validate_spotify(
    api_path: str, method: str, status: int, body: Any, directory: str | None = None
) -> list[str]:
    """Problems with one Web API response; ``api_path`` is below ``/v1`` (``/me``)."""
    directory = directory or str(specs_dir())
    try:
        what, schema = _spotify_response_schema(directory, api_path, method, status)
    except LookupError as exc:
        return [str(exc)]
    if schema is None:
        return (
            [f"{what} has no body in the spec, but one was sent"] if body not in (None, "") else []
        )
    spec = _spotify_spec(directory)
    # Validate against the schema with the spec's components beside it, so $refs resolve.
    document = {**copy.copy(schema), "components": spec["components"]}
    validator = OAS30Validator(document)
    return _problems(validator, _without_local_items(body))


def validate_token(status: int, body: Any) -> list[str]:
    schema = _TOKEN_SCHEMA if status == 200 else _TOKEN_ERROR_SCHEMA
    return _problems(jsonschema.Draft7Validator(schema), body)


def _have_specs(directory: Path) -> bool:
    if (directory / SPOTIFY_SPEC).exists():
        return True
    message = f"sandbox conformance: no specs in {directory}; responses are not validated"
    if _ci():
        raise SpecsMissing(message + " (CI=true: this is an error)")
    warnings.warn(message, stacklevel=3)
    return False


def validate(
    path: str,
    method: str,
    status: int,
    body: Any,
    query: Mapping[str, Any] | None = None,
) -> list[str]:
    """Problems with one sandbox response (``path`` from the sandbox root); [] if fine."""
    method = method.upper()
    if path.startswith("/youtube/") or path.startswith("/google/"):
        return _validate_other_half(path, method, status, body, query)
    if not path.startswith("/spotify/"):
        return []
    directory = specs_dir()
    if not _have_specs(directory):
        return []
    if path.startswith("/spotify/accounts/api/token"):
        return validate_token(status, body)
    if not path.startswith(SPOTIFY_API + "/"):
        return []
    if query and query.get("fields") and status < 400:
        return []  # a projection by design: required fields may be left out
    return validate_spotify(path[len(SPOTIFY_API) :], method, status, body, str(directory))


def _validate_other_half(
    path: str, method: str, status: int, body: Any, query: Mapping[str, Any] | None
) -> list[str]:
    try:
        module = importlib.import_module("platforms.sandbox.conformance_youtube")
    except ModuleNotFoundError:
        return []
    name = "validate" if path.startswith("/youtube/") else "validate_google"
    check = getattr(module, name, None)
    if check is None:
        return []
    result = check(path, method, status, body, query)
    if not result:
        return []
    return [result] if isinstance(result, str) else list(result)
