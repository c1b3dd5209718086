"""The API against its own OpenAPI document (schemathesis, in-process, two identities).

Every operation of /api/openapi.json is called with generated requests, as a Thai planner
and as a Myanmar liaison (session cookie, and the CSRF header on unsafe methods), and each
response is checked against the document: no 5xx, a documented status and content type,
a body that matches its schema. The test fails unless every operation was exercised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlmodel import Session

from app.accounts.service import start_session
from app.config import get_settings
from app.db import get_session
from app.main import create_app
from app.models import Role, User

# JSON Schema cannot say "the latest end after the earliest start": a body valid by the
# document may still get a (correct, documented) 422 here, so schemathesis's check that
# every schema-valid body is accepted does not apply to these two operations.
CROSS_FIELD_RULES = {"POST /api/v1/operations", "PATCH /api/v1/operations/{operation_id}"}
# Enough to reach every status an operation documents, small enough for two loaded cores.
MAX_EXAMPLES = 8
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _identity(session: Session, user: User) -> tuple[dict[str, str], str]:
    token, row = start_session(session, user=user)
    session.flush()
    return {get_settings().session_cookie_name: token}, row.csrf_token


def test_every_operation_conforms_to_the_schema(
    session: Session,
    world: Any,
    make_user: Callable[..., User],
    make_operation: Callable[..., Any],
) -> None:
    application = create_app()
    application.dependency_overrides[get_session] = lambda: session
    planner = make_user(session, Role.planner, world.agencies["TH-RTP"])
    liaison = make_user(session, Role.liaison, world.agencies["MM-MPF"])
    make_operation(session, "TH-RTP")
    identities = {
        "TH planner": _identity(session, planner),
        "MM liaison": _identity(session, liaison),
    }
    cookies, _ = identities["TH planner"]
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", application, cookies=cookies)

    operations = [result.ok() for result in schema.get_all_operations()]
    exercised: dict[str, int] = {}
    failures: dict[str, str] = {}
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        try:
            _fuzz(operation, identities, exercised, label)
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure is reported
            failures[label] = str(exc)[:3000]

    calls = sum(exercised.values())
    print(f"\nschemathesis: {len(exercised)} of {len(operations)} operations exercised, "
          f"{calls} calls, {len(failures)} failing operations")
    assert not failures, "\n\n".join(f"== {k}\n{v}" for k, v in failures.items())
    documented = sum(
        1 for item in application.openapi()["paths"].values() for method in item
        if method.upper() in {"GET", *UNSAFE}
    )
    assert len(operations) == documented
    assert sorted(exercised) == sorted(f"{o.method.upper()} {o.path}" for o in operations)


def _free_form_body(operation: Any) -> bool:
    body = operation.definition.raw.get("requestBody", {})
    schemas = [media.get("schema", {}) for media in body.get("content", {}).values()]
    return any(schema.get("type") == "object" and "properties" not in schema
               and "$ref" not in schema for schema in schemas)


def _fuzz(
    operation: Any,
    identities: dict[str, tuple[dict[str, str], str]],
    exercised: dict[str, int],
    label: str,
) -> None:
    # A body documented as any JSON object (the campaign API validates it in its service)
    # cannot tell schemathesis what is required: `{}` is "schema-valid" there too.
    free_form = _free_form_body(operation)
    excluded = [positive_data_acceptance] if label in CROSS_FIELD_RULES or free_form else []

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        for cookies, csrf in identities.values():
            headers = {"X-CSRF-Token": csrf} if case.method.upper() in UNSAFE else {}
            case.call_and_validate(headers=headers, cookies=cookies, excluded_checks=excluded)
            exercised[label] = exercised.get(label, 0) + 1

    check()


def test_the_document_describes_the_error_body_the_api_sends(client: TestClient, login: Any,
                                                             make_user: Any, session: Session,
                                                             world: Any) -> None:
    """FastAPI documents its own 422 shape (a list under `detail`); the board sends another."""
    planner = login(client, make_user(session, Role.planner, world.agencies["TH-RTP"]))
    document = planner.get("/api/openapi.json").json()
    create = document["paths"]["/api/v1/operations"]["post"]["responses"]
    assert create["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    assert "4XX" in create
    assert "HTTPValidationError" not in document["components"]["schemas"]
    body = planner.post("/api/v1/operations", json={"code_name": 5}).json()
    error = document["components"]["schemas"]["Error"]
    assert isinstance(body["detail"], str) and set(body) <= set(error["properties"])
    assert all(set(item) == {"path", "message"} for item in body["errors"])


def test_an_id_beyond_the_integer_column_is_refused_not_a_500(
    client: TestClient, login: Any, make_user: Any, session: Session, world: Any
) -> None:
    """Found by schemathesis on PostgreSQL: run id 2**31 reached the query as a DataError."""
    planner = login(client, make_user(session, Role.planner, world.agencies["TH-RTP"]))
    for path in ("/api/v1/solver-runs/2147483648", "/api/v1/plans/99999999999"):
        response = planner.get(path)
        assert response.status_code == 422, (path, response.text)
        assert "path.run_id" in response.text or "path.plan_id" in response.text
    assert planner.delete("/api/v1/solver-runs/2147483648").status_code == 422
    assert planner.get("/api/v1/solver-runs/2147483647").status_code == 404


def test_campaign_and_note_ids_beyond_the_integer_column_are_refused_not_a_500(
    client: TestClient, login: Any, make_user: Any, session: Session, world: Any
) -> None:
    """Found by schemathesis: on SQLite an id of 2**63 raised OverflowError (a 500)."""
    planner = login(client, make_user(session, Role.planner, world.agencies["TH-RTP"]))
    huge = 2**63
    for response in (
        planner.put(f"/api/v1/campaigns/{huge}", json={"version": 1}),
        planner.get(f"/api/v1/campaigns/{huge}"),
        planner.post(f"/api/v1/intel/notes/{huge}/releases", json={"agency_id": "LA-MPS"}),
    ):
        assert response.status_code == 422, (response.request.url, response.text)
