from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wulian.core.auth.passwords import (
    generate_password,
    hash_password,
    password_problems,
    verify_password,
)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=12, max_value=40))
def test_generated_passwords_always_pass_the_rules(length):
    password = generate_password(length)
    assert len(password) == length
    assert password_problems(password) == []


@settings(max_examples=200)
@given(st.text(max_size=9))
def test_short_passwords_are_refused(password):
    assert "密码长度至少 10 位" in password_problems(password)


@settings(max_examples=200)
@given(st.text(alphabet="abcdefghij", min_size=10, max_size=30))
def test_one_kind_of_character_is_not_enough(password):
    assert any("至少三类" in p for p in password_problems(password))


def test_rules_in_chinese():
    assert password_problems("Zhangsan-2026", username="zhangsan") == ["密码不能包含用户名"]
    assert password_problems("Password123") == ["密码过于常见或简单"]
    assert password_problems("Good-Pass-2026") == []


def test_hash_is_argon2_and_verifies():
    hashed = hash_password("Good-Pass-2026")
    assert hashed.startswith("$argon2id$")
    assert verify_password("Good-Pass-2026", hashed)[0]
    assert not verify_password("Good-Pass-2027", hashed)[0]
    assert not verify_password("anything", None)[0]
