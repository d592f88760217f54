"""
督办单 (issue 13, the centre's controls): a supervisor issues a formal order on a case to its lead
department (level general 一般 / key 重点 / listed 挂牌, an instruction, a deadline for the written
answer); the department answers; the supervisor accepts or sends it back. Every step is a case
timeline event, an audit entry and a notification; orders are listed with filters and assessed per
department (orders, 按时答复率) in JSON, CSV and XLSX.

Test clock: 2026-12-07 09:30 (Beijing). Two orders to CGJ:
  o1 (key, due +2 days): answered at once, sent back with a new deadline, answered again, accepted
     → first answer on time
  o2 (listed, due +1 day): not answered until the clock is 2 days on → late (overdue meanwhile)
Assessment of 2026-12-07 for CGJ: orders 2, due 2, on time 1, overdue 1, accepted 1 → 按时答复率 0.5.
"""
import csv
import datetime as dt
import io
import zipfile

import pytest

from conftest import GENEROUS, PASSWORD, assert_error, db_open

CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "86400"]
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)
PERIOD = {"from": "2026-12-07T00:00:00+08:00", "to": "2026-12-08T00:00:00+08:00"}
URL = "/api/v1/supervision-orders"


def iso(t):
    return t.isoformat()


def act(api, who, case, action, **fields):
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions",
                 json={"action": action, "version": case["version"], **fields})
    assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:500]}"
    return r.json()


def set_clock(api, t):
    assert api.put("admin", "/api/v1/test/clock", json={"now": iso(t)}).status_code == 200


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    from conftest import Api, Server
    srv = Server(str(tmp_path_factory.mktemp("orders")), template_db, GENEROUS + CLOCK_ARGS).start()
    api = Api(srv)
    set_clock(api, T0)
    deps = {d["code"]: d for d in api.items("admin", "/api/v1/departments")}
    cases = []
    for title in ("占道经营督办", "噪音扰民督办"):
        r = api.post("citizen", "/api/v1/cases", json={"title": title, "description": "小区门口有人摆摊占用人行道",
                                                       "channel": "app"})
        assert r.status_code == 201, r.text
        c = act(api, "dispatcher", r.json(), "dispatch", department=deps["CGJ"]["id"], category=10)
        cases.append(act(api, "handler_cgj", c, "sign"))
    yield {"api": api, "srv": srv, "cgj": deps["CGJ"], "cases": cases}
    srv.check_clean_exit()


def issue(api, case, **body):
    return api.post("supervisor", f"/api/v1/cases/{case['id']}/supervision-orders", json=body)


def test_issue_refusals_name_the_field(world):
    api, c = world["api"], world["cases"][0]
    good = {"level": "key", "instruction": "请于两日内书面答复处理情况", "deadline": iso(T0 + dt.timedelta(days=2))}
    assert_error(issue(api, c, **{**good, "level": "urgent"}), 400, "bad_request", "level")
    assert_error(issue(api, c, **{**good, "deadline": "明天"}), 400, "bad_request", "deadline")
    assert_error(issue(api, c, **{**good, "deadline": iso(T0 - dt.timedelta(hours=1))}), 400, "bad_request", "deadline")
    assert_error(issue(api, c, **{k: v for k, v in good.items() if k != "instruction"}), 400, "bad_request", "instruction")
    for who in ("handler_cgj", "dispatcher", "operator", "citizen"):
        r = api.post(who, f"/api/v1/cases/{c['id']}/supervision-orders", json=good)
        assert r.status_code in (403, 404), (who, r.status_code, r.text)
    # A case not dispatched yet has no department to order.
    r = api.post("operator", "/api/v1/cases", json={"title": "未派单", "description": "未派单的工单", "channel": "hotline"})
    assert_error(issue(api, r.json(), **good), 409, "conflict")
    assert api.items("supervisor", URL) == []


