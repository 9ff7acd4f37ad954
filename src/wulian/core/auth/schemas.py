"""API shapes of accounts, departments and tokens."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from wulian.core.permissions import Role


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    is_active: bool


class DepartmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="部门代码，如 kjj")
    name: str = Field(description="部门名称，如 科技局")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    department_id: int | None
    enterprise_id: int | None
    is_active: bool
    must_change_password: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str
    role: Role
    display_name: str = ""
    password: str | None = Field(default=None, description="不填则生成随机初始密码，仅返回一次")
    department_code: str | None = None
    enterprise_uscc: str | None = None


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = None
    role: Role | None = None
    department_code: str | None = None
    enterprise_uscc: str | None = None
    is_active: bool | None = None


class CreatedUserOut(BaseModel):
    user: UserOut
    generated_password: str | None = Field(description="生成的初始密码，只显示这一次")


class PasswordOut(BaseModel):
    generated_password: str


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: list[str]
    enterprise_id: int | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    scopes: list[str]
    enterprise_uscc: str | None = None
    expires_at: dt.datetime | None = None


class CreatedTokenOut(BaseModel):
    token: TokenOut
    plaintext: str = Field(description="令牌明文，只显示这一次，请妥善保存")


class MeOut(BaseModel):
    kind: str
    id: int | None
    label: str
    role: Role | None
    department_id: int | None
    enterprise_id: int | None
    permissions: list[str]
    scopes: list[str]
    must_change_password: bool
