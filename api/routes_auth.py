"""Logging in and out (for the explorer page), who am I, the audit log, talents' contact
data (the one route only the talent office and admins may call)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from api.auth import COOKIE, AuditLog, User, UserDep, require
from api.deps import StoreDep
from schemas.privacy import personal_fields

router = APIRouter(tags=["登录与权限"])


class Login(BaseModel):
    """An API key to log in with."""

    key: str = Field(min_length=1, max_length=200, description="innograph users add 给出的密钥")


class Me(BaseModel):
    """The caller."""

    name: str
    role: str
    role_name: str
    auth: bool


def _me(user: User, request: Request) -> Me:
    return Me(name=user.name, role=user.role, role_name=user.role_name,
              auth=bool(request.app.state.settings.auth))


@router.post("/auth/login", response_model=Me)
def login(body: Login, request: Request, response: Response) -> Me:
    """用 API 密钥登录:设置仅限本站的 HttpOnly Cookie,页面中的下载和视图随之可用。"""
    user = request.app.state.users.find(body.key)
    if user is None:
        request.app.state.audit.write(user=None, role=None, method="POST",
                                      path="/auth/login", params=[], status=401)
        raise HTTPException(401, "API 密钥无效或已吊销")
    response.set_cookie(COOKIE, body.key, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    request.state.user = user
    return _me(user, request)


@router.post("/auth/logout")
def logout(response: Response) -> dict[str, str]:
    """退出登录(清除 Cookie)。"""
    response.delete_cookie(COOKIE, path="/")
    return {"status": "ok"}


@router.get("/auth/me", response_model=Me)
def me(user: UserDep, request: Request) -> Me:
    """当前用户及其角色。"""
    return _me(user, request)


@router.get("/audit", dependencies=[Depends(require("admin"))])
def audit(request: Request,
          limit: Annotated[int, Query(ge=1, le=10_000)] = 200) -> list[dict[str, Any]]:
    """审计日志:谁在何时检索、查看、导出了什么(仅管理员)。"""
    log: AuditLog = request.app.state.audit
    return log.read(limit=limit)


@router.get("/talents/{uid}/contact",
            dependencies=[Depends(require("talent_office", "admin"))])
def contact(uid: str, store: StoreDep) -> dict[str, Any]:
    """人才的联系方式与证件号(仅人才办与管理员)。"""
    n = store.get_node(uid=uid)
    if n.label != "Talent":
        raise HTTPException(404, f"{uid} 不是人才")
    data = n.model_dump(mode="json")
    return {"uid": n.uid, "name": n.name,
            **{f: data.get(f) for f in sorted(personal_fields("Talent"))}}
