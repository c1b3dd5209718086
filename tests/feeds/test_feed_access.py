"""Need-to-know and token life through the feed: moves, roles, revocation, audit."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.service import set_active
from app.errors import AppError
from app.feeds import tokens
from app.feeds.views import feed_uses
from app.models import AuditEvent, FeedPoll, FeedToken, OperationState, Role, User

from .parsing import summaries


def _summaries(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return summaries(response.content)


@pytest.fixture
def two_ops(session: Session, world, make_operation, make_tasking):  # type: ignore[no-untyped-def]
    """A Thai op in Myanmar tasking U-TH-1, and a Lao op in Laos tasking U-LA-1."""
    thai = make_operation(
        session,
        "TH-RTP",
        {"MM-TAC": {"tactical": 1}},
        op_id="OP-TH",
        code_name="Thai Dawn",
        state=OperationState.scheduled,
    )
    lao = make_operation(
        session,
        "LA-MPS",
        {"LA-BOK": {"tactical": 1}},
        op_id="OP-LA",
        code_name="Lao Dusk",
        state=OperationState.scheduled,
    )
    return make_tasking(session, thai, "U-TH-1"), make_tasking(session, lao, "U-LA-1")


def _not_found(response) -> tuple[int, bytes, str | None]:  # type: ignore[no-untyped-def]
    return response.status_code, response.content, response.headers.get("content-type")


def test_moved_officer_sees_nothing_of_the_old_unit(
    session: Session, client: TestClient, clock, two_ops, make_user, make_tasking, subscribe
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    path = subscribe(session, officer, "officer:")
    assert _summaries(client.get(path)) == ["Thai Dawn"]
    officer.unit_id = "U-TH-2"
    session.add(officer)
    session.flush()
    assert _summaries(client.get(path)) == []


def test_unit_feed_of_a_unit_the_officer_left_is_gone(
    session: Session, client: TestClient, clock, two_ops, make_user, subscribe
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    path = subscribe(session, officer, "unit:U-TH-1", label="Desk Outlook")
    subscribe(session, officer, "officer:", label="iPhone")
    assert _summaries(client.get(path)) == ["Thai Dawn"]
    officer.unit_id = "U-TH-2"
    session.add(officer)
    session.flush()
    # Dropped by the move itself: no longer listed, and audited; "My taskings" follows.
    assert [t.label for t, _ in tokens.list_tokens(session, user=officer)] == ["iPhone"]
    assert _revocation_reasons(session) == ["access lost"]
    assert _not_found(client.get(path)) == _not_found(client.get("/feeds/" + "x" * 43 + ".ics"))
    officer.unit_id = "U-TH-1"  # coming back does not revive a dropped token
    session.add(officer)
    session.flush()
    assert client.get(path).status_code == 404


def _revocation_reasons(session: Session) -> list[str]:
    rows = session.exec(
        select(AuditEvent.details).where(AuditEvent.action == "feed.token.revoked")
    ).all()
    return sorted(details["reason"] for details in rows)


def test_a_liaison_moved_to_another_agency_loses_the_agency_feed(
    session: Session, client: TestClient, clock, two_ops, make_user, subscribe
) -> None:
    liaison = make_user(session, role=Role.liaison, agency="TH-RTP")
    path = subscribe(session, liaison, "agency:TH-RTP")
    assert client.get(path).status_code == 200
    liaison.agency_id = "LA-MPS"
    session.add(liaison)
    session.flush()
    assert tokens.list_tokens(session, user=liaison) == []
    assert _revocation_reasons(session) == ["access lost"]
    assert client.get(path).status_code == 404


def test_access_lost_behind_the_orms_back_is_caught_by_the_next_poll(
    session: Session, client: TestClient, clock, two_ops, make_user, subscribe
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    path = subscribe(session, officer, "unit:U-TH-1")
    # A bulk update in SQL skips the ORM's flush hook: the feed request still checks.
    session.execute(update(User).where(col(User.id) == officer.id).values(unit_id="U-TH-2"))
    session.expire_all()
    assert client.get(path).status_code == 404
    assert _revocation_reasons(session) == ["access lost"]
    assert tokens.list_tokens(session, user=officer) == []


def test_agency_feed_shows_only_what_the_agency_may_see(
    session: Session, client: TestClient, clock, two_ops, make_user, subscribe
) -> None:
    lao_liaison = make_user(session, role=Role.liaison, agency="LA-MPS")
    thai_liaison = make_user(session, role=Role.liaison, agency="TH-RTP")
    burmese_planner = make_user(session, role=Role.planner, agency="MM-MPF")
    lao = client.get(subscribe(session, lao_liaison, "agency:LA-MPS"))
    assert _summaries(lao) == ["Lao Dusk - MPS-1"]
    assert b"Thai Dawn" not in lao.content
    assert _summaries(client.get(subscribe(session, thai_liaison, "agency:TH-RTP"))) == [
        "Thai Dawn - RTP-1"
    ]
    # Myanmar hosts the Thai operation's site, so its agency sees it.
    assert _summaries(client.get(subscribe(session, burmese_planner, "agency:MM-MPF"))) == [
        "Thai Dawn - RTP-1"
    ]


def test_nobody_subscribes_to_someone_elses_unit_or_agency(
    session: Session, world, make_user
) -> None:
    lao_liaison = make_user(session, role=Role.liaison, agency="LA-MPS")
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    for user, choice in [
        (lao_liaison, "agency:TH-RTP"),
        (lao_liaison, "unit:U-TH-1"),
        (lao_liaison, "officer:"),
        (officer, "unit:U-TH-2"),
        (officer, "agency:TH-RTP"),
    ]:
        with pytest.raises(AppError):
            tokens.create_token(session, user=user, label="phone", choice_key=choice)


def test_unknown_revoked_and_disabled_get_the_same_404(
    session: Session, client: TestClient, clock, two_ops, make_user, subscribe
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    revoked_path = subscribe(session, officer, "officer:", label="old phone")
    disabled_owner = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    disabled_path = subscribe(session, disabled_owner, "officer:")
    assert client.get(revoked_path).status_code == 200
    assert client.get(disabled_path).status_code == 200
    (token,) = tokens.list_tokens(session, user=officer)
    assert token[0].id is not None
    tokens.revoke_token(session, user=officer, token_id=token[0].id)
    set_active(session, user=disabled_owner, active=False)
    session.flush()
    unknown = client.get("/feeds/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics")
    malformed = client.get("/feeds/short.ics")
    expected = _not_found(unknown)
    assert expected[0] == 404
    for response in (client.get(revoked_path), client.get(disabled_path), malformed):
        assert _not_found(response) == expected
        assert response.headers["cache-control"] == "no-store"


def test_disabling_or_changing_role_revokes_every_token(
    session: Session, world, make_user, subscribe
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    liaison = make_user(session, role=Role.liaison, agency="TH-RTP")
    subscribe(session, officer, "officer:", label="iPhone")
    subscribe(session, officer, "unit:U-TH-1", label="Desk Outlook")
    subscribe(session, liaison, "agency:TH-RTP", label="iPad")
    set_active(session, user=officer, active=False)
    liaison.role = Role.planner
    session.add(liaison)
    session.flush()
    assert tokens.list_tokens(session, user=officer) == []
    assert tokens.list_tokens(session, user=liaison) == []
    assert _revocation_reasons(session) == ["role changed", "user disabled", "user disabled"]


def test_token_stored_only_as_hash_and_audited(
    session: Session, client: TestClient, clock, two_ops, make_user
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    secret, token = tokens.create_token(
        session, user=officer, label="iPhone", choice_key="officer:"
    )
    session.flush()
    assert len(secret) >= 22  # >= 128 bits in URL-safe base64
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    row = session.get(FeedToken, token.id)
    assert row is not None and secret not in repr(row.model_dump())
    client.get(f"/feeds/{secret}.ics")
    client.get(f"/feeds/{secret}.ics")
    assert feed_uses(client.app).flush() == 2  # type: ignore[arg-type]
    assert token.id is not None
    tokens.revoke_token(session, user=officer, token_id=token.id)
    session.flush()
    audit = session.exec(
        select(AuditEvent)
        .where(AuditEvent.object_type == "feed_token", AuditEvent.object_id == str(token.id))
        .order_by(col(AuditEvent.id))
    ).all()
    assert [a.action for a in audit] == ["feed.token.created", "feed.token.revoked"]
    polls = session.exec(select(FeedPoll).where(FeedPoll.token_id == token.id)).all()
    assert [p.user_id for p in polls] == [officer.id, officer.id]
    assert all(secret not in repr(a.details) for a in audit)
    session.refresh(row)
    assert row.last_used_at is not None


def test_one_live_token_per_device_label(session: Session, world, make_user) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    tokens.create_token(session, user=officer, label="iPhone", choice_key="officer:")
    with pytest.raises(AppError) as refused:
        tokens.create_token(session, user=officer, label=" iPhone ", choice_key="unit:U-TH-1")
    assert refused.value.status == 409
    assert "already have a feed for “iPhone”" in refused.value.message
    # The session goes on (the refusal only undid its savepoint), and a revoked token
    # frees its label for the device's next subscription.
    [(token, _)] = tokens.list_tokens(session, user=officer)
    assert token.id is not None
    tokens.revoke_token(session, user=officer, token_id=token.id)
    tokens.create_token(session, user=officer, label="iPhone", choice_key="unit:U-TH-1")
    assert [t.label for t, _ in tokens.list_tokens(session, user=officer)] == ["iPhone"]


def test_the_database_holds_one_live_token_per_label_too(
    session: Session, world, make_user
) -> None:
    officer = make_user(session, role=Role.unit_officer, agency="TH-RTP", unit="U-TH-1")
    assert officer.id is not None
    session.add(FeedToken(user_id=officer.id, label="iPad", token_hash="1" * 64))
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(FeedToken(user_id=officer.id, label="iPad", token_hash="2" * 64))
