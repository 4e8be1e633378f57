"""Schemathesis over every operation of the API schema, signed in as a head-office officer and as a
branch handler: no 5xx, and every answer (status code, content type, headers, body) is one the
schema declares; input the schema calls invalid is refused, input it calls valid is accepted
(except where validity depends on the data, listed in DATA_DEPENDENT with the reason).

Requests reach the app in-process (WSGI, the whole middleware stack) on the access-registry bank
(tests/access_world.py). Every check schemathesis runs by default is on. Bounded and repeatable:
a fixed seed, derandomised generation, at most MAX_EXAMPLES fuzzed requests per operation and user
(plus the deterministic coverage and examples phases), no example database; the stateful phase is
off (the API has no links between operations).

One pytest item per operation and user, e.g. ``test_api_answers_as_its_schema_says[GET
/api/v1/complaints/][ho_officer@HO]``; a failure prints the request as a curl command.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from accounts import roles
from workflow.actions import SPECS

pytestmark = pytest.mark.django_db

FUZZ_USERS = [("HO", roles.HO_OFFICER), ("BJ", roles.BRANCH_HANDLER)]
MAX_EXAMPLES = 25

# Operations where input the schema allows can still be refused with a 400 (422), because validity
# depends on the data or on several fields together, which OpenAPI cannot state. Each refusal is a
# 400 naming the field, documented in the operation's description; everything else stays checked.
DATA_DEPENDENT = {
    # the cursor must be one this API handed out; GET refuses a full number in q (POST it to search/)
    "GET /api/v1/complaints/": ("400",),
    "POST /api/v1/complaints/search/": ("400",),  # the cursor, as for GET
    "POST /api/v1/complaints/": ("400", "422"),  # codes and orgs must exist; late_reason etc.; key reuse
    "POST /api/v1/recordings/": ("400",),  # the file must be audio the decoder reads
    # the period as a whole: order of start and end, its span, 2000-01-01 onwards
    "GET /api/v1/analytics/top/": ("400",),
    "GET /api/v1/analytics/rising/": ("400",),
    "GET /api/v1/analytics/trends/": ("400",),
    "GET /api/v1/analytics/heatmap/": ("400",),
    "GET /api/v1/analytics/performance/": ("400",),
    "GET /api/v1/analytics/seed-kpi/": ("400",),
    # workflow actions (workflow/api): organisation and root-cause codes, handler and request ids and
    # user names must exist, dates and amounts fit the case, a reason the state needs (400); If-Match
    # must be the case's current version (412); an Idempotency-Key the run already used (422)
    **{f"POST /api/v1/complaints/{{reference}}/actions/{name}/": ("400", "412", "422") for name in SPECS},
}
POSITIVE_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis's default

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261207,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "database": "none",
            "deterministic": True,
            # The test signs in with a real token; generated credentials would only be refused.
            "with-security-parameters": False,
        },
        "phases": {"stateful": {"enabled": False}},
        "operations": [
            {
                "include-name": name,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_ACCEPTED, *extra]}},
            }
            for name, extra in DATA_DEPENDENT.items()
        ],
    }
)

# The schema as drf-spectacular builds it for /api/schema/ (test_the_served_schema_is_the_one_fuzzed
# checks they are the same document); built at collection time, without a request or a database.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True), config=CONFIG)
schema.app = get_wsgi_application()


class Caller:
    def __init__(self, world, org: str, role: str) -> None:
        self.user = next(u for u in world.users if u.org.code == org and role in u.role_set)
        self.headers = {"Authorization": f"Token {Token.objects.get_or_create(user=self.user)[0].key}"}
        # Objects both callers may see, so detail operations answer 200 as well as 404.
        self.recording_id = world.recordings["BJ"][0].pk
        self.reference = world.cases["BJ"][0].reference

    def aim(self, case) -> None:
        """Point every other positive case with a generated id or reference at a real object."""
        params = case.path_parameters
        if not params or (case.meta and case.meta.is_negative_at(ParameterLocation.PATH)):
            return
        if isinstance(params.get("id"), int) and params["id"] % 2 == 0:
            params["id"] = self.recording_id
        if isinstance(params.get("reference"), str) and len(params["reference"]) % 2 == 0:
            params["reference"] = self.reference


@pytest.fixture(params=FUZZ_USERS, ids=lambda p: f"{p[1]}@{p[0]}")
def caller(request, access_world):
    # Django's WSGI handler closes the database connection after each request (request_finished),
    # which would end the test's transaction on PostgreSQL; the test client unhooks it the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield Caller(access_world, *request.param)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api_answers_as_its_schema_says(case, caller):
    caller.aim(case)
    case.call_and_validate(headers=caller.headers)


def test_the_served_schema_is_the_one_fuzzed(access_world):
    """/api/schema/ serves a signed-in user the document the test above fuzzes, and nobody else."""
    client = Client()
    assert client.get("/api/schema/", {"format": "json"}).status_code in (302, 401, 403)
    client.force_login(Caller(access_world, *FUZZ_USERS[0]).user)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json() == schema.raw_schema
    errors = {code for ops in schema.raw_schema["paths"].values() for op in ops.values() for code in op["responses"]}
    assert {"400", "403", "404", "413"} <= errors
