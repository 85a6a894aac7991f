"""Check YouTube responses against the discovery document the real client is built from.

The discovery doc (``shared/specs/youtube.v3.discovery.json``, read at run time) names
each method's response schema. Its schemas become JSON Schema here, strictly: where a
schema lists its properties, no others are allowed, so a misspelt field fails instead
of passing silently. Error bodies are checked against Google's error shape, which the
discovery doc does not describe. ``validate`` returns a list of problems, empty when the
body conforms.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

DISCOVERY_FILE = "youtube.v3.discovery.json"

# Values the live API returns that the discovery doc's enums leave out.
KNOWN_ENUM_GAPS: dict[tuple[str, str], list[str]] = {
    # A deleted video's playlist item has status.privacyStatus "privacyStatusUnspecified".
    ("PlaylistItemStatus", "privacyStatus"): ["privacyStatusUnspecified"],
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "status": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["message", "domain", "reason"],
                        "additionalProperties": False,
                        "properties": {
                            "message": {"type": "string"},
                            "domain": {"type": "string"},
                            "reason": {"type": "string"},
                            "location": {"type": "string"},
                            "locationType": {"type": "string"},
                            "extendedHelp": {"type": "string"},
                        },
                    },
                },
                "details": {"type": "array"},
            },
        }
    },
}

_TOKEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["access_token", "expires_in", "scope", "token_type"],
    "additionalProperties": False,
    "properties": {
        "access_token": {"type": "string", "minLength": 1},
        "expires_in": {"type": "integer", "minimum": 1},
        "refresh_token": {"type": "string", "minLength": 1},
        "scope": {"type": "string"},
        "token_type": {"const": "Bearer"},
        "id_token": {"type": "string", "pattern": r"^[\w-]+\.[\w-]+\.[\w-]*$"},
    },
}
_OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_USERINFO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["sub", "email", "email_verified"],
    "additionalProperties": False,
    "properties": {
        "sub": {"type": "string"},
        "name": {"type": "string"},
        "given_name": {"type": "string"},
        "family_name": {"type": "string"},
        "picture": {"type": "string"},
        "email": {"type": "string"},
        "email_verified": {"type": "boolean"},
        "hd": {"type": "string"},
    },
}

_ETAG = re.compile(r"^[A-Za-z0-9_-]{27}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_ALWAYS_PRESENT = {"kind", "etag", "id"}


def specs_dir() -> Path:
    """``MUSICSYNC_SPECS_DIR``, else ``shared/specs`` beside the project (BASE_DIR's parent)."""
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
    project = Path(base) if base else Path(__file__).resolve().parents[2]
    return project.parent / "shared" / "specs"


def to_json_schema(schema: Mapping[str, Any], *, name: str = "") -> dict[str, Any]:
    """One discovery schema as JSON Schema (draft 7), refs pointing at ``#/definitions``."""
    if "$ref" in schema:
        return {"$ref": f"#/definitions/{schema['$ref']}"}
    out: dict[str, Any] = {}
    kind = schema.get("type")
    if kind and kind != "any":
        out["type"] = kind
    if "format" in schema:
        out["format"] = schema["format"]
    if "enum" in schema:
        out["enum"] = list(schema["enum"])
    if "items" in schema:
        out["items"] = to_json_schema(schema["items"])
    if "properties" in schema:
        properties = {}
        for prop, sub in schema["properties"].items():
            converted = to_json_schema(sub)
            gap = KNOWN_ENUM_GAPS.get((name, prop))
            if gap and "enum" in converted:
                converted["enum"] = converted["enum"] + gap
            if prop == "kind" and isinstance(sub.get("default"), str):
                # Every resource names its own kind; a wrong one is a wrong resource.
                converted["const"] = sub["default"]
            properties[prop] = converted
        out["properties"] = properties
    if "additionalProperties" in schema:
        out["additionalProperties"] = to_json_schema(schema["additionalProperties"])
    elif "properties" in schema:
        out["additionalProperties"] = False
    return out


@lru_cache(maxsize=4)
def _load(directory: str) -> tuple[dict[str, Any], dict[tuple[str, str], dict[str, Any]]]:
    doc = json.loads((Path(directory) / DISCOVERY_FILE).read_text(encoding="utf-8"))
    definitions = {name: to_json_schema(s, name=name) for name, s in doc["schemas"].items()}
    methods: dict[tuple[str, str], dict[str, Any]] = {}

    def walk(resources: Mapping[str, Any]) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                methods[(method["path"], method["httpMethod"])] = method
            walk(resource.get("resources", {}))

    walk(doc.get("resources", {}))
    return definitions, methods


@lru_cache(maxsize=64)
def _validator(directory: str, name: str) -> Draft7Validator:
    definitions, _ = _load(directory)
    return Draft7Validator(
        {"definitions": definitions, "$ref": f"#/definitions/{name}"},
        format_checker=_format_checker(),
    )


@lru_cache(maxsize=1)
def _error_validator() -> Draft7Validator:
    return Draft7Validator(ERROR_SCHEMA)


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())

    @checker.checks("date-time")
    def _date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(_DATE_TIME.match(value))

    @checker.checks("uint32")
    def _uint32(value: object) -> bool:
        return not isinstance(value, int) or 0 <= value < 2**32

    @checker.checks("int64")
    @checker.checks("uint64")
    def _int64(value: object) -> bool:
        # 64-bit integers travel as decimal strings in Google's JSON.
        return not isinstance(value, str) or value.lstrip("-").isdigit()

    return checker


