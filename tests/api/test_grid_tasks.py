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
    srv = Server(str(tmp_path_factory.mktemp("gridtasks")), template_db, GENEROUS).start()
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
    yield {"api": api, "srv": srv, "gw": gw, "grid": gw["region_id"], "regions": regions,
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


def test_self_handled_is_closed_in_one_step_and_counted(world):
    api = world["api"]
    box = api.get("admin", f"/api/v1/regions/{world['grid']}").json()["boundary"]["coordinates"][0]
    body = {"title": "路灯杆小广告", "description": "路灯杆上贴满小广告", "result": "已当场清除小广告",
            "lat": (box[0][1] + box[2][1]) / 2, "lon": (box[0][0] + box[2][0]) / 2}
    before = my_tasks(world)[1]["self_handled_recent"]
    assert_error(api.post("dispatcher", "/api/v1/self-handled", json=body), 403)
    assert_error(api.post("grid_worker", "/api/v1/self-handled", json={**body, "result": ""}), 400, "bad_request", "result")
    assert_error(api.post("grid_worker", "/api/v1/self-handled", json={**body, "lat": 10.0, "lon": 10.0}),
                 400, "bad_request", "lat")
    r = api.post("grid_worker", "/api/v1/self-handled", json=body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["state"] == "closed" and out["self_handled"] is True
    case = api.get("dispatcher", f"/api/v1/cases/{out['id']}").json()
    assert case["state"] == "closed" and case["channel"] == "grid" and not case.get("dispatched_at")
    assert [e["action"] for e in case["timeline"]][-1] == "self_handle"
    assert api.get("dispatcher", f"/api/v1/cases/{out['id']}/grid-tasks").json()["self_handled"] is True
    assert my_tasks(world)[1]["self_handled_recent"] == before + 1
