"""Answers of the hot read routes, serialised once by pydantic's own serializer.

A route that returns a value with a response model is answered by FastAPI in three
steps: the value is validated against the model again (for a plain ``def`` route, in a
second hop through the thread pool), dumped, then encoded. The store already returns
validated models, so these routes hand back :class:`JSONAnswer` instead: one pass of
pydantic-core's serializer, in the route's own thread. The response models stay
declared on the routes for the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json
from starlette.responses import Response


class JSONAnswer(Response):
    """A JSON response whose content (models, dicts, lists of them) pydantic-core
    serialises: UTF-8, compact, by alias, as FastAPI's own serialisation writes it."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return to_json(content, by_alias=True)
