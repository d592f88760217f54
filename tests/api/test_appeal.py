"""
申诉 (issue 13, item 8): a citizen appeals a closure or an automatic decision of triage (the
category, the routed department, a merge with a duplicate), signed in as the reporter or through
the public lookup with the case's number and check code; a supervisor upholds (the case is
reopened, corrected or unmerged) or rejects with a written reason the citizen reads. One open
appeal per case; appeals end appeal_days (30) after the closure. Every step is a timeline event
and an audit entry of the same transaction.

And the public register of automatic decisions (自动化决策公示, GET /api/v1/public/decisions): the
model version in use, per-class agreement of dispatchers with triage, decisions and appeals of the
last 30 days.
"""
import datetime as dt

import pytest

from conftest import GENEROUS, assert_error

CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "86400"]
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)
CAT = 10  # 010201 占道经营, lead CGJ


def act(api, who, case, action, **fields):
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions", json={"action": action, "version": case["version"], **fields})
    assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:500]}"
    return r.json()


def set_clock(api, t):
    assert api.put("admin", "/api/v1/test/clock", json={"now": t.isoformat()}).status_code == 200


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    from conftest import Api, Server
    srv = Server(str(tmp_path_factory.mktemp("appeal")), template_db, GENEROUS + CLOCK_ARGS).start()
    api = Api(srv)
    set_clock(api, T0)
    depts = {d["code"]: d["id"] for d in api.items("admin", "/api/v1/departments")}
    yield {"api": api, "depts": depts}
    srv.check_clean_exit()


def citizen_case(api, depts, title="路灯不亮", description="小区门口的路灯坏了一个星期，晚上很黑"):
    """The citizen's own report, dispatched, replied and evaluated by the citizen: closed."""
    r = api.post("citizen", "/api/v1/cases", json={"title": title, "description": description, "channel": "web"})
    assert r.status_code == 201, r.text
    c = r.json()
    c = act(api, "dispatcher", c, "dispatch", department=depts["CGJ"], category=CAT)
    c = act(api, "handler_cgj", c, "sign")
    c = act(api, "handler_cgj", c, "reply", result="已安排维修", contacted=True, solved=True)
    c = act(api, "citizen", c, "evaluate", satisfaction="satisfied")
    assert c["state"] == "closed"
    return c


def hotline_case(api, depts, closed=True):
    r = api.post("operator", "/api/v1/cases", json={"title": "占道经营", "description": "小区门口有人摆摊占用人行道",
                                                    "channel": "hotline", "citizen": {"name": "张三", "phone": "13812348000"}})
    assert r.status_code == 201, r.text
    c = r.json()
    if closed:
        c = act(api, "dispatcher", c, "dispatch", department=depts["CGJ"], category=CAT)
        c = act(api, "handler_cgj", c, "sign")
        c = act(api, "handler_cgj", c, "reply", result="已劝离", contacted=True, solved=True)
        c = act(api, "operator", c, "evaluate", satisfaction="satisfied")
        assert c["state"] == "closed"
    return c


def audit_actions(api, case_id):
    r = api.get("admin", "/api/v1/audit", params={"limit": 200, "target": f"case/{case_id}"})
    assert r.status_code == 200, r.text
    return [a["action"] for a in reversed(r.json()["items"]) if a["target"] == f"case/{case_id}"]


