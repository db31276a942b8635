"""The pinned parser, the range syntax, the error mapping and the API settings' checks."""

from __future__ import annotations

import io

import pytest
from rest_framework import exceptions

from django_kue import conf
from django_kue.api.base import MAX_DEPTH, LimitedJSONParser
from django_kue.api.errors import BadRequest, TooLarge, exception_handler, message, status_of
from django_kue.api.kue import parse_span
from django_kue.core.errors import (
    InvalidJob,
    InvalidState,
    JobNotFound,
    KueError,
    PayloadTooLarge,
)


def parse(raw: bytes):
    return LimitedJSONParser().parse(io.BytesIO(raw))


def test_parser_reads_json():
    assert parse(b'{"type": "e", "data": {"\xc3\xa9": [1, 2.5, null]}}') == {
        "type": "e", "data": {"é": [1, 2.5, None]}}


@pytest.mark.parametrize("raw", [b"{", b"NaN", b"[Infinity]", b"-Infinity", b"\xff\xfe",
                                 b"[" * 10_000 + b"]" * 10_000,
                                 b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)])
def test_parser_refuses_what_json_should_not_carry(raw):
    with pytest.raises(BadRequest):
        parse(raw)


def test_parser_reads_no_more_than_the_limit(settings):
    settings.KUE = {**settings.KUE, "API_MAX_BODY": 10}
    assert parse(b"[1,2,3,4]") == [1, 2, 3, 4]
    stream = io.BytesIO(b"[" + b"1," * 1000 + b"1]")
    with pytest.raises(TooLarge):
        LimitedJSONParser().parse(stream)
    assert stream.tell() == 11  # stopped reading one byte past the limit


@pytest.mark.parametrize("text, span", [("0..3", (0, 3)), ("-5..-1", (-5, -1)), ("0..-1", (0, -1))])
def test_span(text, span):
    assert parse_span(text) == span


@pytest.mark.parametrize("text", ["", "..", "1..", "a..b", "1...2", "1..2..3", "0..1e3",
                                  "0..9999999999999999"])
def test_bad_span(text):
    with pytest.raises(BadRequest):
        parse_span(text)


@pytest.mark.parametrize("exc, status", [(InvalidJob("x"), 400), (InvalidState("x"), 400),
                                         (PayloadTooLarge("x"), 413), (JobNotFound(7), 404),
                                         (KueError("x"), 409)])
def test_core_errors_map_to_one_status_each(exc, status):
    assert status_of(exc) == status
    response = exception_handler(exc, {})
    assert response.status_code == status and response.data == {"error": str(exc)}


def test_drf_errors_become_one_line():
    detail = exceptions.ValidationError({"type": ["required"], "data": {"x": ["bad"]}}).detail
    assert message(detail) == "type: required; data: x: bad"
    assert exception_handler(RuntimeError("bug"), {}) is None  # bugs are not hidden as 4xx


def test_api_settings_are_validated(settings):
    settings.KUE = {"API_MAX_BODY": 0, "API_MAX_BULK": True, "API_REGISTERED_TYPES_ONLY": "yes",
                    "API_PERMISSION_CLASSES": "rest_framework.permissions.AllowAny",
                    "API_AUTHENTICATION_CLASSES": ["no.such.Class"]}
    problems = " ".join(text for _, text, _ in conf.validate())
    for key in ("API_MAX_BODY", "API_MAX_BULK", "API_REGISTERED_TYPES_ONLY",
                "API_PERMISSION_CLASSES", "API_AUTHENTICATION_CLASSES"):
        assert key in problems, key
    settings.KUE = {"API_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"]}
    assert conf.validate() == []
