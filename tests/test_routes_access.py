"""Every route declares an access rule, and need-to-know holds on every route.

The checks walk `app.routes`, so a route added tomorrow is covered without touching this
file. Need-to-know: a signed-in user of an agency that is neither the lead, a host nor
tasked must not learn that an operation exists. Through a path with its id, the answer
is the same 404 as for an id that does not exist; through any list, search, count,
export or feed, its id and code name never appear.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before lazily included routers
    iter_route_contexts = None  # type: ignore[assignment]
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.routing import Mount

from app.feeds import tokens
from app.main import create_app
from app.models import (
    AuditEvent,
    Operation,
    OperationState,
    Plan,
    Role,
    RunStatus,
    SolverRun,
    Tasking,
    User,
)
from app.solver.schema import PLAN_FORMAT

# Operations of Thailand only (lead, host and tasked units): Myanmar has no need to know.
# One per state that lists, inboxes and exports treat differently.
SECRETS = {
    "OP-HIDDEN7Q": ("Quiet Heron Zx7", OperationState.scheduled, "TH-CRI"),
    "OP-HIDDEN8R": ("Still Marsh Qv2", OperationState.approved, "TH-CKG"),
    "OP-HIDDEN9S": ("Paper Kite Wu5", OperationState.proposed, "TH-MSI"),
}
NEEDLES = [*SECRETS, *(name for name, _, _ in SECRETS.values())]
VISIBLE_ID = "OP-OWNMM01"
VISIBLE_NAME = "Open Teak Yk4"
MISSING_ID = "OP-NOSUCH99"
H_HOUR = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# Routes that are not the board's own: static files and the OpenAPI schema.
EXEMPT_PATHS = {"/api/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"}
OPERATION_PARAM = re.compile(r"(^|_)(operation|op)(_id|_code)?$|^operation")
PARAM = re.compile(r"{([^}:]+)(:[^}]+)?}")


@dataclass(frozen=True)
class Route:
    """One endpoint as the application serves it (full path, methods, dependencies)."""

    path: str
    methods: frozenset[str]
    dependant: Dependant


def _served(app: FastAPI) -> Iterator[tuple[Any, str | None]]:
    """(route, full path) pairs; FastAPI >= 0.16x includes routers lazily."""
    if iter_route_contexts is None:
        for route in app.routes:
            yield route, getattr(route, "path", None)
        return
    for context in iter_route_contexts(app.routes):
        yield context.original_route, context.path


def _routes(app: FastAPI) -> list[Route]:
    """The board's routes; fails on any other kind of route except the exempt ones."""
    found, strange = [], []
    for route, path in _served(app):
        if isinstance(route, APIRoute) and path:
            found.append(Route(path, frozenset(route.methods), route.dependant))
        elif isinstance(route, Mount) and path == "/static" or path in EXEMPT_PATHS:
            continue
        else:
            strange.append(path or repr(route))
    assert not strange, f"routes that are neither API routes nor exempt: {strange}"
    return found


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def _rules(route: Route) -> list[Callable[..., Any]]:
    return [call for call in _calls(route.dependant) if getattr(call, "access_rule", False)]


def _roles_allowed(route: Route) -> set[Role]:
    """The roles every access rule of the route lets through (require_role's closure)."""
    allowed = set(Role)
    for rule in _rules(route):
        roles = inspect.getclosurevars(rule).nonlocals.get("allowed")
        if roles is not None:
            allowed &= {Role(r) for r in roles}
    return allowed


def _label(route: Route) -> str:
    return f"{','.join(sorted(route.methods))} {route.path}"


def _path_params(route: Route) -> list[str]:
    return [m.group(1) for m in PARAM.finditer(route.path)]


def _is_operation_param(name: str) -> bool:
    return bool(OPERATION_PARAM.search(name))


def test_every_route_declares_an_explicit_access_rule() -> None:
    routes = _routes(create_app())
    assert routes, "no routes found"
    missing = [_label(route) for route in routes if not _rules(route)]
    assert missing == [], (
        "routes with no dependency marked by app.deps.access_rule (Public, CurrentUser, "
        f"require_role ...): {missing}"
    )


# --- the scene: an operation the outsiders may not see -----------------------------------


@dataclass
class Scene:
    secrets: list[Operation]
    outsiders: dict[Role, User]
    clients: dict[Role, TestClient]
    # Path parameter name -> value, per outsider role (their own feed token, ...).
    params: dict[Role, dict[str, str]] = field(default_factory=dict)
    # Path parameters with several values to try, per role (every feed token it holds).
    choices: dict[Role, dict[str, list[str]]] = field(default_factory=dict)


