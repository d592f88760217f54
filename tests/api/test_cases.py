"""
The closed loop through the API on the demo database: every path of the workflow (issue 3,
docs/workflow.md), scope denials, the version check under concurrency, every bad input of the
create and action endpoints, the timeline, audit, masking and the public lookup.

One server for the module runs with the injectable clock (--test-clock): every test starts at
T0, a Monday 09:30 in Beijing, so deadlines are exact. Its background sweeper is effectively
off (a day's interval); tests sweep through POST /api/v1/admin/sweep when they mean to, and the
overdue test gets a fresh server of its own because sweeping touches every open case.
Facts the API does not expose (stored evaluations, counts of rows) are read from the
server's database with sqlite3, read-only.
"""
import datetime as dt
import json
import threading

import pytest

from conftest import GENEROUS, PASSWORD, Api, Server, assert_error, db_open, run_cli

CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "86400"]
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)  # Monday, a working day
CAT = 10        # 010201 占道经营, lead CGJ, SLA {sign 1, reply 2, resolve 4} working hours
PHONE = "13812348000"


def z(t):
    """The API's time format for a datetime."""
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def near(got, t, slack=10):
    """A server time computed from the moving test clock: it runs on from where it was set."""
    assert got is not None, f"expected about {z(t)}, got null"
    g = dt.datetime.strptime(got, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    return 0 <= (g - t).total_seconds() <= slack


def at(api, t):
    r = api.put("admin", "/api/v1/test/clock", json={"now": t.isoformat()})
    assert r.status_code == 200, r.text
    assert r.json()["now"] == z(t)


@pytest.fixture(scope="module")
def cs(tmp_path_factory, template_db):
    srv = Server(str(tmp_path_factory.mktemp("cases")), template_db, GENEROUS + CLOCK_ARGS).start()
    api = Api(srv)
    yield api
    srv.check_clean_exit()


@pytest.fixture(scope="module")
def ids(cs):
    depts = {d["code"]: d["id"] for d in cs.items("admin", "/api/v1/departments")}
    regions = {r["code"]: r["id"] for r in cs.items("admin", "/api/v1/regions")}
    users = {u["name"]: u for u in cs.items("admin", "/api/v1/users")}
    gw = users["grid_worker"]

    def centre(rid):
        box = cs.get("admin", f"/api/v1/regions/{rid}").json()["boundary"]["coordinates"][0]
        return (box[0][1] + box[2][1]) / 2, (box[0][0] + box[2][0]) / 2

    return {"CGJ": depts["CGJ"], "QSJD": depts["QSJD"], "HWZ": depts["HWZ"], "users": users,
            "gw_grid": gw["region_id"], "gw_point": centre(gw["region_id"]),
            "other_grid": regions["33017900200101"], "other_point": centre(regions["33017900200101"])}


@pytest.fixture(autouse=True)
def _start_at_t0(request):
    if "cs" in request.fixturenames:
        at(request.getfixturevalue("cs"), T0)


def db(api):
    return db_open(api.server.db, readonly=True)


def scalar(api, sql, *args):
    con = db(api)
    try:
        return con.execute(sql, args).fetchone()[0]
    finally:
        con.close()


# ---------------------------------------------------------------- helpers

def caller():
    """A caller of their own: cases from one number are repeat complaints (test_repeats.py),
    which would make the third one here urgent."""
    caller.n += 1
    return "1381235" + f"{caller.n:04d}"


caller.n = 0


def new_case(api, who="operator", expect=201, **kw):
    body = {"title": "占道经营", "description": "小区门口有人摆摊占用人行道", "channel": "hotline",
            "citizen": {"name": "张三", "phone": caller()}}
    if who == "citizen":
        body["channel"] = "app"
        del body["citizen"]
    body.update(kw)
    r = api.post(who, "/api/v1/cases", json=body)
    assert r.status_code == expect, r.text
    return r.json() if expect == 201 else r


def get(api, who, case):
    r = api.get(who, f"/api/v1/cases/{case['id']}")
    assert r.status_code == 200, r.text
    return r.json()


def post_action(api, who, case, action, version=None, **fields):
    body = {"action": action, "version": case["version"] if version is None else version}
    body.update(fields)
    return api.post(who, f"/api/v1/cases/{case['id']}/actions", json=body)


def act(api, who, case, action, **fields):
    """Take an action that must succeed; returns the updated case, checked for consistency."""
    r = post_action(api, who, case, action, **fields)
    assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:500]}"
    c = r.json()
    assert c["version"] > case["version"]
    check_timeline(c)
    return c


def refused(api, who, case, action, status, code=None, field=None, contains=None, **fields):
    """An action that must be refused and change nothing (version, timeline, state)."""
    before = get(api, "admin", case)
    r = post_action(api, who, case, action, **fields)
    e = assert_error(r, status, code, field)
    if contains:
        assert contains in e["message"], e
    after = get(api, "admin", case)
    assert after["version"] == before["version"], (action, fields)
    assert len(after["timeline"]) == len(before["timeline"]), (action, fields)
    assert after["state"] == before["state"]
    return e


def check_timeline(c):
    """Every event starts in the state the previous one left; the last leaves the case's state."""
    tl = c["timeline"]
    assert tl and tl[0]["action"] == "create" and tl[0]["from"] is None and tl[0]["to"] == "new", tl[:1]
    state = "new"
    for e in tl[1:]:
        assert e["from"] == state, f"event {e['action']} from {e['from']}, case was {state}: {tl}"
        state = e["to"]
    assert state == c["state"], (state, c["state"])


def actions_of(c):
    return [e["action"] for e in c["timeline"]]


def to_processing(api, ids, **create):
    c = new_case(api, **create)
    c = act(api, "dispatcher", c, "dispatch", department=ids["CGJ"], category=CAT, instruction="请核实处理")
    return act(api, "handler_cgj", c, "sign")


def reply(api, c, who="handler_cgj", **kw):
    fields = {"result": "已现场劝离摊贩并清理人行道", "contacted": True, "solved": True}
    fields.update(kw)
    return act(api, who, c, "reply", **fields)


def evaluations(api, c):
    con = db(api)
    try:
        return con.execute("SELECT round, satisfaction, by_citizen, contacted, solved FROM case_evaluations"
                           " WHERE case_id = ? ORDER BY id", (c["id"],)).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------- the paths of the loop

