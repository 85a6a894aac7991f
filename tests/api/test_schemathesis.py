"""Property-based testing of the API against its own OpenAPI schema: no input gives a 5xx.

schemathesis reads the schema the app serves and drives the app in-process (WSGI), as
alice, who has a library, with generated requests: valid ones (positive) and invalid
ones (negative). Path ids are drawn from alice's real objects as often as not, so
requests get past the 404 and into the serializers and services. Every response must
be below 500 and, where its status is documented, match the documented body.

Bounded and repeatable: a fixed number of examples per operation, derandomized.
"""

from __future__ import annotations

import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, openapi
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.services import api_token_create
from tests.api.library import build_library

EXAMPLES_PER_OPERATION = 15
# The sweep may cancel, run and delete alice's things, and that is the point: it must
# not crash whatever state they are left in.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def in_test_transaction():
    """Keeps requests inside the test's transaction, as Django's test client does.

    A WSGI request's end signal closes "old" database connections, and the test's
    connection with its open transaction would be one of them.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def alice_ids(lib) -> dict[str, list[int]]:
    """Ids worth trying under each collection of the API (alice's, and one of nobody's)."""
    nobody = 2_147_483_647
    return {
        "connections": [lib.spotify.pk, lib.youtube.pk, nobody],
        "playlists": [lib.playlist.pk, lib.youtube_playlist.pk, nobody],
        "liked": [lib.liked.pk, nobody],
        "pairs": [lib.pair.pk, lib.active_run.pair_id, nobody],
        "runs": [lib.run.pk, lib.active_run.pk, nobody],
        "review": [lib.review.pk, nobody],
    }


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_makes_the_api_fail_with_a_server_error(
    alice, mode, settings, in_test_transaction
):
    settings.MUSICSYNC_RATE_LIMITS = {
        **settings.MUSICSYNC_RATE_LIMITS,
        "api": "100000/h",
        "sync-trigger": "100000/h",
    }
    lib = build_library(alice, tag="alice")
    # The token goes in a header schemathesis does not generate; a session would need CSRF.
    auth = f"Token {api_token_create(user=alice, name='schemathesis').secret}"
    schema = openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    ids = alice_ids(lib)
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        resource = operation.path.split("/")[2]
        strategy = st.tuples(
            operation.as_strategy(generation_mode=mode),
            st.sampled_from(ids.get(resource, [None])),
        )

        @settings_for_api
        @given(drawn=strategy)
        def run(drawn) -> None:
            case, real_id = drawn
            if real_id is not None and "id" in (case.path_parameters or {}):
                case.path_parameters["id"] = real_id
            case.call_and_validate(
                headers={"Authorization": auth},
                checks=[not_a_server_error, response_schema_conformance],
            )

        try:
            run()
        except Unsatisfiable:
            # Nothing in the operation can be wrong (no parameters, no body): no negative
            # case exists. Positive mode still covers it.
            assert mode is GenerationMode.NEGATIVE, operation.label
            continue
        checked += 1
    # Every operation of the schema was exercised (a handful have no negative cases).
    assert checked >= (20 if mode is GenerationMode.POSITIVE else 10)


settings_for_api = hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    # Fixtures are function-scoped on purpose: each run gets a fresh library.
    suppress_health_check=list(HealthCheck),
)
