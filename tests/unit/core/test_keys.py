"""Key names: one hash tag per prefix, and the Lua builders spell exactly what Python spells."""

from __future__ import annotations

import fakeredis
import pytest

from django_kue.core import scripts
from django_kue.core.keys import TEMPLATES, Keys
from django_kue.core.queue import _member_id


def test_every_key_shares_the_prefix_hash_tag():
    k = Keys("q")
    assert k.ids == "{q}:ids"
    assert k.jobs == "{q}:jobs"
    assert k.types == "{q}:job:types"
    assert k.job(7) == "{q}:job:7"
    assert k.log(7) == "{q}:job:7:log"
    assert k.state("inactive") == "{q}:jobs:inactive"
    assert k.type_state("email", "failed") == "{q}:jobs:email:failed"
    assert k.wake("email") == "{q}:wake:email"
    assert k.timer == "{q}:timer"
    assert k.leases == "{q}:leases"
    assert k.work_time == "{q}:stats:work-time"


def test_a_builder_refuses_the_wrong_number_of_values():
    with pytest.raises(TypeError):
        Keys("q").type_state("email")


def test_scan_pattern_escapes_the_braces():
    assert Keys("t-1").pattern() == "\\{t-1\\}:*"
    client = fakeredis.FakeRedis()
    client.set(Keys("t-1").ids, 1)
    client.set(Keys("t-10").ids, 1)  # another prefix that starts the same way
    assert list(client.scan_iter(match=Keys("t-1").pattern())) == [b"{t-1}:ids"]


def _lua(body: str, base: str) -> list:
    library = "\n".join(text for _, text, _ in scripts.includes())
    script = Keys.lua_prelude() + "local EVENTS, COLLECT = false, false\n" + library + body
    return fakeredis.FakeRedis(decode_responses=True).eval(script, 1, base)


def test_lua_builders_match_python_for_every_template():
    k = Keys("my q")
    calls, expected = [], []
    for name, template in TEMPLATES.items():
        fields = template.count("{")
        values = [f"v{i}" for i in range(fields)]
        calls.append(f"K.{name}({', '.join(repr(v) for v in values)})")
        built = getattr(k, name)
        expected.append(built(*values) if fields else built)
    assert _lua("return {" + ", ".join(calls) + "}", k.base) == expected


@pytest.mark.parametrize("job_id, member", [("7", "01|7"), ("123", "03|123"),
                                            ("12345678910", "11|12345678910")])
def test_zid_is_kues_fifo_member(job_id, member):
    # Kue's createFIFO / stripFIFO cases (test/tdd/redis.spec.js)
    assert _lua(f"return {{zid('{job_id}'), idof('{member}')}}", "{q}") == [member, job_id]
    assert _member_id(member) == int(job_id)
    assert _member_id(member.encode()) == int(job_id)


def test_zids_of_equal_score_sort_in_id_order():
    client = fakeredis.FakeRedis(decode_responses=True)
    members = ["01|9", "02|10", "03|100", "01|2"]
    client.zadd("z", {m: 0 for m in members})
    assert [_member_id(m) for m in client.zrange("z", 0, -1)] == [2, 9, 10, 100]