def test_satisfied_path(cs, ids):
    c = new_case(cs)
    assert c["state"] == "new" and c["version"] == 1 and c["number"].startswith("20261207-")
    assert c["deadlines"] == {"sign": None, "reply": None, "resolve": None, "unit": "work_hours"}
    assert "dispatch" in c["actions"] and "sign" not in c["actions"]
    c = act(cs, "dispatcher", c, "dispatch", department=ids["CGJ"], category=CAT, instruction="请核实")
    assert c["state"] == "dispatched" and c["department_id"] == ids["CGJ"] and c["category_id"] == CAT
    # Limits from dispatch on the working calendar (09:00-12:00, 13:30-17:30): 1, 2, 4 working hours.
    d = c["deadlines"]
    assert near(d["sign"], T0.replace(hour=10)) and near(d["reply"], T0.replace(hour=11)), d
    assert near(d["resolve"], T0.replace(hour=15, minute=0)) and d["unit"] == "work_hours", d
    assert near(c["dispatched_at"], T0)
    assert "sign" in get(cs, "handler_cgj", c)["actions"]
    c = act(cs, "handler_cgj", c, "sign")
    assert c["state"] == "processing" and near(c["signed_at"], T0) and c["sign_late"] is False
    c = reply(cs, c)
    assert c["state"] == "replied" and c["reply"] == {"contacted": True, "solved": True}
    assert "evaluate" in get(cs, "operator", c)["actions"]
    c = act(cs, "operator", c, "evaluate", satisfaction="satisfied", comment="处理及时")
    assert c["state"] == "closed" and c["satisfaction"] == "satisfied" and near(c["closed_at"], T0)
    # Closed: only 有效回访 is left to ask about its callback.
    assert c["actions"] == ["invalidate"]
    assert actions_of(c) == ["create", "triage", "dispatch", "sign", "reply", "evaluate"]
    assert [(e["from"], e["to"]) for e in c["timeline"][1:]] == [
        ("new", "new"), ("new", "dispatched"), ("dispatched", "processing"), ("processing", "replied"), ("replied", "closed")]
    ev = c["timeline"][-1]
    assert ev["actor"] == "operator" and ev["role"] == "operator" and ev["note"] == "处理及时"
    assert ev["payload"]["satisfaction"] == "satisfied"
    assert evaluations(cs, c) == [(0, "satisfied", 0, 1, 1)]


def test_late_sign_is_flagged(cs, ids):
    c = new_case(cs)
    c = act(cs, "dispatcher", c, "dispatch", department=ids["CGJ"], category=CAT)
    at(cs, T0.replace(hour=11))  # the sign deadline was 10:30
    c = act(cs, "handler_cgj", c, "sign")
    assert c["sign_late"] is True and c["timeline"][-1]["payload"] == {"late": True}


def test_unsatisfied_rectify_then_satisfied(cs, ids):
    c = reply(cs, to_processing(cs, ids))
    at(cs, T0.replace(hour=10))
    c = act(cs, "operator", c, "evaluate", satisfaction="unsatisfied", contacted=True, solved=False,
            comment="摊贩第二天又来了")
    assert c["state"] == "rectifying" and c["rectify_round"] == 1 and c["escalated"] is False
    assert c["satisfaction"] == "unsatisfied" and c["closed_at"] is None and c["replied_at"] is None
    # Back to the same department with the general rectification limit: 24 natural hours.
    assert c["department_id"] == ids["CGJ"]
    assert near(c["deadlines"]["resolve"], T0.replace(hour=10) + dt.timedelta(hours=24))
    assert c["deadlines"]["reply"] == c["deadlines"]["resolve"]
    assert actions_of(c)[-2:] == ["evaluate", "rectify"]
    assert "reply" in get(cs, "handler_cgj", c)["actions"]
    c = reply(cs, c, result="已安排每日巡查")
    assert c["state"] == "replied"
    c = act(cs, "operator", c, "evaluate", satisfaction="basically_satisfied")
    assert c["state"] == "closed" and c["satisfaction"] == "basically_satisfied" and c["rectify_round"] == 1
    # Both evaluations are kept as raw facts, one per round.
    assert evaluations(cs, c) == [(0, "unsatisfied", 0, 1, 0), (1, "basically_satisfied", 0, 1, 1)]
    assert actions_of(c) == ["create", "triage", "dispatch", "sign", "reply", "evaluate", "rectify", "reply", "evaluate"]


def test_unsatisfied_beyond_rectify_rounds_escalates(cs, ids):
    c = to_processing(cs, ids)
    for rnd in (1, 2, 3):
        c = reply(cs, c)
        c = act(cs, "operator", c, "evaluate", satisfaction="unsatisfied")
        assert c["state"] == "rectifying" and c["rectify_round"] == rnd
        # rectify_rounds = 2: two rounds of rectification may fail; the third unsatisfied
        # evaluation escalates to the supervisors.
        assert c["escalated"] is (rnd > 2), rnd
    assert actions_of(c).count("escalate") == 1 and actions_of(c)[-1] == "escalate"
    assert len(evaluations(cs, c)) == 3
    assert scalar(cs, "SELECT count(*) FROM notifications WHERE case_id = ? AND kind = 'escalated'", c["id"]) == 1
    # A supervisor can still urge it and the department still has to reply.
    c = act(cs, "supervisor", c, "urge", note="请局领导牵头")
    assert c["urge_count"] == 1 and c["state"] == "rectifying"
    c = reply(cs, c)
    c = act(cs, "operator", c, "evaluate", satisfaction="unsatisfied")
    assert c["rectify_round"] == 4 and actions_of(c).count("escalate") == 1  # escalated once


def test_supervisor_rectify_without_evaluation(cs, ids):
    c = reply(cs, to_processing(cs, ids))
    refused(cs, "handler_cgj", c, "rectify", 403, "forbidden", note="x")
    refused(cs, "supervisor", c, "rectify", 400, "bad_request", "note")
    c = act(cs, "supervisor", c, "rectify", note="核查发现仍未整改到位")
    assert c["state"] == "rectifying" and c["rectify_round"] == 1 and evaluations(cs, c) == []


