"""
The message centre (issue 13): GET /api/v1/me/messages, .../counts, POST .../read. Each person
sees the notifications addressed to them (their user, their departments, their role's group, in
their region), with unread counts per group; read state is per person. Each test runs its own
server so the counts are its own.
"""
import datetime as dt

from conftest import assert_error

MSGS = "/api/v1/me/messages"


def create_case(api, title="消息中心", who="operator"):
    r = api.post(who, "/api/v1/cases", json={"title": title, "description": "东门垃圾三天没人清理",
                                             "channel": "hotline", "citizen": {"name": "王五", "phone": "13900001111"}})
    assert r.status_code == 201, r.text
    return r.json()


def act(api, who, case, action, **fields):
    body = {"action": action, "version": case["version"], **fields}
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions", json=body)
    assert r.status_code == 200, f"{who} {action}: {r.text[:300]}"
    return r.json()


def dept_id(api, code):
    return next(d["id"] for d in api.items("admin", "/api/v1/departments") if d["code"] == code)


def extend(api, case):
    until = dt.datetime.fromisoformat(case["deadlines"]["resolve"].replace("Z", "+00:00")) + dt.timedelta(days=3)
    return act(api, "handler_cgj", case, "extend", reason="需要协调物业", until=until.isoformat())


def inbox(api, who, **params):
    r = api.get(who, MSGS, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def counts(api, who):
    r = api.get(who, MSGS + "/counts")
    assert r.status_code == 200, r.text
    return r.json()


def test_each_role_gets_its_messages_with_counts_and_reads_them(server_factory):
    api = server_factory()
    cgj = dept_id(api, "CGJ")
    before = {who: counts(api, who) for who in ("handler_cgj", "handler_qsjd", "dispatcher", "supervisor")}

    case = create_case(api)
    # Dispatchers hear of the new case (新派单 for the centre); handlers do not.
    d = inbox(api, "dispatcher", group="assign")
    mine = [m for m in d["items"] if m["case_id"] == case["id"]]
    assert len(mine) == 1 and mine[0]["kind"] == "new_case" and mine[0]["read"] is False, d["items"][:3]
    assert mine[0]["case_number"] == case["number"] and case["number"] in mine[0]["message"]
    assert d["unread"]["groups"]["assign"] == before["dispatcher"]["groups"]["assign"] + 1

    case = act(api, "dispatcher", case, "dispatch", department=cgj)
    c = counts(api, "handler_cgj")
    assert c["groups"]["assign"] == before["handler_cgj"]["groups"]["assign"] + 1
    assert c["total"] == before["handler_cgj"]["total"] + 1
    assert counts(api, "handler_qsjd") == before["handler_qsjd"], "another department hears nothing"

    # An urge is a 催办.
    case = act(api, "supervisor", case, "urge", note="请尽快处理")
    items = inbox(api, "handler_cgj", group="urge")["items"]
    assert [m["kind"] for m in items if m["case_id"] == case["id"]] == ["urge"]

    # An extension request reaches the supervisors (审批), and its answer the department.
    case = act(api, "handler_cgj", case, "sign")
    case = extend(api, case)
    s = inbox(api, "supervisor", group="approval")
    assert any(m["case_id"] == case["id"] and m["kind"] == "approval" for m in s["items"]), s["items"][:3]
    case = act(api, "supervisor", case, "approve")
    assert any(m["case_id"] == case["id"] for m in inbox(api, "handler_cgj", group="approval")["items"])

    # Reading one message lowers that person's count only.
    h = inbox(api, "handler_cgj", unread=1)
    n0 = h["unread"]["total"]
    first = h["items"][0]
    r = api.post("handler_cgj", MSGS + "/read", json={"ids": [first["id"]]})
    assert r.status_code == 200, r.text
    assert r.json()["total"] == n0 - 1
    assert all(m["id"] != first["id"] for m in inbox(api, "handler_cgj", unread=1)["items"])
    assert [m["read"] for m in inbox(api, "handler_cgj")["items"] if m["id"] == first["id"]] == [True]
    # Ids the caller may not see are ignored.
    other = inbox(api, "dispatcher")["items"][0]["id"]
    r = api.post("handler_qsjd", MSGS + "/read", json={"ids": [other]})
    assert r.status_code == 200 and r.json() == counts(api, "handler_qsjd")
    assert inbox(api, "dispatcher")["items"][0]["read"] is False

    # All read: the watermark; a later message is unread again.
    r = api.post("handler_cgj", MSGS + "/read", json={"all": True})
    assert r.status_code == 200 and r.json()["total"] == 0, r.text
    act(api, "supervisor", api.get("supervisor", f"/api/v1/cases/{case['id']}").json(), "urge", note="再次催办")
    c = counts(api, "handler_cgj")
    assert c["total"] == 1 and c["groups"]["urge"] == 1, c


def test_the_reporter_hears_the_reply_and_pages_are_stable(server_factory):
    api = server_factory()
    cgj = dept_id(api, "CGJ")
    r = api.post("citizen", "/api/v1/cases", json={"title": "消息分页", "description": "小区路灯不亮", "channel": "app"})
    assert r.status_code == 201, r.text
    case = r.json()
    case = act(api, "dispatcher", case, "dispatch", department=cgj)
    case = act(api, "handler_cgj", case, "sign")
    case = act(api, "handler_cgj", case, "reply", result="已更换灯泡，恢复照明", solved=True, contacted=True)
    got = inbox(api, "citizen", group="reply")
    assert [m["kind"] for m in got["items"] if m["case_id"] == case["id"]] == ["replied"]
    assert got["unread"]["groups"]["reply"] >= 1

    # Pages: newest first, next_before continues without overlap.
    for i in range(5):
        create_case(api, f"分页{i}")
    p1 = inbox(api, "dispatcher", limit=3)
    assert len(p1["items"]) == 3 and p1["next_before"] == p1["items"][-1]["id"]
    p2 = inbox(api, "dispatcher", limit=3, before=p1["next_before"])
    ids = [m["id"] for m in p1["items"] + p2["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    # The total is the whole list's, the same on every page, and follows the filters.
    everything = inbox(api, "dispatcher", limit=100)
    assert len(everything["items"]) < 100 and p1["total"] == p2["total"] == len(everything["items"])
    assigned = inbox(api, "dispatcher", group="assign", limit=100)
    approval = inbox(api, "dispatcher", group="approval", limit=100)
    assert assigned["total"] == len(assigned["items"]) > 0 and approval["total"] == len(approval["items"])
    assert assigned["total"] + approval["total"] <= everything["total"]
    unread = inbox(api, "dispatcher", unread=1, limit=100)
    assert unread["total"] == len(unread["items"])
    api.post("dispatcher", MSGS + "/read", json={"ids": [p1["items"][0]["id"]]})
    assert inbox(api, "dispatcher", unread=1)["total"] == unread["total"] - 1
    assert inbox(api, "dispatcher")["total"] == everything["total"]


def test_bad_requests_name_the_field(gl):
    assert_error(gl.get("dispatcher", MSGS, params={"group": "spam"}), 400, "bad_request", "group")
    assert_error(gl.get("dispatcher", MSGS, params={"limit": 0}), 400, "bad_request", "limit")
    assert_error(gl.post("dispatcher", MSGS + "/read", json={}), 400, "bad_request", "ids")
    assert_error(gl.post("dispatcher", MSGS + "/read", json={"ids": "x"}), 400, "bad_request", "ids")
    assert_error(gl.post("dispatcher", MSGS + "/read", json={"ids": list(range(1, 102))}), 400, "bad_request", "ids")


def test_region_bound_supervisors_see_their_region_only(server_factory):
    """A street's supervisor hears of approval requests on cases in its street only."""
    api = server_factory()
    regions = api.items("admin", "/api/v1/regions", params={"level": "street"})
    mine, other = regions[0], regions[1]
    r = api.post("admin", "/api/v1/users", json={"name": "street_sup", "password": "demo-pass-1",
                                                 "roles": ["supervisor"], "region": mine["code"]})
    assert r.status_code == 201, r.text
    cgj = dept_id(api, "CGJ")
    cases = []
    for reg in (mine, other):
        c = api.post("operator", "/api/v1/cases", json={"title": "区域消息", "description": "垃圾没人清理",
                                                         "channel": "hotline", "region_id": reg["id"]}).json()
        c = act(api, "dispatcher", c, "dispatch", department=cgj)
        c = act(api, "handler_cgj", c, "sign")
        c = extend(api, c)
        cases.append(c)
    seen = {m["case_id"] for m in inbox(api, "street_sup", group="approval")["items"]}
    assert cases[0]["id"] in seen and cases[1]["id"] not in seen, (seen, cases[0]["id"], cases[1]["id"])
    everyone = {m["case_id"] for m in inbox(api, "supervisor", group="approval")["items"]}
    assert {cases[0]["id"], cases[1]["id"]} <= everyone
