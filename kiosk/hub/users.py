"""Dashboard users (argon2id password hashes) and login sessions kept as rows, so any hub process can serve
any request. The cookie holds a random token; the database holds only its SHA-256, the user, the session's
CSRF token and when it expires."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

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
    if not NAME.match(name):
        raise UserError("bad_name", "a user name is 1-64 letters, digits, dots, dashes, underscores or @")
    if len(password) < MIN_PASSWORD:
        raise UserError("weak_password", f"a password needs at least {MIN_PASSWORD} characters")
    hashed = _hasher.hash(password)
    with engine.begin() as c:
        if replace and c.execute(update(users).where(users.c.name == name)
                                 .values(password_hash=hashed)).rowcount == 1:
            return
        try:
            c.execute(insert(users).values(name=name, password_hash=hashed, created_at=now()))
        except IntegrityError as exc:
            raise UserError("user_exists", f"user {name!r} exists (--replace sets a new password)") from exc


# argon2id with the library's defaults takes 64 MiB per check: a burst of logins waits its turn instead.
_checking = threading.BoundedSemaphore(4)


def check_password(engine: Engine, name: str, password: str) -> bool:
    if len(password) > 1024:
        return False
    with engine.connect() as c:
        hashed = c.execute(select(users.c.password_hash).where(users.c.name == name)).scalar()
    with _checking:
        try:
            _hasher.verify(hashed or _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return False
    return hashed is not None


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
    if not token or len(token) > 128:
        return None
    with engine.connect() as c:
        row = c.execute(select(web_sessions).where(web_sessions.c.token_hash == _digest(token))).first()
    if row is None or row.expires_at.replace(tzinfo=row.expires_at.tzinfo or now().tzinfo) < now():
        return None
    return Session(row.user_name, row.csrf)


def close_session(engine: Engine, token: str | None) -> None:
    if token:
        with engine.begin() as c:
            c.execute(delete(web_sessions).where(web_sessions.c.token_hash == _digest(token)))


def csrf_ok(session: Session, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(session.csrf.encode(), str(given).encode())