def test_return_rejected_then_redispatched_elsewhere(cs, ids):
    c = new_case(cs)
    c = act(cs, "dispatcher", c, "dispatch", department=ids["CGJ"], category=CAT)
    refused(cs, "handler_cgj", c, "return", 400, "bad_request", "note")
    c = act(cs, "handler_cgj", c, "return", reason="不属于城管职责")
    assert c["state"] == "returned" and c["return_count"] == 1
    assert "reject_return" in get(cs, "dispatcher", c)["actions"]
    # Reject: back to the same department, which must sign again.
    refused(cs, "dispatcher", c, "reject_return", 400, "bad_request", "note")
    c = act(cs, "dispatcher", c, "reject_return", note="属于占道经营，请承办")
    assert c["state"] == "dispatched" and c["department_id"] == ids["CGJ"] and c["signed_at"] is None
    c = act(cs, "handler_cgj", c, "sign")
    c = act(cs, "handler_cgj", c, "return", reason="仍认为不属于本部门")
    assert c["state"] == "returned" and c["return_count"] == 2
    # Accepting the return means sending it elsewhere: not to the department that returned it.
    refused(cs, "dispatcher", c, "redispatch", 400, "bad_request", "department", department=ids["CGJ"])
    c = act(cs, "dispatcher", c, "redispatch", department=ids["QSJD"], note="改派属地街道")
    assert c["state"] == "dispatched" and c["department_id"] == ids["QSJD"] and c["return_count"] == 2
    # The old department no longer sees it; the new one signs.
    assert_error(cs.get("handler_cgj", f"/api/v1/cases/{c['id']}"), 403, "forbidden")
    c = act(cs, "handler_qsjd", c, "sign")
    assert c["state"] == "processing"
    # Returns are counted against the department that returned.
    returns = [e for e in c["timeline"] if e["action"] == "return"]
    assert [e["department_id"] for e in returns] == [ids["CGJ"], ids["CGJ"]]
    assert actions_of(c) == ["create", "triage", "dispatch", "return", "reject_return", "sign", "return", "redispatch", "sign"]


def test_extension_approved_and_denied(cs, ids):
    c = to_processing(cs, ids)
    deadline = c["deadlines"]["resolve"]
    until = (T0 + dt.timedelta(days=2)).replace(hour=17, minute=0)
    refused(cs, "handler_cgj", c, "extend", 400, "bad_request", "note", until=until.isoformat())
    refused(cs, "handler_cgj", c, "extend", 400, "bad_request", "until", reason="需协调", until=T0.isoformat())
    refused(cs, "supervisor", c, "approve", 409, "conflict", contains="no extension")
    c = act(cs, "handler_cgj", c, "extend", reason="需协调市场监管", until=until.isoformat())
    assert c["pending"] == {"request": "extend", "until": z(until)} and c["state"] == "processing"
    assert c["deadlines"]["resolve"] == deadline  # nothing moves until a supervisor approves
    refused(cs, "handler_cgj", c, "extend", 409, "conflict", contains="already waiting",
            reason="again", until=until.isoformat())
    refused(cs, "handler_cgj", c, "approve", 403, "forbidden")
    assert "approve" in get(cs, "supervisor", c)["actions"]
    c = act(cs, "supervisor", c, "approve")
    assert c["pending"] is None and c["deadlines"]["resolve"] == z(until)
    assert c["timeline"][-1]["payload"] == {"request": "extend"}
    # A second request, denied: the deadline stays where the approval put it.
    later = until + dt.timedelta(days=1)
    c = act(cs, "handler_cgj", c, "extend", reason="再延一天", until=later.isoformat())
    refused(cs, "supervisor", c, "deny", 400, "bad_request", "note")
    c = act(cs, "supervisor", c, "deny", note="不予延期")
    assert c["pending"] is None and c["deadlines"]["resolve"] == z(until) and c["state"] == "processing"
    # Too late: extensions are requested before the deadline.
    at(cs, until + dt.timedelta(hours=1))
    refused(cs, "handler_cgj", c, "extend", 409, "conflict", contains="before the deadline",
            reason="晚了", until=(later + dt.timedelta(days=3)).isoformat())


def test_hang_approved_pauses_and_resume_recomputes(cs, ids):
    c = to_processing(cs, ids)  # resolve deadline Monday 15:00
    at(cs, T0.replace(hour=10, minute=30))
    refused(cs, "handler_cgj", c, "hang", 400, "bad_request", "note")
    c = act(cs, "handler_cgj", c, "hang", reason="需等待道路改造完成")
    assert c["pending"]["request"] == "hang" and c["state"] == "processing" and c["paused"] is False
    c = act(cs, "supervisor", c, "approve")
    assert c["state"] == "hanging" and c["paused"] is True and c["pending"] is None
    assert c["timeline"][-1]["from"] == "processing" and c["timeline"][-1]["to"] == "hanging"
    # Time passes the old deadline: a suspended case is not overdue.
    at(cs, T0 + dt.timedelta(days=1))
    sweep = cs.post("admin", "/api/v1/admin/sweep")
    assert sweep.status_code == 200, sweep.text
    c2 = get(cs, "admin", c)
    assert c2["overdue"] is False and c2["version"] == c["version"]
    refused(cs, "handler_cgj", c, "reply", 409, "conflict", contains="state 'hanging'",
            result="x", contacted=True, solved=True)
    # Wednesday 13:30: the 3 working hours left at 10:30 on Monday run from now. Not from 09:00:
    # the clock runs on from where the test set it, so the hours left are short by the seconds
    # between setting 10:30 and the approval, and the deadline moves by those between setting
    # Wednesday and the resume; from 09:00 it lands on the lunch break's edge (12:00), and a
    # second more there is 13:30 (seen under load). 16:30 has no edge near it.
    wed = (T0 + dt.timedelta(days=2)).replace(hour=13, minute=30)
    at(cs, wed)
    c = act(cs, "handler_cgj", c, "resume")
    assert c["state"] == "processing" and c["paused"] is False
    assert near(c["deadlines"]["resolve"], wed.replace(hour=16, minute=30) - dt.timedelta(seconds=10), slack=20)
    c = reply(cs, c)
    assert c["state"] == "replied"


def test_urge(cs, ids):
    c = new_case(cs)
    refused(cs, "supervisor", c, "urge", 409, "conflict", contains="action 'urge' is not allowed in state 'new'")
    c = act(cs, "dispatcher", c, "dispatch", department=ids["CGJ"], category=CAT)
    refused(cs, "handler_cgj", c, "urge", 403, "forbidden", contains="urge")
    refused(cs, "citizen", c, "urge", 403, "forbidden")
    c = act(cs, "supervisor", c, "urge", note="请尽快签收")
    assert c["urge_count"] == 1 and c["state"] == "dispatched"
    c = act(cs, "supervisor", c, "urge")
    assert c["urge_count"] == 2 and actions_of(c).count("urge") == 2
    urge = c["timeline"][-2]
    assert urge["actor"] == "supervisor" and urge["note"] == "请尽快签收" and urge["department_id"] == ids["CGJ"]
    assert scalar(cs, "SELECT count(*) FROM notifications WHERE case_id = ? AND kind = 'urge'", c["id"]) == 2


