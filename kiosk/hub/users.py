"""Dashboard users (argon2id password hashes) and login sessions kept as rows, so any hub process can serve
any request. The cookie holds a random token; the database holds only its SHA-256, the user, the session's
CSRF token and when it expires."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.hub.logins import wait_after
from kiosk.hub.store import now
from kiosk.hub.tables import users, web_sessions

NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# A login attempt for an unknown name costs what a real one costs, so timing does not say which names exist.
_DUMMY = _hasher.hash(secrets.token_hex(16))


class UserError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def add_user(engine: Engine, name: str, password: str, replace: bool = False) -> None:
    """A new dashboard user, or (``replace``) a new password for one: then every session that user had open
    ends, so a leaked cookie dies with the old password."""
    if not NAME.match(name):
        raise UserError("bad_name", "a user name is 1-64 letters, digits, dots, dashes, underscores or @")
    if len(password) < MIN_PASSWORD:
        raise UserError("weak_password", f"a password needs at least {MIN_PASSWORD} characters")
    hashed = _hasher.hash(password)
    with engine.begin() as c:
        if replace and c.execute(update(users).where(users.c.name == name)
                                 .values(password_hash=hashed, failed_logins=0, retry_at=None)).rowcount == 1:
            c.execute(delete(web_sessions).where(web_sessions.c.user_name == name))
            return
        try:
            c.execute(insert(users).values(name=name, password_hash=hashed, created_at=now(), failed_logins=0))
        except IntegrityError as exc:
            raise UserError("user_exists", f"user {name!r} exists (--replace sets a new password)") from exc


def remove_user(engine: Engine, name: str) -> bool:
    """The user and every session of theirs, gone; False if there was no such user."""
    with engine.begin() as c:
        c.execute(delete(web_sessions).where(web_sessions.c.user_name == name))
        return c.execute(delete(users).where(users.c.name == name)).rowcount == 1


def logout_all(engine: Engine) -> int:
    """End every dashboard session (everyone logs in again); returns how many there were."""
    with engine.begin() as c:
        return c.execute(delete(web_sessions)).rowcount


@dataclass(frozen=True)
class Login:
    ok: bool
    retry_after_s: float = 0.0   # > 0: the account is backing off; the password was not checked


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def check_login(engine: Engine, name: str, password: str) -> Login:
    """Check a password, unless the account is backing off after failures in a row (``logins.wait_after``).
    A failure makes the account wait longer; a success clears it. Blocks (argon2id): run on a check thread."""
    if len(password) > 1024 or not NAME.match(name):
        return Login(False)
    with engine.connect() as c:
        row = c.execute(select(users.c.password_hash, users.c.retry_at).where(users.c.name == name)).first()
    if row is not None and row.retry_at is not None and _utc(row.retry_at) > now():
        return Login(False, (_utc(row.retry_at) - now()).total_seconds())
    try:
        _hasher.verify(row.password_hash if row else _DUMMY, password)
        ok = row is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if row is not None:
        with engine.begin() as c:
            if ok:
                c.execute(update(users).where(users.c.name == name).values(failed_logins=0, retry_at=None))
            else:  # one statement counts, so failures through several hub processes all count
                n = c.execute(update(users).where(users.c.name == name)
                              .values(failed_logins=users.c.failed_logins + 1)
                              .returning(users.c.failed_logins)).scalar() or 0
                wait = wait_after(n)
                if wait:
                    c.execute(update(users).where(users.c.name == name)
                              .values(retry_at=now() + timedelta(seconds=wait)))
    return Login(ok)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str


def open_session(engine: Engine, user: str, hours: float) -> tuple[str, Session]:
    """A new login: (cookie token, session)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    with engine.begin() as c:
        c.execute(delete(web_sessions).where(web_sessions.c.expires_at < now()))
        c.execute(insert(web_sessions).values(token_hash=_digest(token), user_name=user, csrf=csrf,
                                              expires_at=now() + timedelta(hours=hours)))
    return token, Session(user, csrf)


def session_for(engine: Engine, token: str | None) -> Session | None:
    """The session this cookie opened, if it has not expired and its user still exists."""
    if not token or len(token) > 128:
        return None
    with engine.connect() as c:
        row = c.execute(select(web_sessions).join(users, users.c.name == web_sessions.c.user_name)
                        .where(web_sessions.c.token_hash == _digest(token))).first()
    if row is None or _utc(row.expires_at) < now():
        return None
    return Session(row.user_name, row.csrf)


def close_session(engine: Engine, token: str | None) -> None:
    if token:
        with engine.begin() as c:
            c.execute(delete(web_sessions).where(web_sessions.c.token_hash == _digest(token)))


def csrf_ok(session: Session, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(session.csrf.encode(), str(given).encode())
