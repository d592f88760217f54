"""
办结审核 (issue 13, the centre's controls): where a review rule covers a case's category, the lead
department's reply waits in state 'reviewing' until a dispatcher or supervisor accepts it (the case
is replied as before and the citizen gets the reply) or sends it back with a reason (processing
again, or rectifying for a rectification's reply). Rules: one per category, covering its subtree,
the nearest up the tree deciding, then the default (category 0). The citizen never sees a reply
that is not accepted (own view, public lookup); the assessment does not count it as replied.

Cases on 2026-12-07 (Beijing), category 010201 占道经营 (id 10, lead CGJ) under 0102.
"""
import datetime as dt

import pytest

from conftest import GENEROUS, PASSWORD, assert_error, db_open

CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "86400"]
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)
CAT = 10  # 010201 占道经营
PERIOD = {"from": "2026-12-07T00:00:00+08:00", "to": "2026-12-08T00:00:00+08:00"}
RESULT = "已派城管队员到现场劝离摊贩，并设置提示牌，今后每天巡查"


def act(api, who, case, action, **fields):
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions",
                 json={"action": action, "version": case["version"], **fields})
    assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:500]}"
    return r.json()


def cgj_row(api):
    r = api.get("supervisor", "/api/v1/stats/assessment", params=PERIOD)
    assert r.status_code == 200, r.text
    return {x["code"]: x for x in r.json()["rows"]}.get("CGJ", {"replied": 0})


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    from conftest import Api, Server
    srv = Server(str(tmp_path_factory.mktemp("review")), template_db, GENEROUS + CLOCK_ARGS).start()
    api = Api(srv)
    assert api.put("admin", "/api/v1/test/clock", json={"now": T0.isoformat()}).status_code == 200
    cats = {c["code"]: c for c in api.items("admin", "/api/v1/categories", params={"limit": 1000})}
    deps = {d["code"]: d for d in api.items("admin", "/api/v1/departments")}
    yield {"api": api, "srv": srv, "cats": cats, "cgj": deps["CGJ"]["id"]}
    srv.check_clean_exit()


def handled(w, title="占道经营"):
    """A citizen's report, dispatched to CGJ and signed."""
    api = w["api"]
    r = api.post("citizen", "/api/v1/cases", json={"title": title, "description": "小区门口有人摆摊占用人行道",
                                                   "channel": "app"})
    assert r.status_code == 201, r.text
    c = act(api, "dispatcher", r.json(), "dispatch", department=w["cgj"], category=CAT)
    return act(api, "handler_cgj", c, "sign")


def test_rules_are_admins_and_name_the_field(world):
    api, cats = world["api"], world["cats"]
    assert api.items("dispatcher", "/api/v1/review-rules") == []
    for who in ("dispatcher", "supervisor", "handler_cgj"):
        assert_error(api.put(who, "/api/v1/review-rules", json={"category": 0, "review": True}), 403)
    assert_error(api.put("admin", "/api/v1/review-rules", json={"category": 999999, "review": True}),
                 400, "bad_request", "category")
    assert_error(api.put("admin", "/api/v1/review-rules", json={"category": CAT}), 400, "bad_request", "review")
    assert_error(api.put("admin", "/api/v1/review-rules", json={"category": "x", "review": True}),
                 400, "bad_request", "category")
    assert_error(api.delete("admin", f"/api/v1/review-rules/{CAT}"), 404)
    # A rule on the parent 0102 covers 010201; the rule of the default is category 0.
    r = api.put("admin", "/api/v1/review-rules", json={"category": cats["0102"]["id"], "review": True})
    assert r.status_code == 200, r.text
    assert r.json() == {"category": cats["0102"]["id"], "category_name": cats["0102"]["name"], "default": False,
                        "review": True, "updated_at": r.json()["updated_at"]}
    audit = api.items("admin", "/api/v1/audit", params={"limit": 5})
    assert audit[0]["action"] == "review_rule.set" and audit[0]["target"] == f"review_rule/{cats['0102']['id']}"


