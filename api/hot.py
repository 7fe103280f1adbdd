"""The hottest read, a node's one-hop neighbourhood, answered before FastAPI's routing.

Every click in the explorer asks ``GET /nodes/{uid}/neighbors``. With fifty clients on
two cores the server process is bound by its interpreter: FastAPI's routing, its
dependency solving (the caller, the store, five query parameters) and its inner
middleware cost as much CPU per request as the database driver. :class:`HotReads`
answers the plain case of that route itself, after the same checks, and hands every
other request to the app untouched:

- the caller's key is read by the security schemes :func:`api.auth.current_user`
  depends on (:func:`api.auth.request_key`) and must name an active user (else the
  route answers, with its 401);
- only ``depth``, ``rel_type``, ``label``, ``per_type_limit`` and ``limit`` may be given,
  each a plain value inside the route's bounds, ``depth`` 1 (else the route answers,
  with its 422 or its ``?year=`` graph);
- the store is open, current, and reads the neighbourhood without a worker thread
  (:func:`one_hop`); a hub or a store that needs a thread goes to the route;
- the store's own errors (an unknown node, a database out of reach) get the app's
  answer to them (:func:`api.errors.library_answer`), as the route would give.

The route stays the documented one (OpenAPI, /docs). The middleware sits inside the
audit and URL-length middleware, so both still see every request.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.answer import JSONAnswer
from api.auth import demo_user, request_key
from api.errors import STATUS, library_answer
from graph.store import INLINE_ROWS, GraphStore
from schemas.ontology import UnknownTerm, label_codes, rel_type_codes
from schemas.results import Neighborhood

NEIGHBOURS_LIMIT = 2000
"""Largest ``limit`` of the neighbours route (its Query bound)."""
NEIGHBOURS_DEFAULT = 200
"""The neighbours route's ``limit`` when none is given."""
PER_TYPE_LIMIT = 1000
"""Largest ``per_type_limit`` of the neighbours route."""
PER_TYPE_DEFAULT = 20
"""The neighbours route's ``per_type_limit`` when none is given."""
_INTS = {"depth": (1, 1), "per_type_limit": (1, PER_TYPE_LIMIT),
         "limit": (1, NEIGHBOURS_LIMIT)}
"""The integer parameters the fast path takes, with the bounds it takes them within."""
_LISTS = ("rel_type", "label")


async def one_hop(store: GraphStore, *, uid: str, rel_types: list[str] | None,
                  labels: list[str] | None, per_type_limit: int | None,
                  limit: int) -> Neighborhood | None:
    """A one-hop neighbourhood read without a worker thread, or None where it would need
    one: through the store's asynchronous reads (a database), or inline from memory when
    the node is no hub (:data:`graph.store.INLINE_ROWS`)."""
    if store.reads_async:
        return await store.neighbors_async(uid=uid, rel_types=rel_types, labels=labels,
                                           per_type_limit=per_type_limit, limit=limit)
    if store.reads_in_memory and (store.degree_hint(uid) or 0) <= INLINE_ROWS:
        return store.neighbors(uid=uid, depth=1, rel_types=rel_types, labels=labels,
                               per_type_limit=per_type_limit, limit=limit)
    return None


def _params(query: bytes) -> dict[str, Any] | None:
    """The route's parameters from a query string, or None unless every one is a plain
    value the route would take as it is."""
    out: dict[str, Any] = {"per_type_limit": PER_TYPE_DEFAULT, "limit": NEIGHBOURS_DEFAULT,
                           "rel_type": None, "label": None}
    try:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    except ValueError:
        return None
    for name, value in pairs:
        if name in _INTS:
            if not value.isascii() or not value.isdigit():
                return None
            low, high = _INTS[name]
            if not low <= int(value) <= high:
                return None
            out[name] = int(value)
        elif name in _LISTS:
            out[name] = [*(out[name] or ()), value]
        else:
            return None
    try:
        out["rel_type"] = rel_type_codes(out["rel_type"])
        out["label"] = label_codes(out["label"])
    except UnknownTerm:  # the route's own 422
        return None
    return out


LIBRARY_ERRORS = tuple(cls for cls, _ in STATUS)
"""The errors the app's handlers answer (:data:`api.errors.STATUS`)."""


class HotReads:
    """ASGI middleware answering the plain one-hop neighbourhood request (see the module's
    text); every other request goes to ``app`` unchanged."""

    def __init__(self, app: ASGIApp, *, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith("/nodes/") and path.endswith("/neighbors"):
                uid = path[len("/nodes/"):-len("/neighbors")]
                if uid and "/" not in uid:
                    answer = await self._answer(scope, uid)
                    if answer is not None:
                        await answer(scope, receive, send)
                        return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, uid: str) -> Response | None:
        state = self.state
        settings = state.settings
        if settings.auth:
            key = await request_key(HTTPConnection(scope))
            user = state.users.find(key) if key else None
            if user is None:
                return None
        else:
            user = demo_user(settings)
        params = _params(scope.get("query_string") or b"")
        store: GraphStore | None = state.store
        if params is None or store is None or store.refresh_due():
            return None
        # what current_user would have set: the audit entry names the caller
        scope.setdefault("state", {})["user"] = user
        try:
            hood = await one_hop(store, uid=uid, rel_types=params["rel_type"],
                                 labels=params["label"],
                                 per_type_limit=params["per_type_limit"],
                                 limit=params["limit"])
        except LIBRARY_ERRORS as exc:
            # an unknown node (404), a database out of reach (503): the route's answer,
            # without asking the store a second time
            return library_answer(exc)
        return None if hood is None else JSONAnswer(hood)


__all__ = ["HotReads", "one_hop"]
