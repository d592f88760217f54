"""
协办单 and 吹哨报到 (issue 15 item 6, docs/grid.md §6).

Test clock: 2026-12-07 09:30 (Beijing, a Monday). A case in 青石街道 (street 330179001):
  dispatched to CGJ (lead) with HWZ assisting → HWZ gets a dispatch sub-task;
  the 青石街道 official blows the whistle on SZZ, JTJ and QSJD (check in within 2 h, joint
  deadline +3 days) → a sub-task each, notified;
  QSJD checks in at +1 h (on time), SZZ at +3 h (late), JTJ not at all (overdue);
  QSJD replies, the lead assesses it unsatisfied (back to QSJD), QSJD replies again, satisfied;
  SZZ replies, the official assesses it (basic); the draft consolidates both answers;
  the sweeper tells JTJ and the lead that JTJ missed its check-in limit, once, and again past
  the joint deadline;
  a re-dispatch to ZJJ without HWZ cancels HWZ's sub-task; the summoned departments stay.
"""
import datetime as dt

import pytest

from conftest import GENEROUS, PASSWORD, assert_error, db_open

CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "86400"]
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)


def iso(t):
    return t.isoformat()


def set_clock(api, t):
    assert api.put("admin", "/api/v1/test/clock", json={"now": iso(t)}).status_code == 200


def act(api, who, case, action, **fields):
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions",
                 json={"action": action, "version": case["version"], **fields})
    assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:500]}"
    return r.json()


def add_user(api, name, roles, region=None, departments=()):
    body = {"name": name, "display_name": name, "password": PASSWORD, "roles": roles,
            "departments": list(departments)}
    if region:
        body["region"] = region
    r = api.post("admin", "/api/v1/users", json=body)
    assert r.status_code == 201, r.text


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    from conftest import Api, Server
    srv = Server(str(tmp_path_factory.mktemp("whistle")), template_db, GENEROUS + CLOCK_ARGS).start()
    api = Api(srv)
    set_clock(api, T0)
    deps = {d["code"]: d["id"] for d in api.items("admin", "/api/v1/departments")}
    regions = {r["code"]: r["id"] for r in api.items("admin", "/api/v1/regions")}
    add_user(api, "qs_official", ["dispatcher"], region="330179001")
    add_user(api, "lw_official", ["supervisor"], region="330179002")
    add_user(api, "qs_grid_official", ["dispatcher"], region="33017900100101")
    for code in ("SZZ", "JTJ", "HWZ", "ZJJ"):
        add_user(api, f"handler_{code.lower()}", ["handler"], departments=[deps[code]])
    r = api.post("citizen", "/api/v1/cases", json={
        "title": "路口积水无人管", "description": "青石路口雨后积水，井盖松动，路灯不亮", "channel": "app",
        "region_id": regions["330179001001"]})
    assert r.status_code == 201, r.text
    c = act(api, "dispatcher", r.json(), "dispatch", department=deps["CGJ"], assisting=[deps["HWZ"]], category=10)
    c = act(api, "handler_cgj", c, "sign")
    yield {"api": api, "srv": srv, "deps": deps, "case": c}
    srv.check_clean_exit()


def assists(api, who, case):
    r = api.get(who, f"/api/v1/cases/{case['id']}/assists")
    assert r.status_code == 200, r.text
    return r.json()


def by_dept(listing, dept):
    [s] = [s for s in listing["items"] if s["department"]["id"] == dept and s["state"] != "cancelled"]
    return s


def test_dispatch_gives_each_assisting_department_a_sub_task(world):
    api, c, deps = world["api"], world["case"], world["deps"]
    got = assists(api, "dispatcher", c)
    assert got["total"] == 1 and got["whistles"] == [] and got["draft"] is None
    s = got["items"][0]
    assert s["department"]["id"] == deps["HWZ"] and s["whistle"] is None and s["state"] == "issued"
    full = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()
    assert s["sign_deadline"] == full["deadlines"]["sign"] and s["deadline"] == full["deadlines"]["reply"]
    assert s["actions"] == []  # the dispatcher is not HWZ
    assert by_dept(assists(api, "handler_hwz", c), deps["HWZ"])["actions"] == ["sign"]
    # The unbound command centre coordinates but does not blow the whistle; the street does.
    assert got["can_whistle"] is False
    assert assists(api, "qs_official", c)["can_whistle"] is True
    assert api.get("citizen", f"/api/v1/cases/{c['id']}/assists").status_code == 403


