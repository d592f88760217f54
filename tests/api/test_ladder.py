"""
The ladder (issue 15 item 5, docs/grid.md §5): a case sits at one level of the region tree —
district, street, community or grid. The level holding it handles it, forwards it down to a child
region on the case's path (二级派单) or escalates it to the parent with a reason; each step has its
own clock (ladder_limits, natural hours per level). Who acts for a level: the officials
(dispatcher, supervisor) bound to that region, the grid's workers at a grid, the unbound command
centre at the district, admins anywhere.

Demo: street_official (dispatcher, 青石街道 330179001), community_official (dispatcher, 青石社区
330179001001), grid_worker (青石社区第1网格). Test clock 2026-12-07 09:30 (Beijing).
"""
import datetime as dt

import pytest

from conftest import GENEROUS, assert_error

CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "86400"]
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)


def set_clock(api, t):
    assert api.put("admin", "/api/v1/test/clock", json={"now": t.isoformat()}).status_code == 200


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    from conftest import Api, Server
    srv = Server(str(tmp_path_factory.mktemp("ladder")), template_db, GENEROUS + CLOCK_ARGS).start()
    api = Api(srv)
    set_clock(api, T0)
    regions = {r["code"]: r for r in api.items("admin", "/api/v1/regions", params={"limit": 500})}
    yield {"api": api, "regions": regions}
    srv.check_clean_exit()


