"""Accounts: users, sign-in with throttling and lockout, revocation by token version.

Every change to an account is audited; every refused sign-in is audited too. A refusal reads the
same whatever its cause (unknown user, wrong password, inactive account, lockout) and costs the
same time, so the answer reveals nothing about which accounts exist.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ismart.registry import audit
from ismart.registry.access import SITE_ROLES, Principal, Role, require
from ismart.registry.clock import now
from ismart.registry.errors import Conflict, Invalid, NotFound, Unauthorized
from ismart.registry.models import LoginThrottle, Site, User
from ismart.registry.passwords import check_password_policy
from ismart.registry.security import burn_password_check, check_password, hash_password

__all__ = [
    "REFUSED",
    "LoginPolicy",
    "SignIn",
    "change_own_password",
    "change_role",
    "create_user",
    "lift_lockout",
    "list_users",
    "principal_of",
    "reset_password",
    "resolve",
    "set_active",
    "sign_in",
]

REFUSED = "sign-in refused: wrong username or password, or too many attempts; try again later"


@dataclass(frozen=True)
class LoginPolicy:
    max_failures_per_user: int = 5
    max_failures_per_address: int = 50
    lockout_minutes: int = 15


@dataclass(frozen=True)
class SignIn:
    principal: Principal
    token_version: int
    must_change_password: bool


def principal_of(user: User) -> Principal:
    return Principal(user.username, Role(user.role), user.site_code)


def _user(session: Session, username: str, *, lock: bool = False) -> User:
    query = select(User).where(User.username == username)
    user = session.scalars(query.with_for_update() if lock else query).first()
    if user is None:
        raise NotFound(f"user {username!r} not found")
    return user


def _snapshot(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "role": user.role,
        "site": user.site_code,
        "active": user.active,
        "token_version": user.token_version,
        "must_change_password": user.must_change_password,
    }


def _audit_user(
    session: Session, *, actor: Principal, action: str, user: User, before: object, reason: str | None
) -> None:
    audit.write(
        session,
        user,
        actor=actor.username,
        action=action,
        entity="user",
        entity_id=user.username,
        before=before,
        after=_snapshot(user),
        reason=reason,
    )


def _check_site(session: Session, role: Role, site_code: str | None) -> str | None:
    if role not in SITE_ROLES:
        return None
    if site_code is None or session.get(Site, site_code) is None:
        raise Invalid(f"site: {role.value} needs an existing site, not {site_code!r}")
    return site_code


def create_user(
    session: Session, *, actor: Principal, username: str, role: Role, site_code: str | None, password: str
) -> User:
    require(actor, Role.trial_office)
    site = _check_site(session, role, site_code)
    check_password_policy(password)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role.value,
        site_code=site,
        active=True,
        token_version=0,
        must_change_password=False,
    )
    _audit_user(session, actor=actor, action="user.create", user=user, before=None, reason=None)
    return user


def list_users(session: Session, *, actor: Principal) -> list[User]:
    require(actor, Role.trial_office)
    return list(session.scalars(select(User).order_by(User.username)))


def _reason(reason: str) -> str:
    if not reason.strip():
        raise Invalid("reason: a reason is required to change an account")
    return reason


def set_active(session: Session, *, actor: Principal, username: str, active: bool, reason: str) -> User:
    """Deactivate (every token of the user stops working at once) or reactivate an account."""
    require(actor, Role.trial_office)
    _reason(reason)
    user = _user(session, username, lock=True)
    if user.username == actor.username and not active:
        raise Conflict("user: you cannot deactivate your own account")
    before = _snapshot(user)
    user.active = active
    user.token_version += 1
    session.flush()
    action = "user.reactivate" if active else "user.deactivate"
    _audit_user(session, actor=actor, action=action, user=user, before=before, reason=reason)
    return user


def change_role(
    session: Session, *, actor: Principal, username: str, role: Role, site_code: str | None, reason: str
) -> User:
    """A new role or site; the user's existing tokens stop working at once."""
    require(actor, Role.trial_office)
    _reason(reason)
    user = _user(session, username, lock=True)
    site = _check_site(session, role, site_code)
    before = _snapshot(user)
    user.role = role.value
    user.site_code = site
    user.token_version += 1
    session.flush()
    _audit_user(session, actor=actor, action="user.role", user=user, before=before, reason=reason)
    return user


