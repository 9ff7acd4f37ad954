"""Password hashing (argon2 through pwdlib), password rules and generated passwords."""

from __future__ import annotations

import functools
import secrets
import string

from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so that timing does not reveal which
    names exist; made on first use (hashing costs what a login costs, not every start)."""
    return _hasher.hash(secrets.token_urlsafe(16))


MIN_LENGTH = 10
MAX_LENGTH = 128
_SYMBOLS = "!@#$%^&*()-_=+[]{};:,.<>/?~"
_COMMON = frozenset(
    {
        "password123",
        "password1234",
        "admin12345",
        "admin123456",
        "1234567890",
        "qwertyuiop",
        "qwerty12345",
        "abc1234567",
        "a123456789",
        "woaini1314",
        "p@ssw0rd123",
    }
)


def hash_password(password: str) -> str:
    """The argon2 hash of password."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Whether password matches, and a new hash when the stored one uses outdated parameters."""
    if password_hash is None:
        _hasher.verify(password, _dummy_hash())
        return False, None
    return _hasher.verify_and_update(password, password_hash)


def password_problems(password: str, *, username: str = "") -> list[str]:
    """What is wrong with password under the rules, in Chinese; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码长度至少 {MIN_LENGTH} 位")
    if len(password) > MAX_LENGTH:
        problems.append(f"密码长度不能超过 {MAX_LENGTH} 位")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        problems.append("密码须包含小写字母、大写字母、数字、符号中的至少三类")
    if username and username.lower() in password.lower():
        problems.append("密码不能包含用户名")
    if password.lower() in _COMMON or len(set(password)) < 4:
        problems.append("密码过于常见或简单")
    return problems


def generate_password(length: int = 16) -> str:
    """A random password that satisfies the rules."""
    alphabet = string.ascii_letters + string.digits + _SYMBOLS
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if not password_problems(candidate) and all(
            any(c in group for c in candidate)
            for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits, _SYMBOLS)
        ):
            return candidate