def whistle(api, who, case, **body):
    return api.post(who, f"/api/v1/cases/{case['id']}/whistles", json=body)


def test_whistle_refusals_name_the_field(world):
    api, c, deps = world["api"], world["case"], world["deps"]
    good = {"departments": [deps["SZZ"], deps["JTJ"]], "reason": "积水涉及市政、交通两家",
            "deadline": iso(T0 + dt.timedelta(days=3)), "checkin_hours": 2}
    for bad, field in (({"departments": []}, "departments"),
                       ({"departments": [deps["SZZ"], deps["SZZ"]]}, "departments"),
                       ({"departments": [deps["CGJ"]]}, "departments"),
                       ({"departments": [999999]}, "departments"),
                       ({"reason": ""}, "reason"),
                       ({"deadline": "后天"}, "deadline"),
                       ({"deadline": iso(T0 - dt.timedelta(hours=1))}, "deadline"),
                       ({"checkin_hours": 0}, "checkin_hours"),
                       ({"checkin_hours": 73}, "checkin_hours"),
                       ({"deadline": iso(T0 + dt.timedelta(hours=1))}, "checkin_hours")):
        assert_error(whistle(api, "qs_official", c, **{**good, **bad}), 400, "bad_request", field)
    # HWZ already assists with an open sub-task.
    assert_error(whistle(api, "qs_official", c, **{**good, "departments": [deps["HWZ"]]}), 409, "conflict", "departments")
    # Who: not the district's unbound dispatcher, not a grid-bound one, not another street.
    for who in ("dispatcher", "supervisor", "qs_grid_official"):
        assert_error(whistle(api, who, c, **good), 403)
    assert whistle(api, "lw_official", c, **good).status_code in (403, 404)
    for who in ("handler_cgj", "operator", "citizen"):
        assert whistle(api, who, c, **good).status_code == 403
    assert assists(api, "admin", c)["whistles"] == []


