"""Each script carries only the includes it uses (scripts.library): nothing it calls may be
left out. Redis reports a missing local only when that line runs, so this checks statically."""

import re

import pytest

from django_kue.core import scripts
from django_kue.core.config import KueConfig

LUA_GLOBALS = {"tonumber", "tostring", "type", "pairs", "ipairs", "unpack", "next", "select",
               "error", "assert", "pcall", "setmetatable", "getmetatable", "rawget", "rawset"}
CALLED = re.compile(r"(?<![.:\w])([A-Za-z_]\w*)\s*\(")
DEFINED = re.compile(r"\blocal\s+(?:function\s+)?([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)")
KEYWORDS = {"function", "if", "and", "or", "not", "return", "elseif", "while", "until", "in"}


def _uncomment(text: str) -> str:
    return re.sub(r"--[^\n]*", "", re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", "''", text))


@pytest.mark.parametrize("name", scripts.NAMES)
def test_every_function_a_script_calls_is_defined_in_it(name):
    code = _uncomment(scripts.compile_script(name, KueConfig(prefix="t")))
    defined = {n.strip() for group in DEFINED.findall(code) for n in group.split(",")}
    called = set(CALLED.findall(code)) - KEYWORDS - LUA_GLOBALS
    assert called <= defined, f"{name}.lua calls {sorted(called - defined)}, defined nowhere in it"


def test_a_script_leaves_out_the_includes_it_does_not_use():
    save = scripts.library("save")
    assert "local function save_extras" in save and "local function bulk" in save
    assert "local function retain" not in save and "local function rate_allowance" not in save
    assert "local function retain" in scripts.library("complete")
