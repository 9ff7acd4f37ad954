"""Validation errors are put into Chinese in one place; pydantic's English never reaches a user."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from wulian.core.errors import validation_message


class Form(BaseModel):
    year: int = Field(ge=1990, le=2100)
    share: float = Field(gt=0, allow_inf_nan=False)
    method: Literal["minmax", "zscore"]
    when: str = Field(pattern=r"^\d{4}$")
    note: str = ""

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        if value == "bad":
            raise ValueError("说明不能写“bad”")
        return value


def messages(**data: object) -> dict[str, str]:
    try:
        Form.model_validate(data)
    except ValidationError as error:
        return {str(e["loc"][0]): validation_message(e) for e in error.errors()}
    raise AssertionError("accepted")


def test_every_kind_of_error_is_chinese_and_states_its_bound() -> None:
    found = messages(year=1800, share=float("inf"), method="maxmin", when="24", note="bad")
    assert found == {
        "year": "不能小于 1990",
        "share": "应为有效的数字",
        "method": "应为以下之一：minmax、zscore",
        "when": "格式不正确",
        "note": "说明不能写“bad”",
    }
    assert messages(year="二〇二四", share=0.5, method="minmax", when="2024")["year"] == "应为整数"
    missing = messages(share=-1, method="minmax", when="2024")
    assert missing == {"year": "缺少必填字段", "share": "应大于 0"}


def test_an_error_type_without_a_translation_is_said_in_chinese_not_in_english() -> None:
    message = validation_message({"type": "some_new_type", "msg": "Input should be fancy"})
    assert message == "取值不符合要求"
    assert not re.search(r"[A-Za-z]{3,}", message)