def test_whistle_across_three_departments(world):
    api, srv, c, deps = world["api"], world["srv"], world["case"], world["deps"]
    three = [deps["SZZ"], deps["JTJ"], deps["QSJD"]]
    r = whistle(api, "qs_official", c, departments=three, reason="积水、井盖、路灯，请三家联合处置",
                deadline=iso(T0 + dt.timedelta(days=3)), checkin_hours=2)
    assert r.status_code == 201, r.text
    got = r.json()
    [w] = got["whistles"]
    assert w["blown_by"] == "qs_official" and w["region_code"] == "330179001"
    summoned = [s for s in got["items"] if s["whistle"] == w["id"]]
    assert sorted(s["department"]["id"] for s in summoned) == sorted(three)
    for s in summoned:
        assert s["state"] == "issued" and s["deadline"] == w["deadline"]
        assert s["sign_deadline"] == w["checkin_deadline"] and s["overdue"] is False
    # The summoned departments see the case and were told.
    for who in ("handler_szz", "handler_jtj", "handler_qsjd"):
        assert api.get(who, f"/api/v1/cases/{c['id']}").status_code == 200
        msgs = api.get(who, "/api/v1/me/messages").json()["items"]
        assert any(m["kind"] == "whistle" and "报到" in m["message"] for m in msgs), msgs
    # A second whistle on the same departments while their sub-tasks are open: refused.
    assert_error(whistle(api, "qs_official", c, departments=[deps["JTJ"]], reason="再次召集",
                         deadline=iso(T0 + dt.timedelta(days=3)), checkin_hours=2), 409, "conflict", "departments")

    # 报到: QSJD on time, SZZ late, JTJ never.
    set_clock(api, T0 + dt.timedelta(hours=1))
    q = by_dept(assists(api, "handler_qsjd", c), deps["QSJD"])
    assert q["actions"] == ["sign"]
    assert_error(api.post("handler_cgj", f"/api/v1/assists/{q['id']}/sign", json={"version": q["version"]}), 403)
    assert_error(api.post("handler_qsjd", f"/api/v1/assists/{q['id']}/sign", json={"version": q["version"] + 1}),
                 409, "conflict", "version")
    assert_error(api.post("handler_qsjd", f"/api/v1/assists/{q['id']}/reply",
                          json={"version": q["version"], "reply": "先答复"}), 409, "conflict", "action")
    q = api.post("handler_qsjd", f"/api/v1/assists/{q['id']}/sign", json={"version": q["version"]}).json()
    assert q["state"] == "signed" and q["sign_late"] is False and q["actions"] == ["reply"]
    set_clock(api, T0 + dt.timedelta(hours=3))
    s = by_dept(assists(api, "handler_szz", c), deps["SZZ"])
    s = api.post("handler_szz", f"/api/v1/assists/{s['id']}/sign", json={"version": s["version"]}).json()
    assert s["state"] == "signed" and s["sign_late"] is True
    j = by_dept(assists(api, "handler_jtj", c), deps["JTJ"])
    assert j["state"] == "issued" and j["overdue"] is True

    # Replies and the lead's assessment; an unsatisfied one goes back with its note.
    assert_error(api.post("handler_qsjd", f"/api/v1/assists/{q['id']}/reply", json={"version": q["version"], "reply": ""}),
                 400, "bad_request", "reply")
    q = api.post("handler_qsjd", f"/api/v1/assists/{q['id']}/reply",
                 json={"version": q["version"], "reply": "路灯已报修"}).json()
    assert q["state"] == "replied" and q["reply_late"] is False and q["actions"] == []
    assert by_dept(assists(api, "handler_cgj", c), deps["QSJD"])["actions"] == ["assess"]
    assert_error(api.post("handler_qsjd", f"/api/v1/assists/{q['id']}/assess",
                          json={"version": q["version"], "rating": "satisfied"}), 403)
    assert_error(api.post("handler_cgj", f"/api/v1/assists/{q['id']}/assess",
                          json={"version": q["version"], "rating": "great"}), 400, "bad_request", "rating")
    assert_error(api.post("handler_cgj", f"/api/v1/assists/{q['id']}/assess",
                          json={"version": q["version"], "rating": "unsatisfied"}), 400, "bad_request", "note")
    q = api.post("handler_cgj", f"/api/v1/assists/{q['id']}/assess",
                 json={"version": q["version"], "rating": "unsatisfied", "note": "请写明修复时间"}).json()
    assert q["state"] == "signed" and q["send_backs"] == 1 and q["rating"] == "unsatisfied"
    q = api.post("handler_qsjd", f"/api/v1/assists/{q['id']}/reply",
                 json={"version": q["version"], "reply": "路灯已于今日修复"}).json()
    q = api.post("handler_cgj", f"/api/v1/assists/{q['id']}/assess",
                 json={"version": q["version"], "rating": "satisfied"}).json()
    assert q["state"] == "assessed" and q["actions"] == []
    s = api.post("handler_szz", f"/api/v1/assists/{s['id']}/reply",
                 json={"version": s["version"], "reply": "井盖已更换"}).json()
    s = api.post("qs_official", f"/api/v1/assists/{s['id']}/assess",
                 json={"version": s["version"], "rating": "basic"}).json()
    assert s["state"] == "assessed" and s["rating"] == "basic"

    # The lead's consolidated draft holds each answer under its department.
    got = assists(api, "handler_cgj", c)
    assert got["draft"] == "【区市政设施管理中心】井盖已更换\n【青石街道办事处】路灯已于今日修复" or \
        set(got["draft"].split("\n")) == {"【区市政设施管理中心】井盖已更换", "【青石街道办事处】路灯已于今日修复"}

    # The timeline shows every sub-task's steps (staff), the citizen only that departments were summoned.
    tl = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()["timeline"]
    steps = [(e["action"], e.get("department")) for e in tl if e["action"] == "whistle" or e["action"].startswith("assist_")]
    assert [a for a, _ in steps] == ["whistle", "assist_checkin", "assist_checkin", "assist_reply", "assist_assess",
                                     "assist_reply", "assist_assess", "assist_reply", "assist_assess"]
    citizen_tl = [e["action"] for e in api.get("citizen", f"/api/v1/cases/{c['id']}").json()["timeline"]]
    assert "whistle" in citizen_tl and not any(a.startswith("assist_") for a in citizen_tl)
    audit = [a["action"] for a in api.items("admin", "/api/v1/audit", params={"limit": 50})
             if a["target"].startswith("case_assist/")]
    assert audit.count("case.whistle") == 1 and audit.count("case_assist.sign") == 2
    assert audit.count("case_assist.reply") == 3 and audit.count("case_assist.assess") == 3
    db = db_open(srv.db, readonly=True)
    try:
        kinds = sorted(k for (k,) in db.execute(
            "SELECT kind FROM notifications WHERE case_id = ? AND (kind LIKE 'assist%' OR kind LIKE 'whistle%')",
            (c["id"],)).fetchall())
    finally:
        db.close()
    assert kinds == sorted(["assist"] + ["whistle"] * 3 + ["whistle_checkin"] * 2 + ["assist_replied"] * 3 + ["assist_assessed"] * 3)