def reset_password(session: Session, *, actor: Principal, username: str, reason: str) -> str:
    """Set a one-time password (returned once, never stored in clear) that only lets its holder
    choose a new password; the user's existing tokens stop working at once."""
    require(actor, Role.trial_office)
    _reason(reason)
    user = _user(session, username, lock=True)
    one_time = secrets.token_urlsafe(15)
    before = _snapshot(user)
    user.password_hash = hash_password(one_time)
    user.must_change_password = True
    user.token_version += 1
    session.flush()
    _audit_user(session, actor=actor, action="user.password_reset", user=user, before=before, reason=reason)
    return one_time


def change_own_password(session: Session, *, username: str, current: str, new: str) -> User:
    user = _user(session, username, lock=True)
    if not check_password(user.password_hash, current):
        raise Unauthorized("password: the current password is wrong")
    if new == current:
        raise Invalid("new_password: choose a password other than the current one")
    check_password_policy(new)
    before = _snapshot(user)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.token_version += 1
    session.flush()
    _audit_user(
        session,
        actor=principal_of(user),
        action="user.password_change",
        user=user,
        before=before,
        reason=None,
    )
    return user


def resolve(session: Session, *, username: str, version: int) -> Principal:
    """The caller of a token or session, as the database says now: refused if the account is
    gone, inactive, or changed since the token was issued (role, site, password)."""
    columns = (User.active, User.token_version, User.role, User.site_code)
    query = select(*columns).where(User.username == username)
    row = session.execute(query).first()  # four columns, no ORM object: this runs on every request
    if row is None or not row.active or row.token_version != version:
        raise Unauthorized("invalid or expired token")
    return Principal(username, Role(row.role), row.site_code)


# --- sign-in throttling ----------------------------------------------------------------------------


def _throttle(session: Session, key: str, at: datetime) -> LoginThrottle:
    """The throttle row of one key, created if absent and locked for this transaction."""
    dialect = session.get_bind().dialect.name
    values = {"key": key, "failures": 0, "window_start": at, "locked_until": None}
    if dialect == "postgresql":
        session.execute(postgresql.insert(LoginThrottle).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(LoginThrottle).values(**values).on_conflict_do_nothing())
    row = session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return row


def _locked(row: LoginThrottle, at: datetime) -> bool:
    return row.locked_until is not None and row.locked_until > at


def _fail(row: LoginThrottle, *, at: datetime, limit: int, minutes: int) -> None:
    if at - row.window_start > timedelta(minutes=minutes):
        row.failures, row.window_start = 0, at
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = at + timedelta(minutes=minutes)


def sign_in(
    session: Session, *, username: str, password: str, address: str, policy: LoginPolicy
) -> SignIn | None:
    """Check a sign-in; None is a refusal (the caller commits, so failures count and are audited).

    The password is always verified, against a dummy hash when the user is unknown or locked."""
    at = now()
    by_user = _throttle(session, f"user:{username}", at)
    by_address = _throttle(session, f"addr:{address}", at)
    locked = _locked(by_user, at) or _locked(by_address, at)
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or locked:
        burn_password_check(password)
        good = False
    else:
        good = check_password(user.password_hash, password) and user.active
    if good and user is not None:
        by_user.failures, by_user.locked_until = 0, None
        session.flush()
        return SignIn(principal_of(user), user.token_version, user.must_change_password)
    _fail(by_user, at=at, limit=policy.max_failures_per_user, minutes=policy.lockout_minutes)
    _fail(by_address, at=at, limit=policy.max_failures_per_address, minutes=policy.lockout_minutes)
    session.flush()
    audit.record(
        session,
        actor=username[:64] or "-",
        action="login.failed",
        entity="user",
        entity_id=username[:64] or "-",
        after={
            "address": address,
            "known_user": user is not None,
            "locked": _locked(by_user, at) or _locked(by_address, at),
        },
    )
    return None


def lift_lockout(
    session: Session, *, actor: Principal, username: str | None, address: str | None, reason: str
) -> int:
    """Clear the failure count and lockout of a username and/or an address; how many were cleared."""
    require(actor, Role.trial_office)
    _reason(reason)
    keys = [k for k in (username and f"user:{username}", address and f"addr:{address}") if k]
    if not keys:
        raise Invalid("username: give a username or an address whose lockout to lift")
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    audit.record(
        session,
        actor=actor.username,
        action="login.lockout_lift",
        entity="login",
        entity_id=(username or address or "-")[:64],
        after={"username": username, "address": address},
        reason=reason,
    )
    return int(getattr(result, "rowcount", 0) or 0)
