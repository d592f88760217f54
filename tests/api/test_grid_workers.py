"""
Grid workers (网格员) and smart dispatch (src/gridw, docs/grid.md sections 2 and 7): the demo's
workers, creating and replacing a worker (post, grids inside the worker's region, skills, shifts),
the region scope of street officials, the phone's position reports (future and impossible fixes
refused), suggestions for a case with the reason in words, the batch plan with a load cap, and
the `assign` case action that sets the assignee and notifies the worker.
"""
import time

import pytest

from conftest import PASSWORD, assert_error, db_open, unique

# 2026-12-07 was a Monday. Demo day duty is 08:00-20:00, night duty 20:00-08:00 (Asia/Shanghai).
MON_10 = 1796572800 + 10 * 3600
MON_02 = 1796572800 + 2 * 3600


def centre(gl, rid):
    box = gl.get("admin", f"/api/v1/regions/{rid}").json()["boundary"]["coordinates"][0]
    return (box[0][1] + box[2][1]) / 2, (box[0][0] + box[2][0]) / 2


@pytest.fixture(scope="module")
def ctx(gl, demo):
    cats = gl.items("admin", "/api/v1/categories", params={"level": 3})
    cat01 = next(c for c in cats if c["code"].startswith("01"))
    cat09 = next(c for c in cats if c["code"].startswith("09"))
    return dict(demo, cat01=cat01["id"], cat09=cat09["id"])


def new_worker_user(gl, region_code, roles=("grid_worker",)):
    name = unique("gw")
    r = gl.post("admin", "/api/v1/users", json={"name": name, "password": PASSWORD, "roles": list(roles),
                                                "region": region_code})
    assert r.status_code == 201, r.text
    return r.json()["id"], name


def new_case(gl, lat, lon, category, title="网格派单测试"):
    r = gl.post("operator", "/api/v1/cases", json={"title": title, "description": "路边垃圾堆放",
                                                   "channel": "hotline", "lat": lat, "lon": lon,
                                                   "category": category,
                                                   "citizen": {"name": "市民丙", "phone": "13900003333"}})
    assert r.status_code == 201, r.text
    return r.json()


def test_every_demo_grid_has_a_worker(gl, ctx):
    workers = gl.items("admin", "/api/v1/grid-workers")
    grids = [r for r in ctx["regions"].values() if r["level"] == "grid"]
    served = {g["id"] for w in workers for g in w["grids"]}
    assert served == {g["id"] for g in grids}
    per_grid = {}
    for w in workers:
        for g in w["grids"]:
            per_grid[g["id"]] = per_grid.get(g["id"], 0) + 1
    assert set(per_grid.values()) == {1, 2}
    gw = next(w for w in workers if w["name"] == "grid_worker")
    assert [g["id"] for g in gw["grids"]] == [ctx["gw_grid"]] and gw["post"] == "full_time"
    assert gw["shifts"][0] == {"weekday": 1, "start_min": 480, "end_min": 1200}
    night = next(w for w in workers if w["name"] == f"gw_{ctx['gw_grid_code']}_n")
    assert night["post"] == "part_time" and {s["code"] for s in night["skills"]} == {"01", "02", "06"}
    # Filters: one grid's workers, and the workers of a street.
    mine = gl.items("admin", "/api/v1/grid-workers", params={"grid_id": ctx["gw_grid"]})
    assert {w["name"] for w in mine} == {"grid_worker", night["name"]}
    street2 = gl.items("admin", "/api/v1/grid-workers", params={"region_id": ctx["street2"]})
    assert street2 and all(g["code"].startswith("330179002") for w in street2 for g in w["grids"])