def test_each_department_lists_its_sub_tasks(world):
    api, c, deps = world["api"], world["case"], world["deps"]
    mine = api.get("handler_jtj", "/api/v1/assists").json()
    assert [(s["department"]["id"], s["case_number"], s["state"]) for s in mine["items"]] == \
        [(deps["JTJ"], c["number"], "issued")] and mine["total"] == 1
    assert mine["items"][0]["actions"] == ["sign"] and mine["items"][0]["overdue"] is True
    assert api.get("handler_jtj", "/api/v1/assists", params={"overdue": "true"}).json()["total"] == 1
    assert api.get("handler_qsjd", "/api/v1/assists", params={"overdue": "true"}).json()["total"] == 0
    assert [s["state"] for s in api.items("handler_qsjd", "/api/v1/assists", params={"state": "assessed"})] == ["assessed"]
    every = api.get("dispatcher", "/api/v1/assists", params={"limit": 200}).json()
    assert every["total"] == 4
    assert api.get("dispatcher", "/api/v1/assists", params={"department": deps["SZZ"]}).json()["total"] == 1
    assert api.get("lw_official", "/api/v1/assists").json()["total"] == 0  # another street's region
    assert api.get("handler_cgj", "/api/v1/assists").json()["total"] == 0  # the lead has none of its own
    assert_error(api.get("dispatcher", "/api/v1/assists", params={"state": "done"}), 400, "bad_request", "state")
    assert_error(api.get("dispatcher", "/api/v1/assists", params={"overdue": "yes"}), 400, "bad_request", "overdue")
    assert api.get("citizen", "/api/v1/assists").status_code == 403


def test_sweeper_tells_of_overdue_sub_tasks_once(world):
    api, srv, c, deps = world["api"], world["srv"], world["case"], world["deps"]
    # At +3 h JTJ has not checked in (limit +2 h): the sweep tells JTJ and the lead, once.
    assert api.post("admin", "/api/v1/admin/sweep").status_code == 200

    def told():
        db = db_open(srv.db, readonly=True)
        try:
            return [tuple(x) for x in db.execute(
                "SELECT n.recipient_kind, n.recipient_id, e.department_id FROM notifications n"
                " JOIN case_events e ON e.id = n.event_id WHERE n.case_id = ? AND n.kind = 'assist_overdue'"
                " ORDER BY n.id", (c["id"],)).fetchall()]
        finally:
            db.close()
    first = told()
    assert ("department", deps["JTJ"], deps["JTJ"]) in first
    assert ("department", deps["CGJ"], deps["JTJ"]) in first
    # Nothing about the sub-tasks already answered and assessed.
    assert not any(d in (deps["QSJD"], deps["SZZ"]) for _, _, d in first)
    assert api.post("admin", "/api/v1/admin/sweep").status_code == 200
    assert told() == first
    tl = api.get("handler_jtj", f"/api/v1/cases/{c['id']}").json()["timeline"]
    assert any(e["action"] == "assist_overdue" and "报到时限" in e["note"] for e in tl)
    msgs = api.get("handler_jtj", "/api/v1/me/messages", params={"group": "urge"}).json()["items"]
    assert any(m["kind"] == "assist_overdue" for m in msgs), msgs
    # Past the joint deadline: told again, for the deadline this time.
    set_clock(api, T0 + dt.timedelta(days=3, hours=1))
    assert api.post("admin", "/api/v1/admin/sweep").status_code == 200
    later = told()[len(first):]
    assert ("department", deps["JTJ"], deps["JTJ"]) in later
    set_clock(api, T0 + dt.timedelta(hours=3))