def test_order_issued_answered_sent_back_accepted(world):
    api, srv, c = world["api"], world["srv"], world["cases"][0]
    r = issue(api, c, level="key", instruction="请于两日内书面答复处理情况", deadline=iso(T0 + dt.timedelta(days=2)))
    assert r.status_code == 201, r.text
    o = r.json()
    assert r.headers["Location"] == f"{URL}/{o['id']}"
    assert (o["state"], o["level"], o["department"]["id"], o["case"]["number"]) == \
        ("issued", "key", world["cgj"]["id"], c["number"])
    assert o["overdue"] is False and o["on_time"] is None and o["answer"] is None and o["actions"] == []
    # The department sees it, may answer it; another department does not see it at all.
    mine = api.get("handler_cgj", f"{URL}/{o['id']}").json()
    assert mine["actions"] == ["answer"]
    assert_error(api.get("handler_qsjd", f"{URL}/{o['id']}"), 404)
    assert o["id"] not in [x["id"] for x in api.items("handler_qsjd", URL)]
    assert_error(api.post("handler_qsjd", f"{URL}/{o['id']}/answer", json={"version": o["version"], "answer": "x"}), 404)
    assert_error(api.post("supervisor", f"{URL}/{o['id']}/answer", json={"version": o["version"], "answer": "x"}), 403)
    # Nothing to decide before the answer.
    assert_error(api.post("supervisor", f"{URL}/{o['id']}/accept", json={"version": o["version"]}), 409, "conflict", "action")
    # The answer: a stale version is refused, the text is required.
    assert_error(api.post("handler_cgj", f"{URL}/{o['id']}/answer", json={"version": o["version"] + 5, "answer": "已处理"}),
                 409, "conflict", "version")
    assert_error(api.post("handler_cgj", f"{URL}/{o['id']}/answer", json={"version": o["version"]}), 400, "bad_request", "answer")
    r = api.post("handler_cgj", f"{URL}/{o['id']}/answer", json={"version": o["version"], "answer": "已清理摊位"})
    assert r.status_code == 200, r.text
    o = r.json()
    assert o["state"] == "answered" and o["on_time"] is True and o["answer"] == "已清理摊位"
    assert api.get("supervisor", f"{URL}/{o['id']}").json()["actions"] == ["accept", "send_back"]
    # Sent back with a reason and a new deadline: the department answers again.
    assert_error(api.post("supervisor", f"{URL}/{o['id']}/send-back", json={"version": o["version"]}),
                 400, "bad_request", "reason")
    r = api.post("supervisor", f"{URL}/{o['id']}/send-back",
                 json={"version": o["version"], "reason": "请附整改照片和长效机制", "deadline": iso(T0 + dt.timedelta(days=3))})
    assert r.status_code == 200, r.text
    o = r.json()
    assert (o["state"], o["send_backs"], o["decision_note"]) == ("issued", 1, "请附整改照片和长效机制")
    assert o["deadline"] == (T0 + dt.timedelta(days=3)).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    o = api.post("handler_cgj", f"{URL}/{o['id']}/answer",
                 json={"version": o["version"], "answer": "已清理摊位，设置隔离栏，每日巡查"}).json()
    r = api.post("supervisor", f"{URL}/{o['id']}/accept", json={"version": o["version"], "note": "同意"})
    assert r.status_code == 200, r.text
    o = r.json()
    assert o["state"] == "accepted" and o["actions"] == [] and o["on_time"] is True
    assert_error(api.post("supervisor", f"{URL}/{o['id']}/accept", json={"version": o["version"]}), 409)
    # On the case's timeline (staff only), in the audit, and the department was told each time.
    tl = api.get("supervisor", f"/api/v1/cases/{c['id']}").json()["timeline"]
    steps = [e["action"] for e in tl if e["action"].startswith("order_")]
    assert steps == ["order_issue", "order_answer", "order_send_back", "order_answer", "order_accept"]
    assert [e for e in api.get("citizen", f"/api/v1/cases/{c['id']}").json()["timeline"]
            if e["action"].startswith("order_")] == []
    audit = [a["action"] for a in api.items("admin", "/api/v1/audit", params={"limit": 30})
             if a["target"] == f"supervision_order/{o['id']}"]
    assert sorted(audit) == sorted(["supervision_order.issue", "supervision_order.answer", "supervision_order.send_back",
                                    "supervision_order.answer", "supervision_order.accept"])
    db = db_open(srv.db, readonly=True)
    try:
        kinds = [tuple(x) for x in db.execute(
            "SELECT recipient_kind, recipient_id, kind FROM notifications WHERE case_id = ? AND kind LIKE '%order%'"
            " ORDER BY id", (c["id"],)).fetchall()]
    finally:
        db.close()
    cgj = world["cgj"]["id"]
    assert kinds == [("department", cgj, "supervision_order"), ("supervisors", None, "order_answered"),
                     ("department", cgj, "order_sent_back"), ("supervisors", None, "order_answered"),
                     ("department", cgj, "order_accepted")]
    # In the department's message centre with the urging (催办督办).
    msgs = api.get("handler_cgj", "/api/v1/me/messages", params={"group": "urge"}).json()["items"]
    assert {"supervision_order", "order_sent_back", "order_accepted"} <= {m["kind"] for m in msgs}, msgs
    # A supervisor bound to another street sees none of it (the case is not located there).
    r = api.post("admin", "/api/v1/users", json={"name": "sup_far", "password": PASSWORD, "roles": ["supervisor"],
                                                 "region": "330179002"})
    assert r.status_code == 201, r.text
    assert api.items("sup_far", URL) == []
    assert_error(api.get("sup_far", f"{URL}/{o['id']}"), 404)
    # Listed on the case.
    assert [x["id"] for x in api.items("handler_cgj", f"/api/v1/cases/{c['id']}/supervision-orders")] == [o["id"]]
    world["o1"] = o