def test_create_and_replace_a_worker(gl, ctx):
    uid, name = new_worker_user(gl, ctx["gw_grid_code"][:12])  # scope: the community
    body = {"post": "grid_leader", "max_load": 5, "grid_ids": [ctx["gw_grid"], ctx["sibling_grid"]],
            "skill_ids": [ctx["cat01"]], "shifts": [{"weekday": 1, "start_min": 540, "end_min": 1080}]}
    r = gl.put("admin", f"/api/v1/grid-workers/{uid}", json=body)
    assert r.status_code == 201, r.text
    w = r.json()
    assert w["post"] == "grid_leader" and w["max_load"] == 5 and w["load"] == 0
    assert sorted(g["id"] for g in w["grids"]) == sorted([ctx["gw_grid"], ctx["sibling_grid"]])
    assert [s["id"] for s in w["skills"]] == [ctx["cat01"]] and w["position"] is None
    body["post"] = "part_time"
    body["grid_ids"] = [ctx["sibling_grid"]]
    r = gl.put("admin", f"/api/v1/grid-workers/{uid}", json=body)
    assert r.status_code == 200, r.text
    assert [g["id"] for g in r.json()["grids"]] == [ctx["sibling_grid"]]
    with db_open(gl.server.db, readonly=True) as con:
        rows = con.execute("SELECT action FROM audit_log WHERE target = ? ORDER BY seq",
                           [f"grid_worker/{uid}"]).fetchall()
    assert [a for (a,) in rows] == ["grid_worker.create", "grid_worker.update"]
    assert gl.get("admin", f"/api/v1/grid-workers/{uid}").json()["post"] == "part_time"


@pytest.mark.parametrize("change,field,words", [
    ({"post": "boss"}, "post", "boss"),
    ({"grid_ids": []}, "grid_ids", None),
    ({"grid_ids": ["x"]}, "grid_ids", None),
    ({"max_load": 0}, "max_load", None),
    ({"skill_ids": [999999]}, "skill_ids", "999999"),
    ({"shifts": [{"weekday": 2, "start_min": 480, "end_min": 720},
                 {"weekday": 2, "start_min": 700, "end_min": 900}]}, "shifts", "overlap"),
    ({"shifts": [{"weekday": 8, "start_min": 480, "end_min": 720}]}, "shifts[0].weekday", None),
    ({"shifts": [{"weekday": 3, "start_min": 720, "end_min": 600}]}, "shifts", "end"),
])
def test_bad_worker_input_names_the_field(gl, ctx, change, field, words):
    uid, _ = new_worker_user(gl, ctx["gw_grid_code"])
    body = dict({"grid_ids": [ctx["gw_grid"]]}, **change)
    e = assert_error(gl.put("admin", f"/api/v1/grid-workers/{uid}", json=body), 400, "bad_request", field)
    if words:
        assert words in e["message"], e
    assert gl.get("admin", f"/api/v1/grid-workers/{uid}").status_code == 404


def test_grid_outside_the_workers_region_is_refused(gl, ctx):
    uid, _ = new_worker_user(gl, ctx["gw_grid_code"])
    e = assert_error(gl.put("admin", f"/api/v1/grid-workers/{uid}", json={"grid_ids": [ctx["other_street_grid"]]}),
                     400, "bad_request", "grid_ids")
    assert "outside the worker's region" in e["message"]
    e = assert_error(gl.put("admin", f"/api/v1/grid-workers/{uid}", json={"grid_ids": [ctx["gw_community"]]}),
                     400, "bad_request", "grid_ids")
    assert "not a grid" in e["message"]
    other, _ = new_worker_user(gl, "", roles=("operator",))
    e = assert_error(gl.put("admin", f"/api/v1/grid-workers/{other}", json={"grid_ids": [ctx["gw_grid"]]}),
                     400, "bad_request", "user_id")
    assert "grid_worker role" in e["message"]


def test_a_street_official_reaches_only_their_street(gl, ctx):
    name = unique("sup")
    r = gl.post("admin", "/api/v1/users", json={"name": name, "password": PASSWORD, "roles": ["supervisor"],
                                                "region": "330179002"})
    assert r.status_code == 201, r.text
    seen = gl.items(name, "/api/v1/grid-workers")
    assert seen and all(g["code"].startswith("330179002") for w in seen for g in w["grids"])
    gw = ctx["users"]["grid_worker"]["id"]
    assert_error(gl.get(name, f"/api/v1/grid-workers/{gw}"), 403, "forbidden")
    assert_error(gl.put(name, f"/api/v1/grid-workers/{gw}", json={"grid_ids": [ctx["gw_grid"]]}), 403, "forbidden")
    assert_error(gl.get(name, "/api/v1/grid-workers", params={"region_id": ctx["street1"]}), 403, "forbidden")
    # Their own street's new worker: fine; a grid of another street: refused for scope.
    uid, _ = new_worker_user(gl, "330179002")
    r = gl.put(name, f"/api/v1/grid-workers/{uid}", json={"grid_ids": [ctx["other_street_grid"]]})
    assert r.status_code == 201, r.text
    uid2, _ = new_worker_user(gl, "")
    assert_error(gl.put(name, f"/api/v1/grid-workers/{uid2}", json={"grid_ids": [ctx["gw_grid"]]}), 403, "forbidden")


