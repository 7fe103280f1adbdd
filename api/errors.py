"""The one place that maps errors to HTTP status codes, and the one error body.

Every error answer, whatever raised it, is an :class:`ErrorBody`: a code for machines,
a message for people (``message``, repeated as ``detail`` for older clients) and the
offending parameter when there is one. The input is never echoed back: a 300 KB query
answers with a one-line message.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.errors import (
    Ambiguous,
    BatchRejected,
    GraphError,
    NotFound,
    QueryLimitError,
    StoreUnavailable,
)
from schemas.errors import SchemaError

STATUS: list[tuple[type[Exception], int]] = [
    (NotFound, 404),
    (Ambiguous, 422),
    (QueryLimitError, 422),
    (BatchRejected, 422),
    (SchemaError, 422),
    (StoreUnavailable, 503),
    (GraphError, 500),
]

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 413: "too_large", 414: "uri_too_long",
         422: "invalid", 429: "too_many_requests", 500: "internal", 503: "unavailable"}


class ErrorBody(BaseModel):
    """What every error answer carries."""

    code: str = Field(description="机器可读的错误代码,如 not_found、invalid、forbidden")
    message: str = Field(description="给人看的中文说明")
    detail: str = Field(description="同 message(兼容旧客户端)")
    param: str | None = Field(default=None, description="出错的参数名(若能指出)")


RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "未登录、密钥无效或已吊销"},
    403: {"model": ErrorBody, "description": "当前角色无权访问"},
    404: {"model": ErrorBody, "description": "找不到该主体或资源"},
    414: {"model": ErrorBody, "description": "请求地址过长(超过 16 KB)"},
    422: {"model": ErrorBody, "description": "参数无效(超出上限、未知类型、名称有歧义等)"},
    503: {"model": ErrorBody, "description": "数据库暂不可用,稍后自动恢复"},
}
"""Documented on every route (FastAPI's ``responses``)."""

_MESSAGES = {
    "missing": "缺少参数 {p}",
    "string_too_long": "参数 {p} 过长(最多 {max_length} 个字符)",
    "string_too_short": "参数 {p} 过短(至少 {min_length} 个字符)",
    "too_long": "参数 {p} 的取值过多(最多 {max_length} 个)",
    "greater_than_equal": "参数 {p} 须不小于 {ge}",
    "less_than_equal": "参数 {p} 须不大于 {le}",
    "greater_than": "参数 {p} 须大于 {gt}",
    "less_than": "参数 {p} 须小于 {lt}",
    "int_parsing": "参数 {p} 须为整数",
    "float_parsing": "参数 {p} 须为数字",
    "bool_parsing": "参数 {p} 须为 true 或 false",
    "enum": "参数 {p} 的取值无效,可选:{expected}",
    "literal_error": "参数 {p} 的取值无效,可选:{expected}",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "请求体格式不对",
    "dict_type": "请求体须为 JSON 对象",
}


def body(status: int, message: str, param: str | None = None) -> JSONResponse:
    """The error answer."""
    return JSONResponse(ErrorBody(code=CODES.get(status, "error"), message=message,
                                  detail=message, param=param).model_dump(),
                        status_code=status)


def library_answer(exc: Exception) -> JSONResponse:
    """The answer to one of the library's errors (:data:`STATUS`): its status, its message
    (500 without details)."""
    for cls, code in STATUS:
        if isinstance(exc, cls):
            param = getattr(exc, "field", None) or None
            return body(code, str(exc) if code != 500 else "服务器内部错误", param)
    return body(500, "服务器内部错误")


def _validation_message(err: dict[str, Any]) -> tuple[str, str | None]:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body", "header",
                                                           "cookie")]
    param = ".".join(loc) or None
    template = _MESSAGES.get(str(err.get("type")))
    ctx = {k: (v if not isinstance(v, str) else v[:200]) for k, v in
           (err.get("ctx") or {}).items()}
    if template is not None:
        try:
            return template.format(p=param or "", **ctx), param
        except (KeyError, IndexError):
            pass
    return f"参数 {param or ''} 无效", param


def install(app: FastAPI) -> None:
    """Register the handlers: library errors, validation errors and HTTP errors all
    become an :class:`ErrorBody` with their status."""

    def library(_: Request, exc: Exception) -> JSONResponse:
        return library_answer(exc)

    def validation(_: Request, exc: Exception) -> JSONResponse:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        if not errors:
            return body(422, "请求无效")
        message, param = _validation_message(errors[0])
        return body(422, message, param)

    def http(_: Request, exc: Exception) -> JSONResponse:
        status = getattr(exc, "status_code", 500)
        detail = getattr(exc, "detail", "")
        if status == 400:  # Starlette's body parsing: undecodable bytes
            return body(422, "请求体无法解析(须为 UTF-8 编码的 JSON)")
        response = body(status, detail if isinstance(detail, str) else "请求无效")
        for key, value in (getattr(exc, "headers", None) or {}).items():
            response.headers[key] = value
        return response

    for cls, _ in STATUS:
        app.add_exception_handler(cls, library)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