def test_redispatch_cancels_what_no_longer_assists(world):
    api, c, deps = world["api"], world["case"], world["deps"]
    c = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()
    act(api, "dispatcher", c, "redispatch", department=deps["ZJJ"], assisting=[])
    got = assists(api, "admin", c)
    hwz = [s for s in got["items"] if s["department"]["id"] == deps["HWZ"]]
    assert [s["state"] for s in hwz] == ["cancelled"]
    # The summoned departments still see the case and keep their sub-tasks.
    j = by_dept(got, deps["JTJ"])
    assert j["state"] == "issued"
    assert api.get("handler_jtj", f"/api/v1/cases/{c['id']}").status_code == 200
    # The new lead assesses now; the old one no longer does.
    assert api.get("handler_zjj", f"/api/v1/cases/{c['id']}").status_code == 200


def test_assessment_counts_sub_tasks_per_department(world):
    """The assessment's 协办单 figures (docs/assessment.md, "协办单"), hand-computed.

    After the tests above (clock T0 + 3 h): QSJD checked in on time, answered on time twice,
    was sent back once and rated satisfied; SZZ checked in late, answered on time, rated basic;
    JTJ never checked in; HWZ's dispatch sub-task was cancelled by the re-dispatch (not counted).
    Now a second case, dispatched to CGJ at T0 + 3 h with HWZ and SZZ assisting: both sign on
    time; at T0 + 3 d 1 h, past the case's reply deadline and the whistle's joint deadline, HWZ
    answers (late) and the lead rates it
    unsatisfied (sent back, open again); SZZ never answers. For 2026-12-07 … 12-14, as of then:

      dept  issued (dispatch, whistle)  sign on time/due  answer on time/due  rated (满/基/不)  back  overdue
      QSJD  1 (0, 1)                    1/1               1/1                 1 (1/0/0)         1     0
      SZZ   2 (1, 1)                    1/2 (whistle late) 1/2 (dispatch past) 1 (0/1/0)        0     1
      JTJ   1 (0, 1)                    0/1               0/1 (past +3 d)     0                 0     1
      HWZ   1 (1, 0)                    1/1               0/1 (late)          1 (0/0/1)         1     1
    协办满意率 = (满意 + 0.9 × 基本满意) / rated: QSJD 1, SZZ 0.9, HWZ 0, JTJ undefined.
    """
    import csv
    import io
    import zipfile

    api, deps, srv = world["api"], world["deps"], world["srv"]
    t1 = T0 + dt.timedelta(hours=3)
    set_clock(api, t1)
    r = api.post("citizen", "/api/v1/cases", json={
        "title": "人行道破损", "description": "青石路人行道砖块松动，雨天溅水", "channel": "app"})
    assert r.status_code == 201, r.text
    c2 = act(api, "dispatcher", r.json(), "dispatch", department=deps["CGJ"],
             assisting=[deps["HWZ"], deps["SZZ"]], category=10)
    reply_deadline = dt.datetime.fromisoformat(c2["deadlines"]["reply"].replace("Z", "+00:00"))
    set_clock(api, t1 + dt.timedelta(minutes=5))
    got = assists(api, "admin", c2)
    h = by_dept(got, deps["HWZ"])
    s = by_dept(got, deps["SZZ"])
    h = api.post("handler_hwz", f"/api/v1/assists/{h['id']}/sign", json={"version": h["version"]}).json()
    s = api.post("handler_szz", f"/api/v1/assists/{s['id']}/sign", json={"version": s["version"]}).json()
    assert h["sign_late"] is False and s["sign_late"] is False
    end = T0 + dt.timedelta(days=3, hours=1)  # past the joint deadline and the case's reply deadline
    assert reply_deadline < end, reply_deadline
    set_clock(api, end)
    h = api.post("handler_hwz", f"/api/v1/assists/{h['id']}/reply",
                 json={"version": h["version"], "reply": "已清扫积水"}).json()
    assert h["reply_late"] is True
    h = api.post("handler_cgj", f"/api/v1/assists/{h['id']}/assess",
                 json={"version": h["version"], "rating": "unsatisfied", "note": "未说明砖块修复"}).json()
    assert h["state"] == "signed" and h["overdue"] is True

    week = {"from": "2026-12-07T00:00:00+08:00", "to": "2026-12-14T00:00:00+08:00"}
    keys = ("assists", "assists_dispatch", "assists_whistle", "assists_signed_on_time", "assists_sign_due",
            "assists_replied_on_time", "assists_reply_due", "assists_rated", "assists_satisfied",
            "assists_basic", "assists_unsatisfied", "assists_send_backs", "assists_overdue")
    want = {"QSJD": (1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0),
            "SZZ": (2, 1, 1, 1, 2, 1, 2, 1, 0, 1, 0, 0, 1),
            "JTJ": (1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1),
            "HWZ": (1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1)}
    rates = {"QSJD": (1.0, 1.0, 1.0), "SZZ": (0.5, 0.5, 0.9), "JTJ": (0.0, 0.0, None), "HWZ": (1.0, 0.0, 0.0)}
    r = api.get("supervisor", "/api/v1/stats/assessment", params=week)
    assert r.status_code == 200, r.text
    rows = {x["code"]: x for x in r.json()["rows"]}
    for code, counts in want.items():
        assert tuple(rows[code][k] for k in keys) == counts, (code, {k: rows[code][k] for k in keys})
        got_rates = tuple(rows[code][k] for k in ("assist_sign_rate", "assist_reply_rate", "assist_satisfaction_rate"))
        assert got_rates == pytest.approx(rates[code]) if rates[code][2] is not None else \
            (got_rates[:2] == pytest.approx(rates[code][:2]) and got_rates[2] is None), (code, got_rates)
    # The lead has no sub-task of its own; departments without any are zero.
    assert rows["CGJ"]["assists"] == 0 and rows["CGJ"]["assist_sign_rate"] is None
    # k weighs 基本满意: with k = 0.5 SZZ's 协办满意率 is 0.5.
    r = api.get("supervisor", "/api/v1/stats/assessment", params={**week, "k": "0.5"})
    assert {x["code"]: x for x in r.json()["rows"]}["SZZ"]["assist_satisfaction_rate"] == pytest.approx(0.5)
    # On the day of the first case only, "due" is judged at the period's end (min(to, now)):
    # nothing was past its joint deadline yet, JTJ was past its check-in limit.
    day = {"from": "2026-12-07T00:00:00+08:00", "to": "2026-12-08T00:00:00+08:00"}
    rows_day = {x["code"]: x for x in api.get("supervisor", "/api/v1/stats/assessment", params=day).json()["rows"]}
    assert (rows_day["JTJ"]["assists_sign_due"], rows_day["JTJ"]["assists_reply_due"]) == (1, 0)
    assert rows_day["JTJ"]["assist_reply_rate"] is None
    # By region (street): the first case's three in 青石街道, the second case's two in group 0 (not located).
    r = api.get("supervisor", "/api/v1/stats/assessment", params={**week, "by": "region", "level": "street"})
    reg = {x["code"]: x for x in r.json()["rows"]}
    assert reg["330179001"]["assists"] == 3 and reg["330179001"]["assists_whistle"] == 3
    assert reg[""]["assists"] == 2 and reg[""]["assists_dispatch"] == 2
    # A supervisor bound to another street sees none of them.
    r = api.get("lw_official", "/api/v1/stats/assessment", params=week)
    assert r.status_code == 200 and sum(x["assists"] for x in r.json()["rows"]) == 0
    # CSV and XLSX carry the same figures, the workbook with Chinese headings.
    r = api.get("supervisor", "/api/v1/stats/assessment", params={**week, "format": "csv"})
    rows_csv = {x["code"]: x for x in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
    assert rows_csv["SZZ"]["assists"] == "2" and rows_csv["SZZ"]["assist_satisfaction_rate"] == "0.9000"
    assert rows_csv["JTJ"]["assist_satisfaction_rate"] == "" and rows_csv["HWZ"]["assist_reply_rate"] == "0.0000"
    r = api.get("supervisor", "/api/v1/stats/assessment", params={**week, "format": "xlsx"})
    z = zipfile.ZipFile(io.BytesIO(r.content))
    xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    for head in ("协办单", "吹哨报到", "协办按时签收(报到)率", "协办按时答复率", "协办满意率", "协办当前超期"):
        assert head in xml, head
    set_clock(api, T0 + dt.timedelta(hours=3))
