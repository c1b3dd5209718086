"""The users of bench/load.py, for Locust (run by it; not on its own).

Three kinds, each its own account taken from the JSON file named by JOINTOPS_LOAD_PEOPLE
(written by bench/load.py before Locust starts):

- Planner: signs in with the password, then browses the board, operation pages it may
  see, the planning page (and its 2-second fragment poll, as the page does while a run
  works), the newest solver run's page, and its tasking. (Planners do not create or
  edit operations: liaison officers do; the coordinator's solves are bench/load.py's.)
- Liaison: signs in, browses the board, operation pages, the approvals page and its
  tasking; writes: creates a draft operation, edits it with the version the create
  answered, proposes it with the version the edit answered; and decides: reads the
  approvals waiting for its country over the API and approves one with the version it
  read (a 409 there is another liaison or an edit that came first: a correct answer,
  counted apart as a conflict, not as an error).
- FeedSubscriber: a calendar client polling its officer feed with If-None-Match (the
  token was created up front, as a unit officer does once on the calendar page).

Every request is sorted into one kind (login, page, write, feed) by its name, and its
time, kind and outcome go to the JSON file named by JOINTOPS_LOAD_SAMPLES when Locust
quits: bench/load.py computes the figures from there, not from Locust's per-name table.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
from collections import defaultdict
from typing import Any

from locust import HttpUser, between, events, task

with open(os.environ["JOINTOPS_LOAD_PEOPLE"], encoding="utf-8") as _people:
    PEOPLE: dict[str, list[dict[str, Any]]] = json.load(_people)
PASSWORD = PEOPLE["password"][0]["value"]
THINK = float(os.environ.get("JOINTOPS_LOAD_THINK", "4"))
FEED_WAIT = float(os.environ.get("JOINTOPS_LOAD_FEED_WAIT", "10"))
CSRF_COOKIE = "jointops_csrf"
RUN_LINK = re.compile(r'href="/planning/runs/(\d+)"')
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# (kind, name, milliseconds, error or "", status)
SAMPLES: list[tuple[str, str, float, str, int]] = []
CONFLICTS: dict[str, int] = defaultdict(int)


def _kind(name: str) -> str:
    return name.split(" ", 1)[0]


@events.request.add_listener
def _record(request_type: str, name: str, response_time: float, response_length: int,
            response: Any = None, exception: BaseException | None = None, **_: Any) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    error = "" if exception is None else f"{type(exception).__name__}: {exception}"[:200]
    SAMPLES.append((_kind(name), name, float(response_time), error, status))


@events.quitting.add_listener
def _write(environment: Any, **_: Any) -> None:
    path = os.environ.get("JOINTOPS_LOAD_SAMPLES")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"samples": SAMPLES, "conflicts": CONFLICTS}, out)


class _SignedIn(HttpUser):
    """A board user: signs in with the password on start, keeps the page's CSRF token."""

    abstract = True
    pool = ""
    wait_time = between(0, 2 * THINK)  # mean THINK: a person reads before the next click

    def on_start(self) -> None:
        self.me = PEOPLE[self.pool].pop()
        self.rng = random.Random(self.me["username"])
        csrf = secrets.token_urlsafe(16)
        self.client.cookies.set(CSRF_COOKIE, csrf)
        self.expect("login POST /login", "POST", "/login", {303}, data={
            "username": self.me["username"], "password": PASSWORD, "csrf_token": csrf})
        board = self.expect("page /board", "GET", "/board", {200})
        found = META_CSRF.search(board.text if board is not None else "")
        self.csrf = found.group(1) if found else ""

    def expect(self, name: str, method: str, path: str, statuses: set[int],
               conflict_ok: bool = False, **kwargs: Any) -> Any:
        """One request; anything but an expected status is a failure (an error)."""
        headers = dict(kwargs.pop("headers", {}))
        if method != "GET":
            headers["X-CSRF-Token"] = getattr(self, "csrf", "")
        with self.client.request(method, path, name=name, catch_response=True,
                                 allow_redirects=False, headers=headers, **kwargs) as answer:
            if answer.status_code in statuses:
                answer.success()
                return answer
            if conflict_ok and answer.status_code == 409:
                CONFLICTS[name] += 1
                answer.success()
                return None
            failed = answer.text[:120] if answer.status_code else repr(answer.error)[:160]
            answer.failure(f"{answer.status_code}: {failed}")
            return None

    def browse_operation(self) -> None:
        if self.me["ops"]:
            op = self.rng.choice(self.me["ops"])
            self.expect("page /operations/[id]", "GET", f"/operations/{op}", {200})

    @task(4)
    def board(self) -> None:
        self.expect("page /board", "GET", "/board", {200})

    @task(4)
    def operation(self) -> None:
        self.browse_operation()

    @task(1)
    def tasking(self) -> None:
        self.expect("page /tasking", "GET", "/tasking", {200})


