"""Issue 11, items 8, 12 and 13: what staff and citizens see of cases outside their scope or
their role.

- 8: an anonymous report is anonymous to every staff role: no created_by, no reporter account on
  its timeline, no name, no phone through /contact, no citizen notice on an admin's stream; the
  one way to the account is the audit log, whose every read is an audit entry itself.
- 12: hot topics cluster only the cases the caller may see; group notifications reach a
  region-bound dispatcher only for cases in its region; merge answers an invisible master as a
  missing one.
- 13: the citizen who reported sees fixed texts for internal steps, no staff identities, and the
  reply to them in full.
"""
import time

from conftest import PASSWORD, assert_error, db_open, unique
from test_notify import EventStream

STAFF = ["operator", "dispatcher", "supervisor", "admin", "handler_cgj", "data_officer"]


def create(api, who, **kw):
    body = {"title": "占道经营", "description": "小区门口有人摆摊占用人行道", "channel": "hotline"}
    if who == "citizen":
        body["channel"] = "app"
    body.update(kw)
    r = api.post(who, "/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def act(api, who, case, action, **fields):
    body = {"action": action, "version": case["version"]}
    body.update(fields)
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions", json=body)
    assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:300]}"
    return r.json()


def get(api, who, case):
    r = api.get(who, f"/api/v1/cases/{case['id']}")
    assert r.status_code == 200, r.text
    return r.json()


def bound_user(api, demo, role, region_code):
    """A new account of 'role' bound to the region 'region_code'."""
    name = unique(role[:4])
    r = api.post("admin", "/api/v1/users", json={"name": name, "password": PASSWORD, "roles": [role],
                                                 "region": region_code})
    assert r.status_code == 201, r.text
    return name


# ---------------------------------------------------------------- 8: anonymous reports

def test_anonymous_report_is_anonymous_to_every_staff_role(gl, demo):
    citizen_id = demo["users"]["citizen"]["id"]
    u = unique("匿名")
    c = create(gl, "citizen", title=f"噪音扰民{u}", anonymous=True)
    assert c["created_by"] == citizen_id and c["citizen"]["anonymous"] is True
    c = act(gl, "citizen", c, "comment", note=f"晚上十点以后还在施工{u}")
    c = act(gl, "dispatcher", c, "dispatch", department=demo["CGJ"])
    for who in STAFF:
        seen = get(gl, who, c)
        assert seen["created_by"] is None, who
        assert seen["citizen"] == {"name": "匿名", "phone": "", "anonymous": True}, who
        for e in seen["timeline"]:
            assert e["actor_id"] != citizen_id and e["actor"] != "citizen", (who, e)
        # The comment is still there, as the citizen's.
        comment = [e for e in seen["timeline"] if e["action"] == "comment"]
        assert comment and comment[0]["role"] == "citizen" and u in comment[0]["note"], (who, comment)
    for who in ("operator", "dispatcher", "supervisor", "admin", "handler_cgj"):
        e = assert_error(gl.get(who, f"/api/v1/cases/{c['id']}/contact"), 403, "forbidden")
        assert "anonymous" in e["message"], (who, e)
    # Lists show no reporter either.
    items = gl.items("admin", "/api/v1/cases", params={"q": u})
    assert [i["id"] for i in items] == [c["id"]] and items[0]["created_by"] is None
    # The citizen follows their own report as before.
    mine = get(gl, "citizen", c)
    assert mine["created_by"] == citizen_id and mine["citizen"]["name"] != "匿名"
    assert [e["actor"] for e in mine["timeline"] if e["action"] == "comment"] == ["citizen"]
    assert c["id"] in [i["id"] for i in gl.items("citizen", "/api/v1/cases", params={"queue": "mine"})]
    # A report that is not anonymous keeps its reporter for staff.
    named = create(gl, "citizen", title=f"路灯不亮{u}")
    assert get(gl, "admin", named)["created_by"] == citizen_id


def test_audit_log_is_the_one_unmasking_path_and_every_read_is_audited(gl):
    before = gl.items("admin", "/api/v1/audit?limit=1")[0]["id"]
    r = gl.get("supervisor", "/api/v1/audit?limit=5")
    assert r.status_code == 200, r.text
    reads = [a for a in gl.items("admin", "/api/v1/audit?limit=50")
             if a["action"] == "audit.read" and a["id"] > before]
    assert "supervisor" in [a["actor_name"] for a in reads], reads