def test_position_reports(gl, ctx):
    uid, name = new_worker_user(gl, ctx["gw_grid_code"])
    assert gl.put("admin", f"/api/v1/grid-workers/{uid}", json={"grid_ids": [ctx["gw_grid"]]}).status_code == 201
    lat, lon = centre(gl, ctx["gw_grid"])
    now = int(time.time())
    r = gl.post(name, "/api/v1/me/position", json={"lat": lat, "lon": lon, "at": now - 60})
    assert r.status_code == 200 and r.json()["stored"] is True, r.text
    # A late fix is accepted and ignored; the newer one stands.
    r = gl.post(name, "/api/v1/me/position", json={"lat": lat + 0.001, "lon": lon, "at": now - 120})
    assert r.status_code == 200 and r.json()["stored"] is False
    pos = gl.get("admin", f"/api/v1/grid-workers/{uid}").json()["position"]
    assert abs(pos["lat"] - lat) < 1e-9
    e = assert_error(gl.post(name, "/api/v1/me/position", json={"lat": lat, "lon": lon, "at": now + 3600}),
                     400, "bad_request", "at")
    assert "future" in e["message"]
    # 1 degree of latitude (111 km) in 30 s.
    e = assert_error(gl.post(name, "/api/v1/me/position", json={"lat": lat + 1, "lon": lon, "at": now - 30}),
                     400, "bad_request", "at")
    assert "impossible" in e["message"]
    assert_error(gl.post(name, "/api/v1/me/position", json={"lat": 91, "lon": lon}), 400, "bad_request", "lat")
    assert_error(gl.post(name, "/api/v1/me/position", json={"lat": lat}), 400, "bad_request", "lon")
    assert_error(gl.post("dispatcher", "/api/v1/me/position", json={"lat": lat, "lon": lon}), 403, "forbidden")
    # Without a fix, the position is now.
    r = gl.post(name, "/api/v1/me/position", json={"lat": lat + 0.0005, "lon": lon})
    assert r.status_code == 200 and r.json()["stored"] is True


def test_suggestions_rank_by_distance_load_and_skill_with_reasons(gl, ctx):
    lat, lon = centre(gl, ctx["gw_grid"])
    c = new_case(gl, lat + 0.0002, lon + 0.0002, ctx["cat01"])
    r = gl.get("dispatcher", f"/api/v1/cases/{c['id']}/worker-suggestions", params={"at": MON_10, "limit": 5})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["considered"] >= 128 and len(s["items"]) == 5
    first = s["items"][0]
    # Day duty: the worker of the case's own grid (the night worker is off; others are farther
    # and outside their grid).
    own = {"grid_worker"} | {w["name"] for w in gl.items("admin", "/api/v1/grid-workers",
                                                          params={"grid_id": ctx["gw_grid"]})}
    assert first["name"] in own and not first["name"].endswith("_n"), first
    assert first["reasons"]["own_grid"] is True and "本网格网格员" in first["reason"]
    assert "分钟到达" in first["reason"] and "在办" in first["reason"]
    costs = [i["cost"] for i in s["items"]]
    assert costs == sorted(costs)
    assert all(i["reasons"]["own_grid"] is False for i in s["items"][1:] if i["name"] not in own)
    # At night only night workers with the skill are on duty: a 劳动社保 (09) task has none.
    night = gl.get("dispatcher", f"/api/v1/cases/{c['id']}/worker-suggestions", params={"at": MON_02}).json()
    assert night["items"] and all(i["name"].endswith("_n") for i in night["items"])
    assert night["items"][0]["name"] == f"gw_{ctx['gw_grid_code']}_n"
    assert "擅长该类事项" in night["items"][0]["reason"]
    c9 = new_case(gl, lat, lon, ctx["cat09"])
    assert gl.get("dispatcher", f"/api/v1/cases/{c9['id']}/worker-suggestions",
                  params={"at": MON_02}).json()["items"] == []
    # Roles and a case without a place.
    assert_error(gl.get("handler_cgj", f"/api/v1/cases/{c['id']}/worker-suggestions"), 403, "forbidden")
    r = gl.post("operator", "/api/v1/cases", json={"title": "无位置", "description": "咨询", "channel": "hotline",
                                                   "citizen": {"name": "市民丁", "phone": "13900004444"}})
    assert_error(gl.get("dispatcher", f"/api/v1/cases/{r.json()['id']}/worker-suggestions"), 409, "conflict")