class Planner(_SignedIn):
    fixed_count = int(os.environ.get("JOINTOPS_LOAD_PLANNERS", "25"))
    pool = "planners"

    @task(2)
    def planning(self) -> None:
        page = self.expect("page /planning", "GET", "/planning", {200})
        # While a run works the page polls its runs fragment every 2 seconds.
        for _ in range(self.rng.randint(1, 3)):
            self.expect("page /planning (poll)", "GET", "/planning", {200},
                        headers={"HX-Request": "true"})
        runs = RUN_LINK.findall(page.text if page is not None else "")
        if runs:  # then the planner opens the newest run (its progress, or its plan)
            self.expect("page /planning/runs/[id]", "GET", f"/planning/runs/{runs[0]}", {200})


class Liaison(_SignedIn):
    fixed_count = int(os.environ.get("JOINTOPS_LOAD_LIAISONS", "25"))
    pool = "liaisons"

    @task(2)
    def draft_edit_propose(self) -> None:
        body = self.draft()
        created = self.expect("write POST /api/v1/operations", "POST", "/api/v1/operations",
                              {201}, json=body)
        if created is None:
            return
        op = created.json()
        edited = self.expect("write PATCH /api/v1/operations/[id]", "PATCH",
                             f"/api/v1/operations/{op['id']}", {200}, conflict_ok=True,
                             json={"description": "Edited under load", "version": op["version"]})
        if edited is None:
            return
        self.expect("write POST /api/v1/operations/[id]/propose", "POST",
                    f"/api/v1/operations/{op['id']}/propose", {200}, conflict_ok=True,
                    json={"version": edited.json()["version"]})

    def draft(self) -> dict[str, Any]:
        start = self.me["start"]
        return {
            "code_name": f"Load {self.rng.randrange(10**6)}",
            "priority": self.rng.randint(1, 10),
            "earliest_start": start, "latest_end": self.me["end"], "duration_minutes": 240,
            "tlp": "AMBER",
            "sites": [{"region_id": self.rng.choice(self.me["regions"]),
                       "objective": "load test",
                       "requirements": [{"capability": self.rng.choice(self.me["capabilities"]),
                                         "count": 1}]}],
        }

    @task(2)
    def approvals_page(self) -> None:
        self.expect("page /approvals", "GET", "/approvals", {200})

    @task(2)
    def approve(self) -> None:
        pending = self.expect("page /api/v1/approvals", "GET", "/api/v1/approvals", {200})
        items = pending.json() if pending is not None else []
        if not items:
            return
        item = self.rng.choice(items)
        self.expect("write POST /api/v1/operations/[id]/approvals", "POST",
                    f"/api/v1/operations/{item['operation_id']}/approvals", {200},
                    conflict_ok=True,
                    json={"country_code": item["country_code"], "kind": item["kind"],
                          "decision": "approved", "version": item["version"]})


class FeedSubscriber(HttpUser):
    """A calendar client: polls its feed, sending the ETag it last got."""

    fixed_count = int(os.environ.get("JOINTOPS_LOAD_SUBSCRIBERS", "200"))
    wait_time = between(0.5 * FEED_WAIT, 1.5 * FEED_WAIT)

    def on_start(self) -> None:
        self.path = PEOPLE["feeds"].pop()["path"]
        self.etag = ""

    @task
    def poll(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        with self.client.get(self.path, name="feed /feeds/[token].ics", headers=headers,
                             catch_response=True) as answer:
            if answer.status_code in (200, 304):
                self.etag = answer.headers.get("ETag", self.etag)
                answer.success()
            else:
                failed = answer.text[:120] if answer.status_code else repr(answer.error)[:160]
                answer.failure(f"{answer.status_code}: {failed}")