def test_reply_reviewed_sent_back_then_accepted(world):
    api, srv = world["api"], world["srv"]
    before = cgj_row(api)
    c = handled(world)
    c = act(api, "handler_cgj", c, "reply", result="已处理", contacted=True, solved=True)
    assert c["state"] == "reviewing" and c["replied_at"] is None
    # The department cannot act on it any more, the centre can; the citizen cannot evaluate it.
    assert set(api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()["actions"]) >= {"accept", "send_back"}
    assert set(api.get("supervisor", f"/api/v1/cases/{c['id']}").json()["actions"]) >= {"accept", "send_back"}
    assert "accept" not in api.get("handler_cgj", f"/api/v1/cases/{c['id']}").json()["actions"]
    for who in ("handler_cgj", "operator", "citizen"):
        r = api.post(who, f"/api/v1/cases/{c['id']}/actions", json={"action": "accept", "version": c["version"]})
        assert_error(r, 403, "forbidden", "action")
    assert_error(api.post("citizen", f"/api/v1/cases/{c['id']}/actions",
                          json={"action": "evaluate", "version": c["version"], "satisfaction": "satisfied"}), 409)
    # It waits in the centre's 待审核 list.
    assert c["id"] in [x["id"] for x in api.items("dispatcher", "/api/v1/cases", params={"state": "reviewing"})]
    # The citizen sees neither the reply nor a replied case; the assessment does not count it.
    mine = api.get("citizen", f"/api/v1/cases/{c['id']}").json()
    assert [e for e in mine["timeline"] if e["action"] in ("reply", "accept")] == []
    assert cgj_row(api)["replied"] == before["replied"]
    # The centre told (dispatchers), not the citizen.
    db = db_open(srv.db, readonly=True)
    try:
        kinds = [tuple(x) for x in db.execute(
            "SELECT recipient_kind, kind FROM notifications WHERE case_id = ? ORDER BY id", (c["id"],)).fetchall()]
    finally:
        db.close()
    assert ("dispatchers", "review") in kinds and ("citizen", "replied") not in kinds
    # In the dispatchers' message centre, as a request to decide (审批).
    msgs = api.get("dispatcher", "/api/v1/me/messages", params={"group": "approval"}).json()["items"]
    assert any(m["kind"] == "review" and c["number"] in m["message"] for m in msgs), msgs
    # Sent back: a reason is required; the department works on it again and reads why.
    assert_error(api.post("dispatcher", f"/api/v1/cases/{c['id']}/actions",
                          json={"action": "send_back", "version": c["version"]}), 400, "bad_request", "note")
    c = act(api, "dispatcher", c, "send_back", reason="答复过于简单，未说明处理措施和时间")
    assert c["state"] == "processing" and c["replied_at"] is None
    tl = api.get("handler_cgj", f"/api/v1/cases/{c['id']}").json()["timeline"]
    back = [e for e in tl if e["action"] == "send_back"][-1]
    assert back["note"] == "答复过于简单，未说明处理措施和时间" and back["from"] == "reviewing"
    assert "send_back" not in [e["action"] for e in api.get("citizen", f"/api/v1/cases/{c['id']}").json()["timeline"]]
    msgs = api.get("handler_cgj", "/api/v1/me/messages", params={"group": "reply"}).json()["items"]
    assert any(m["kind"] == "sent_back" and "答复过于简单" in m["message"] for m in msgs), msgs
    # The second reply is accepted: replied as before, the citizen gets the reply and may evaluate.
    c = act(api, "handler_cgj", c, "reply", result=RESULT, contacted=True, solved=True)
    assert c["state"] == "reviewing"
    c = act(api, "supervisor", c, "accept")
    assert c["state"] == "replied" and c["replied_at"] is not None
    mine = api.get("citizen", f"/api/v1/cases/{c['id']}").json()
    shown = [e for e in mine["timeline"] if e["action"] in ("reply", "accept")]
    assert [(e["action"], e["note"]) for e in shown] == [("accept", RESULT)]
    assert "evaluate" in mine["actions"]
    assert cgj_row(api)["replied"] == before["replied"] + 1
    # Every step is audited.
    audit = [a["action"] for a in api.items("admin", "/api/v1/audit", params={"limit": 20})
             if a["target"] == f"case/{c['id']}"]
    assert {"case.send_back", "case.accept"} <= set(audit)
    c = act(api, "citizen", c, "evaluate", satisfaction="satisfied")
    assert c["state"] == "closed"