def test_assign_sets_the_assignee_notifies_and_counts_as_load(gl, ctx):
    lat, lon = centre(gl, ctx["sibling_grid"])
    c = new_case(gl, lat, lon, ctx["cat01"], title="派给网格员测试")
    sug = gl.get("dispatcher", f"/api/v1/cases/{c['id']}/worker-suggestions", params={"at": MON_10}).json()["items"]
    pick = sug[0]
    before = gl.get("admin", f"/api/v1/grid-workers/{pick['user_id']}").json()["load"]
    r = gl.post("dispatcher", f"/api/v1/cases/{c['id']}/actions",
                json={"action": "assign", "version": c["version"], "assignee": pick["user_id"], "note": "就近派单"})
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["state"] == "new"
    ev = after["timeline"][-1]
    assert ev["action"] == "assign" and ev["payload"]["assignee"] == pick["user_id"]
    assert gl.get("admin", f"/api/v1/grid-workers/{pick['user_id']}").json()["load"] == before + 1
    with db_open(gl.server.db, readonly=True) as con:
        assert con.execute("SELECT assignee_id FROM cases WHERE id = ?", [c["id"]]).fetchone()[0] == pick["user_id"]
        n = con.execute("SELECT count(*) FROM notifications WHERE case_id = ? AND kind = 'assigned'"
                        " AND recipient_kind = 'user' AND recipient_id = ?", [c["id"], pick["user_id"]]).fetchone()[0]
        assert n == 1
    # Override with a worker who was not suggested; refusals name the field.
    r = gl.post("dispatcher", f"/api/v1/cases/{c['id']}/actions",
                json={"action": "assign", "version": after["version"]})
    assert_error(r, 400, "bad_request", "assignee")
    r = gl.post("dispatcher", f"/api/v1/cases/{c['id']}/actions",
                json={"action": "assign", "version": after["version"], "assignee": ctx["users"]["operator"]["id"]})
    assert_error(r, 400, "bad_request", "assignee")
    assert_error(gl.post("handler_cgj", f"/api/v1/cases/{c['id']}/actions",
                         json={"action": "assign", "version": after["version"], "assignee": pick["user_id"]}),
                 403, "forbidden")


def test_batch_plan_respects_the_cap(gl, ctx):
    lat, lon = centre(gl, ctx["gw_grid"])
    cases = [new_case(gl, lat + i * 0.0001, lon, ctx["cat01"], title=f"批量派单{i}") for i in range(3)]
    ids = [c["id"] for c in cases]
    r = gl.post("dispatcher", "/api/v1/grid-workers/plan", params={"at": MON_10}, json={"case_ids": ids, "cap": 1})
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["placed"] == 3 and p["method"] == "min_cost_flow"
    workers = [i["worker"]["user_id"] for i in p["items"]]
    assert len(set(workers)) == 3, "cap 1: one new task per worker"
    assert abs(p["total_cost"] - sum(i["worker"]["cost"] for i in p["items"])) < 0.5
    r = gl.post("dispatcher", "/api/v1/grid-workers/plan", params={"at": MON_10}, json={"case_ids": ids})
    assert r.status_code == 200
    uncapped = r.json()
    assert uncapped["total_cost"] <= p["total_cost"] + 1e-6
    assert_error(gl.post("dispatcher", "/api/v1/grid-workers/plan", json={"case_ids": [ids[0], ids[0]]}),
                 400, "bad_request", "case_ids")
    assert_error(gl.post("dispatcher", "/api/v1/grid-workers/plan", json={"case_ids": [999999999]}),
                 400, "bad_request", "case_ids")
    assert_error(gl.post("dispatcher", "/api/v1/grid-workers/plan", json={"case_ids": []}),
                 400, "bad_request", "case_ids")
    assert_error(gl.post("operator", "/api/v1/grid-workers/plan", json={"case_ids": ids}), 403, "forbidden")
