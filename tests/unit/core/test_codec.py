"""JSON is the only serializer: compact, strict, size-limited."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from django_kue.core import codec
from django_kue.core.errors import InvalidJob, PayloadTooLarge


def test_dumps_is_compact_and_keeps_unicode():
    assert codec.dumps({"to": "é", "n": [1, 2]}) == '{"to":"é","n":[1,2]}'


@pytest.mark.parametrize("value", [{"x": {1, 2}}, {"when": dt.datetime(2024, 1, 1)},
                                   {"f": math.nan}, {"f": math.inf}, {"o": object()}])
def test_what_json_cannot_carry_is_refused(value):
    with pytest.raises(InvalidJob, match="not JSON-serialisable"):
        codec.dumps(value)


def test_the_error_names_what_was_refused():
    with pytest.raises(InvalidJob, match="job result is not JSON-serialisable"):
        codec.dumps(object(), what="result")


def test_size_limit_counts_the_json_text():
    assert codec.dumps({"a": "x" * 10}, limit=18) == '{"a":"xxxxxxxxxx"}'
    with pytest.raises(PayloadTooLarge, match="19 bytes of JSON; the limit is 18"):
        codec.dumps({"a": "x" * 11}, limit=18)
    assert issubclass(PayloadTooLarge, InvalidJob)


def test_loads_with_defaults_for_missing_values():
    assert codec.loads(None, {}) == {}
    assert codec.loads("", 5) == 5
    assert codec.loads(b"", 5) == 5
    assert codec.loads(b'{"a":1}') == {"a": 1}
    assert codec.loads("[1]") == [1]


def test_text_decodes_bytes_and_passes_str():
    assert codec.text(b"abc") == "abc"
    assert codec.text("abc") == "abc"
    assert codec.text(None) is None
