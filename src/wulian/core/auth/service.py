"""Accounts: departments, users, sign-in with throttling, browser sessions and API tokens.

The only module that reads and writes the account tables. Every function takes the acting
`Actor` (or is part of signing in) and checks permissions before touching anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.auth.models import ApiToken, Department, LoginThrottle, User, UserSession
from wulian.core.auth.passwords import (
    generate_password,
    hash_password,
    password_problems,
    verify_password,
)
from wulian.core.db import utcnow
from wulian.core.errors import (
    AccountDisabled,
    AccountLocked,
    Conflict,
    InvalidCredentials,
    InvalidInput,
    InvalidToken,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    SessionExpired,
    WulianError,
)
from wulian.core.permissions import (
    ROLE_PERMISSIONS,
    SCOPES,
    Actor,
    Permission,
    Role,
    scope_permissions,
)

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
DEPARTMENT_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,31}$")
TOKEN_PREFIX = "wlt_"  # noqa: S105  (a public prefix, not a secret)
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)


def _digest(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- actors


def actor_for_user(user: User) -> Actor:
    """The actor of a signed-in user."""
    return Actor(
        kind="user",
        id=user.id,
        label=user.username,
        permissions=ROLE_PERMISSIONS[user.role],
        role=user.role,
        department_id=user.department_id,
        enterprise_id=user.enterprise_id,
        must_change_password=user.must_change_password,
    )


def actor_for_token(token: ApiToken) -> Actor:
    """The actor of an API token: only what its scopes grant."""
    return Actor(
        kind="token",
        id=token.id,
        label=f"令牌:{token.name}",
        permissions=scope_permissions(token.scopes),
        enterprise_id=token.enterprise_id,
        scopes=frozenset(token.scopes),
    )


# ---------------------------------------------------------------- departments


def get_department_by_code(session: Session, *, code: str) -> Department | None:
    """The department with code, if any."""
    return session.scalar(sa.select(Department).where(Department.code == code.strip().lower()))


def get_department_by_code_or_raise(session: Session, *, code: str) -> Department:
    """The department with code, or a clear error."""
    department = get_department_by_code(session, code=code)
    if department is None:
        raise NotFound(f"部门代码不存在：{code}")
    return department


def department_id_for_code(session: Session, *, code: str | None) -> int | None:
    """The id of the department with code; None when no code is given."""
    if code is None or not code.strip():
        return None
    return get_department_by_code_or_raise(session, code=code).id


def acts_for(session: Session, *, actor: Actor, department: str | None) -> bool:
    """Whether actor may act for the department with code `department`: administrators and the
    system for every department; anyone else only for the department they belong to. Nobody but
    an administrator acts for something that names no department."""
    if actor.answers_for_all:
        return True
    if department is None or actor.department_id is None:
        return False
    return actor.department_id == session.scalar(
        sa.select(Department.id).where(Department.code == department)
    )


def may_act(
    session: Session, *, actor: Actor, permission: Permission, department: str | None
) -> bool:
    """Whether a member of staff holding permission may use it for `department`'s work (to show
    an action only where it works; the service still checks with `require_owner`)."""
    return (
        actor.has(permission)
        and actor.enterprise_id is None
        and acts_for(session, actor=actor, department=department)
    )


def require_owner(session: Session, *, actor: Actor, department: str | None, what: str) -> None:
    """Raise unless actor may act for `department`, the owner of `what` (a Chinese noun phrase:
    “政策“X”的兑现”); the message names the owning department."""
    if acts_for(session, actor=actor, department=department):
        return
    owner = department and session.scalar(
        sa.select(Department.name).where(Department.code == department)
    )
    if not owner:
        raise PermissionDenied(f"{what}没有指定主管部门，只有系统管理员可以办理")
    raise PermissionDenied(f"{what}由{owner}负责，只有该部门的人员或系统管理员可以办理")


def check_owner_change(
    session: Session, *, actor: Actor, new: str | None, old: str | None, copy: bool, what: str
) -> None:
    """A file that names its department (a policy, an evaluation spec) is edited by that
    department: `new` must be a department that exists, the actor must act for it and, for a
    new version (not a copy), for `old` too; handing it to another department is for
    administrators."""
    if new is not None and get_department_by_code(session, code=new) is None:
        raise InvalidInput(f"department（主管部门）“{new}”不是已有的部门代码", field="text")
    if not copy:
        require_owner(session, actor=actor, department=old, what=what)
        if new != old and not actor.answers_for_all:
            raise PermissionDenied("只有系统管理员可以更改主管部门（department）")
    require_owner(session, actor=actor, department=new, what=what)


def get_all_departments(session: Session, *, actor: Actor) -> Sequence[Department]:
    """All departments, by code, for zone staff."""
    actor.require(Permission.ZONE_READ)
    return session.scalars(sa.select(Department).order_by(Department.code)).all()


def create_department(session: Session, *, actor: Actor, code: str, name: str) -> Department:
    """A new department."""
    actor.require(Permission.DEPARTMENTS_MANAGE)
    code, name = code.strip().lower(), name.strip()
    if not DEPARTMENT_CODE_RE.match(code):
        raise InvalidInput(
            f"部门代码“{code}”无效：须为 2–32 位小写字母、数字、下划线或连字符", field="code"
        )
    if not name or len(name) > 100:
        raise InvalidInput("部门名称不能为空，且不超过 100 个字", field="name")
    if get_department_by_code(session, code=code):
        raise Conflict(f"部门代码已存在：{code}", field="code")
    if session.scalar(sa.select(Department).where(Department.name == name)):
        raise Conflict(f"部门名称已存在：{name}", field="name")
    department = Department(code=code, name=name)
    session.add(department)
    session.flush()
    return department


# ---------------------------------------------------------------- users


def get_user(session: Session, *, user_id: int) -> User | None:
    """The user with user_id, if any."""
    return session.get(User, user_id)


def get_user_by_username(session: Session, *, username: str) -> User | None:
    """The user with username (case-insensitive), if any."""
    return session.scalar(sa.select(User).where(User.username == username.strip().lower()))


def staff_names(session: Session) -> dict[str, str]:
    """Each staff login → how pages name the person: 张三（科技局）, or the login when no
    display name is set (a firm's users keep their login)."""
    rows = session.execute(
        sa.select(User.username, User.display_name, Department.name).outerjoin(
            Department, Department.id == User.department_id
        )
    ).all()
    out = {}
    for username, display, department in rows:
        name = display or username
        out[username] = f"{name}（{department}）" if department else name
    return out


def get_user_or_raise(session: Session, *, actor: Actor, user_id: int) -> User:
    """A user, for an administrator."""
    actor.require(Permission.USERS_MANAGE)
    user = get_user(session, user_id=user_id)
    if user is None:
        raise NotFound(f"用户不存在：{user_id}")
    return user


def get_all_users(session: Session, *, actor: Actor) -> Sequence[User]:
    """All users, for an administrator."""
    actor.require(Permission.USERS_MANAGE)
    return session.scalars(sa.select(User).order_by(User.username)).all()


def count_users(session: Session) -> int:
    """How many active users there are."""
    return session.scalar(sa.select(sa.func.count(User.id)).where(User.is_active)) or 0


def _check_bindings(role: Role, department_id: int | None, enterprise_id: int | None) -> None:
    if role is Role.OFFICER and department_id is None:
        raise InvalidInput("部门工作人员必须绑定一个部门", field="department")
    if role is Role.ENTERPRISE and enterprise_id is None:
        raise InvalidInput("企业用户必须绑定一家企业（统一社会信用代码）", field="enterprise")
    if role is Role.ENTERPRISE and department_id is not None:
        raise InvalidInput("企业用户不能绑定政府部门", field="department")
    if role is not Role.ENTERPRISE and enterprise_id is not None:
        raise InvalidInput("只有企业用户可以绑定企业", field="enterprise")


def _check_password(password: str, username: str) -> None:
    problems = password_problems(password, username=username)
    if problems:
        raise InvalidInput("；".join(problems), field="password")


@dataclass(frozen=True)
class CreatedUser:
    user: User
    generated_password: str | None


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: Role | str,
    display_name: str = "",
    password: str | None = None,
    department_id: int | None = None,
    enterprise_id: int | None = None,
    must_change_password: bool = True,
) -> CreatedUser:
    """A new user. Without a password one is generated and returned once, to be changed at login."""
    actor.require(Permission.USERS_MANAGE)
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            f"用户名“{username}”无效：须为 3–64 位小写字母、数字、点、下划线或连字符，"
            "以字母或数字开头",
            field="username",
        )
    role = _parse_role(role)
    _check_bindings(role, department_id, enterprise_id)
    if get_user_by_username(session, username=username):
        raise Conflict(f"用户名已存在：{username}", field="username")
    generated = None
    if password is None:
        password = generated = generate_password()
        must_change_password = True
    else:
        _check_password(password, username)
    user = User(
        username=username,
        display_name=display_name.strip()[:100],
        role=role,
        department_id=department_id,
        enterprise_id=enterprise_id,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        password_changed_at=None if must_change_password else utcnow(),
    )
    session.add(user)
    session.flush()
    return CreatedUser(user=user, generated_password=generated)


