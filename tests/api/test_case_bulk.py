"""
POST /api/v1/cases/bulk (issue 13, the dispatcher's day): one action on many cases, each checked
and written as its own action (own transaction, event and audit entry); one case's failure does
not stop the others.
"""
from conftest import assert_error, unique

LIST = "/api/v1/cases"
BULK = "/api/v1/cases/bulk"


def create(gl, t, i):
    r = gl.post("operator", LIST, json={"title": f"批量{t} {i}", "description": "批量派单测试", "channel": "hotline"})
    assert r.status_code == 201, r.text
    return r.json()


def test_bulk_dispatch_each_its_own_event(gl, demo):
    t = unique("B")
    cases = [create(gl, t, i) for i in range(4)]
    stale = cases[3]
    body = {"action": "dispatch", "department": demo["CGJ"], "note": "批量派单",
            "cases": [{"id": c["id"], "version": c["version"]} for c in cases[:3]]
            + [{"id": stale["id"], "version": stale["version"] + 5}]}
    r = gl.post("dispatcher", BULK, json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["total"] == 4 and out["done"] == 3 and out["failed"] == 1
    by_id = {i["id"]: i for i in out["items"]}
    for c in cases[:3]:
        item = by_id[c["id"]]
        assert item["ok"] and item["case"]["state"] == "dispatched" and item["case"]["department_id"] == demo["CGJ"]
        timeline = gl.get("dispatcher", f"{LIST}/{c['id']}").json()["timeline"]
        assert [e["action"] for e in timeline].count("dispatch") == 1
        assert timeline[-1]["note"] == "批量派单"
    bad = by_id[stale["id"]]
    assert not bad["ok"] and bad["error"]["code"] == "conflict" and bad["error"]["field"] == "version"
    assert gl.get("dispatcher", f"{LIST}/{stale['id']}").json()["state"] == "new"
    # Every dispatch is audited on its own.
    audit = gl.get("admin", "/api/v1/audit", params={"limit": 50}).json()["items"]
    targets = {e["target"] for e in audit if e["action"] == "case.dispatch"}
    assert {f"case/{c['id']}" for c in cases[:3]} <= targets


def test_bulk_refuses_what_one_action_would(gl, demo):
    t = unique("B")
    c = create(gl, t, 0)
    one = [{"id": c["id"], "version": c["version"]}]
    # Roles: the route is for dispatchers, supervisors, handlers and admins.
    assert_error(gl.post("citizen", BULK, json={"action": "dispatch", "department": demo["CGJ"], "cases": one}),
                 403, "forbidden")
    # A handler may call it, but may not dispatch: the case says so, not the route.
    r = gl.post("handler_cgj", BULK, json={"action": "dispatch", "department": demo["CGJ"], "cases": one})
    assert r.status_code == 200 and r.json()["failed"] == 1 and r.json()["items"][0]["error"]["code"] in ("forbidden", "conflict")
    # Only some actions make sense in bulk.
    assert_error(gl.post("dispatcher", BULK, json={"action": "close", "cases": one}), 400, "bad_request", "action")
    assert_error(gl.post("dispatcher", BULK, json={"action": "dispatch", "department": demo["CGJ"], "cases": []}),
                 400, "bad_request", "cases")
    many = [{"id": c["id"], "version": 1}] * 101
    assert_error(gl.post("dispatcher", BULK, json={"action": "dispatch", "department": demo["CGJ"], "cases": many}),
                 400, "bad_request", "cases")
    assert_error(gl.post("dispatcher", BULK, json={"action": "dispatch", "department": demo["CGJ"],
                                                   "cases": [{"id": c["id"]}]}), 400, "bad_request", "cases[0].version")
    # A missing department fails each case as a single dispatch would.
    r = gl.post("dispatcher", BULK, json={"action": "dispatch", "cases": one})
    assert r.status_code == 200 and r.json()["items"][0]["error"]["field"] == "department"
    assert gl.get("dispatcher", f"{LIST}/{c['id']}").json()["state"] == "new"


def dispatch(gl, c, dept):
    r = gl.post("dispatcher", f"{LIST}/{c['id']}/actions", json={"action": "dispatch", "version": c["version"], "department": dept})
    assert r.status_code == 200, r.text
    return r.json()


def test_bulk_sign_urge_and_assisting(gl, demo):
    t = unique("B")
    # Assisting departments go with every case of a bulk dispatch.
    pair = [create(gl, t, i) for i in range(2)]
    r = gl.post("dispatcher", BULK, json={"action": "dispatch", "department": demo["CGJ"], "assisting": [demo["HWZ"]],
                                          "cases": [{"id": c["id"], "version": c["version"]} for c in pair]})
    assert r.status_code == 200 and r.json()["done"] == 2, r.text
    mine = [i["case"] for i in r.json()["items"]]
    assert all(c["assisting"] == [demo["HWZ"]] for c in mine)
    # The lead department signs its cases in one go; a case of another department and one it
    # signed already are reported, the rest are signed.
    theirs = dispatch(gl, create(gl, t, 2), demo["QSJD"])
    signed = dispatch(gl, create(gl, t, 3), demo["CGJ"])
    r = gl.post("handler_cgj", f"{LIST}/{signed['id']}/actions", json={"action": "sign", "version": signed["version"]})
    assert r.status_code == 200, r.text
    signed = r.json()
    r = gl.post("handler_cgj", BULK, json={"action": "sign", "cases": [{"id": c["id"], "version": c["version"]}
                                                                       for c in mine + [theirs, signed]]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["done"] == 2 and out["failed"] == 2
    assert [i["id"] for i in out["items"]] == [c["id"] for c in mine + [theirs, signed]]
    assert all(i["ok"] and i["case"]["state"] == "processing" for i in out["items"][:2])
    assert out["items"][2]["error"]["code"] in ("forbidden", "not_found")
    assert out["items"][3]["error"]["code"] == "conflict"
    assert gl.get("dispatcher", f"{LIST}/{theirs['id']}").json()["state"] == "dispatched"
    # A supervisor urges several at once: each case's urge count goes up by one, each its own event.
    now = [i["case"] for i in out["items"][:2]]
    r = gl.post("supervisor", BULK, json={"action": "urge", "note": "请加快办理",
                                          "cases": [{"id": c["id"], "version": c["version"]} for c in now]})
    assert r.status_code == 200 and r.json()["done"] == 2, r.text
    for c in now:
        full = gl.get("supervisor", f"{LIST}/{c['id']}").json()
        assert full["urge_count"] == 1
        assert [e["action"] for e in full["timeline"]].count("urge") == 1