def test_closure_appeal_upheld_reopens(world):
    api, depts = world["api"], world["depts"]
    c = citizen_case(api, depts)
    r = api.get("citizen", f"/api/v1/cases/{c['id']}/appeals")
    assert r.status_code == 200, r.text
    assert r.json()["items"] == [] and "closure" in r.json()["appealable"] and r.json()["appeal_until"]

    r = api.post("citizen", f"/api/v1/cases/{c['id']}/appeals",
                 json={"kind": "closure", "reason": "not_solved", "text": "路灯还是不亮"})
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["status"] == "open" and a["kind"] == "closure" and a["decision"] is None
    assert "decided_by" not in a  # the citizen sees no staff identity
    # One open appeal at a time.
    assert_error(api.post("citizen", f"/api/v1/cases/{c['id']}/appeals",
                          json={"kind": "closure", "reason": "other", "text": "再次申诉"}), 409, "conflict", "kind")

    # Supervisors hear of it among the requests they decide (审批).
    msgs = api.get("supervisor", "/api/v1/me/messages", params={"group": "approval"}).json()["items"]
    assert any(m["case_id"] == c["id"] and m["kind"] == "appeal" for m in msgs), msgs[:3]
    # The supervisors' queue has it; a handler's does not exist.
    q = api.get("supervisor", "/api/v1/appeals").json()
    mine = [x for x in q["items"] if x["id"] == a["id"]]
    assert mine and mine[0]["case_number"] == c["number"] and mine[0]["case_state"] == "closed"
    assert q["total"] >= 1
    assert_error(api.get("handler_cgj", "/api/v1/appeals"), 403, "forbidden")
    assert_error(api.post("handler_cgj", f"/api/v1/appeals/{a['id']}/decision",
                          json={"decision": "uphold", "note": "x"}), 403, "forbidden")

    # Bad decisions name their field and change nothing.
    assert_error(api.post("supervisor", f"/api/v1/appeals/{a['id']}/decision",
                          json={"decision": "maybe", "note": "x"}), 400, "bad_request", "decision")
    assert_error(api.post("supervisor", f"/api/v1/appeals/{a['id']}/decision",
                          json={"decision": "uphold", "note": ""}), 400, "bad_request", "note")

    r = api.post("supervisor", f"/api/v1/appeals/{a['id']}/decision",
                 json={"decision": "uphold", "note": "经核实路灯仍未修复，重新办理"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["status"] == "upheld" and d["decision"] == "经核实路灯仍未修复，重新办理" and d["decided_by"]
    case = api.get("supervisor", f"/api/v1/cases/{c['id']}").json()
    assert case["state"] == "processing"
    actions = [e["action"] for e in case["timeline"]]
    assert actions[-3:] == ["appeal", "appeal_upheld", "reopen"], actions
    assert audit_actions(api, c["id"])[-3:] == ["case.appeal", "case.reopen", "case.appeal_upheld"]
    # The citizen is told there is an answer (答复).
    msgs = api.get("citizen", "/api/v1/me/messages", params={"group": "reply"}).json()["items"]
    assert any(m["case_id"] == c["id"] and m["kind"] == "appeal_decided" for m in msgs), msgs[:3]
    # Decided once.
    assert_error(api.post("supervisor", f"/api/v1/appeals/{a['id']}/decision",
                          json={"decision": "reject", "note": "x"}), 409, "conflict")
    # The citizen reads the outcome; a closure appeal is not possible on an open case.
    mine = api.get("citizen", f"/api/v1/cases/{c['id']}/appeals").json()
    assert mine["items"][0]["status"] == "upheld" and "closure" not in mine["appealable"]
    assert_error(api.post("citizen", f"/api/v1/cases/{c['id']}/appeals",
                          json={"kind": "closure", "reason": "not_solved", "text": "x"}), 409, "conflict", "kind")


def test_bad_appeals_name_their_field(world):
    api, depts = world["api"], world["depts"]
    c = citizen_case(api, depts, title="噪音扰民", description="楼下饭店夜里排风机声音很大")
    url = f"/api/v1/cases/{c['id']}/appeals"
    assert_error(api.post("citizen", url, json={"kind": "closing", "reason": "other", "text": "x"}),
                 400, "bad_request", "kind")
    assert_error(api.post("citizen", url, json={"kind": "closure", "reason": "wrong_category", "text": "x"}),
                 400, "bad_request", "reason")
    assert_error(api.post("citizen", url, json={"kind": "closure", "reason": "other", "text": ""}),
                 400, "bad_request", "text")
    assert_error(api.post("citizen", url, json={"kind": "closure", "reason": "other", "text": "x" * 2001}),
                 400, "bad_request", "text")
    assert_error(api.post("citizen", url, json={"kind": "duplicate", "reason": "not_duplicate", "text": "x"}),
                 409, "conflict", "kind")
    # Only the reporter appeals (staff who see the case may not file in the citizen's name).
    assert_error(api.post("operator", url, json={"kind": "closure", "reason": "other", "text": "x"}),
                 403, "forbidden")
    assert api.get("citizen", url).json()["items"] == []


def test_public_lookup_appeal_rejected_with_reason(world):
    api, depts = world["api"], world["depts"]
    c = hotline_case(api, depts)
    url = api.url("/api/v1/cases/lookup/appeals")
    body = {"number": c["number"], "check_code": c["check_code"], "kind": "closure",
            "reason": "evaluation_ignored", "text": "回访时我说了不满意，却被记成满意"}
    wrong = dict(body, check_code=f"{(int(c['check_code']) + 1) % 10**10:010d}")
    assert_error(api.anon.post(url, json=wrong), 404, "not_found", "number")
    assert_error(api.anon.post(url, json=dict(body, kind="nothing")), 400, "bad_request", "kind")
    r = api.anon.post(url, json=body)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["status"] == "open"
    # The lookup shows it, and that nothing more can be appealed while it is open.
    look = api.anon.get(api.url("/api/v1/cases/lookup"),
                        params={"number": c["number"], "check_code": c["check_code"]}).json()
    assert look["appeals"][0]["status"] == "open" and look["appeals"][0]["text"] == body["text"]
    assert look["appealable"] == []
    assert look["timeline"][-1]["action"] == "appeal"
    # Staff see it was filed through the lookup, by a citizen.
    case = api.get("supervisor", f"/api/v1/cases/{c['id']}").json()
    ev = case["timeline"][-1]
    assert ev["action"] == "appeal" and ev["role"] == "citizen", ev
    r = api.post("supervisor", f"/api/v1/appeals/{a['id']}/decision",
                 json={"decision": "reject", "note": "回访录音显示您表示满意，维持办结"})
    assert r.status_code == 200, r.text
    look = api.anon.get(api.url("/api/v1/cases/lookup"),
                        params={"number": c["number"], "check_code": c["check_code"]}).json()
    assert look["state"] == "closed"
    assert look["appeals"][0]["status"] == "rejected"
    assert look["appeals"][0]["decision"] == "回访录音显示您表示满意，维持办结"
    assert "decided_by" not in look["appeals"][0]
    assert [e["action"] for e in look["timeline"]][-2:] == ["appeal", "appeal_rejected"]
    assert audit_actions(api, c["id"])[-2:] == ["case.appeal", "case.appeal_rejected"]
    # Rejected, the citizen may appeal again (one open at a time, not one ever).
    assert "closure" in look["appealable"]


def test_appeal_time_limit(world):
    api, depts = world["api"], world["depts"]
    c = hotline_case(api, depts)
    body = {"number": c["number"], "check_code": c["check_code"], "kind": "closure", "reason": "not_solved",
            "text": "问题没有解决"}
    try:
        set_clock(api, T0 + dt.timedelta(days=31))
        e = assert_error(api.anon.post(api.url("/api/v1/cases/lookup/appeals"), json=body), 409, "conflict", "kind")
        assert "30 days" in e["message"]
        look = api.anon.get(api.url("/api/v1/cases/lookup"),
                            params={"number": c["number"], "check_code": c["check_code"]}).json()
        assert look["appealable"] == []
        set_clock(api, T0 + dt.timedelta(days=29))
        assert api.anon.post(api.url("/api/v1/cases/lookup/appeals"), json=body).status_code == 201
    finally:
        set_clock(api, T0)


def test_category_appeal_upheld_corrects_and_counts(world):
    api, depts = world["api"], world["depts"]
    before = register(api)
    r = api.post("citizen", "/api/v1/cases", json={"title": "路面坑洼", "description": "马路上有一个很深的坑，电动车经过容易摔倒",
                                                   "channel": "web"})
    assert r.status_code == 201, r.text
    c = r.json()
    full = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()
    assert full["suggested"] and full["suggested"]["category_id"], full.get("suggested")
    suggested = full["suggested"]["category_id"]
    a = api.post("citizen", f"/api/v1/cases/{c['id']}/appeals",
                 json={"kind": "category", "reason": "wrong_category", "text": "这是道路问题，不是别的"})
    assert a.status_code == 201, a.text
    a = a.json()
    q = [x for x in api.get("supervisor", "/api/v1/appeals").json()["items"] if x["id"] == a["id"]][0]
    assert q["triage_category"]["id"] == suggested
    other = CAT if suggested != CAT else CAT + 1
    assert_error(api.post("supervisor", f"/api/v1/appeals/{a['id']}/decision",
                          json={"decision": "uphold", "note": "分类更正"}), 400, "bad_request", "category")
    assert_error(api.post("supervisor", f"/api/v1/appeals/{a['id']}/decision",
                          json={"decision": "uphold", "note": "分类更正", "category": 999999}),
                 400, "bad_request", "category")
    r = api.post("supervisor", f"/api/v1/appeals/{a['id']}/decision",
                 json={"decision": "uphold", "note": "分类更正", "category": other, "department": depts["CGJ"]})
    assert r.status_code == 200, r.text
    assert r.json()["category"]["id"] == other and r.json()["department"]["id"] == depts["CGJ"]
    case = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()
    assert case["category_id"] == other and case["state"] == "new"
    # The dispatchers are told to (re)dispatch it by the corrected category (新派单).
    msgs = api.get("dispatcher", "/api/v1/me/messages", params={"group": "assign"}).json()["items"]
    assert any(m["case_id"] == c["id"] and m["kind"] == "redispatch" for m in msgs), msgs[:3]
    after = register(api)
    cls = by_key(after)["classification"]
    assert cls["appeals"]["filed"] == by_key(before)["classification"]["appeals"]["filed"] + 1
    assert cls["appeals"]["overturned"] == by_key(before)["classification"]["appeals"]["overturned"] + 1
    # The correction is a dispatcher-grade classification: it counts against triage in its class.
    got = {k["id"]: k for k in cls["accuracy"]["classes"]}
    was = {k["id"]: k for k in by_key(before)["classification"]["accuracy"]["classes"]}
    assert got[other]["n"] == was.get(other, {"n": 0})["n"] + 1
    assert got[other]["right"] == was.get(other, {"right": 0})["right"]


def test_duplicate_appeal_upheld_unmerges(world):
    api, depts = world["api"], world["depts"]
    master = hotline_case(api, depts, closed=False)
    r = api.post("citizen", "/api/v1/cases", json={"title": "占道经营", "description": "小区门口有人摆摊占用人行道",
                                                   "channel": "web"})
    c = r.json()
    c = act(api, "dispatcher", c, "merge", master=master["id"], note="重复")
    assert c["state"] == "merged"
    a = api.post("citizen", f"/api/v1/cases/{c['id']}/appeals",
                 json={"kind": "duplicate", "reason": "not_duplicate", "text": "我说的是另一个路口"}).json()
    r = api.post("supervisor", f"/api/v1/appeals/{a['id']}/decision",
                 json={"decision": "uphold", "note": "确为不同地点，单独办理"})
    assert r.status_code == 200, r.text
    case = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()
    assert case["state"] == "new" and case["master_id"] is None
    assert [e["action"] for e in case["timeline"]][-3:] == ["appeal", "appeal_upheld", "unmerge"]


def register(api):
    r = api.anon.get(api.url("/api/v1/public/decisions"))
    assert r.status_code == 200, r.text
    return r.json()


def by_key(reg):
    return {d["key"]: d for d in reg["decisions"]}


def test_register_of_automatic_decisions(world):
    api, depts = world["api"], world["depts"]
    reg = register(api)
    keys = by_key(reg)
    assert list(keys) == ["classification", "routing", "urgency", "duplicate", "reply_check"]
    assert reg["window_days"] == 30 and reg["appeal_days"] == 30
    for d in reg["decisions"]:
        # Every text a member of the public reads is Chinese.
        for f in ("name", "decides", "who_decides", "how_to_appeal"):
            assert d[f] and all(not ch.isascii() or ch in "“”（）" for ch in d[f][:2]), (f, d[f])
    # The model version is the running model's, not a constant.
    model = api.get("admin", "/api/v1/triage/model").json()
    cls = keys["classification"]
    assert cls["version"]["id"] == model["version"] and cls["version"]["labels"] > 10
    assert len(keys["urgency"]["version"]["id"]) == 16
    # Per-class agreement moves with the dispatchers' classifications.
    before = {k["id"]: k for k in cls["accuracy"]["classes"]}
    r = api.post("operator", "/api/v1/cases", json={"title": "占道经营", "description": "小区门口有人摆摊占用人行道，行人只能走机动车道",
                                                    "channel": "hotline", "citizen": {"name": "李四", "phone": "13812348001"}})
    c = r.json()
    sug = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()["suggested"]["category_id"]
    act(api, "dispatcher", c, "dispatch", department=depts["CGJ"], category=sug)
    cls = by_key(register(api))["classification"]
    after = {k["id"]: k for k in cls["accuracy"]["classes"]}
    assert after[sug]["n"] == before.get(sug, {"n": 0})["n"] + 1
    assert after[sug]["right"] == before.get(sug, {"right": 0})["right"] + 1
    assert cls["accuracy"]["basis"] == "dispatchers" and cls["accuracy"]["measured_at"]
    assert 0 <= cls["accuracy"]["rate"] <= 1
    assert cls["decisions"] >= 1
    # Routing: the department dispatched to, per department.
    routing = by_key(register(api))["routing"]
    assert routing["accuracy"]["n"] >= 1 and routing["version"]["kind"] == "routing_rules"
    assert keys["urgency"]["accuracy"]["not_measured"] == "no_review"
    # Urgency: a report whose wording fires the rules counts; a plain one does not.
    n = by_key(register(api))["urgency"]["decisions"]
    for text in ("楼道里闻到很重的煤气味，怀疑燃气泄漏", "小区花坛里的杂草很久没人修剪了"):
        r = api.post("operator", "/api/v1/cases", json={"title": text[:6], "description": text, "channel": "hotline",
                                                        "citizen": {"name": "钱七", "phone": "13812348002"}})
        assert r.status_code == 201, r.text
    assert by_key(register(api))["urgency"]["decisions"] == n + 1


def test_register_is_served_on_an_empty_database(tmp_path):
    """No model, no cases: the register says so instead of failing."""
    from conftest import Api, Server, drop_db, new_db, run_cli
    db = new_db(tmp_path, "empty")
    p = run_cli("init", "--db", db)
    assert p.returncode == 0, p.stdout + p.stderr
    srv = Server(str(tmp_path / "srv"), None, GENEROUS, db=db).start()
    try:
        reg = Api(srv).anon.get(srv.base + "/api/v1/public/decisions").json()
        cls = {d["key"]: d for d in reg["decisions"]}["classification"]
        assert cls["version"]["id"] is None and cls["accuracy"]["n"] == 0 and cls["accuracy"]["rate"] is None
        assert cls["decisions"] == 0 and cls["appeals"] == {"filed": 0, "overturned": 0, "appealable": True}
    finally:
        srv.check_clean_exit()
        drop_db(db)


def test_queue_and_decision_follow_the_supervisors_region(world):
    """A region-bound supervisor sees and decides the appeals of its subtree only."""
    from conftest import PASSWORD, unique
    api = world["api"]
    r = api.post("citizen", "/api/v1/cases", json={"title": "井盖松动", "description": "路口井盖松动，车过有响声",
                                                   "channel": "web", "lat": 30.18, "lon": 120.07})
    assert r.status_code == 201, r.text
    c = api.get("dispatcher", f"/api/v1/cases/{r.json()['id']}").json()
    street = c["region_code"][:9]
    other = "330179002" if street != "330179002" else "330179001"
    names = {}
    for code in (street, other):
        names[code] = unique("sup")
        u = api.post("admin", "/api/v1/users", json={"name": names[code], "password": PASSWORD,
                                                     "roles": ["supervisor"], "region": code})
        assert u.status_code == 201, u.text
    a = api.post("citizen", f"/api/v1/cases/{c['id']}/appeals",
                 json={"kind": "category", "reason": "other", "text": "分类不对"})
    assert a.status_code == 201, a.text
    a = a.json()
    mine = api.get(names[street], "/api/v1/appeals").json()
    assert a["id"] in [x["id"] for x in mine["items"]]
    theirs = api.get(names[other], "/api/v1/appeals").json()
    assert a["id"] not in [x["id"] for x in theirs["items"]]
    assert all(x["case_id"] != c["id"] for x in theirs["items"]) and theirs["total"] == len(theirs["items"])
    assert_error(api.post(names[other], f"/api/v1/appeals/{a['id']}/decision",
                          json={"decision": "reject", "note": "不在辖区"}), 403, "forbidden")
    r = api.post(names[street], f"/api/v1/appeals/{a['id']}/decision",
                 json={"decision": "reject", "note": "分类无误"})
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text
