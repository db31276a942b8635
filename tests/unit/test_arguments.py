"""The management commands' argparse validators: what each takes, and the words it refuses with."""

from __future__ import annotations

import argparse

import pytest

from django_kue.management.arguments import (
    non_negative_int,
    port,
    positive_int,
    positive_number,
    type_list,
)


@pytest.mark.parametrize("text, value", [("0", 0), ("1", 1), ("250", 250), (" 7 ", 7), ("+3", 3)])
def test_non_negative_int_takes_zero_and_up(text, value):
    assert non_negative_int(text) == value


@pytest.mark.parametrize("text, value", [("1", 1), ("4", 4), ("10000", 10000)])
def test_positive_int_takes_one_and_up(text, value):
    assert positive_int(text) == value


@pytest.mark.parametrize("text, value", [("0.01", 0.01), ("2", 2.0), ("1.5", 1.5), ("1e3", 1000.0)])
def test_positive_number_takes_any_number_above_zero(text, value):
    assert positive_number(text) == value


@pytest.mark.parametrize("text, value", [("1", 1), ("8000", 8000), ("65535", 65535)])
def test_port_takes_a_tcp_port(text, value):
    assert port(text) == value


@pytest.mark.parametrize("text, value", [
    ("email", ["email"]),
    ("t.echo, t.noop", ["t.echo", "t.noop"]),
    ("a,,b,", ["a", "b"]),
])
def test_type_list_splits_on_commas_and_drops_blanks(text, value):
    assert type_list(text) == value


@pytest.mark.parametrize("validator, text, words", [
    (non_negative_int, "-1", "'-1' must not be negative"),
    (non_negative_int, "many", "'many' is not an integer"),
    (non_negative_int, "", "'' is not an integer"),
    (non_negative_int, "2.0", "'2.0' must be a whole number"),
    (non_negative_int, "1.5", "'1.5' must be a whole number"),
    (positive_int, "0", "'0' must be at least 1"),
    (positive_int, "-2", "'-2' must not be negative"),
    (positive_int, "soon", "'soon' is not an integer"),
    (positive_int, "2.0", "'2.0' must be a whole number"),
    (positive_int, "1e3", "'1e3' must be a whole number"),
    (positive_number, "0", "'0' must be positive"),
    (positive_number, "-0.5", "'-0.5' must be positive"),
    (positive_number, "x", "'x' is not a number"),
    (positive_number, "nan", "'nan' is not a finite number"),
    (positive_number, "inf", "'inf' is not a finite number"),
    (port, "0", "'0' is not a TCP port"),
    (port, "-80", "'-80' is not a TCP port"),
    (port, "65536", "'65536' is not a TCP port"),
    (port, "http", "'http' is not a TCP port"),
    (port, "80.0", "'80.0' is not a TCP port"),
    (type_list, ",", "at least one job type"),
    (type_list, " ", "at least one job type"),
])
def test_bad_values_are_refused_with_words_naming_them(validator, text, words):
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        validator(text)
    assert words in str(refused.value)


def test_a_refusal_reaches_the_user_as_an_argparse_error(capsys):
    parser = argparse.ArgumentParser(prog="kue")
    parser.add_argument("--limit", type=positive_int)
    with pytest.raises(SystemExit):
        parser.parse_args(["--limit", "2.0"])
    assert "argument --limit: '2.0' must be a whole number" in capsys.readouterr().err