def _count_active_admins(session: Session) -> int:
    query = sa.select(sa.func.count(User.id)).where(User.role == Role.ADMIN, User.is_active)
    return session.scalar(query) or 0


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^1\d{10}$")  # a mainland mobile number


def clean_contact(email_address: str, phone: str) -> tuple[str | None, str | None]:
    """An email address and a mobile number as stored (None when left empty); InvalidInput
    naming the field when either is malformed."""
    address, number = email_address.strip(), phone.strip().replace(" ", "").replace("-", "")
    if address and (len(address) > 254 or not EMAIL.match(address)):
        raise InvalidInput("电子邮箱格式不正确", field="email", value=address)
    if number and not PHONE.match(number):
        raise InvalidInput("手机号码应为 11 位数字", field="phone", value=number)
    return address or None, number or None


def update_user(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    display_name: str | None = None,
    role: Role | str | None = None,
    department_id: int | None = None,
    enterprise_id: int | None = None,
    is_active: bool | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> User:
    """Change a user's name, role, bindings, status or contact (email, phone: None keeps it,
    empty clears it); the last active administrator stays."""
    user = get_user_or_raise(session, actor=actor, user_id=user_id)
    new_role = user.role if role is None else _parse_role(role)
    new_active = user.is_active if is_active is None else is_active
    if user.role is Role.ADMIN and (new_role is not Role.ADMIN or not new_active):
        if user.id == actor.id:
            raise InvalidInput("不能停用自己或撤销自己的管理员角色", field="role")
        if _count_active_admins(session) <= 1:
            raise InvalidInput("至少要保留一名启用状态的系统管理员", field="role")
    _check_bindings(new_role, department_id, enterprise_id)
    if display_name is not None:
        user.display_name = display_name.strip()[:100]
    if email is not None or phone is not None:
        address, number = clean_contact(
            email if email is not None else user.email or "",
            phone if phone is not None else user.phone or "",
        )
        user.email, user.phone = address, number
    user.role = new_role
    user.department_id = department_id
    user.enterprise_id = enterprise_id
    if user.is_active and not new_active:
        _revoke_sessions(session, user_id=user.id)
    user.is_active = new_active
    session.flush()
    return user


def _parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(
            f"角色“{role}”无效，可选：{', '.join(r.value for r in Role)}", field="role"
        ) from None


def reset_password(session: Session, *, actor: Actor, user_id: int) -> str:
    """Give a user a new generated password (shown once), to be changed at next sign-in."""
    user = get_user_or_raise(session, actor=actor, user_id=user_id)
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    _revoke_sessions(session, user_id=user.id)
    session.flush()
    return password


def change_password(
    session: Session,
    *,
    actor: Actor,
    current_password: str,
    new_password: str,
    keep_session_id: int | None = None,
    policy: LoginPolicy | None = None,
) -> User:
    """A user changes their own password; their other sessions end. Wrong current passwords
    are counted and locked like failed sign-ins (policy), and audited; the caller commits in
    every case so that the count is kept."""
    if actor.kind != "user" or actor.id is None:
        raise PermissionDenied("只有登录用户可以修改自己的密码")
    user = session.get(User, actor.id)
    if user is None or not user.is_active:
        raise NotAuthenticated()
    policy = policy or LoginPolicy()
    now = utcnow()
    throttles = _claim(session, [f"password:{user.id}"], now)
    locked = _locked_until(throttles.values(), now)
    if locked:
        raise _locked_error(locked, now)
    ok, _ = verify_password(current_password, user.password_hash)
    if not ok:
        lock = _count_failure(throttles.values(), policy, now)
        audit.record(
            session, action="password.change_failure", object_type="users", object_id=user.id
        )
        session.flush()
        if lock:
            raise _locked_error(lock, now)
        raise InvalidInput("当前密码不正确", field="current_password")
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == f"password:{user.id}"))
    if new_password == current_password:
        raise InvalidInput("新密码不能与当前密码相同", field="new_password")
    _check_password(new_password, user.username)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    _revoke_sessions(session, user_id=user.id, except_id=keep_session_id)
    session.flush()
    return user