def test_merge_follows_master(cs, ids):
    master = new_case(cs, title="占道经营（主）")
    master = act(cs, "dispatcher", master, "dispatch", department=ids["CGJ"], category=CAT)
    dup = new_case(cs, title="占道经营（重复）")
    refused(cs, "dispatcher", dup, "merge", 400, "bad_request", "master")
    refused(cs, "dispatcher", dup, "merge", 400, "bad_request", "master", master=dup["id"])
    refused(cs, "dispatcher", dup, "merge", 400, "bad_request", "master", master=99999999)
    refused(cs, "handler_cgj", dup, "merge", 403, "forbidden", master=master["id"])
    dup = act(cs, "dispatcher", dup, "merge", master=master["id"], note="同一地点重复来电")
    assert dup["state"] == "merged" and dup["master_id"] == master["id"] and dup["actions"] == []
    master = get(cs, "admin", master)
    assert actions_of(master)[-1] == "merge_in"
    check_timeline(master)
    master = act(cs, "handler_cgj", master, "sign")
    master = reply(cs, master)
    dup = get(cs, "admin", dup)
    assert dup["state"] == "merged" and actions_of(dup)[-1] == "follow_reply" and dup["replied_at"] is not None
    check_timeline(dup)
    master = act(cs, "operator", master, "evaluate", satisfaction="satisfied")
    dup = get(cs, "admin", dup)
    assert dup["state"] == "closed" and actions_of(dup)[-1] == "follow_close" and dup["closed_at"] is not None
    check_timeline(dup)
    # A closed master takes no more duplicates.
    other = new_case(cs)
    refused(cs, "dispatcher", other, "merge", 409, "conflict", "master", master=master["id"])


def test_direct_answer_closes(cs, ids):
    c = new_case(cs, title="咨询办事时间", description="请问社保中心周六上班吗")
    refused(cs, "operator", c, "answer", 400, "bad_request", "note")
    refused(cs, "dispatcher", c, "answer", 403, "forbidden", note="x")
    c = act(cs, "operator", c, "answer", note="周六不上班，工作日 9:00-17:00")
    assert c["state"] == "closed" and near(c["closed_at"], T0) and c["department_id"] is None
    assert actions_of(c) == ["create", "triage", "answer"]
    # Never dispatched: there is no department to reopen it to.
    refused(cs, "supervisor", c, "reopen", 409, "conflict", note="再看看")


def test_cancel(cs, ids):
    c = new_case(cs)
    refused(cs, "dispatcher", c, "cancel", 400, "bad_request", "note")
    refused(cs, "operator", c, "cancel", 403, "forbidden", note="x")
    c = act(cs, "dispatcher", c, "cancel", note="测试来电，无效")
    assert c["state"] == "cancelled" and c["closed_at"] is not None and c["actions"] == []
    for action, who in (("dispatch", "dispatcher"), ("comment", "operator"), ("reopen", "supervisor")):
        refused(cs, who, c, action, 409, "conflict", "action",
                contains=f"action '{action}' is not allowed in state 'cancelled'", note="x", department=ids["CGJ"])


def test_close_without_evaluation(cs, ids):
    c = reply(cs, to_processing(cs, ids))
    refused(cs, "operator", c, "close", 400, "bad_request", "note")
    refused(cs, "handler_cgj", c, "close", 403, "forbidden", note="x")
    c = act(cs, "operator", c, "close", note="三次回访未接通")
    assert c["state"] == "closed" and c["satisfaction"] is None and evaluations(cs, c) == []


def test_reopen_by_supervisor_only(cs, ids):
    c = reply(cs, to_processing(cs, ids))
    c = act(cs, "operator", c, "evaluate", satisfaction="satisfied")
    for who in ("operator", "dispatcher", "handler_cgj", "data_officer"):
        e = refused(cs, who, c, "reopen", 403, "forbidden", note="再处理")
        assert "supervisor" in e["message"] and "outside your scope" not in e["message"], e
    refused(cs, "supervisor", c, "reopen", 400, "bad_request", "note")
    at(cs, T0.replace(hour=14))
    c = act(cs, "supervisor", c, "reopen", note="市民再次反映")
    assert c["state"] == "processing" and c["closed_at"] is None and c["department_id"] == ids["CGJ"]
    # A fresh resolve limit of 4 working hours from 14:00 Monday.
    assert near(c["deadlines"]["resolve"], T0.replace(hour=17, minute=30) + dt.timedelta(hours=16, minutes=30))
    c = reply(cs, c)
    c = act(cs, "operator", c, "evaluate", satisfaction="satisfied")
    assert c["state"] == "closed"


def test_comment_by_assisting_department(cs, ids):
    c = new_case(cs)
    c = act(cs, "dispatcher", c, "dispatch", department=ids["CGJ"], assisting=[ids["QSJD"]], category=CAT)
    assert c["assisting"] == [ids["QSJD"]]
    c = act(cs, "handler_qsjd", c, "comment", comment="街道已派人配合")
    assert c["state"] == "dispatched" and c["timeline"][-1]["note"] == "街道已派人配合"
    refused(cs, "handler_qsjd", c, "sign", 403, "forbidden", contains="only the lead department")
    refused(cs, "citizen", c, "comment", 403, "forbidden")


def test_uninvolved_handler_is_neither_offered_nor_allowed_resume_or_comment(cs, ids):
    """Issue 9: the list of actions and the action agree. handler_qsjd sees this CGJ case through
    its region: it was offered 恢复办理 (resume) that answered 403, and could comment although
    comments are for the departments involved."""
    lat, lon = ids["gw_point"]
    c = to_processing(cs, ids, lat=lat, lon=lon)
    c = act(cs, "handler_cgj", c, "hang", reason="等待道路改造")
    c = act(cs, "supervisor", c, "approve")
    seen = get(cs, "handler_qsjd", c)
    assert "resume" not in seen["actions"] and "comment" not in seen["actions"], seen["actions"]
    refused(cs, "handler_qsjd", c, "resume", 403, "forbidden", contains="only the lead department")
    refused(cs, "handler_qsjd", c, "comment", 403, "forbidden", note="路过看到")
    assert {"resume", "comment"} <= set(get(cs, "handler_cgj", c)["actions"])
    assert "resume" in get(cs, "supervisor", c)["actions"]


def test_case_actions_metadata(cs):
    r = cs.get("citizen", "/api/v1/case-actions")
    assert r.status_code == 200, r.text
    items = {i["action"]: i for i in r.json()["items"]}
    assert len(items) == 25
    assert items["dispatch"]["fields"][0] == {"name": "department", "type": "department", "required": True}
    assert items["reply"]["note"] == "none"
    assert [(f["name"], f["required"]) for f in items["reply"]["fields"]] == [
        ("result", True), ("contacted", True), ("solved", True)]
    assert items["return"]["note"] == "required" and items["return"]["label"] == "action.return"
    assert items["resume"]["department_bound"] and items["resume"]["bound_roles"] == ["handler"]
    assert set(items["resume"]["roles"]) == {"handler", "supervisor", "admin"}
    assert items["evaluate"]["bound_roles"] == ["citizen"] and not items["evaluate"]["department_bound"]