def test_late_answer_lists_and_assessment(world):
    api, c = world["api"], world["cases"][1]
    o = issue(api, c, level="listed", instruction="挂牌督办：限一日内答复", deadline=iso(T0 + dt.timedelta(days=1))).json()
    # A day and a half later it is overdue: the filter finds it, with its level and department.
    set_clock(api, T0 + dt.timedelta(days=1, hours=12))
    got = api.get("supervisor", URL, params={"overdue": "true"}).json()
    assert [x["id"] for x in got["items"]] == [o["id"]] and got["total"] == 1 and got["items"][0]["overdue"] is True
    assert [x["id"] for x in api.items("supervisor", URL, params={"level": "listed"})] == [o["id"]]
    assert [x["id"] for x in api.items("supervisor", URL, params={"level": "key,general"})] == [world["o1"]["id"]]
    assert [x["id"] for x in api.items("supervisor", URL, params={"state": "accepted"})] == [world["o1"]["id"]]
    assert len(api.items("handler_cgj", URL, params={"department": world["cgj"]["id"]})) == 2
    assert api.items("supervisor", URL, params={"department": 999999}) == []
    assert_error(api.get("supervisor", URL, params={"state": "done"}), 400, "bad_request", "state")
    assert_error(api.get("supervisor", URL, params={"overdue": "yes"}), 400, "bad_request", "overdue")
    page = api.get("supervisor", URL, params={"limit": 1}).json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["next_cursor"] == "1"
    # Open orders first, by deadline.
    assert page["items"][0]["id"] == o["id"]
    o = api.post("handler_cgj", f"{URL}/{o['id']}/answer", json={"version": o["version"], "answer": "已处理"}).json()
    assert o["on_time"] is False and o["overdue"] is False
    # The assessment of the day they were issued: 2 orders, 1 on time.
    r = api.get("supervisor", "/api/v1/stats/assessment", params=PERIOD)
    row = {x["code"]: x for x in r.json()["rows"]}["CGJ"]
    assert (row["orders"], row["orders_due"], row["orders_on_time"], row["orders_overdue"], row["orders_accepted"]) == \
        (2, 2, 1, 1, 1)
    assert row["order_on_time_rate"] == 0.5
    r = api.get("supervisor", "/api/v1/stats/assessment", params={**PERIOD, "format": "csv"})
    rows = {x["code"]: x for x in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
    assert rows["CGJ"]["orders"] == "2" and rows["CGJ"]["order_on_time_rate"] == "0.5000"
    r = api.get("admin", "/api/v1/stats/assessment", params={**PERIOD, "format": "xlsx"})
    z = zipfile.ZipFile(io.BytesIO(r.content))
    xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/") and n.endswith(".xml"))
    assert "督办单按时答复率" in xml and "督办单" in xml
    # By region the orders count for the case's street.
    r = api.get("supervisor", "/api/v1/stats/assessment", params={**PERIOD, "by": "region"})
    assert sum(x["orders"] for x in r.json()["rows"]) == 2