def test_admin_stream_does_not_carry_the_reporters_notices(server_factory, demo):
    api = server_factory(args=["--notify-interval", "1"])
    admin = EventStream(api, "admin")
    mine = EventStream(api, "citizen")
    try:
        c = create(api, "citizen", title="井盖缺失", anonymous=True)
        c = act(api, "dispatcher", c, "dispatch", department=demo["CGJ"])
        c = act(api, "handler_cgj", c, "sign")
        c = act(api, "handler_cgj", c, "reply", result="已补装井盖", contacted=True, solved=True)
        ev, data = mine.wait_for(lambda e, d: d and d["case_id"] == c["id"] and e["event"] == "replied")
        assert data["recipient"]["kind"] == "citizen"
        # The admin heard of the dispatch (after the reply's notice was claimed: ids ascend).
        admin.wait_for(lambda e, d: d and d["case_id"] == c["id"] and e["event"] == "dispatched")
        time.sleep(1.5)
        got = [e for e in admin.drain() if e.get("event") == "replied"]
        assert got == [], got
    finally:
        admin.close()
        mine.close()


# ---------------------------------------------------------------- 12: scope bypasses

def test_hot_topics_cluster_only_visible_cases(gl, demo):
    u = unique("热")
    street2 = demo["regions"]["330179002"]["id"]
    ids = [create(gl, "operator", title=f"朝晖路{u}井盖缺失", region_id=street2,
                  description=f"朝晖路{u}的井盖缺失了，晚上很危险，请尽快处理")["id"] for _ in range(3)]
    admin = gl.get("admin", "/api/v1/triage/hot", params={"days": 1, "limit": 100}).json()
    assert any(set(ids) <= set(t["case_ids"]) for t in admin["topics"]), "admin sees the topic"
    d1 = bound_user(gl, demo, "dispatcher", "330179001")
    for who in (d1, "handler_cgj"):
        r = gl.get(who, "/api/v1/triage/hot", params={"days": 1, "limit": 100})
        assert r.status_code == 200, r.text
        hot = r.json()
        for t in hot["topics"]:
            assert not set(ids) & set(t["case_ids"]), (who, t)
            assert u not in t["title"], (who, t)
            assert t["representative_id"] not in ids
        assert u not in r.text
        for t in hot["topics"][:3]:
            assert gl.get(who, f"/api/v1/cases/{t['representative_id']}").status_code == 200


def test_group_notifications_respect_region(server_factory, demo):
    api = server_factory(args=["--notify-interval", "1"])
    street1 = demo["regions"]["330179001"]["id"]
    street2 = demo["regions"]["330179002"]["id"]
    d1 = bound_user(api, demo, "dispatcher", "330179001")
    s = EventStream(api, d1)
    try:
        create(api, "operator", title="前一工单", region_id=street1)  # a notification to replay after
        outside = create(api, "operator", title="区外工单", region_id=street2)
        inside = create(api, "operator", title="区内工单", region_id=street1)
        assert api.get(d1, f"/api/v1/cases/{outside['id']}").status_code == 403
        # The one in its region arrives; the one outside, created before it, never did.
        seen = []
        s.wait_for(lambda e, d: seen.append(d) or (d and d["case_id"] == inside["id"]), timeout=10)
        assert outside["id"] not in [d["case_id"] for d in seen if d], seen
    finally:
        s.close()
    # Replayed after a reconnect: scoped the same way.
    con = db_open(api.server.db, readonly=True)
    try:
        first = con.execute("SELECT min(id) FROM notifications WHERE case_id = ?", (outside["id"],)).fetchone()[0]
    finally:
        con.close()
    again = EventStream(api, d1, last_event_id=first - 1)
    try:
        seen = []
        again.wait_for(lambda e, d: seen.append(d) or (d and d["case_id"] == inside["id"]), timeout=5)
        assert outside["id"] not in [d["case_id"] for d in seen if d], seen
    finally:
        again.close()


def test_merge_answers_invisible_and_missing_masters_alike(gl, demo):
    street1 = demo["regions"]["330179001"]["id"]
    street2 = demo["regions"]["330179002"]["id"]
    d1 = bound_user(gl, demo, "dispatcher", "330179001")
    dup = create(gl, "operator", title="重复来电", region_id=street1)
    hidden = create(gl, "operator", title="区外主单", region_id=street2)
    assert gl.get(d1, f"/api/v1/cases/{hidden['id']}").status_code == 403

    def merge(master):
        return gl.post(d1, f"/api/v1/cases/{dup['id']}/actions",
                       json={"action": "merge", "version": dup["version"], "master": master})

    invisible = assert_error(merge(hidden["id"]), 400, "bad_request", "master")
    missing = assert_error(merge(99999999), 400, "bad_request", "master")
    assert invisible["message"] == missing["message"].replace("99999999", str(hidden["id"]))
    assert get(gl, "admin", dup)["state"] == "new" and get(gl, "admin", hidden)["timeline"][-1]["action"] != "merge_in"
    # A master in its region merges.
    master = create(gl, "operator", title="区内主单", region_id=street1)
    assert act(gl, d1, dup, "merge", master=master["id"])["state"] == "merged"


# ---------------------------------------------------------------- 13: the citizen's timeline