def _publish_secret(session: Session, operation: Operation) -> None:
    """A finished solver run of the board and its published plan tasking a Thai unit."""
    from app.planning.scenario import planning_document

    scenario = planning_document(session)
    site = operation.sites[0]
    start, end = H_HOUR, H_HOUR + timedelta(minutes=operation.duration_minutes)
    depart, back = start - timedelta(hours=2), end + timedelta(hours=2)
    instant = "%Y-%m-%dT%H:%M:%SZ"
    document = {
        "format": PLAN_FORMAT,
        "scenario": "need-to-know",
        "operations": [{
            "id": operation.id, "start": start.strftime(instant),
            "assignments": [{
                "site": site.id, "unit": "U-TH-1", "capability": "tactical",
                "depart": depart.strftime(instant), "return": back.strftime(instant),
            }],
        }],
        "unscheduled": [{"id": op["id"], "reasons": ["no unit"]}
                        for op in scenario["operations"] if op["id"] != operation.id],
        "objective": {"priority": operation.priority, "travel_minutes": 240},
    }
    run = SolverRun(status=RunStatus.succeeded, params={"time_limit": 5}, plan=document,
                    scenario=scenario,
                    started_at=H_HOUR - timedelta(days=3), finished_at=H_HOUR - timedelta(days=3))
    session.add(run)
    session.flush()
    plan = Plan(document=document, solver_run_id=run.id, is_published=True,
                published_at=H_HOUR - timedelta(days=3))
    session.add(plan)
    session.flush()
    session.add(Tasking(
        uid=f"{operation.id}-U-TH-1@jointops", operation_id=operation.id, unit_id="U-TH-1",
        site_id=site.id, capability="tactical", start=start, end=end, depart=depart,
        return_at=back, plan_id=plan.id, updated_at=H_HOUR - timedelta(days=3),
    ))
    session.add(AuditEvent(action="create", object_type="operation", object_id=operation.id,
                           details={"code_name": operation.code_name}))
    session.flush()


@pytest.fixture
def scene(
    session: Session, client: TestClient, world: Any, make_user: Any, make_operation: Any,
    login: Any,
) -> Scene:
    """Thai operations (one published); a liaison, planner and officer of Myanmar."""
    secrets = [
        make_operation(session, "TH-RTP", {region: {"tactical": 1}}, op_id=op_id,
                       code_name=name, state=state, start=H_HOUR - timedelta(hours=6),
                       foreign_support_requested=True)
        for op_id, (name, state, region) in SECRETS.items()
    ]
    # Myanmar's own operation, so the outsiders' lists are not empty by construction.
    make_operation(session, "MM-MPF", {"MM-TAC": {"tactical": 1}}, op_id=VISIBLE_ID,
                   code_name=VISIBLE_NAME, state=OperationState.approved)
    _publish_secret(session, secrets[0])
    outsiders = {
        Role.liaison: make_user(session, role=Role.liaison, agency="MM-MPF"),
        Role.planner: make_user(session, role=Role.planner, agency="MM-MPF"),
        Role.unit_officer: make_user(session, role=Role.unit_officer, agency="MM-MPF",
                                     unit="U-MM-1"),
    }
    scene = Scene(secrets, outsiders, {r: login(client, u) for r, u in outsiders.items()})
    for role, user in outsiders.items():
        values = {"site_id": secrets[0].sites[0].id, "unit_id": "U-TH-1", "key": user.username,
                  "username": user.username, "user_id": str(user.id)}
        feeds: list[str] = []
        for n, choice in enumerate(tokens.feed_choices(session, user=user)):
            secret_token, row = tokens.create_token(session, user=user, label=f"device {n}",
                                                    choice_key=choice.key)
            feeds.append(secret_token)
            values.setdefault("token_id", str(row.id))
        values["token"] = values["secret"] = feeds[0]
        scene.params[role] = values
        scene.choices[role] = {"token": feeds, "secret": feeds}
    session.flush()
    return scene


def _ids_of(session: Session) -> dict[str, str]:
    """Ids of the secret's run, plan and tasking (names as routes are likely to call them)."""
    run = session.exec(select(SolverRun)).one()
    plan = session.exec(select(Plan)).one()
    tasking = session.exec(select(Tasking)).one()
    ids = {"run_id": str(run.id), "plan_id": str(plan.id), "tasking_id": str(tasking.id)}
    ids["solver_run_id"] = ids["run_id"]
    return ids


def _url(route: Route, values: dict[str, str], default: str = "1") -> str:
    def fill(match: re.Match[str]) -> str:
        return values.get(match.group(1), default)

    return PARAM.sub(fill, route.path)


def _request(client: TestClient, method: str, url: str, **kw: Any) -> Any:
    return client.request(method, url, follow_redirects=False, **kw)


def _body(response: Any) -> str:
    return response.content.decode("utf-8", errors="replace")