# ---------------------------------------------------------------- overdue and the sweeper

def test_overdue_sweep_urges_once_per_working_day_and_escalates(server_factory):
    api = server_factory(args=GENEROUS + CLOCK_ARGS)
    at(api, T0)
    cgj = [d["id"] for d in api.items("admin", "/api/v1/departments") if d["code"] == "CGJ"][0]
    c = new_case(api)
    c = act(api, "dispatcher", c, "dispatch", department=cgj, category=CAT)
    assert near(c["deadlines"]["resolve"], T0.replace(hour=15, minute=0))

    def sweep(who="admin"):
        r = api.post(who, "/api/v1/admin/sweep")
        assert r.status_code == 200, r.text
        # The case sweep's own figures (grid tasks and devices have their tests).
        return {k: v for k, v in r.json().items() if k not in ("grid_tasks_escalated", "devices_offline")}

    assert sweep() == {"checked": 0, "newly_overdue": 0, "urged": 0, "escalated": 0, "grid_tasks_overdue": 0}
    assert_error(api.post("handler_cgj", "/api/v1/admin/sweep"), 403, "forbidden")
    at(api, T0.replace(hour=16))  # an hour past the resolve deadline
    assert sweep("supervisor") == {"checked": 1, "newly_overdue": 1, "urged": 1, "escalated": 0, "grid_tasks_overdue": 0}
    c = get(api, "admin", c)
    assert c["overdue"] is True and c["urge_count"] == 1 and c["escalated"] is False
    urge = c["timeline"][-1]
    assert (urge["action"], urge["actor"], urge["role"], urge["actor_id"]) == ("urge", "system", "system", None)
    assert urge["payload"] == {"overdue_level": 1} and urge["from"] == urge["to"] == "dispatched"
    check_timeline(c)
    # Idempotent: the same level is not urged twice.
    version = c["version"]
    assert sweep()["urged"] == 0
    c = get(api, "admin", c)
    assert c["version"] == version and c["urge_count"] == 1
    # Still within the first working day overdue (Tuesday 14:59): nothing new.
    at(api, (T0 + dt.timedelta(days=1)).replace(hour=14, minute=59))
    assert sweep()["urged"] == 0
    # The second working day overdue escalates.
    at(api, (T0 + dt.timedelta(days=1)).replace(hour=15, minute=30))
    assert sweep() == {"checked": 1, "newly_overdue": 0, "urged": 1, "escalated": 1, "grid_tasks_overdue": 0}
    c = get(api, "admin", c)
    assert c["escalated"] is True and c["urge_count"] == 2
    assert actions_of(c)[-2:] == ["urge", "escalate"] and c["timeline"][-2]["payload"] == {"overdue_level": 2}
    check_timeline(c)
    assert sweep()["urged"] == 0
    con = db(api)
    kinds = [k for (k,) in con.execute("SELECT kind FROM notifications WHERE case_id = ? ORDER BY id", (c["id"],))]
    overdue_audits = con.execute("SELECT count(*) FROM audit_log WHERE action = 'case.overdue' AND target = ?",
                                 (f"case/{c['id']}",)).fetchone()[0]
    con.close()
    assert kinds.count("overdue") == 2 and kinds.count("escalated") == 1
    assert overdue_audits == 2
    # Survives a restart: the level already urged is stored on the case.
    srv = api.server
    assert srv.stop() == 0
    srv.start()
    api = Api(srv)
    at(api, (T0 + dt.timedelta(days=1)).replace(hour=16))
    assert sweep()["urged"] == 0
    # The third working day overdue urges again but does not escalate twice.
    at(api, (T0 + dt.timedelta(days=2)).replace(hour=15, minute=30))
    assert sweep() == {"checked": 1, "newly_overdue": 0, "urged": 1, "escalated": 0, "grid_tasks_overdue": 0}
    c = get(api, "admin", c)
    assert c["urge_count"] == 3 and actions_of(c).count("escalate") == 1
    # Signing and replying take it out of the sweep.
    c = act(api, "handler_cgj", c, "sign")
    assert c["sign_late"] is True
    c = reply(api, c)
    at(api, (T0 + dt.timedelta(days=5)).replace(hour=15))
    assert sweep()["checked"] == 0


# ---------------------------------------------------------------- scope

def test_scope_denials(cs, ids):
    # Another department may neither see nor sign a CGJ case.
    c = new_case(cs)
    c = act(cs, "dispatcher", c, "dispatch", department=ids["CGJ"], category=CAT)
    e = refused(cs, "handler_qsjd", c, "sign", 403, "forbidden")
    assert "outside your scope" in e["message"] and "requires role" not in e["message"]
    assert "outside your scope" in assert_error(cs.get("handler_qsjd", f"/api/v1/cases/{c['id']}"), 403)["message"]
    # Citizens see their own cases only.
    e = assert_error(cs.get("citizen", f"/api/v1/cases/{c['id']}"), 403, "forbidden")
    assert "outside your scope" in e["message"]
    refused(cs, "citizen", c, "comment", 403, "forbidden", contains="outside your scope", note="x")


def test_citizen_reports_and_evaluates_own_case(cs, ids):
    lat, lon = ids["gw_point"]
    mine = new_case(cs, "citizen", lat=lat, lon=lon)
    assert mine["region_id"] == ids["gw_grid"] and mine["created_by"] == ids["users"]["citizen"]["id"]
    # The account's own name and phone stand in for the missing citizen block, masked.
    assert mine["citizen"]["phone"] == "138****8010" and mine["check_code"]
    # A citizen may add to the report while it is open, and take it back before it is dispatched.
    assert mine["actions"] == (["comment", "withdraw"] if mine["state"] == "new" else ["comment"])
    mine = act(cs, "citizen", mine, "comment", comment="垃圾桶旁边还有建筑垃圾")
    assert mine["timeline"][-1]["role"] == "citizen" and mine["state"] == "new"
    mine = act(cs, "dispatcher", mine, "dispatch", department=ids["CGJ"], category=CAT)
    mine = act(cs, "handler_cgj", mine, "sign")
    mine = reply(cs, mine)
    assert "evaluate" in get(cs, "citizen", mine)["actions"]
    # Someone else's replied case: neither visible nor to be evaluated.
    other = reply(cs, to_processing(cs, ids))
    refused(cs, "citizen", other, "evaluate", 403, "forbidden", satisfaction="satisfied")
    mine = act(cs, "citizen", mine, "evaluate", satisfaction="satisfied", comment="谢谢")
    assert mine["state"] == "closed"
    assert evaluations(cs, mine) == [(0, "satisfied", 1, 1, 1)]
    assert mine["timeline"][-1]["role"] == "citizen"