def test_citizen_sees_fixed_texts_and_no_staff(gl, demo):
    u = unique("内")
    c = create(gl, "citizen", title=f"垃圾未清运{u}")
    c = act(gl, "dispatcher", c, "dispatch", department=demo["CGJ"], instruction=f"内部指示{u}")
    c = act(gl, "handler_cgj", c, "return", reason=f"退单理由{u}")
    c = act(gl, "dispatcher", c, "reject_return", reason=f"改派说明{u}")
    c = act(gl, "handler_cgj", c, "sign")
    c = act(gl, "supervisor", c, "urge", note=f"督办要求{u}")
    c = act(gl, "handler_cgj", c, "comment", note=f"内部备注{u}")
    c = act(gl, "handler_cgj", c, "extend", reason=f"延期理由{u}", until="2099-01-01T00:00:00Z")
    assert get(gl, "citizen", c)["pending"] is None and get(gl, "admin", c)["pending"]["request"] == "extend"
    c = act(gl, "handler_cgj", c, "reply", result=f"已清运完毕{u}", contacted=True, solved=True)
    staff = get(gl, "admin", c)
    assert f"内部指示{u}" in str(staff["timeline"]) and f"退单理由{u}" in str(staff["timeline"])

    r = gl.get("citizen", f"/api/v1/cases/{c['id']}")
    assert r.status_code == 200
    mine = r.json()
    text = r.text
    for secret in ("内部指示", "退单理由", "改派说明", "督办要求", "内部备注", "延期理由",
                   "handler_cgj", "dispatcher", "supervisor"):
        assert secret not in text, secret
    by = {}
    for e in mine["timeline"]:
        by.setdefault(e["action"], []).append(e)
        if e["action"] != "create":
            assert e["actor"] is None and e["actor_id"] is None and e["role"] is None, e
    assert by["dispatch"][0]["note"] == "工单已转交承办部门处理"
    assert by["return"][0]["note"] == "工单正在重新分派承办部门"
    assert by["sign"][0]["note"] == "承办部门已签收，正在办理"
    assert by["urge"][0]["note"] == "工单已督办"
    assert "comment" not in by and "extend" not in by and "triage" not in by
    assert by["reply"][0]["note"] == f"已清运完毕{u}" and by["reply"][0]["payload"]["solved"] is True
    assert by["create"][0]["actor"] == "citizen"
    # Every shown step has a text or is the citizen's own; the state path stays complete.
    assert [e["to"] for e in mine["timeline"] if e["from"] != e["to"]] == \
        [e["to"] for e in staff["timeline"] if e["from"] != e["to"]]
    # The citizen's own words come back in full; the case still closes on their evaluation.
    mine = act(gl, "citizen", mine, "evaluate", satisfaction="satisfied", comment=f"很满意{u}")
    assert mine["state"] == "closed"
    ev = [e for e in mine["timeline"] if e["action"] == "evaluate"][0]
    assert ev["note"] == f"很满意{u}" and ev["actor"] == "citizen"


def test_refusals_say_why(gl, demo):
    """A 403 names its reason (src/core/err.h ERR_REASON_*), so the web words it without reading
    the English message: a case outside the caller's scope, a role the route needs, an action
    only the lead department may take, someone else's report, an anonymous caller's contact."""
    c = create(gl, "operator", anonymous=True)
    c = act(gl, "dispatcher", c, "dispatch", department=demo["CGJ"])
    assert_error(gl.get("handler_qsjd", f"/api/v1/cases/{c['id']}"), 403, "forbidden", reason="scope")
    assert_error(gl.get("citizen", "/api/v1/users"), 403, "forbidden", reason="role")
    r = gl.post("handler_qsjd", f"/api/v1/cases/{c['id']}/actions", json={"action": "sign", "version": c["version"]})
    assert_error(r, 403, "forbidden", reason="scope")
    mine = create(gl, "citizen")
    r = gl.post("citizen", f"/api/v1/cases/{mine['id']}/actions", json={"action": "reply", "version": mine["version"], "result": "x"})
    assert_error(r, 403, "forbidden", field="action", reason="role")
    assert_error(gl.get("supervisor", f"/api/v1/cases/{c['id']}/contact"), 403, "forbidden", reason="anonymous")
    assert_error(gl.get("citizen", f"/api/v1/cases/{c['id']}"), 403, "forbidden", reason="scope")
    # Signing belongs to the lead department: an assisting one is told so.
    d = create(gl, "operator")
    d = act(gl, "dispatcher", d, "dispatch", department=demo["CGJ"], assisting=[demo["QSJD"]])
    r = gl.post("handler_qsjd", f"/api/v1/cases/{d['id']}/actions", json={"action": "sign", "version": d["version"]})
    assert_error(r, 403, "forbidden", reason="lead")
