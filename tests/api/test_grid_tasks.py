"""
立案前核实, 结案前核查 and 自行处置 (issue 15, item 4; docs/grid.md §4). Where a rule (per
category, the default is category 0) asks for it, a report from the public or a sensor in a grid
with a grid worker becomes a verification task for that worker (confirm with a photo: the case
may be dispatched; reject with a reason: cancelled as not verified), and a reply becomes a check
task (pass: the case may close; fail: back to the department with the finding). A grid worker
may also report and resolve a matter in one step (self-handled: closed, never dispatched,
counted apart).

The grid workers' table (migration 0040) is filled here directly: its API is the workers
helper's part of issue 15.
"""
import struct
import zlib

import pytest

from conftest import GENEROUS, assert_error, db_open


def png(width=32, height=24):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + bytes((x * 7 + y) % 256 for x in range(width) for _ in range(3))
                   for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def act(api, who, case, action, **fields):
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions",
                 json={"action": action, "version": case["version"], **fields})
    assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:500]}"
    return r.json()


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    from conftest import Api, Server
    # The sweeper runs when a test asks (POST /api/v1/admin/sweep), not in the background.
    srv = Server(str(tmp_path_factory.mktemp("gridtasks")), template_db, GENEROUS + ["--sweep-interval", "86400"]).start()
    api = Api(srv)
    users = {u["name"]: u for u in api.items("admin", "/api/v1/users")}
    regions = {r["code"]: r for r in api.items("admin", "/api/v1/regions")}
    depts = {d["code"]: d for d in api.items("admin", "/api/v1/departments")}
    gw = users["grid_worker"]
    with db_open(srv.db) as db:
        db.execute("INSERT INTO grid_workers(user_id, created_at, updated_at) VALUES (?, 1, 1) ON CONFLICT DO NOTHING", [gw["id"]])
        db.execute("INSERT INTO grid_worker_grids(user_id, region_id) VALUES (?, ?) ON CONFLICT DO NOTHING", [gw["id"], gw["region_id"]])
        # The demo gives every grid its workers: here grid_worker alone serves its grid, and the
        # other grid has nobody, so who gets a task (or that nobody does) is known.
        db.execute("DELETE FROM grid_worker_grids WHERE region_id = ? AND user_id <> ?", [gw["region_id"], gw["id"]])
        db.execute("DELETE FROM grid_worker_grids WHERE region_id = ?", [regions["33017900200101"]["id"]])
    yield {"api": api, "srv": srv, "gw": gw, "grid": gw["region_id"], "regions": regions, "users": users,
           "cgj": depts["CGJ"]["id"], "other_grid": regions["33017900200101"]["id"]}
    srv.check_clean_exit()


def report(w, region=None, channel="hotline", who="operator"):
    r = w["api"].post(who, "/api/v1/cases", json={
        "title": "井盖缺失", "description": "人行道上的井盖不见了，很危险", "channel": channel,
        "region_id": region or w["grid"]})
    assert r.status_code == 201, r.text
    return r.json()


def my_tasks(w, status="open"):
    body = w["api"].get("grid_worker", "/api/v1/me/tasks").json()
    return [t for t in body["items"] if status is None or t["status"] == status], body


def set_rule(w, verify, check, category=0):
    r = w["api"].put("admin", "/api/v1/grid-task-rules", json={"category": category, "verify": verify, "check": check})
    assert r.status_code == 200, r.text
    return r.json()