def test_grid_worker_sees_only_its_region(cs, ids):
    lat, lon = ids["gw_point"]
    inside = new_case(cs, "grid_worker", channel="grid", lat=lat, lon=lon, citizen=None)
    assert inside["region_id"] == ids["gw_grid"] and inside["channel"] == "grid"
    olat, olon = ids["other_point"]
    outside = new_case(cs, "operator", lat=olat, lon=olon)
    assert outside["region_id"] == ids["other_grid"]
    nowhere = new_case(cs, "operator")
    assert get(cs, "grid_worker", inside)["id"] == inside["id"]
    for c in (outside, nowhere):
        e = assert_error(cs.get("grid_worker", f"/api/v1/cases/{c['id']}"), 403, "forbidden")
        assert "outside your scope" in e["message"]
    # The street-bound QSJD handler sees its street's cases without being their department.
    assert get(cs, "handler_qsjd", inside)["id"] == inside["id"]
    assert_error(cs.get("handler_qsjd", f"/api/v1/cases/{outside['id']}"), 403, "forbidden")
    # Unbound command-centre roles see everything.
    for who in ("operator", "dispatcher", "supervisor", "data_officer", "admin"):
        assert get(cs, who, outside)["id"] == outside["id"]


# ---------------------------------------------------------------- the version check

def test_concurrent_conflicting_writes_one_wins(cs, ids):
    for _round in range(4):
        c = new_case(cs)
        barrier = threading.Barrier(2)
        results = {}

        def run(who, action, **fields):
            barrier.wait()
            results[who] = post_action(cs, who, c, action, **fields)

        threads = [threading.Thread(target=run, args=("dispatcher", "dispatch"),
                                    kwargs={"department": ids["CGJ"], "category": CAT}),
                   threading.Thread(target=run, args=("supervisor", "cancel"), kwargs={"note": "重复"})]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = sorted(r.status_code for r in results.values())
        assert statuses == [200, 409], {w: (r.status_code, r.text[:200]) for w, r in results.items()}
        loser = [r for r in results.values() if r.status_code == 409][0]
        e = assert_error(loser, 409, "conflict", "version")
        assert "version 2" in e["message"] and "you sent 1" in e["message"]
        final = get(cs, "admin", c)
        assert final["version"] == 2 and len(final["timeline"]) == 3
        assert final["state"] in ("dispatched", "cancelled")


def test_stale_version_is_409(cs, ids):
    c = new_case(cs)
    act(cs, "operator", c, "comment", note="第一条")
    refused(cs, "operator", c, "comment", 409, "conflict", "version", note="第二条（旧版本）")
    refused(cs, "operator", c, "comment", 409, "conflict", "version", version=99, note="未来版本")


# ---------------------------------------------------------------- bad input changes nothing

def counts(api):
    con = db(api)
    try:
        return tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("cases", "case_events", "audit_log", "notifications"))
    finally:
        con.close()


BAD_CREATE = [
    ({"title": None}, "title"),
    ({"title": ""}, "title"),
    ({"title": "长" * 201}, "title"),
    ({"title": 12}, "title"),
    ({"description": None}, "description"),
    ({"description": "x" * 5001}, "description"),
    ({"channel": None}, "channel"),
    ({"channel": "fax"}, "channel"),
    ({"channel": 1}, "channel"),
    ({"urgency": "asap"}, "urgency"),
    ({"category": 99999999}, "category"),
    ({"category": "010201"}, "category"),
    ({"category": 1.5}, "category"),
    ({"lat": 91, "lon": 120}, "lat"),
    ({"lat": 30, "lon": 181}, "lon"),
    ({"lat": 30.1}, "lon"),
    ({"lon": 120.1}, "lat"),
    ({"lat": "30.1", "lon": 120.1}, "lat"),
    ({"address": "址" * 201}, "address"),
    ({"region_id": 99999999}, "region_id"),
    ({"region_id": "330179"}, "region_id"),
    ({"citizen": "张三"}, "citizen"),
    ({"citizen": {"name": 5}}, "citizen.name"),
    ({"citizen": {"name": "张三", "phone": "call me"}}, "citizen.phone"),
    ({"citizen": {"name": "张三", "phone": "12"}}, "citizen.phone"),
    ({"citizen": {"name": "张三", "email": "a@b"}}, "citizen.email"),
    ({"anonymous": "yes"}, "anonymous"),
    ({"nonsense": 1}, "nonsense"),
]


@pytest.mark.parametrize("change,field", BAD_CREATE, ids=[f for _c, f in BAD_CREATE])
def test_bad_create_input(cs, change, field):
    body = {"title": "占道经营", "description": "人行道被占", "channel": "hotline",
            "citizen": {"name": "张三", "phone": PHONE}}
    for k, v in change.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    before = counts(cs)
    r = cs.post("operator", "/api/v1/cases", json=body)
    assert_error(r, 400, "bad_request", field)
    assert counts(cs) == before


@pytest.mark.parametrize("channel", ["hotline", "grid", "sensor"])
def test_citizens_report_through_their_own_channels(cs, channel):
    before = counts(cs)
    r = new_case(cs, "citizen", expect=400, channel=channel)
    e = assert_error(r, 400, "bad_request", "channel")
    assert "citizens report through" in e["message"]
    assert counts(cs) == before


def test_create_needs_a_json_object(cs):
    before = counts(cs)
    assert_error(cs.post("operator", "/api/v1/cases", json=["x"]), 400, "bad_request")
    assert_error(cs.post("operator", "/api/v1/cases", data="{", headers={"Content-Type": "application/json"}),
                 400, "bad_request")
    assert_error(cs.post("operator", "/api/v1/cases", data="title=x"), 415)
    assert_error(cs.post("handler_cgj", "/api/v1/cases", json={"title": "x"}), 403, "forbidden")
    assert counts(cs) == before


