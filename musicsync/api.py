"""Pieces every part of the REST API shares: paging, rate limits, errors, the token scheme."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings

from accounts.ratelimits import rate_throttle


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


# Every API request counts against the person's general limit; the ones that start work
# on the platforms (runs, imports, undo, review picks) also against the tighter trigger
# limit, shared with the web pages' buttons.
ApiThrottle = rate_throttle(group="api", rate="api")
TriggerThrottle = rate_throttle(group="sync-trigger", rate="sync-trigger", key="user")
TRIGGER_THROTTLES = [ApiThrottle, TriggerThrottle]


@contextmanager
def service_errors() -> Iterator[None]:
    """Turns a service's Django ValidationError into DRF's 400 with field messages."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = serializers.as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        raise serializers.ValidationError(detail) from exc


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Tells the OpenAPI schema (and Swagger UI's Authorize button) about personal tokens."""

    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal API token from Settings, sent as `Token <secret>`.",
        }


class Conflict(APIException):
    """The object is not in a state that allows this (a finished run, a revoked account)."""

    status_code = 409
    default_detail = "That cannot be done in the object's present state."
    default_code = "conflict"


class ErrorSerializer(serializers.Serializer):
    """The body of 401, 403, 404, 405 and 409 answers."""

    detail = serializers.CharField()


class ThrottledSerializer(serializers.Serializer):
    """The body of a 429 answer; the Retry-After header says the same."""

    detail = serializers.CharField()
    retry_after = serializers.IntegerField(help_text="Seconds to wait before trying again.")


VALIDATION_ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Messages by field name (non_field_errors for the request as a whole).",
)
# What an action that starts work can answer besides its success.
TRIGGER_ERRORS = {400: VALIDATION_ERROR, 404: ErrorSerializer, 429: ThrottledSerializer}
