"""Who is calling: API keys per user, a role per key, the audit log.

* **Users** live in ``<INNOGRAPH_HOME>/users.json`` (mode 0600): a name, a role
  (:data:`schemas.privacy.ROLES`) and the SHA-256 of the user's key. Keys are 32 random
  bytes, shown once by ``innograph users add`` and never stored; a revoked user's key
  stops working on the next request (the file is re-read when it changes).
* **Requests** carry the key as ``Authorization: Bearer KEY``, ``X-API-Key: KEY`` or the
  ``innograph_key`` cookie that ``POST /auth/login`` sets for the explorer page
  (HttpOnly, SameSite=Strict, so downloads and views opened from the page work too).
  No key or an unknown key: 401; a role without the right: 403.
* **Off only on purpose**: ``INNOGRAPH_AUTH=off`` (a local demo) makes every request
  the role of ``INNOGRAPH_ROLE``; the server says so when it starts.
* **Audit**: one JSON line per request in ``<INNOGRAPH_HOME>/audit.log`` when
  authentication is on (refused ones included)
  (time, user, role, method, path, query parameter names, status), append-only;
  ``innograph audit`` lists it. Parameter values are not written: a search may be a
  phone number.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schemas.privacy import ROLE_NAMES, ROLES, Role, role_code

USERS_FILE = "users.json"
AUDIT_FILE = "audit.log"
COOKIE = "innograph_key"
KEY_PREFIX = "igk_"
_NAME = re.compile(r"^[\w.\-\u4e00-\u9fff]{1,40}$")


class AuthError(ValueError):
    """A user-management request that cannot be done (the message is Chinese)."""


@dataclass(frozen=True)
class User:
    """An authenticated caller."""

    name: str
    role: Role

    @property
    def role_name(self) -> str:
        """The role in Chinese."""
        return ROLE_NAMES[self.role]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class UserStore:
    """The users file: add, list, revoke, and find the user of a key.

    Args:
        home: The directory of ``users.json`` (``INNOGRAPH_HOME``).
    """

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / USERS_FILE
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._by_digest: dict[str, dict[str, Any]] = {}

    def _read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return list(data["users"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AuthError(f"用户文件无法读取: {self.path}: {exc}") from exc

    def _write(self, users: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"users": users}, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def add(self, name: str, role: str) -> str:
        """Create a user and return its key (shown once; only its digest is kept).

        Raises:
            AuthError: For a bad name, an unknown role or a name already in use.
        """
        if not _NAME.match(name):
            raise AuthError(f"用户名 {name!r} 不合法:1 到 40 个汉字、字母、数字或 ._-")
        try:
            code = role_code(role)
        except ValueError as exc:
            raise AuthError(str(exc)) from exc
        with self._lock:
            users = self._read()
            if any(u["name"] == name and not u.get("revoked") for u in users):
                raise AuthError(f"用户 {name} 已存在(先吊销再重建)")
            key = KEY_PREFIX + secrets.token_urlsafe(32)
            users.append({"name": name, "role": code, "key_sha256": _digest(key),
                          "created": _now(), "revoked": None})
            self._write(users)
        return key

    def revoke(self, name: str) -> None:
        """Revoke a user's key.

        Raises:
            AuthError: When no active user has this name.
        """
        with self._lock:
            users = self._read()
            active = [u for u in users if u["name"] == name and not u.get("revoked")]
            if not active:
                raise AuthError(f"没有名为 {name} 的有效用户")
            for u in active:
                u["revoked"] = _now()
            self._write(users)

    def list(self) -> list[dict[str, Any]]:
        """Every user (active and revoked), without key digests."""
        return [{"name": u["name"], "role": u["role"], "role_name": ROLE_NAMES[u["role"]],
                 "created": u.get("created"), "revoked": u.get("revoked")}
                for u in self._read()]

    def find(self, key: str) -> User | None:
        """The active user whose key this is, or None."""
        with self._lock:
            try:
                st = self.path.stat()
                stamp: tuple[float, int] | None = (st.st_mtime, st.st_size)
            except OSError:
                stamp = None
            if stamp != self._stamp:
                self._by_digest = {u["key_sha256"]: u for u in self._read()
                                   if not u.get("revoked")}
                self._stamp = stamp
            table = self._by_digest
        found = table.get(_digest(key))
        return User(found["name"], found["role"]) if found else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---- FastAPI dependencies ----------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="API 密钥(innograph users add 生成)")
_header = APIKeyHeader(name="X-API-Key", auto_error=False)
_cookie = APIKeyCookie(name=COOKIE, auto_error=False)


def _chosen(bearer: HTTPAuthorizationCredentials | None, header: str | None,
            cookie: str | None) -> str | None:
    """The key a request carries: a bearer token, else X-API-Key, else the login cookie."""
    return (bearer.credentials if bearer else None) or header or cookie


async def request_key(connection: HTTPConnection) -> str | None:
    """The key :func:`current_user` reads, by the same security schemes, for code that
    answers a request before FastAPI's dependencies (api.hot)."""
    return _chosen(await _bearer(connection), await _header(connection),
                   await _cookie(connection))


