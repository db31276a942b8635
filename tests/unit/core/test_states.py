"""Kue's vocabulary: state names and priorities, validated (Kue accepted any string)."""

from __future__ import annotations

import pytest

from django_kue.core.errors import InvalidJob, InvalidPriority, InvalidState
from django_kue.core.states import (
    PRIORITIES,
    PRIORITY_LIMIT,
    STATES,
    Priority,
    State,
    parse_priority,
    parse_state,
    priority_name,
)


def test_the_five_states_in_kues_spelling():
    assert STATES == ("inactive", "delayed", "active", "complete", "failed")
    assert str(State.ACTIVE) == "active"
    assert State.ACTIVE == "active"


@pytest.mark.parametrize("name", ["inactive", "COMPLETE", "Failed", State.DELAYED])
def test_parse_state_accepts_names_in_any_case(name):
    assert parse_state(name).value == str(name).lower()


@pytest.mark.parametrize("name", ["queued", "", "active ", None, 3, "stuck"])
def test_parse_state_refuses_anything_else(name):
    with pytest.raises(InvalidState, match="unknown state"):
        parse_state(name)
    assert issubclass(InvalidState, InvalidJob)


def test_kues_priority_map():
    assert PRIORITIES == {"low": 10, "normal": 0, "medium": -5, "high": -10, "critical": -15}
    assert Priority.CRITICAL < Priority.HIGH < Priority.MEDIUM < Priority.NORMAL < Priority.LOW


@pytest.mark.parametrize("value, number", [
    ("low", 10), ("normal", 0), ("medium", -5), ("high", -10), ("critical", -15),
    ("HIGH", -10), (" critical ", -15), (7, 7), (-3, -3), ("42", 42), ("-20", -20),
    (Priority.HIGH, -10), (PRIORITY_LIMIT, PRIORITY_LIMIT),
])
def test_parse_priority(value, number):
    assert parse_priority(value) == number


@pytest.mark.parametrize("value", ["urgent", "", "1.5", 1.5, True, False, None, [1],
                                   PRIORITY_LIMIT + 1, -PRIORITY_LIMIT - 1])
def test_parse_priority_refuses_bad_values(value):
    with pytest.raises(InvalidPriority):
        parse_priority(value)


def test_priority_name_maps_back_or_shows_the_number():
    assert priority_name(-10) == "high"
    assert priority_name(0) == "normal"
    assert priority_name(3) == 3
