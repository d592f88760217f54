"""
有效回访 (issue 13, the centre's controls): a callback can be asked to be left out of the
assessment with a reason (不合理诉求 unreasonable, 重复 duplicate, 非本辖区 out_of_area, 联系不上
unreachable) by the callback staff or the lead department; a supervisor approves or denies. Approved,
the callback no longer counts in 三率 (docs/assessment.md, "有效回访"): read raw for today and
from the daily roll-ups for whole past days, both checked here. The case's course is unchanged.

Cases on 2026-12-07 (Beijing), lead CGJ:
  c1  reply (contacted, solved), evaluate satisfied → closed
  c2  reply (contacted, not solved), evaluate unsatisfied → rectifying
Before: evaluations 2, contacted 2, solved 1, satisfied 1, unsatisfied 1
        → 响应率 1, 解决率 1/2, 满意率 (1 + 0)/2 = 0.5
c2's callback approved as invalid (unreachable): evaluations 1 (c1) → 响应率 1, 解决率 1, 满意率 1.
c1's callback asked invalid (duplicate) and denied: nothing changes.
"""
import datetime as dt

import pytest

from conftest import GENEROUS, assert_error

CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "86400"]
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)
CAT = 10  # 010201 占道经营, lead CGJ
PERIOD = {"from": "2026-12-07T00:00:00+08:00", "to": "2026-12-08T00:00:00+08:00"}
URL = "/api/v1/stats/assessment"


def act(api, who, case, action, **fields):
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions", json={"action": action, "version": case["version"], **fields})
    assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:500]}"
    return r.json()


def new_case(api):
    r = api.post("operator", "/api/v1/cases", json={"title": "占道经营", "description": "小区门口有人摆摊占用人行道",
                                                    "channel": "hotline", "citizen": {"name": "张三", "phone": "13812348000"}})
    assert r.status_code == 201, r.text
    return r.json()


def cgj_row(api):
    r = api.get("supervisor", URL, params=PERIOD)
    assert r.status_code == 200, r.text
    return {x["code"]: x for x in r.json()["rows"]}["CGJ"]


def rates(row):
    return (row["evaluations"], row["response_rate"], row["solve_rate"], row["satisfaction_rate"])


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    from conftest import Api, Server
    srv = Server(str(tmp_path_factory.mktemp("valid")), template_db, GENEROUS + CLOCK_ARGS).start()
    api = Api(srv)
    assert api.put("admin", "/api/v1/test/clock", json={"now": T0.isoformat()}).status_code == 200
    cgj = {d["code"]: d for d in api.items("admin", "/api/v1/departments")}["CGJ"]["id"]
    cases = []
    for solved, sat in ((True, "satisfied"), (False, "unsatisfied")):
        c = new_case(api)
        c = act(api, "dispatcher", c, "dispatch", department=cgj, category=CAT)
        c = act(api, "handler_cgj", c, "sign")
        c = act(api, "handler_cgj", c, "reply", result="已现场处理", contacted=True, solved=solved)
        c = act(api, "operator", c, "evaluate", satisfaction=sat)
        cases.append(c)
    assert [c["state"] for c in cases] == ["closed", "rectifying"]
    yield {"api": api, "c1": cases[0], "c2": cases[1]}
    srv.check_clean_exit()


def test_invalid_callback_leaves_the_rates(world):
    api, c1, c2 = world["api"], world["c1"], world["c2"]
    assert rates(cgj_row(api)) == (2, 1, 0.5, 0.5)
    # Asked by the lead department: nothing changes until a supervisor decides.
    c2 = act(api, "handler_cgj", c2, "invalidate", invalid_reason="unreachable", reason="三次回访均无人接听")
    assert c2["pending"]["request"] == "invalidate" and c2["state"] == "rectifying"
    assert rates(cgj_row(api)) == (2, 1, 0.5, 0.5)
    # It waits in the supervisors' approval queue.
    assert c2["id"] in [c["id"] for c in api.get("supervisor", "/api/v1/cases", params={"queue": "pending"}).json()["items"]]
    c2 = act(api, "supervisor", c2, "approve", note="核实属实")
    assert c2["state"] == "rectifying" and c2.get("pending") is None
    assert rates(cgj_row(api)) == (1, 1, 1, 1)
    # The timeline says what was asked and why.
    tl = api.get("supervisor", f"/api/v1/cases/{c2['id']}").json()["timeline"]
    ask = [e for e in tl if e["action"] == "invalidate"][0]
    assert ask["payload"] == {"reason": "unreachable"} and ask["note"] == "三次回访均无人接听"
    # Asked by the callback staff and denied: it still counts.
    c1 = act(api, "operator", c1, "invalidate", invalid_reason="duplicate", reason="与另一工单重复")
    assert c1["state"] == "closed"
    c1 = act(api, "supervisor", c1, "deny", reason="并非重复诉求")
    assert rates(cgj_row(api)) == (1, 1, 1, 1)
    # The same figures from the daily roll-ups once the day is over (a whole past day).
    assert api.put("admin", "/api/v1/test/clock", json={"now": (T0 + dt.timedelta(days=2)).isoformat()}).status_code == 200
    assert rates(cgj_row(api)) == (1, 1, 1, 1)
    r = api.get("supervisor", URL, params={**PERIOD, "rounds": "all"})
    row = {x["code"]: x for x in r.json()["rows"]}["CGJ"]
    assert (row["evaluations"], row["unsatisfied"]) == (1, 0)
    world["c1"], world["c2"] = c1, c2


def test_invalidate_refusals(world):
    api = world["api"]
    c = new_case(api)
    # No callback yet (and not in a state that has one).
    assert_error(api.post("operator", f"/api/v1/cases/{c['id']}/actions",
                          json={"action": "invalidate", "version": c["version"], "invalid_reason": "duplicate",
                                "reason": "重复"}), 409, "conflict", "action")
    c1 = api.get("operator", f"/api/v1/cases/{world['c1']['id']}").json()
    # A reason from the list is required, and the note too.
    assert_error(api.post("operator", f"/api/v1/cases/{c1['id']}/actions",
                          json={"action": "invalidate", "version": c1["version"], "reason": "重复"}),
                 400, "bad_request", "invalid_reason")
    assert_error(api.post("operator", f"/api/v1/cases/{c1['id']}/actions",
                          json={"action": "invalidate", "version": c1["version"], "invalid_reason": "rude",
                                "reason": "重复"}), 400, "bad_request", "invalid_reason")
    # A citizen or a dispatcher may not ask.
    for who in ("citizen", "dispatcher"):
        r = api.post(who, f"/api/v1/cases/{c1['id']}/actions",
                     json={"action": "invalidate", "version": c1["version"], "invalid_reason": "duplicate", "reason": "x"})
        assert r.status_code == 403, (who, r.text)
    # An invalid callback cannot be invalidated again.
    c2 = api.get("operator", f"/api/v1/cases/{world['c2']['id']}").json()
    assert_error(api.post("operator", f"/api/v1/cases/{c2['id']}/actions",
                          json={"action": "invalidate", "version": c2["version"], "invalid_reason": "duplicate",
                                "reason": "再次"}), 409, "conflict", "action")