def test_an_invisible_operation_is_404_on_every_route_with_its_id(
    session: Session, scene: Scene
) -> None:
    """Same answer as for a missing id; exactly 404 for every role the route admits."""
    problems: list[str] = []
    routes = [r for r in _routes(create_app()) if any(map(_is_operation_param, _path_params(r)))]
    assert routes, "no route has an operation id in its path"
    ids = _ids_of(session)
    for route in routes:
        allowed = _roles_allowed(route)
        for role, client in scene.clients.items():
            values = {**ids, **scene.params[role]}
            for method, secret in product(sorted(route.methods - {"HEAD", "OPTIONS"}), SECRETS):
                op_values = {p: secret for p in _path_params(route) if _is_operation_param(p)}
                hidden = _request(client, method, _url(route, {**values, **op_values}))
                missing_values = {p: MISSING_ID for p in op_values}
                missing = _request(client, method, _url(route, {**values, **missing_values}))
                where = f"{method} {route.path} as an outside {role.value} ({secret})"
                if role in allowed and hidden.status_code != 404:
                    problems.append(f"{where}: {hidden.status_code}, expected 404")
                elif hidden.status_code != missing.status_code:
                    problems.append(f"{where}: {hidden.status_code} but {missing.status_code} "
                                    "for an operation that does not exist")
                elif hidden.status_code not in (403, 404):
                    problems.append(f"{where}: {hidden.status_code}")
                if SECRETS[secret][0] in _body(hidden):
                    problems.append(f"{where}: the code name is in the response")
    assert problems == [], "need-to-know broken:\n" + "\n".join(problems)
    for operation in scene.secrets:  # nothing was changed on the way
        session.refresh(operation)
        assert operation.state == SECRETS[operation.id][1]


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route reads, its dependencies' included (board filters)."""
    names = {param.alias or param.name for param in dependant.query_params}
    for dep in dependant.dependencies:
        names |= _query_names(dep)
    return names


def _searches(route: Route, secret: str) -> dict[str, str]:
    """Query parameters that would single the secret operation out, as far as it reads them."""
    name, state, region = SECRETS[secret]
    values = {
        "q": name[:10], "search": name[:10], "code_name": name, "country": region[:2],
        "agency": "TH-RTP", "lead_agency": "TH-RTP", "state": state.value,
        "date": H_HOUR.date().isoformat(), "day": H_HOUR.date().isoformat(),
        "unit": "U-TH-1", "unit_id": "U-TH-1", "operation": secret, "operation_id": secret,
    }
    declared = _query_names(route.dependant)
    return {k: v for k, v in values.items() if k in declared} or {"q": name[:10]}


def _urls(route: Route, scene: Scene, role: Role, ids: dict[str, str]) -> list[str]:
    """The route's URL once per value of a path parameter with several (each feed token)."""
    values = {**ids, **scene.params[role]}
    several = [p for p in _path_params(route) if p in scene.choices[role]]
    if not several:
        return [_url(route, values)]
    return [_url(route, {**values, several[0]: value})
            for value in scene.choices[role][several[0]]]


def test_lists_searches_exports_and_feeds_never_show_an_invisible_operation(
    session: Session, scene: Scene
) -> None:
    """Every GET route without an operation id, searched and filtered for it, as each role."""
    problems: list[str] = []
    checked: list[str] = []
    ids = _ids_of(session)
    seen_visible = False
    routes = [
        r for r in _routes(create_app())
        if "GET" in r.methods and not any(map(_is_operation_param, _path_params(r)))
    ]
    for route in routes:
        for role, client in scene.clients.items():
            for url, headers in product(_urls(route, scene, role, ids),
                                        ({}, {"HX-Request": "true"})):
                where = f"GET {url} as an outside {role.value}{' (htmx)' if headers else ''}"
                plain = client.get(url, headers=headers)
                # /readyz answers 503 here by design: the suite's schema has no Alembic record.
                if plain.status_code >= 500 and not (url == "/readyz" and plain.status_code == 503):
                    problems.append(f"{where}: {plain.status_code}")
                problems += [f"{where} ({plain.status_code}): shows {needle!r}"
                             for needle in NEEDLES if needle in _body(plain)]
                seen_visible = seen_visible or VISIBLE_NAME in _body(plain)
                checked.append(where)
                if plain.status_code in (401, 403):
                    continue  # the route is closed to this role whatever is asked
                for secret, (name, _, _) in SECRETS.items():
                    params = _searches(route, secret)
                    found = _body(client.get(url, params=params, headers=headers))
                    problems += [f"{where} with {params}: shows {needle!r}"
                                 for needle in (secret, name) if needle in found]
    assert checked, "no list routes were checked"
    assert problems == [], "need-to-know broken in lists:\n" + "\n".join(problems)
    # The check above is only worth something if the outsiders' lists show their own work.
    if any(r.path == "/board" for r in routes):
        assert seen_visible, "no list shows the outsiders' own operation"