# ---------------------------------------------------------------- sign-in and sessions


@dataclass(frozen=True)
class LoginResult:
    """A successful sign-in carries the session token; a failed one carries the error to show."""

    user: User | None = None
    token: str | None = None
    error: WulianError | None = None


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lock_minutes: int = 15
    session_idle_minutes: int = 120
    session_max_hours: int = 12


def _claim(session: Session, keys: list[str], now: dt.datetime) -> dict[str, LoginThrottle]:
    """The throttle rows of keys, created if missing and held until the transaction ends: two
    sign-ins with the same name or from the same address are checked and counted one after the
    other, so no guess slips past the count and no first failure collides with another."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(LoginThrottle.__table__)  # type: ignore[arg-type]
        .values([{"key": k, "failures": 0, "window_started_at": now} for k in keys])
        .on_conflict_do_nothing(index_elements=["key"])
    )
    rows = session.scalars(
        sa.select(LoginThrottle)
        .where(LoginThrottle.key.in_(keys))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {row.key: row for row in rows}


def _locked_until(rows: Iterable[LoginThrottle], now: dt.datetime) -> dt.datetime | None:
    until = [r.locked_until for r in rows if r.locked_until and r.locked_until > now]
    return max(until) if until else None


def _count_failure(
    rows: Iterable[LoginThrottle], policy: LoginPolicy, now: dt.datetime
) -> dt.datetime | None:
    """Count one failure on each row; the end of the lock it causes, if any."""
    lock = None
    for row in rows:
        if now - row.window_started_at > dt.timedelta(minutes=policy.lock_minutes):
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        if row.failures >= policy.max_failures:
            row.failures, row.locked_until = 0, now + dt.timedelta(minutes=policy.lock_minutes)
            lock = row.locked_until
    return lock


def _locked_error(until: dt.datetime, now: dt.datetime) -> AccountLocked:
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return AccountLocked(
        f"登录失败次数过多，已锁定，请 {minutes} 分钟后再试", retry_after_seconds=minutes * 60
    )


def login(
    session: Session,
    *,
    username: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
    secret: bytes,
    policy: LoginPolicy,
) -> LoginResult:
    """Check credentials with throttling, and open a session when they are right.

    The failure bookkeeping is written too, so the caller commits in every case.
    """
    name = username.strip().lower()[:64]
    keys = [f"user:{name}", f"ip:{ip or 'unknown'}"]
    now = utcnow()
    audit.track(session, Actor(kind="user", id=None, label=name or "(空)", permissions=frozenset()))
    throttles = _claim(session, keys, now)
    locked = _locked_until(throttles.values(), now)
    if locked:
        audit.record(
            session, action="login.refused_locked", object_type="users", after={"username": name}
        )
        return LoginResult(error=_locked_error(locked, now))
    user = get_user_by_username(session, username=name) if name else None
    ok, new_hash = verify_password(password, user.password_hash if user else None)
    if not ok or user is None:
        lock = _count_failure(throttles.values(), policy, now)
        audit.record(
            session,
            action="login.failure",
            object_type="users",
            object_id=user.id if user else None,
            after={"username": name},
        )
        session.flush()
        if lock:
            return LoginResult(error=_locked_error(lock, now))
        return LoginResult(error=InvalidCredentials("用户名或密码错误"))
    audit.track(session, actor_for_user(user))
    if not user.is_active:
        audit.record(
            session, action="login.refused_disabled", object_type="users", object_id=user.id
        )
        return LoginResult(error=AccountDisabled())
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
    if new_hash:
        user.password_hash = new_hash
    user.last_login_at = now
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_digest(secret, token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(hours=policy.session_max_hours),
            ip=ip,
            user_agent=(user_agent or "")[:300],
        )
    )
    audit.record(session, action="login.success", object_type="users", object_id=user.id)
    session.flush()
    return LoginResult(user=user, token=token)


def resolve_session(
    session: Session, *, token: str, secret: bytes, policy: LoginPolicy
) -> tuple[User, UserSession]:
    """The user of a session cookie, or NotAuthenticated / SessionExpired."""
    row = session.scalar(
        sa.select(UserSession).where(UserSession.token_hash == _digest(secret, token))
    )
    if row is None or row.revoked_at is not None:
        raise NotAuthenticated()
    now = utcnow()
    idle_limit = row.last_seen_at + dt.timedelta(minutes=policy.session_idle_minutes)
    if now >= row.expires_at or now >= idle_limit:
        raise SessionExpired()
    if not row.user.is_active:
        raise AccountDisabled()
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
    return row.user, row


def logout(session: Session, *, token: str, secret: bytes) -> None:
    """End the session of token."""
    row = session.scalar(
        sa.select(UserSession).where(UserSession.token_hash == _digest(secret, token))
    )
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    audit.record(session, action="logout", object_type="users", object_id=row.user_id)


def _revoke_sessions(session: Session, *, user_id: int, except_id: int | None = None) -> None:
    query = sa.update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if except_id is not None:
        query = query.where(UserSession.id != except_id)
    session.execute(query.values(revoked_at=utcnow()))


# ---------------------------------------------------------------- API tokens


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    plaintext: str


def create_token(
    session: Session,
    *,
    actor: Actor,
    name: str,
    scopes: list[str],
    secret: bytes,
    enterprise_id: int | None = None,
    expires_at: dt.datetime | None = None,
) -> CreatedToken:
    """A new API token; its plaintext is returned once and never stored."""
    actor.require(Permission.TOKENS_MANAGE)
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("令牌名称不能为空，且不超过 100 个字", field="name")
    scopes = sorted(set(scopes))
    if not scopes:
        raise InvalidInput("至少选择一个权限范围", field="scopes")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise InvalidInput(
            f"未知的权限范围：{', '.join(unknown)}；可选：{', '.join(SCOPES)}", field="scopes"
        )
    bound = [SCOPES[s].label for s in scopes if SCOPES[s].firm_bound]
    if bound and enterprise_id is None:
        raise InvalidInput(
            f"以企业名义的权限范围（{'；'.join(bound)}）须绑定一家企业", field="enterprise_id"
        )
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("到期时间必须晚于现在", field="expires_at")
    prefix = secrets.token_hex(6)
    plaintext = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        name=name,
        prefix=prefix,
        token_hash=_digest(secret, plaintext),
        scopes=scopes,
        enterprise_id=enterprise_id,
        created_by_id=actor.id if actor.kind == "user" else None,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return CreatedToken(token=token, plaintext=plaintext)


def get_all_tokens(session: Session, *, actor: Actor) -> Sequence[ApiToken]:
    """All tokens, newest first, for an administrator."""
    actor.require(Permission.TOKENS_MANAGE)
    return session.scalars(sa.select(ApiToken).order_by(ApiToken.id.desc())).all()


def revoke_token(session: Session, *, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token; it stops working at once."""
    actor.require(Permission.TOKENS_MANAGE)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"令牌不存在：{token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def resolve_token(session: Session, *, plaintext: str, secret: bytes) -> ApiToken:
    """The live token for plaintext, or InvalidToken."""
    match = re.fullmatch(rf"{TOKEN_PREFIX}([0-9a-f]{{12}})_[A-Za-z0-9_-]{{20,}}", plaintext)
    if not match:
        raise InvalidToken()
    token = session.scalar(sa.select(ApiToken).where(ApiToken.prefix == match.group(1)))
    if token is None or not hmac.compare_digest(token.token_hash, _digest(secret, plaintext)):
        raise InvalidToken()
    now = utcnow()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        raise InvalidToken()
    if token.last_used_at is None or now - token.last_used_at >= LAST_SEEN_RESOLUTION:
        token.last_used_at = now
    return token
