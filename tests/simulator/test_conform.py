"""conform(): a built reply in the shape of a captured one."""

import pytest

from simulator.whatsminer.conform import conform, convert


@pytest.mark.parametrize(
    ("value", "like", "expected"),
    [
        (3600, "3600", "3600"),
        (625, 1.5, 625.0),
        (625.4, 1, 625),
        ("12", 0, 12),
        (True, "false", "true"),
        ("true", False, True),
        (1, True, True),
        (61.5, "x", "61.5"),
        (62.0, "x", "62"),
        ("n/a", 0, "n/a"),  # no faithful conversion: left as it is
        ([1], "x", [1]),
    ],
)
def test_convert_takes_the_captured_type(value, like, expected):
    result = convert(value, like)
    assert result == expected
    assert type(result) is type(expected)


def test_keys_and_fills_follow_the_capture_in_the_built_order():
    fills: list[str] = []
    built = {"b": 2, "a": 1, "extra": 9}
    template = {"a": 0.0, "static": "captured", "b": "", "live": 1.0}
    result = conform(built, template, fillable={"static"}, fills=fills)
    # "live" was not built and is no static field: left out, never frozen.
    assert list(result.items()) == [("b", "2"), ("a", 1.0), ("static", "captured")]
    assert fills == ["static"]


def test_numbered_keys_follow_the_built_count():
    template = {"pcbsn0": "A", "pcbsn1": "B", "temp0": 1.0, "type": "x"}
    built = {"pcbsn0": "s0", "pcbsn1": "s1", "pcbsn2": "s2", "pcbsn3": "s3"}
    fills: list[str] = []
    result = conform({**built, "type": "M7", "temp0": 3}, template, fills=fills)
    assert result == {**built, "temp0": 3.0, "type": "M7"}
    assert fills == []


def test_lists_take_the_first_captured_item_and_passthrough_keeps_rare_keys():
    template = {"DEVS": [{"Slot": 0, "HS RT": 1.5}], "Count": 0}
    built = {
        "DEVS": [{"Slot": 0, "HS RT": 2, "ASC": 0}, {"Slot": 1, "HS RT": 3}],
        "Count": 2,
        "Error Code 0": 531,
        "Error Code X": 1,
    }
    result = conform(built, template, passthrough=[r"Error Code \d+"])
    assert result == {
        "DEVS": [{"Slot": 0, "HS RT": 2.0}, {"Slot": 1, "HS RT": 3.0}],
        "Count": 2,
        "Error Code 0": 531,
    }


def test_error_codes_as_keys_follow_the_captured_one():
    template = {"error_code": [{"207": "2026-09-18 19:54:34"}]}
    built = {"error_code": [{"531": "2026-03-18 05:32:50"}, {"2010": "x"}]}
    assert conform(built, template) == built


def test_mismatched_containers_are_left_to_the_shape_tests():
    assert conform("S", [{"STATUS": "S"}]) == "S"
    assert conform([1], {"a": 1}) == [1]
    assert conform([], [{"a": 1}]) == []