def test_rules_are_checked_and_audited(world):
    api = world["api"]
    assert_error(api.put("dispatcher", "/api/v1/grid-task-rules", json={"category": 0, "verify": True, "check": True}), 403)
    assert_error(api.put("admin", "/api/v1/grid-task-rules", json={"category": 999999, "verify": True, "check": True}),
                 400, "bad_request", "category")
    assert_error(api.put("admin", "/api/v1/grid-task-rules", json={"category": 0, "verify": True}), 400, "bad_request", "check")
    body = set_rule(world, False, False)
    assert body["items"][0]["category"] == 0 and body["items"][0]["default"] is True
    audit = api.items("admin", "/api/v1/audit", params={"limit": 3})
    assert audit[0]["action"] == "grid_task_rule.set" and audit[0]["target"] == "grid_task_rule/0"
    # No rule asks: a report gives no task.
    c = report(world)
    assert api.get("dispatcher", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"] == []


def seconds_between(a, b):
    from datetime import datetime
    parse = lambda x: datetime.fromisoformat(x.replace("Z", "+00:00"))
    return int((parse(b) - parse(a)).total_seconds())


def test_due_times_are_settings_per_rule_checked_and_audited(world):
    api = world["api"]
    put = lambda **f: api.put("admin", "/api/v1/grid-task-rules", json={"category": 0, "verify": True, "check": True, **f})
    assert_error(put(verify_minutes=4), 400, "bad_request", "verify_minutes")
    assert_error(put(verify_minutes=1441), 400, "bad_request", "verify_minutes")
    assert_error(put(check_minutes=10081), 400, "bad_request", "check_minutes")
    assert_error(put(check_minutes="two hours"), 400, "bad_request", "check_minutes")
    assert_error(put(verify_minutes=30.5), 400, "bad_request", "verify_minutes")
    # Without them, the defaults: 核实 within an hour, 核查 within two.
    rule = next(x for x in put().json()["items"] if x["category"] == 0)
    assert (rule["verify_minutes"], rule["check_minutes"]) == (60, 120)
    task = api.get("dispatcher", f"/api/v1/cases/{report(world)['id']}/grid-tasks").json()["items"][0]
    assert seconds_between(task["created_at"], task["due_at"]) == 3600
    r = put(verify_minutes=15, check_minutes=240)
    assert r.status_code == 200, r.text
    rule = next(x for x in r.json()["items"] if x["category"] == 0)
    assert (rule["verify_minutes"], rule["check_minutes"]) == (15, 240)
    audit = api.items("admin", "/api/v1/audit", params={"limit": 3})
    assert audit[0]["action"] == "grid_task_rule.set" and audit[0]["target"] == "grid_task_rule/0"
    task = api.get("dispatcher", f"/api/v1/cases/{report(world)['id']}/grid-tasks").json()["items"][0]
    assert seconds_between(task["created_at"], task["due_at"]) == 15 * 60
    put(verify=False, verify_minutes=15, check_minutes=240)
    c = handled_and_replied(world)
    check = [t for t in api.get("dispatcher", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"] if t["kind"] == "check"][0]
    assert seconds_between(check["created_at"], check["due_at"]) == 240 * 60
    # A category's own rule decides its subtree, due time included.
    cats = {k["code"]: k for k in api.items("admin", "/api/v1/categories", params={"limit": 1000})}
    r = api.put("admin", "/api/v1/grid-task-rules", json={"category": cats["01"]["id"], "verify": True, "check": False,
                                                          "verify_minutes": 45})
    assert r.status_code == 200, r.text
    sub = next(k for code, k in cats.items() if code.startswith("01") and len(code) > 2)
    r = api.post("operator", "/api/v1/cases", json={"title": "垃圾满溢", "description": "垃圾桶满了没人清", "channel": "hotline",
                                                    "region_id": world["grid"], "category": sub["id"]})
    assert r.status_code == 201, r.text
    task = api.get("dispatcher", f"/api/v1/cases/{r.json()['id']}/grid-tasks").json()["items"][0]
    assert seconds_between(task["created_at"], task["due_at"]) == 45 * 60
    with db_open(world["srv"].db) as db:
        db.execute("DELETE FROM grid_task_rules WHERE category_id <> 0")
    put(verify_minutes=60, check_minutes=120)


def test_verification_confirmed_with_photo_then_dispatch(world):
    api = world["api"]
    set_rule(world, True, False)
    c = report(world)
    tasks = api.get("dispatcher", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"]
    assert len(tasks) == 1 and tasks[0]["kind"] == "verify" and tasks[0]["status"] == "open"
    assert tasks[0]["assignee_id"] == world["gw"]["id"]
    task = tasks[0]
    mine, body = my_tasks(world)
    assert task["id"] in [t["id"] for t in mine] and body["open"] >= 1
    got = next(t for t in mine if t["id"] == task["id"])
    assert got["case"]["number"] == c["number"] and got["overdue"] is False
    # The dispatch waits for the verification.
    r = api.post("dispatcher", f"/api/v1/cases/{c['id']}/actions",
                 json={"action": "dispatch", "version": c["version"], "department": world["cgj"]})
    assert_error(r, 409, "conflict")
    assert "核实" in r.json()["error"]["message"]
    # Only the assignee decides; confirming needs a photo taken since the task was given.
    assert_error(api.post("dispatcher", f"/api/v1/grid-tasks/{task['id']}/decision", json={"decision": "confirm"}), 403)
    dec = f"/api/v1/grid-tasks/{task['id']}/decision"
    assert_error(api.post("grid_worker", dec, json={"decision": "confirm"}), 400, "bad_request", "photo")
    assert_error(api.post("grid_worker", dec, json={"decision": "pass"}), 400, "bad_request", "decision")
    assert_error(api.post("grid_worker", dec, json={"decision": "maybe"}), 400, "bad_request", "decision")
    up = api.post("grid_worker", f"/api/v1/cases/{c['id']}/attachments", data=png(), headers={"Content-Type": "image/png"})
    assert up.status_code in (200, 201), up.text
    r = api.post("grid_worker", dec, json={"decision": "confirm"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "confirmed" and r.json()["done_at"]
    assert_error(api.post("grid_worker", dec, json={"decision": "confirm"}), 409, "conflict")
    case = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()
    assert case["state"] == "new"
    assert [e["action"] for e in case["timeline"]].count("verify_confirm") == 1
    act(api, "dispatcher", case, "dispatch", department=world["cgj"])
    audit = api.items("admin", "/api/v1/audit", params={"limit": 20})
    assert any(a["action"] == "case.task_confirm" and a["target"] == f"case/{c['id']}" for a in audit)


def test_verification_rejected_cancels_with_the_reason(world):
    api = world["api"]
    set_rule(world, True, False)
    c = report(world, channel="app", who="citizen")
    task = api.get("dispatcher", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"][0]
    dec = f"/api/v1/grid-tasks/{task['id']}/decision"
    assert_error(api.post("grid_worker", dec, json={"decision": "reject"}), 400, "bad_request", "reason")
    assert_error(api.post("grid_worker", dec, json={"decision": "reject", "note": ""}), 400, "bad_request", "reason")
    r = api.post("grid_worker", dec, json={"decision": "reject", "note": "现场井盖完好，未发现缺失"})
    assert r.status_code == 200, r.text
    case = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()
    assert case["state"] == "cancelled"
    ev = [e for e in case["timeline"] if e["action"] == "verify_reject"][0]
    assert ev["note"] == "现场井盖完好，未发现缺失" and ev["to"] == "cancelled"
    # The citizen reads the reason on their own view.
    own = api.get("citizen", f"/api/v1/cases/{c['id']}").json()
    assert any(e.get("note") == "现场井盖完好，未发现缺失" for e in own["timeline"])


def test_own_reports_and_grids_without_workers_get_no_task(world):
    api = world["api"]
    set_rule(world, True, False)
    own = report(world, channel="grid", who="grid_worker")
    assert api.get("dispatcher", f"/api/v1/cases/{own['id']}/grid-tasks").json()["items"] == []
    elsewhere = report(world, region=world["other_grid"])
    assert api.get("dispatcher", f"/api/v1/cases/{elsewhere['id']}/grid-tasks").json()["items"] == []


def handled_and_replied(world):
    api = world["api"]
    c = report(world)
    c = act(api, "dispatcher", c, "dispatch", department=world["cgj"])
    c = act(api, "handler_cgj", c, "sign")
    return act(api, "handler_cgj", c, "reply", result="已补装井盖并设置警示标志", contacted=True, solved=True)


def test_check_fail_sends_back_with_the_finding_then_pass_lets_it_close(world):
    api = world["api"]
    set_rule(world, False, True)
    c = handled_and_replied(world)
    assert c["state"] == "replied"
    tasks = api.get("dispatcher", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"]
    assert [t["kind"] for t in tasks] == ["check"]
    r = api.post("operator", f"/api/v1/cases/{c['id']}/actions",
                 json={"action": "close", "version": c["version"], "note": "联系不上"})
    assert_error(r, 409, "conflict")
    dec = f"/api/v1/grid-tasks/{tasks[0]['id']}/decision"
    assert_error(api.post("grid_worker", dec, json={"decision": "confirm"}), 400, "bad_request", "decision")
    assert_error(api.post("grid_worker", dec, json={"decision": "fail"}), 400, "bad_request", "finding")
    r = api.post("grid_worker", dec, json={"decision": "fail", "note": "井盖尺寸不符，仍有缝隙"})
    assert r.status_code == 200, r.text
    case = api.get("handler_cgj", f"/api/v1/cases/{c['id']}").json()
    assert case["state"] == "rectifying" and case["rectify_round"] == 1
    ev = [e for e in case["timeline"] if e["action"] == "check_fail"][0]
    assert ev["note"] == "井盖尺寸不符，仍有缝隙"
    # The department replies again: a new check; this time it passes and the case may close.
    case = act(api, "handler_cgj", case, "reply", result="已更换合规井盖", contacted=True, solved=True)
    tasks = api.get("dispatcher", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"]
    assert [t["status"] for t in tasks] == ["failed", "open"]
    r = api.post("grid_worker", f"/api/v1/grid-tasks/{tasks[1]['id']}/decision", json={"decision": "pass"})
    assert r.status_code == 200, r.text
    case = api.get("operator", f"/api/v1/cases/{c['id']}").json()
    act(api, "operator", case, "close", note="市民电话未接通")


def upload(w, who="grid_worker", width=32, height=24):
    r = w["api"].post(who, "/api/v1/me/uploads", data=png(width, height), headers={"Content-Type": "image/png"})
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def self_body(w):
    box = w["api"].get("admin", f"/api/v1/regions/{w['grid']}").json()["boundary"]["coordinates"][0]
    return {"title": "路灯杆小广告", "description": "路灯杆上贴满小广告", "result": "已当场清除小广告",
            "lat": (box[0][1] + box[2][1]) / 2, "lon": (box[0][0] + box[2][0]) / 2}


def case_count(w):
    return w["api"].get("admin", "/api/v1/cases", params={"limit": 1}).json()["total"]


def test_self_handled_is_closed_in_one_step_with_its_photos_and_counted(world):
    api = world["api"]
    body = self_body(world)
    before = my_tasks(world)[1]["self_handled_recent"]
    b1, b2, a1 = upload(world, width=40), upload(world, width=41), upload(world, width=42)
    # The same bytes again are the same pending upload (a retry over a weak connection).
    assert upload(world, width=40) == b1
    photos = {"before_photos": [b1, b2], "after_photos": [a1]}
    assert_error(api.post("dispatcher", "/api/v1/self-handled", json={**body, **photos}), 403)
    assert_error(api.post("grid_worker", "/api/v1/self-handled", json={**body, **photos, "result": ""}),
                 400, "bad_request", "result")
    assert_error(api.post("grid_worker", "/api/v1/self-handled", json={**body, **photos, "lat": 10.0, "lon": 10.0}),
                 400, "bad_request", "lat")
    r = api.post("grid_worker", "/api/v1/self-handled", json={**body, **photos})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["state"] == "closed" and out["self_handled"] is True
    case = api.get("dispatcher", f"/api/v1/cases/{out['id']}").json()
    assert case["state"] == "closed" and case["channel"] == "grid" and not case.get("dispatched_at")
    actions = [e["action"] for e in case["timeline"]]
    # 处置前 photos, then the result, then the 处置后 photo: one transaction, in that order.
    assert actions[-4:] == ["attach", "attach", "self_handle", "attach"]
    stages = {a["id"]: a["stage"] for a in case["attachments"]}
    assert stages == {b1: "before", b2: "before", a1: "after"}
    assert api.get("dispatcher", f"/api/v1/cases/{out['id']}/grid-tasks").json()["self_handled"] is True
    assert my_tasks(world)[1]["self_handled_recent"] == before + 1
    audit = api.items("admin", "/api/v1/audit", params={"limit": 10})
    assert any(a["action"] == "case.self_handle" and a["target"] == f"case/{out['id']}" for a in audit)
    # The uploads were used: a second report may not carry them again.
    assert_error(api.post("grid_worker", "/api/v1/self-handled", json={**body, **photos}),
                 400, "bad_request", "before_photos[0]")


def test_self_handled_photos_are_required_and_checked_and_nothing_is_half_written(world):
    api = world["api"]
    body = self_body(world)
    b, a = upload(world, width=50), upload(world, width=51)
    theirs = upload(world, who="admin", width=52)
    post = lambda **p: api.post("grid_worker", "/api/v1/self-handled", json={**body, **p})
    assert_error(post(after_photos=[a]), 400, "bad_request", "before_photos")
    assert_error(post(before_photos=[b]), 400, "bad_request", "after_photos")
    assert_error(post(before_photos=[b], after_photos=[]), 400, "bad_request", "after_photos")
    assert_error(post(before_photos=[b, b + 1000, b + 1001, b + 1002, b + 1003], after_photos=[a]),
                 400, "bad_request", "before_photos")
    assert_error(post(before_photos=[b], after_photos=[b]), 400, "bad_request", "after_photos[0]")
    assert_error(post(before_photos=[b, a], after_photos=[a]), 400, "bad_request", "after_photos[0]")
    # Someone else's upload, or an id that is nobody's: refused by name, after the case was
    # begun and the first photo linked: the whole report is rolled back.
    n = case_count(world)
    assert_error(post(before_photos=[b], after_photos=[theirs]), 400, "bad_request", "after_photos[0]")
    assert_error(post(before_photos=[b], after_photos=[a, 99999999]), 400, "bad_request", "after_photos[1]")
    assert case_count(world) == n
    # The photos are still the worker's, and only theirs to see until reported.
    assert api.get("grid_worker", f"/api/v1/attachments/{b}").status_code == 200
    assert_error(api.get("dispatcher", f"/api/v1/attachments/{b}"), 403)
    r = post(before_photos=[b], after_photos=[a])
    assert r.status_code == 201, r.text
    assert case_count(world) == n + 1


def test_uploads_before_the_report_are_checked_and_audited(world):
    api = world["api"]
    assert_error(api.post("dispatcher", "/api/v1/me/uploads", data=png(), headers={"Content-Type": "image/png"}), 403)
    assert_error(api.post("grid_worker", "/api/v1/me/uploads", data=b"not an image at all",
                          headers={"Content-Type": "image/png"}), 415, field="file")
    assert_error(api.post("grid_worker", "/api/v1/me/uploads", data=b"x", headers={"Content-Type": "text/plain"}), 415)
    r = api.post("grid_worker", "/api/v1/me/uploads", data=png(60, 20), headers={"Content-Type": "image/png"})
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["mime"] == "image/png" and got["width"] == 60 and got["url"] == f"/api/v1/attachments/{got['id']}"
    audit = api.items("admin", "/api/v1/audit", params={"limit": 5})
    assert any(a["action"] == "upload.create" and a["target"] == f"attachment/{got['id']}" for a in audit)
    # At most CASE_PENDING_UPLOADS_MAX (20) wait for a report: then 409 naming the file.
    with db_open(world["srv"].db) as db:
        waiting = db.execute("SELECT count(*) FROM pending_uploads WHERE user_id = ?", [world["gw"]["id"]]).fetchone()[0]
    for i in range(20 - waiting):
        upload(world, width=100 + i)
    assert_error(api.post("grid_worker", "/api/v1/me/uploads", data=png(99, 99), headers={"Content-Type": "image/png"}),
                 409, "conflict", "file")
    with db_open(world["srv"].db) as db:
        db.execute("DELETE FROM pending_uploads WHERE user_id = ?", [world["gw"]["id"]])


def notices(w, kind, case_id):
    with db_open(w["srv"].db) as db:
        return db.execute("SELECT recipient_kind, coalesce(recipient_id, 0) FROM notifications WHERE kind = ? AND case_id = ?"
                          " ORDER BY id", [kind, case_id]).fetchall()


def test_overdue_tasks_are_swept_once(world):
    api, users = world["api"], world["users"]
    set_rule(world, True, False)
    c = report(world, channel="app", who="citizen")
    task = api.get("dispatcher", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"][0]
    assert api.post("admin", "/api/v1/admin/sweep").json()["grid_tasks_overdue"] == 0
    # An hour and a minute later (the due time moved back rather than the clock forward).
    with db_open(world["srv"].db) as db:
        db.execute("UPDATE grid_tasks SET due_at = due_at - 3660 WHERE id = ?", [task["id"]])
    mine = {t["id"]: t for t in my_tasks(world)[0]}
    assert mine[task["id"]]["overdue"] is True
    assert api.post("admin", "/api/v1/admin/sweep").json()["grid_tasks_overdue"] == 1
    assert api.post("supervisor", "/api/v1/admin/sweep").json()["grid_tasks_overdue"] == 0
    case = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()
    events = [e for e in case["timeline"] if e["action"] == "task_overdue"]
    assert len(events) == 1 and "核实" in events[0]["note"]
    # The worker and the officials of the grid's community (community_official in the demo).
    told = notices(world, "task_overdue", c["id"])
    assert ("user", world["gw"]["id"]) in told and ("user", users["community_official"]["id"]) in told
    assert ("dispatchers", 0) not in told
    audit = api.items("admin", "/api/v1/audit", params={"limit": 10})
    assert [a["target"] for a in audit if a["action"] == "case.task_overdue"][:1] == [f"case/{c['id']}"]
    # Internal: the citizen's view does not show it.
    own = api.get("citizen", f"/api/v1/cases/{c['id']}").json()
    assert "task_overdue" not in [e["action"] for e in own["timeline"]]
    # A grid whose community has no official: the dispatchers are told instead.
    with db_open(world["srv"].db) as db:
        db.execute("UPDATE users SET region_id = NULL WHERE id = ?", [users["community_official"]["id"]])
    c2 = report(world)
    t2 = api.get("dispatcher", f"/api/v1/cases/{c2['id']}/grid-tasks").json()["items"][0]
    with db_open(world["srv"].db) as db:
        db.execute("UPDATE grid_tasks SET due_at = due_at - 3660 WHERE id = ?", [t2["id"]])
    assert api.post("admin", "/api/v1/admin/sweep").json()["grid_tasks_overdue"] == 1
    with db_open(world["srv"].db) as db:
        db.execute("UPDATE users SET region_id = ? WHERE id = ?", [users["community_official"]["region_id"],
                                                                    users["community_official"]["id"]])
    assert ("dispatchers", 0) in notices(world, "task_overdue", c2["id"])
    # Decided tasks are not overdue any more; nothing is swept again.
    for t in (task, t2):
        api.post("grid_worker", f"/api/v1/grid-tasks/{t['id']}/decision", json={"decision": "reject", "note": "现场未见"})
    assert api.post("admin", "/api/v1/admin/sweep").json()["grid_tasks_overdue"] == 0


@pytest.fixture
def colleague(world):
    users = world["users"]
    code = next(r["code"] for r in world["regions"].values() if r["id"] == world["grid"])
    mate = users[f"gw_{code}_n"]
    with db_open(world["srv"].db) as db:
        db.execute("INSERT INTO grid_worker_grids(user_id, region_id) VALUES (?, ?) ON CONFLICT DO NOTHING", [mate["id"], world["grid"]])
    yield mate
    with db_open(world["srv"].db) as db:
        db.execute("DELETE FROM grid_worker_grids WHERE user_id = ? AND region_id = ?", [mate["id"], world["grid"]])


def report_for_gw(world, colleague):
    """A report whose verification is grid_worker's whoever has fewer open tasks: the colleague
    joins the grid after it."""
    set_rule(world, True, False)
    with db_open(world["srv"].db) as db:
        db.execute("DELETE FROM grid_worker_grids WHERE user_id = ? AND region_id = ?", [colleague["id"], world["grid"]])
    c = report(world)
    with db_open(world["srv"].db) as db:
        db.execute("INSERT INTO grid_worker_grids(user_id, region_id) VALUES (?, ?)", [colleague["id"], world["grid"]])
    return c


def test_a_task_is_handed_to_a_colleague_of_the_grid(world, colleague):
    api, users = world["api"], world["users"]
    c = report_for_gw(world, colleague)
    task = api.get("dispatcher", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"][0]
    assert task["assignee_id"] == world["gw"]["id"]
    path = f"/api/v1/grid-tasks/{task['id']}"
    mates = api.items("grid_worker", path + "/colleagues")
    assert [m["user_id"] for m in mates] == [colleague["id"]] and mates[0]["name"] == colleague["name"]
    # Officials of another street may not (a grid worker other than the task's neither).
    away = outsider(world)
    assert_error(api.get(away, path + "/colleagues"), 403, reason="owner")
    assert_error(api.get(colleague["name"], path + "/colleagues"), 403, reason="owner")
    move = lambda who="grid_worker", **f: api.post(who, path + "/transfer", json={"assignee": colleague["id"], "note": "我在外区巡查，请帮忙核实", **f})
    assert_error(move(who=away), 403, reason="owner")
    assert_error(move(who=colleague["name"]), 403, reason="owner")
    assert_error(move(note=""), 400, "bad_request", "note")
    assert_error(move(note=None), 400, "bad_request", "note")
    assert_error(move(assignee=users["dispatcher"]["id"]), 400, "bad_request", "assignee")
    other = users[f"gw_{next(r['code'] for r in world['regions'].values() if r['id'] == world['other_grid'])}"]
    assert_error(move(assignee=other["id"]), 400, "bad_request", "assignee")
    assert_error(move(assignee=world["gw"]["id"]), 400, "bad_request", "assignee")
    assert_error(move(assignee=999999999), 400, "bad_request", "assignee")
    assert api.get("dispatcher", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"][0]["assignee_id"] == world["gw"]["id"]
    r = move()
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == colleague["id"] and r.json()["status"] == "open"
    case = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()
    ev = [e for e in case["timeline"] if e["action"] == "task_transfer"]
    assert len(ev) == 1 and ev[0]["note"] == "我在外区巡查，请帮忙核实"
    assert ("user", colleague["id"]) in notices(world, "task_transfer", c["id"])
    audit = api.items("admin", "/api/v1/audit", params={"limit": 5})
    assert any(a["action"] == "case.task_transfer" and a["target"] == f"case/{c['id']}" for a in audit)
    # The task is the colleague's now: on their list, theirs to decide, no longer grid_worker's.
    theirs = api.get(colleague["name"], "/api/v1/me/tasks").json()["items"]
    assert task["id"] in [t["id"] for t in theirs]
    assert task["id"] not in [t["id"] for t in my_tasks(world)[0]]
    assert_error(api.post("grid_worker", path + "/decision", json={"decision": "reject", "note": "x"}), 403, reason="owner")
    r = api.post(colleague["name"], path + "/decision", json={"decision": "reject", "note": "现场未见井盖缺失"})
    assert r.status_code == 200, r.text
    assert_error(api.post(colleague["name"], path + "/transfer", json={"assignee": world["gw"]["id"], "note": "还给你"}), 409, "conflict")


def outsider(w):
    """A dispatcher bound to a street other than the one of grid_worker's grid."""
    from test_sec_scope import bound_user
    home = next(r["code"] for r in w["regions"].values() if r["id"] == w["grid"])[:9]
    return bound_user(w["api"], None, "dispatcher", "330179002" if home != "330179002" else "330179001")


def test_the_community_reassigns_a_task_and_both_workers_hear(world, colleague):
    """转派: the community official of the case's grid moves an open task to another worker of the
    grid from the case page; the worker it was taken from is told, and the task is the other's."""
    api, users = world["api"], world["users"]
    c = report_for_gw(world, colleague)
    listed = api.get("community_official", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"]
    task = listed[0]
    assert task["assignee_id"] == world["gw"]["id"] and task["assignee_name"]
    path = f"/api/v1/grid-tasks/{task['id']}"
    mates = api.items("community_official", path + "/colleagues")
    assert [m["user_id"] for m in mates] == [colleague["id"]]
    r = api.post("community_official", path + "/transfer", json={"assignee": colleague["id"], "note": "原网格员请假，改派"})
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == colleague["id"]
    told = notices(world, "task_transfer", c["id"])
    assert ("user", colleague["id"]) in told and ("user", world["gw"]["id"]) in told
    with db_open(world["srv"].db) as db:
        msg = db.execute("SELECT message FROM notifications WHERE kind = 'task_transfer' AND case_id = ?"
                         " AND recipient_id = ?", [c["id"], colleague["id"]]).fetchone()[0]
    assert msg.startswith("社区转派")
    api.post(colleague["name"], path + "/decision", json={"decision": "reject", "note": "现场未见"})


def test_an_overdue_task_still_open_climbs_to_the_street(world):
    api, users = world["api"], world["users"]
    set_rule(world, True, False)
    c = report(world)
    task = api.get("dispatcher", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"][0]
    with db_open(world["srv"].db) as db:
        created, due = db.execute("SELECT created_at, due_at FROM grid_tasks WHERE id = ?", [task["id"]]).fetchone()
        span = due - created
        # Just past due: told overdue, not yet escalated.
        db.execute("UPDATE grid_tasks SET due_at = due_at - ?, created_at = created_at - ? WHERE id = ?",
                   [span + 60, span + 60, task["id"]])
    rep = api.post("admin", "/api/v1/admin/sweep").json()
    assert rep["grid_tasks_overdue"] == 1 and rep["grid_tasks_escalated"] == 0
    # As long again as it was given has passed since its due time: the street hears of it, once.
    with db_open(world["srv"].db) as db:
        db.execute("UPDATE grid_tasks SET due_at = due_at - ?, created_at = created_at - ? WHERE id = ?",
                   [span, span, task["id"]])
    rep = api.post("admin", "/api/v1/admin/sweep").json()
    assert rep["grid_tasks_escalated"] == 1 and rep["grid_tasks_overdue"] == 0
    assert api.post("admin", "/api/v1/admin/sweep").json()["grid_tasks_escalated"] == 0
    told = notices(world, "task_escalate", c["id"])
    assert ("user", users["street_official"]["id"]) in told
    assert ("user", users["community_official"]["id"]) not in told
    case = api.get("dispatcher", f"/api/v1/cases/{c['id']}").json()
    ev = [e for e in case["timeline"] if e["action"] == "task_escalate"]
    assert len(ev) == 1 and "已报街道" in ev[0]["note"]
    audit = api.items("admin", "/api/v1/audit", params={"limit": 10})
    assert any(a["action"] == "case.task_escalate" and a["target"] == f"case/{c['id']}" for a in audit)
    own = api.get("citizen", f"/api/v1/cases/{c['id']}")
    if own.status_code == 200:
        assert "task_escalate" not in [e["action"] for e in own.json()["timeline"]]
    api.post("grid_worker", f"/api/v1/grid-tasks/{task['id']}/decision", json={"decision": "reject", "note": "现场未见"})


def test_pending_uploads_expire_after_a_day(world):
    api = world["api"]
    old, kept = upload(world, width=70), upload(world, width=71)
    with db_open(world["srv"].db) as db:
        db.execute("UPDATE pending_uploads SET created_at = created_at - 86401 WHERE attachment_id = ?", [old])
    # A day-old upload no longer counts for a report ...
    assert_error(api.post("grid_worker", "/api/v1/self-handled", json={**self_body(world), "before_photos": [old],
                                                                       "after_photos": [kept]}),
                 400, "bad_request", "before_photos[0]")
    # ... and the worker's next upload drops it, with its attachments row (no case holds it), so
    # the attachment sweep may remove the file; the fresh one stays.
    fresh = upload(world, width=72)
    with db_open(world["srv"].db) as db:
        pending = {r[0] for r in db.execute("SELECT attachment_id FROM pending_uploads WHERE user_id = ?",
                                            [world["gw"]["id"]]).fetchall()}
        rows = {r[0] for r in db.execute("SELECT id FROM attachments WHERE id IN (?, ?, ?)", [old, kept, fresh]).fetchall()}
    assert old not in pending and {kept, fresh} <= pending
    assert rows == {kept, fresh}
    assert_error(api.get("grid_worker", f"/api/v1/attachments/{old}"), 404)


def test_a_report_confirmed_on_site_earns_its_reporter_points(world):
    """核实确认 (points bank rule verification): a grid worker's confirmation pays the resident
    who reported, once."""
    api = world["api"]
    set_rule(world, True, False)
    before = api.get("citizen", "/api/v1/me/points").json()["balance"]
    c = report(world, channel="app", who="citizen")
    task = api.get("dispatcher", f"/api/v1/cases/{c['id']}/grid-tasks").json()["items"][0]
    up = api.post("grid_worker", f"/api/v1/cases/{c['id']}/attachments", data=png(), headers={"Content-Type": "image/png"})
    assert up.status_code in (200, 201), up.text
    r = api.post("grid_worker", f"/api/v1/grid-tasks/{task['id']}/decision", json={"decision": "confirm"})
    assert r.status_code == 200, r.text
    st = api.get("citizen", "/api/v1/me/points").json()
    assert st["balance"] == before + 5 and st["items"][0]["rule"] == "核实确认", st
    assert c["number"] in st["items"][0]["note"]