def method_for(path: str, http_method: str) -> dict[str, Any] | None:
    """The discovery method serving ``path`` (from any mount point) and HTTP method."""
    marker = path.find("youtube/v3/")
    if marker < 0:
        return None
    _, methods = _load(str(specs_dir()))
    return methods.get((path[marker:].rstrip("/"), http_method.upper()))


def validate(
    path: str,
    method: str,
    status: int,
    body: Any,
    query: Mapping[str, Any] | None = None,
) -> list[str]:
    """Problems with one response of the YouTube API (empty list: it conforms)."""
    directory = str(specs_dir())
    found = method_for(path, method)
    if status in (204, 304):
        return [f"a {status} response has no body, got {type(body).__name__}"] if body else []
    if status >= 400:
        problems = _errors(_error_validator(), body)
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        if code != status:
            problems.append(f"error.code is {code!r} but the HTTP status is {status}")
        return problems
    if found is None:
        return [f"no discovery method serves {method.upper()} {path}"]
    response = found.get("response", {}).get("$ref")
    if response is None:
        return [f"{found['id']} answers 204 with no body, not {status}"]
    problems = _errors(_validator(directory, response), body)
    problems.extend(_etag_problems(body))
    if query and isinstance(body, dict):
        problems.extend(_part_problems(body, str(query.get("part", ""))))
    return problems


def _errors(validator: Draft7Validator, body: Any) -> list[str]:
    return [
        f"{error.json_path}: {error.message}"
        for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    ]


def _walk(node: Any, where: str = "$") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{where}.{key}", value
            yield from _walk(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}[{index}]")


def _etag_problems(body: Any) -> list[str]:
    # Bare 27-character etags since 2020; the quoted "…/…" form is the 2019 one.
    return [
        f"{where}: etag {value!r} is not a bare 27-character etag"
        for where, value in _walk(body)
        if where.endswith(".etag") and not (isinstance(value, str) and _ETAG.match(value))
    ]


def _part_problems(body: dict[str, Any], part: str) -> list[str]:
    """A response carries only the parts the request asked for."""
    wanted = {p.strip() for p in part.split(",") if p.strip()}
    if not wanted:
        return []
    resources = body.get("items") if isinstance(body.get("items"), list) else [body]
    problems = []
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict) or "kind" not in resource:
            continue
        extra = set(resource) - wanted - _ALWAYS_PRESENT
        if extra:
            problems.append(f"$.items[{index}]: parts not asked for: {', '.join(sorted(extra))}")
    return problems


def validate_google(
    path: str,
    method: str,
    status: int,
    body: Any,
    query: Mapping[str, Any] | None = None,
) -> list[str]:
    """Problems with one response of the Google OAuth endpoints (token, revoke, userinfo)."""
    if path.endswith("/token") or path.endswith("/revoke"):
        if status >= 400:
            schema = _OAUTH_ERROR_SCHEMA
        elif path.endswith("/token"):
            schema = _TOKEN_SCHEMA
        else:
            schema = {"type": "object", "maxProperties": 0}
    elif path.endswith("/oauth2/v3/userinfo") and status == 200:
        schema = _USERINFO_SCHEMA
    else:
        return []
    return _errors(Draft7Validator(schema), body)