def test_bad_action_input(cs, ids):
    fresh = new_case(cs)
    proc = to_processing(cs, ids)
    replied = reply(cs, to_processing(cs, ids))
    before = counts(cs)
    long_note = "注" * 2001
    cases = [
        # (case, who, body without version or with an explicit one, field, status)
        (fresh, "dispatcher", {"action": "fly"}, "action", 400),
        (fresh, "dispatcher", {"action": 3}, "action", 400),
        (fresh, "dispatcher", {"version": fresh["version"]}, "action", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "version": None}, "version", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "version": "1"}, "version", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "version": 0}, "version", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "version": 1.5}, "version", 400),
        (fresh, "dispatcher", {"action": "dispatch"}, "department", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": 99999999}, "department", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": "CGJ"}, "department", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "assisting": [ids["CGJ"]]},
         "assisting", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "assisting": [99999999]},
         "assisting", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "assisting": ids["QSJD"]},
         "assisting", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "assisting": list(range(1, 10))},
         "assisting", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "category": 99999999},
         "category", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "note": long_note}, "note", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "instruction": long_note},
         "instruction", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "note": 5}, "note", 400),
        (fresh, "dispatcher", {"action": "dispatch", "department": ids["CGJ"], "bogus": 1}, "bogus", 400),
        (fresh, "dispatcher", {"action": "merge"}, "master", 400),
        (fresh, "dispatcher", {"action": "merge", "master": "x"}, "master", 400),
        (proc, "handler_cgj", {"action": "return", "reason": long_note}, "reason", 400),
        (proc, "handler_cgj", {"action": "return", "reason": ""}, "note", 400),
        (proc, "handler_cgj", {"action": "extend", "reason": "r", "until": "tomorrow"}, "until", 400),
        (proc, "handler_cgj", {"action": "extend", "reason": "r", "until": "2026-13-01T00:00:00Z"}, "until", 400),
        (proc, "handler_cgj", {"action": "extend", "reason": "r", "until": 1800000000}, "until", 400),
        (proc, "handler_cgj", {"action": "reply", "contacted": True, "solved": True}, "result", 400),
        (proc, "handler_cgj", {"action": "reply", "result": "ok", "solved": True}, "contacted", 400),
        (proc, "handler_cgj", {"action": "reply", "result": "ok", "contacted": True}, "solved", 400),
        (proc, "handler_cgj", {"action": "reply", "result": "ok", "contacted": "yes", "solved": True},
         "contacted", 400),
        (proc, "handler_cgj", {"action": "reply", "result": "x" * 5001, "contacted": True, "solved": True},
         "result", 400),
        (replied, "operator", {"action": "evaluate"}, "satisfaction", 400),
        (replied, "operator", {"action": "evaluate", "satisfaction": "happy"}, "satisfaction", 400),
        (replied, "operator", {"action": "evaluate", "satisfaction": "满意"}, "satisfaction", 400),
        (replied, "operator", {"action": "evaluate", "satisfaction": 1}, "satisfaction", 400),
        (replied, "operator", {"action": "evaluate", "satisfaction": "satisfied", "solved": "no"}, "solved", 400),
        # An action the state does not allow: 409 naming both.
        (fresh, "handler_cgj", {"action": "sign"}, None, 403),
        (replied, "admin", {"action": "sign"}, "action", 409),
    ]
    for case, who, body, field, status in cases:
        b = dict(body)
        if "version" not in b:
            b["version"] = case["version"]
        elif b["version"] is None:
            del b["version"]
        r = cs.post(who, f"/api/v1/cases/{case['id']}/actions", json=b)
        e = assert_error(r, status, None, field)
        if status == 409:
            assert "action 'sign' is not allowed in state 'replied'" in e["message"], e
    assert counts(cs) == before, "a refused action wrote something"
    for c in (fresh, proc, replied):
        now = get(cs, "admin", c)
        assert now["version"] == c["version"] and len(now["timeline"]) == len(c["timeline"])
    assert_error(cs.post("admin", "/api/v1/cases/99999999/actions", json={"action": "comment", "version": 1,
                                                                         "note": "x"}), 404, "not_found")
    assert_error(cs.get("admin", "/api/v1/cases/99999999"), 404, "not_found")
    r = cs.get("admin", "/api/v1/cases/abc")
    assert r.status_code in (400, 404), r.text


# ---------------------------------------------------------------- personal data, audit, lookup

def json_of(raw):
    return json.loads(raw)


def audit_items(api):
    return api.items("admin", "/api/v1/audit?limit=1000")


def test_phone_masked_and_reveal_audited(cs, ids):
    c = new_case(cs, citizen={"name": "张三", "phone": PHONE})
    assert c["citizen"] == {"name": "张三", "phone": "138****8000", "anonymous": False}
    c = act(cs, "dispatcher", c, "dispatch", department=ids["CGJ"], category=CAT)
    for who in ("operator", "dispatcher", "supervisor", "handler_cgj", "admin", "data_officer"):
        seen = get(cs, who, c)["citizen"]
        assert seen["phone"] == "138****8000", (who, seen)
        assert PHONE not in str(get(cs, who, c)), who
    # data_officer does not need the name: masked.
    assert get(cs, "data_officer", c)["citizen"]["name"] != "张三"
    r = cs.get("operator", f"/api/v1/cases/{c['id']}/contact")
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "张三", "phone": PHONE}
    assert r.headers["Cache-Control"] == "no-store"
    r = cs.get("handler_cgj", f"/api/v1/cases/{c['id']}/contact")
    assert r.status_code == 200 and r.json()["phone"] == PHONE
    assert_error(cs.get("data_officer", f"/api/v1/cases/{c['id']}/contact"), 403, "forbidden")
    reveals = [a for a in audit_items(cs) if a["action"] == "case.contact.reveal" and a["target"] == f"case/{c['id']}"]
    assert sorted(a["actor_name"] for a in reveals) == ["handler_cgj", "operator"]
    # The stored number is encrypted: not in the database in clear.
    con = db(cs)
    enc, mask = con.execute("SELECT citizen_phone_enc, citizen_phone_mask FROM cases WHERE id = ?",
                            (c["id"],)).fetchone()
    con.close()
    assert PHONE not in enc and mask == "138****8000"


def test_each_viewer_reads_its_own_case_body(cs, ids):
    """A case read again is served from the case view cache, which keeps the finished body of
    its first few viewers (src/api/api_case.c, view_body): each viewer, in any order and more
    viewers than the cache keeps, gets the same bytes every time and only what its own roles
    show: the check code to the hotline and admin, the name masked for the data officer, its
    own actions."""
    c = new_case(cs, citizen={"name": "张三", "phone": PHONE})
    c = act(cs, "dispatcher", c, "dispatch", department=ids["CGJ"], category=CAT)
    viewers = ["operator", "dispatcher", "supervisor", "handler_cgj", "admin", "data_officer"]
    first = {}
    for rnd in range(4):
        order = viewers[rnd:] + viewers[:rnd] if rnd % 2 == 0 else list(reversed(viewers))
        for who in order:
            r = cs.get(who, f"/api/v1/cases/{c['id']}")
            assert r.status_code == 200, (who, r.text)
            first.setdefault(who, r.content)
            assert r.content == first[who], (who, rnd)
            body = r.json()
            assert ("check_code" in body) == (who in ("operator", "admin")), (who, rnd)
            assert (body["citizen"]["name"] == "张三") == (who != "data_officer"), (who, rnd)
            assert body["citizen"]["phone"] == "138****8000", (who, rnd)
    actions = {who: tuple(json_of(first[who])["actions"]) for who in viewers}
    assert "sign" in actions["handler_cgj"] and "sign" not in actions["operator"], actions
    assert len({first[who] for who in viewers}) == len(viewers), "every viewer's body differs"
    # Two viewers alike in all but who they are: the grid worker who reported sees the check
    # code, a second grid worker of the same grid does not, whichever reads first.
    lat, lon = ids["gw_point"]
    gw = ids["users"]["grid_worker"]
    r = cs.post("admin", "/api/v1/users", json={"name": "grid_worker_b", "password": PASSWORD,
                                                 "roles": ["grid_worker"], "region": gw["region"]})
    assert r.status_code == 201, r.text
    for first_reader, second in (("grid_worker_b", "grid_worker"), ("grid_worker", "grid_worker_b")):
        found = new_case(cs, "grid_worker", channel="grid", lat=lat, lon=lon, citizen=None)
        for rnd in range(2):
            for who in (first_reader, second):
                body = get(cs, who, found)
                assert ("check_code" in body) == (who == "grid_worker"), (who, rnd)
    # A change makes a new view: every viewer reads the signed case.
    c = act(cs, "handler_cgj", c, "sign")
    for who in viewers:
        body = get(cs, who, c)
        assert body["version"] == c["version"] and body["state"] == c["state"], who
        assert ("check_code" in body) == (who in ("operator", "admin")), who