def test_public_lookup_shows_only_the_accepted_reply(world):
    api = world["api"]
    c = handled(world, "人行道摆摊")
    full = api.get("citizen", f"/api/v1/cases/{c['id']}").json()
    code = full["check_code"]
    c = act(api, "handler_cgj", c, "reply", result="未经审核的答复", contacted=True, solved=False)
    look = api.get(None, "/api/v1/cases/lookup", params={"number": c["number"], "check_code": code}).json()
    assert look["reply"] is None and look["state"] == "reviewing"
    assert "未经审核的答复" not in str(look)
    c = act(api, "dispatcher", c, "accept")
    look = api.get(None, "/api/v1/cases/lookup", params={"number": c["number"], "check_code": code}).json()
    assert look["reply"] == "未经审核的答复"


def test_reviewer_in_scope_only(world):
    """A dispatcher bound to a street reviews only the cases located in it."""
    api = world["api"]
    r = api.post("admin", "/api/v1/users", json={"name": "disp_far", "password": PASSWORD, "roles": ["dispatcher"],
                                                 "region": "330179002"})
    assert r.status_code == 201, r.text
    c = handled(world, "别处的摊贩")
    c = act(api, "handler_cgj", c, "reply", result=RESULT, contacted=True, solved=True)
    assert c["state"] == "reviewing"
    r = api.post("disp_far", f"/api/v1/cases/{c['id']}/actions", json={"action": "accept", "version": c["version"]})
    assert r.status_code in (403, 404), r.text
    assert c["id"] not in [x["id"] for x in api.items("disp_far", "/api/v1/cases", params={"state": "reviewing"})]
    c = act(api, "dispatcher", c, "accept")
    assert c["state"] == "replied"


def test_rectification_reply_sent_back_stays_rectifying(world):
    api = world["api"]
    c = handled(world, "夜市摆摊")
    c = act(api, "handler_cgj", c, "reply", result=RESULT, contacted=True, solved=True)
    c = act(api, "dispatcher", c, "accept")
    c = act(api, "citizen", c, "evaluate", satisfaction="unsatisfied")
    assert c["state"] == "rectifying"
    c = act(api, "handler_cgj", c, "reply", result="整改答复", contacted=True, solved=True)
    assert c["state"] == "reviewing"
    c = act(api, "supervisor", c, "send_back", reason="整改未到位")
    assert c["state"] == "rectifying"


def test_nearest_rule_decides(world):
    api, cats = world["api"], world["cats"]
    # An exemption on 010201 beats the parent's rule: the reply goes straight to the citizen.
    assert api.put("admin", "/api/v1/review-rules", json={"category": CAT, "review": False}).status_code == 200
    c = handled(world, "路边摊")
    c = act(api, "handler_cgj", c, "reply", result=RESULT, contacted=True, solved=True)
    assert c["state"] == "replied"
    # Without rules on the branch the default decides.
    assert api.delete("admin", f"/api/v1/review-rules/{CAT}").status_code == 204
    assert api.delete("admin", f"/api/v1/review-rules/{cats['0102']['id']}").status_code == 204
    c = handled(world, "占道堆放")
    c = act(api, "handler_cgj", c, "reply", result=RESULT, contacted=True, solved=True)
    assert c["state"] == "replied"
    r = api.put("admin", "/api/v1/review-rules", json={"category": 0, "review": True})
    assert r.status_code == 200 and r.json()["default"] is True and r.json()["category_name"] is None
    c = handled(world, "占道经营三")
    c = act(api, "handler_cgj", c, "reply", result=RESULT, contacted=True, solved=True)
    assert c["state"] == "reviewing"
    assert [x["category"] for x in api.items("supervisor", "/api/v1/review-rules")] == [0]
    assert api.put("admin", "/api/v1/review-rules", json={"category": 0, "review": False}).status_code == 200