def demo_user(settings: Any) -> User:
    """The caller of every request when authentication is off."""
    return User("本地演示", settings.demo_role)


async def current_user(
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        header: Annotated[str | None, Depends(_header)],
        cookie: Annotated[str | None, Depends(_cookie)]) -> User:
    """The caller, from its key; 401 without a valid one (unless auth is off). Async:
    a stat and a dict look-up, not worth a hop to the thread pool on every request."""
    settings = request.app.state.settings
    if not settings.auth:
        user = demo_user(settings)
    else:
        key = _chosen(bearer, header, cookie)
        if not key:
            raise HTTPException(401, "需要登录:请提供 API 密钥(Authorization: Bearer …)",
                                headers={"WWW-Authenticate": "Bearer"})
        found = request.app.state.users.find(key)
        if found is None:
            raise HTTPException(401, "API 密钥无效或已吊销",
                                headers={"WWW-Authenticate": "Bearer"})
        user = found
    request.state.user = user
    return user


UserDep = Annotated[User, Depends(current_user)]


def require(*roles: Role) -> Callable[[User], Coroutine[Any, Any, User]]:
    """A dependency admitting only ``roles`` (403 for the others)."""
    names = "、".join(ROLE_NAMES[r] for r in roles)

    async def check(user: UserDep) -> User:
        if user.role not in roles:
            raise HTTPException(403, f"当前角色({user.role_name})无权访问,需要:{names}")
        return user

    return check


def role_of(request: Request) -> str:
    """The role of the request's caller (set by :func:`current_user`)."""
    user = getattr(request.state, "user", None)
    return user.role if user is not None else "analyst"


# ---- audit ---------------------------------------------------------------------------

class AuditLog:
    """The append-only audit file of a home directory."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / AUDIT_FILE
        self._lock = threading.Lock()
        self._fd: int | None = None

    def write(self, **entry: Any) -> None:
        """Append one entry (a JSON line) with the current time: one ``write`` to a file
        kept open in append mode (atomic per line, also across server processes)."""
        line = (json.dumps({"time": _now(), **entry}, ensure_ascii=False) + "\n").encode()
        with self._lock:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.write(self._fd, line)

    def read(self, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` entries, oldest first."""
        if not self.path.exists():
            return []
        # split on newlines only: a path may hold U+2028 or U+0085, which splitlines()
        # would take for line ends inside an entry
        lines = [ln for ln in self.path.read_text(encoding="utf-8").split("\n") if ln.strip()]
        out = []
        for ln in lines[-limit:]:
            try:
                out.append(json.loads(ln))
            except ValueError:
                out.append({"error": "损坏的审计记录"})
        return out


class AuditMiddleware:
    """ASGI middleware writing one audit entry per request that reached a route with a
    caller, or was refused (401, 403). Installed only when authentication is on; a plain
    ASGI wrapper, because Starlette's ``BaseHTTPMiddleware`` costs every request more
    than a whole neighbourhood query."""

    def __init__(self, app: ASGIApp, audit: AuditLog) -> None:
        self.app = app
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, record)
        # what current_user set on request.state lives in the scope's state
        user = (scope.get("state") or {}).get("user")
        if user is not None or status in (401, 403):
            params = QueryParams(scope.get("query_string") or b"")
            self.audit.write(user=user.name if user else None,
                             role=user.role if user else None, method=scope["method"],
                             path=str(scope["path"])[:300], params=sorted(set(params.keys())),
                             status=status, ms=round((time.perf_counter() - started) * 1000, 1))


__all__ = ["ROLES", "AuditLog", "AuthError", "User", "UserDep", "UserStore", "current_user",
           "demo_user", "request_key", "require", "role_of"]