def test_anonymous_report_hidden_from_department(cs, ids):
    c = new_case(cs, anonymous=True)
    c = act(cs, "dispatcher", c, "dispatch", department=ids["CGJ"], category=CAT)
    # Anonymous to every staff role (issue 11, item 8), the hotline included: no name, no phone.
    for who in ("handler_cgj", "operator", "dispatcher", "supervisor", "admin"):
        seen = get(cs, who, c)["citizen"]
        assert seen == {"name": "匿名", "phone": "", "anonymous": True}, who
        e = assert_error(cs.get(who, f"/api/v1/cases/{c['id']}/contact"), 403, "forbidden")
        assert "anonymous" in e["message"]


def test_every_action_is_audited_and_chain_intact(cs, ids):
    c = reply(cs, to_processing(cs, ids))
    c = act(cs, "operator", c, "evaluate", satisfaction="satisfied")
    mine = [a["action"] for a in reversed(audit_items(cs)) if a["target"] == f"case/{c['id']}"]
    assert mine == ["case.create", "case.dispatch", "case.sign", "case.reply", "case.evaluate"]
    r = cs.get("admin", "/api/v1/audit/verify")
    assert r.status_code == 200 and r.json()["ok"] is True, r.text
    v = run_cli("audit", "verify", "--db", cs.server.db)
    assert v.returncode == 0 and "intact" in v.stdout, v.stdout + v.stderr


def test_lookup_by_number_and_check_code(cs, ids):
    c = new_case(cs)
    number, code = c["number"], c["check_code"]
    c = act(cs, "dispatcher", c, "dispatch", department=ids["CGJ"], category=CAT)
    assert len(code) == 10 and code.isdigit()
    r = cs.anon.get(cs.url(f"/api/v1/cases/lookup?number={number}&check_code={code}"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["number"] == number and body["state"] == "dispatched" and body["department"]
    # The reporter's view of the timeline: triage's internal event is not theirs to read.
    assert [e["action"] for e in body["timeline"]] == ["create", "dispatch"]
    assert body["reply"] is None
    assert "张三" not in r.text and "8000" not in r.text and "citizen" not in body
    wrong = f"{(int(code) + 1) % 10**10:010d}"
    e1 = assert_error(cs.anon.get(cs.url(f"/api/v1/cases/lookup?number={number}&check_code={wrong}")),
                      404, "not_found")
    e2 = assert_error(cs.anon.get(cs.url(f"/api/v1/cases/lookup?number=19990101-000001&check_code={code}")),
                      404, "not_found")
    assert e1["message"] == e2["message"]  # the answer does not tell whether the number exists
    assert_error(cs.anon.get(cs.url(f"/api/v1/cases/lookup?number={number}")), 400, "bad_request", "check_code")
    assert_error(cs.anon.get(cs.url(f"/api/v1/cases/lookup?check_code={code}")), 400, "bad_request", "number")
    # Only the hotline and the reporter are shown the check code.
    assert "check_code" not in get(cs, "handler_cgj", c) and "check_code" not in get(cs, "dispatcher", c)


def test_rectification_can_be_returned_and_redispatched(cs, ids):
    c = reply(cs, to_processing(cs, ids))
    c = act(cs, "operator", c, "evaluate", satisfaction="unsatisfied", comment="没有处理")
    assert c["state"] == "rectifying"
    # The department says the rectification is not its business; the dispatcher sends it on.
    c = act(cs, "handler_cgj", c, "return", reason="属于街道职责")
    assert c["state"] == "returned" and c["rectify_round"] == 1
    c = act(cs, "dispatcher", c, "redispatch", department=ids["QSJD"])
    assert c["state"] == "dispatched" and c["department_id"] == ids["QSJD"]
    assert c["rectify_round"] == 1, "the round count survives the re-routing"


def test_a_residents_handled_report_earns_points_once(cs, ids):
    """有效举报 (points bank rule valid_report): the reporting resident is paid when the report
    is closed after handling, in the same transaction, audited; reopened and closed again, or a
    hotline case with no resident's account, it pays nothing more."""
    def statement():
        r = cs.get("citizen", "/api/v1/me/points")
        assert r.status_code == 200, r.text
        return r.json()

    before = statement()["balance"]
    mine = reply(cs, to_processing(cs, ids, who="citizen"))
    assert statement()["balance"] == before  # replied is not yet closed
    mine = act(cs, "citizen", mine, "evaluate", satisfaction="satisfied")
    assert mine["state"] == "closed"
    st = statement()
    assert st["balance"] == before + 10, st
    assert st["items"][0]["rule"] == "有效举报" and mine["number"] in st["items"][0]["note"], st["items"][0]
    entry = st["items"][0]["id"]
    audit = cs.items("admin", "/api/v1/audit", params={"limit": 10})
    assert any(a["action"] == "points.award" and a["target"] == f"points/{entry}" for a in audit)
    mine = act(cs, "supervisor", mine, "reopen", note="市民再次反映")
    mine = act(cs, "citizen", reply(cs, mine), "evaluate", satisfaction="satisfied")
    assert mine["state"] == "closed" and statement()["balance"] == before + 10
    # A cancelled report, and a hotline caller's case (no resident account), pay nothing.
    gone = act(cs, "dispatcher", new_case(cs, who="citizen"), "cancel", note="重复来电")
    assert gone["state"] == "cancelled"
    act(cs, "operator", reply(cs, to_processing(cs, ids)), "close", note="三次回访未接通")
    assert statement()["balance"] == before + 10