def new_case(api, who="operator", channel="hotline", region=None, title="楼道堆物占用消防通道"):
    body = {"title": title, "description": "三楼楼道堆放杂物，堵住了消防通道", "channel": channel}
    if region:
        body["region_id"] = region["id"]
    r = api.post(who, "/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def ladder(api, who, case):
    r = api.get(who, f"/api/v1/cases/{case['id']}/ladder")
    assert r.status_code == 200, r.text
    return r.json()


def move(api, who, case, what, status=200, **body):
    r = api.post(who, f"/api/v1/cases/{case['id']}/ladder/{what}", json=body)
    assert r.status_code == status, f"{who} {what}: {r.status_code} {r.text[:400]}"
    return r.json()


def test_forward_down_escalate_up_handle(world):
    api, R = world["api"], world["regions"]
    grid, community, street = R["33017900100101"], R["330179001001"], R["330179001"]
    c = new_case(api, region=grid)

    # not moved yet: a hotline case sits at its district, where the command centre acts
    lad = ladder(api, "dispatcher", c)
    assert (lad["level"], lad["region"]["code"], lad["step"]) == ("district", "330179", 1)
    assert lad["actions"] == ["handle", "forward"]
    assert [t["code"] for t in lad["forward_to"]] == ["330179001"]  # only the case's own branch
    assert lad["steps"][0]["came_by"] == "entry" and lad["steps"][0]["ended_at"] is None
    # the street's official sees the case (its region) but does not act for the district
    assert ladder(api, "street_official", c)["actions"] == []
    assert_error(api.post("street_official", f"/api/v1/cases/{c['id']}/ladder/forward",
                          json={"step": 1, "region_id": street["id"]}), 403, reason="scope")
    # a handler's role has no ladder moves at all
    assert_error(api.post("handler_cgj", f"/api/v1/cases/{c['id']}/ladder/handle", json={"step": 1}),
                 403)
    # bad input names the field
    assert_error(api.post("dispatcher", f"/api/v1/cases/{c['id']}/ladder/forward",
                          json={"step": 1}), 400, field="region_id")
    assert_error(api.post("dispatcher", f"/api/v1/cases/{c['id']}/ladder/forward",
                          json={"step": 1, "region_id": R["330179002"]["id"]}), 400, field="region_id")

    # 二级派单: district → street
    lad = move(api, "dispatcher", c, "forward", step=1, region_id=street["id"], note="请青石街道处置")
    assert (lad["level"], lad["region"]["code"], lad["step"]) == ("street", "330179001", 2)
    assert [s["outcome"] for s in lad["steps"]] == ["forwarded", None]
    assert lad["steps"][1]["came_by"] == "forward" and lad["steps"][1]["sent_by"]
    assert lad["actions"] == []  # the dispatcher no longer acts for it
    # a second forward on the old step loses
    assert_error(api.post("dispatcher", f"/api/v1/cases/{c['id']}/ladder/forward",
                          json={"step": 1, "region_id": street["id"]}), 409, field="step")

    # the street sees it in its queue and forwards to the community
    q = api.get("street_official", "/api/v1/ladder/queue").json()["items"]
    assert [x["number"] for x in q if x["case_id"] == c["id"]] == [c["number"]]
    lad = ladder(api, "street_official", c)
    assert lad["actions"] == ["handle", "forward", "escalate"]
    assert [t["code"] for t in lad["forward_to"]] == ["330179001001"]
    lad = move(api, "street_official", c, "forward", step=2, region_id=community["id"])
    assert lad["level"] == "community"
    # the community's official was told
    msgs = api.get("community_official", "/api/v1/me/messages").json()["items"]
    assert any(c["number"] in m["message"] for m in msgs), msgs

    # community → grid; the grid worker escalates back with a reason (required)
    move(api, "community_official", c, "forward", step=3, region_id=grid["id"])
    lad = ladder(api, "grid_worker", c)
    assert lad["level"] == "grid" and lad["actions"] == ["handle", "escalate"]
    assert_error(api.post("grid_worker", f"/api/v1/cases/{c['id']}/ladder/escalate",
                          json={"step": 4}), 400, field="reason")
    assert_error(api.post("grid_worker", f"/api/v1/cases/{c['id']}/ladder/escalate",
                          json={"step": 4, "reason": ""}), 400, field="reason")
    lad = move(api, "grid_worker", c, "escalate", step=4, reason="需要消防部门联合执法，网格无权处置")
    assert (lad["level"], lad["step"]) == ("community", 5)
    assert lad["steps"][-1]["reason"] == "需要消防部门联合执法，网格无权处置"
    assert lad["steps"][-2]["outcome"] == "escalated"

    # the community handles it itself: once
    lad = move(api, "community_official", c, "handle", step=5, note="社区联系物业清理")
    assert lad["steps"][-1]["handling_at"] and lad["steps"][-1]["handled_by"]
    assert lad["actions"] == ["forward", "escalate"]
    assert_error(api.post("community_official", f"/api/v1/cases/{c['id']}/ladder/handle",
                          json={"step": 5}), 409)

    # every move is on the timeline and in the audit log
    case = api.get("admin", f"/api/v1/cases/{c['id']}").json()
    acts = [e["action"] for e in case["timeline"]]
    assert acts.count("ladder_forward") == 3 and acts.count("ladder_escalate") == 1
    assert acts.count("ladder_handle") == 1
    audit = [a["action"] for a in api.items("admin", "/api/v1/audit", params={"limit": 40})]
    assert "case.ladder_forward" in audit and "case.ladder_escalate" in audit


def test_grid_report_enters_at_its_grid_and_district_is_the_top(world):
    api, R = world["api"], world["regions"]
    c = new_case(api, who="grid_worker", channel="grid", region=R["33017900100101"],
                 title="井盖松动")
    lad = ladder(api, "grid_worker", c)
    assert (lad["level"], lad["region"]["code"]) == ("grid", "33017900100101")
    assert lad["actions"] == ["handle", "escalate"]
    q = api.get("grid_worker", "/api/v1/ladder/queue").json()["items"]
    assert c["id"] in [x["case_id"] for x in q]
    # the centre does not see a grid's own report in its district queue
    assert c["id"] not in [x["case_id"] for x in api.get("dispatcher", "/api/v1/ladder/queue").json()["items"]]
    # up to the top: grid → community → street → district, then no higher
    step = 1
    for who in ("grid_worker", "community_official", "street_official"):
        lad = move(api, who, c, "escalate", step=step, reason="超出本级处置能力")
        step += 1
    assert lad["level"] == "district" and "escalate" not in ladder(api, "dispatcher", c)["actions"]
    assert_error(api.post("dispatcher", f"/api/v1/cases/{c['id']}/ladder/escalate",
                          json={"step": step, "reason": "再上报"}), 409)


def test_sla_clock_per_step_and_limits(world):
    api, R = world["api"], world["regions"]
    lim = api.get("dispatcher", "/api/v1/ladder/limits").json()
    assert lim == {"grid": 24, "community": 48, "street": 24, "district": 8, "unit": "hours"}
    assert_error(api.put("dispatcher", "/api/v1/ladder/limits",
                         json={"grid": 24, "community": 48, "street": 24, "district": 8}), 403)
    assert_error(api.put("admin", "/api/v1/ladder/limits",
                         json={"grid": 24, "community": 48, "street": 0, "district": 8}), 400,
                 field="street")
    assert_error(api.put("admin", "/api/v1/ladder/limits",
                         json={"grid": 24, "community": 48, "district": 8}), 400, field="street")
    r = api.put("admin", "/api/v1/ladder/limits", json={"grid": 12, "community": 48, "street": 6, "district": 8})
    assert r.status_code == 200 and r.json()["street"] == 6
    assert "ladder.limits" in [a["action"] for a in api.items("admin", "/api/v1/audit", params={"limit": 5})]

    set_clock(api, T0 + dt.timedelta(days=1))
    c = new_case(api, region=R["33017900100102"], title="路灯不亮")
    lad = move(api, "dispatcher", c, "forward", step=1, region_id=R["330179001"]["id"])
    st = lad["steps"][-1]
    started = dt.datetime.fromisoformat(st["started_at"].replace("Z", "+00:00"))
    due = dt.datetime.fromisoformat(st["due_at"].replace("Z", "+00:00"))
    assert due - started == dt.timedelta(hours=6) and st["overdue"] is False
    assert lad["steps"][0]["overdue"] is False  # forwarded within the district's 8 hours
    set_clock(api, T0 + dt.timedelta(days=1, hours=7))
    lad = ladder(api, "street_official", c)
    assert lad["steps"][-1]["overdue"] is True and lad["steps"][0]["overdue"] is False
    row = [x for x in api.get("street_official", "/api/v1/ladder/queue").json()["items"]
           if x["case_id"] == c["id"]]
    assert row and row[0]["overdue"] is True
    # a finished case has no moves
    r = api.post("dispatcher", f"/api/v1/cases/{c['id']}/actions",
                 json={"action": "cancel", "version": c["version"], "note": "重复"})
    assert r.status_code == 200, r.text
    assert ladder(api, "street_official", c)["actions"] == []
    assert_error(api.post("street_official", f"/api/v1/cases/{c['id']}/ladder/handle",
                          json={"step": 2}), 409)


def close(api, case):
    c = api.get("admin", f"/api/v1/cases/{case['id']}").json()
    r = api.post("operator", f"/api/v1/cases/{case['id']}/actions",
                 json={"action": "answer", "version": c["version"], "note": "已处理完毕"})
    assert r.status_code == 200, r.text


def test_assessment_counts_what_each_level_closed(world):
    """One day (T0 + 3 days), five cases closed:
      A grid report, never moved                         → closed at grid       (grid ✓, community ✓)
      B grid report → community (handles)                → closed at community  (grid ✗, community ✓)
      C grid report → community → street                 → closed at street     (grid ✗, community ✗)
      D hotline → street → community                     → closed at community  (entered at the district)
      E hotline in 柳湾街道, never moved                  → closed at district
    小事不出网格率 1/3, 大事不出社区率 2/3 for 青石街道; 柳湾街道 has neither (null)."""
    api, R = world["api"], world["regions"]
    day = T0 + dt.timedelta(days=3)
    set_clock(api, day)
    grid = R["33017900100101"]
    a = new_case(api, who="grid_worker", channel="grid", region=grid, title="A 垃圾满溢")
    b = new_case(api, who="grid_worker", channel="grid", region=grid, title="B 违章停车")
    c = new_case(api, who="grid_worker", channel="grid", region=grid, title="C 违建")
    d = new_case(api, region=grid, title="D 噪音")
    e = new_case(api, region=R["33017900200101"], title="E 咨询")
    move(api, "grid_worker", b, "escalate", step=1, reason="需社区协调")
    move(api, "community_official", b, "handle", step=2)
    move(api, "grid_worker", c, "escalate", step=1, reason="需社区协调")
    move(api, "community_official", c, "escalate", step=2, reason="需街道执法")
    move(api, "dispatcher", d, "forward", step=1, region_id=R["330179001"]["id"])
    move(api, "street_official", d, "forward", step=2, region_id=R["330179001001"]["id"])
    for x in (a, b, c, d, e):
        close(api, x)
    # a finished case shows where it ended
    assert ladder(api, "admin", c)["level"] == "street" and ladder(api, "admin", c)["actions"] == []

    period = {"from": day.date().isoformat(), "to": (day + dt.timedelta(days=1)).date().isoformat()}
    r = api.get("supervisor", "/api/v1/stats/ladder", params=period)
    assert r.status_code == 200, r.text
    body = r.json()
    tot = body["total"]
    assert tot["closed"] == 5
    assert tot["closed_by_level"] == {"grid": 1, "community": 2, "street": 1, "district": 1}
    assert (tot["grid_entered"], tot["grid_kept"]) == (3, 1)
    assert (tot["community_entered"], tot["community_kept"]) == (3, 2)
    assert tot["grid_rate"] == pytest.approx(1 / 3) and tot["community_rate"] == pytest.approx(2 / 3)
    rows = {x["code"]: x for x in body["rows"]}
    assert set(rows) == {"330179001", "330179002"}
    assert rows["330179001"]["name"] == "青石街道" and rows["330179001"]["closed"] == 4
    assert rows["330179002"]["closed_by_level"]["district"] == 1
    assert rows["330179002"]["grid_rate"] is None and rows["330179002"]["community_rate"] is None
    # another day counts none of them
    other = {"from": (day + dt.timedelta(days=1)).date().isoformat(),
             "to": (day + dt.timedelta(days=2)).date().isoformat()}
    assert api.get("supervisor", "/api/v1/stats/ladder", params=other).json()["total"]["closed"] == 0
    assert_error(api.get("supervisor", "/api/v1/stats/ladder", params={"from": period["from"]}), 400,
                 field="to")
    assert_error(api.get("dispatcher", "/api/v1/stats/ladder", params=period), 403)
