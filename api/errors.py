"""The one place that maps library errors to HTTP status codes."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from graph.errors import (
    Ambiguous,
    BatchRejected,
    GraphError,
    NotFound,
    QueryLimitError,
    StoreUnavailable,
)

STATUS: list[tuple[type[Exception], int]] = [
    (NotFound, 404),
    (Ambiguous, 422),
    (QueryLimitError, 422),
    (BatchRejected, 422),
    (StoreUnavailable, 503),
    (GraphError, 500),
]


def install(app: FastAPI) -> None:
    """Register handlers: each error becomes ``{"detail": message}`` with its status."""

    def handler(_: Request, exc: Exception) -> JSONResponse:
        for cls, code in STATUS:
            if isinstance(exc, cls):
                return JSONResponse({"detail": str(exc), "error": cls.__name__},
                                    status_code=code)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    for cls, _ in STATUS:
        app.add_exception_handler(cls, handler)
