"""The 七维 spec on the index engine and the A–E catalogue on the rules engine, without a
database: a hand-worked example first, then unknown inputs, the tables and the classes."""

from __future__ import annotations

import polars as pl
import pytest

from wulian.core.errors import InvalidFile
from wulian.talent import evaluation as ev


@pytest.fixture(scope="module")
def spec() -> ev.SevenSpec:
    return ev.load(ev.shipped_text())


@pytest.fixture(scope="module")
def catalogue():
    return ev.catalogue()


def test_hand_worked_example(spec):
    """A doctor with 8 years, a 20–50万 band, a core position, 4 achievements, a 副高 title and
    honours not recorded. Tables: doctor 100, 8 years 60, 20万 60, core 50, 4 achievements 70,
    副高 85; weights 20, 15, 15, 15, 15, 10 (honours' 10 unknown, so out):
    (20×100 + 15×60 + 15×60 + 15×50 + 15×70 + 10×85) / 90 = 6450 / 90 = 71.67 → 71.7."""
    frame = ev.frame_of([ev.PersonInput(7, "doctor", 8, 20.0, "core", 4, "deputy_senior", None)])
    (result,) = ev.score(spec, frame)
    assert result.score == 71.7
    assert result.known == 6
    by_key = {d.key: d for d in result.dimensions}
    assert by_key["experience_years"].points == 60
    assert by_key["experience_years"].shown == "8 年"
    assert by_key["experience_years"].row == "5–10 年（含下限）：60 分"
    assert by_key["education_rank"].row == "博士研究生：100 分"
    assert by_key["honour_rank"].shown == "未知"
    assert by_key["honour_rank"].points is None
    assert by_key["education_rank"].share == pytest.approx(20 / 90)


def test_unknown_is_not_zero(spec):
    """An unknown dimension leaves the points of the known ones as they are; a known zero
    (no achievements) lowers them."""
    known = ev.PersonInput(1, "master", 5, 20.0, "middle", None, "intermediate", "none")
    zero = ev.PersonInput(2, "master", 5, 20.0, "middle", 0, "intermediate", "none")
    first, second = ev.score(spec, ev.frame_of([known, zero]))
    assert first.score is not None
    assert second.score is not None
    assert second.score < first.score


def test_too_few_known_dimensions_gives_no_points(spec):
    few = ev.PersonInput(3, "doctor", 10, None, None, None, None, None)
    (result,) = ev.score(spec, ev.frame_of([few]))
    assert result.known == 2
    assert result.score is None


def test_weights_and_tables_are_the_spec(spec):
    """Editing a table changes the points: the numbers come from the spec, not the code."""
    text = ev.shipped_text().replace(
        "- {min: 5, below: 10, points: 60}", "- {min: 5, below: 10, points: 75}"
    )
    edited = ev.load(text)
    person = ev.PersonInput(9, None, 8, None, None, None, None, None)
    (result,) = ev.score(edited, ev.frame_of([person]))
    dims = {d.key: d for d in result.dimensions}
    assert dims["experience_years"].points == 75


def test_a_spec_without_a_table_is_refused():
    text = ev.shipped_text().replace("indicators: [honour_rank]", "indicators: [title_rank]")
    with pytest.raises(InvalidFile) as caught:
        ev.load(text)
    assert "荣誉与人才计划" in str(caught.value.problems)


@pytest.mark.parametrize(
    ("person", "grade", "status"),
    [
        (ev.PersonInput(1, "bachelor", None, 10.0, None, None, "none", "top"), "A", "matched"),
        (ev.PersonInput(2, "master", None, 20.0, None, None, "none", "national"), "B", "matched"),
        (
            ev.PersonInput(3, "doctor", None, 100.0, None, None, "full_senior", "none"),
            "C",
            "matched",
        ),
        (
            ev.PersonInput(4, "doctor", None, 50.0, None, None, "intermediate", "none"),
            "D",
            "matched",
        ),
        (ev.PersonInput(5, "master", None, 20.0, None, None, "none", "none"), "E", "matched"),
        (
            ev.PersonInput(6, "bachelor", None, 20.0, None, None, "intermediate", "none"),
            None,
            "none",
        ),
    ],
)
def test_catalogue_classes(catalogue, person, grade, status):
    (result,) = ev.grade(catalogue, ev.frame_of([person]), period=2026)
    assert (result.grade, result.status) == (grade, status)


def test_near_miss_says_what_fails(catalogue):
    """A doctor on 20–50万 is class E; the next class up (D) fails on the salary."""
    person = ev.PersonInput(1, "doctor", None, 20.0, None, None, "intermediate", "none")
    (result,) = ev.grade(catalogue, ev.frame_of([person]), period=2026)
    assert result.grade == "E"
    assert result.award_wan == 50
    assert [n["grade"] for n in result.near] == ["D"]
    assert "50 万元" in result.near[0]["reasons"][0]
    assert result.to_complete == []


def test_unknown_only_where_it_could_change_the_grade(catalogue):
    """Honours unknown: a doctor is E, and the higher classes that honours could give are 待补充
    with the data they need; with honours known as none, nothing is 待补充."""
    unknown = ev.PersonInput(1, "doctor", None, 20.0, None, None, "intermediate", None)
    known = ev.PersonInput(2, "doctor", None, 20.0, None, None, "intermediate", "none")
    first, second = ev.grade(catalogue, ev.frame_of([unknown, known]), period=2026)
    assert first.grade == "E"
    assert [p["grade"] for p in first.to_complete] == ["A", "B", "C", "D"]
    assert all("最高荣誉或入选人才计划层级" in p["missing"] for p in first.to_complete)
    assert second.to_complete == []
    # a class already held is not put in doubt by data missing for a lower one
    top = ev.PersonInput(3, None, None, None, None, None, None, "top")
    (third,) = ev.grade(catalogue, ev.frame_of([top]), period=2026)
    assert (third.grade, third.to_complete) == ("A", [])


def test_nothing_known_is_to_complete_not_ungraded(catalogue):
    (result,) = ev.grade(catalogue, ev.frame_of([ev.PersonInput(1)]), period=2026)
    assert result.status == "unknown"
    assert result.label == "待补充"


def test_frame_keeps_no_personal_fields():
    frame = ev.frame_of([ev.PersonInput(1, "doctor")])
    assert "name" not in frame.columns
    assert "identity_number" not in frame.columns
    assert frame.schema["person_id"] == pl.Int64
