"""
Patrols (巡查, issue 15 item 3, src/patrol): start and end, batched position fixes (late, out of
order, twice), the rules on fixes (future times, impossible speeds) naming the field, findings
reported from a patrol as grid-channel cases with photo and position, the track, coverage of a
grid per day (GEOS: area within N metres of the tracks) and statistics per worker.
"""
import math
from datetime import datetime, timedelta, timezone

import pytest

from conftest import assert_error
from test_attachments import png

P = "/api/v1/patrols"
CST = timezone(timedelta(hours=8))


def iso(t):
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def haversine(a, b):
    k = math.pi / 180
    dlat, dlon = (b[0] - a[0]) * k, (b[1] - a[1]) * k
    h = math.sin(dlat / 2) ** 2 + math.cos(a[0] * k) * math.cos(b[0] * k) * math.sin(dlon / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def bbox(geom):
    pts = []

    def walk(x):
        if isinstance(x[0], (int, float)):
            pts.append(x)
        else:
            for y in x:
                walk(y)

    walk(geom["coordinates"])
    lons = [p[0] for p in pts]
    lats = [p[1] for p in pts]
    return min(lons), min(lats), max(lons), max(lats)


@pytest.fixture
def grid(gl, demo):
    r = gl.get("admin", f"/api/v1/regions/{demo['gw_grid']}")
    assert r.status_code == 200, r.text
    g = r.json()
    return g, bbox(g["boundary"])


def end_open(gl):
    cur = gl.get("grid_worker", P + "/current").json()["patrol"]
    if cur:
        assert gl.post("grid_worker", f"{P}/{cur['id']}/end", json={}).status_code == 200


@pytest.fixture
def patrol(gl, demo):
    end_open(gl)
    r = gl.post("grid_worker", P, json={})
    assert r.status_code == 201, r.text
    p = r.json()
    yield p
    end_open(gl)


def test_start_names_the_workers_grid_and_only_one_runs(gl, demo, patrol):
    assert patrol["region"]["id"] == demo["gw_grid"]
    assert patrol["under_way"] is True and patrol["ended_at"] is None
    assert patrol["worker"]["id"] == demo["users"]["grid_worker"]["id"]
    assert_error(gl.post("grid_worker", P, json={}), 409, field="patrol")
    cur = gl.get("grid_worker", P + "/current").json()["patrol"]
    assert cur["id"] == patrol["id"]
    audit = gl.get("admin", "/api/v1/audit?limit=20").json()["items"]
    assert any(x["action"] == "patrol.create" and x["target"] == f"patrol/{patrol['id']}" for x in audit)


def test_fixes_late_out_of_order_and_twice(gl, grid, patrol):
    g, (x0, y0, x1, y1) = grid
    now = datetime.now(timezone.utc).replace(microsecond=0)
    lat = (y0 + y1) / 2
    pts = [(now - timedelta(seconds=60 - 10 * i), lat, x0 + (x1 - x0) * i / 6) for i in range(6)]
    fx = [{"at": iso(t), "lat": a, "lon": o, "accuracy": 8} for t, a, o in pts]
    url = f"{P}/{patrol['id']}/fixes"
    # The later half first, out of order; then the first half with one resent.
    r = gl.post("grid_worker", url, json={"fixes": [fx[5], fx[3], fx[4]]})
    assert r.status_code == 200, r.text
    assert r.json() == {"patrol_id": patrol["id"], "added": 3, "duplicates": 0}
    r = gl.post("grid_worker", url, json={"fixes": [fx[2], fx[0], fx[4], fx[1]]})
    assert r.json()["added"] == 3 and r.json()["duplicates"] == 1
    # All resent: nothing changes.
    r = gl.post("grid_worker", url, json={"fixes": fx})
    assert r.json()["added"] == 0 and r.json()["duplicates"] == 6
    p = gl.get("grid_worker", f"{P}/{patrol['id']}").json()
    assert p["fixes"] == 6
    assert p["track"]["type"] == "LineString"
    assert [c[0] for c in p["track"]["coordinates"]] == pytest.approx([o for _, _, o in pts])
    assert p["fix_times"] == [iso(t) for t, _, _ in pts]
    walked = sum(haversine(pts[i][1:], pts[i + 1][1:]) for i in range(5))
    assert abs(p["distance_m"] - walked) <= 1, (p["distance_m"], walked)
    # The worker's last position follows the newest fix (dispatch reads it).
    assert p["distance_m"] > 0


def test_bad_fixes_name_the_field_and_write_nothing(gl, grid, patrol):
    g, (x0, y0, x1, y1) = grid
    now = datetime.now(timezone.utc).replace(microsecond=0)
    url = f"{P}/{patrol['id']}/fixes"
    ok = {"at": iso(now - timedelta(seconds=30)), "lat": y0 + 0.0001, "lon": x0 + 0.0001}
    future = {"at": iso(now + timedelta(hours=1)), "lat": y0, "lon": x0}
    assert_error(gl.post("grid_worker", url, json={"fixes": [ok, future]}), 400, field="fixes[1].at")
    # 5 km in 10 s: 1,800 km/h.
    far = {"at": iso(now - timedelta(seconds=20)), "lat": y0 + 0.045, "lon": x0}
    assert_error(gl.post("grid_worker", url, json={"fixes": [ok, far]}), 400, field="fixes[1]")
    # Against a fix already stored, too.
    assert gl.post("grid_worker", url, json={"fixes": [ok]}).json()["added"] == 1
    assert_error(gl.post("grid_worker", url, json={"fixes": [far]}), 400, field="fixes[0]")
    before = {"at": iso(now - timedelta(days=1)), "lat": y0, "lon": x0}
    assert_error(gl.post("grid_worker", url, json={"fixes": [before]}), 400, field="fixes[0].at")
    assert_error(gl.post("grid_worker", url, json={"fixes": [{"at": "yesterday", "lat": 1, "lon": 1}]}),
                 400, field="fixes[0].at")
    assert_error(gl.post("grid_worker", url, json={"fixes": [{**ok, "lat": 91}]}), 400)
    assert_error(gl.post("grid_worker", url, json={"fixes": []}), 400)
    assert gl.get("grid_worker", f"{P}/{patrol['id']}").json()["fixes"] == 1
    # Someone else's patrol does not exist for them; staff cannot feed one.
    assert_error(gl.post("grid_worker", f"{P}/999999/fixes", json={"fixes": [ok]}), 404)
    assert gl.post("supervisor", url, json={"fixes": [ok]}).status_code == 403


def test_a_finding_is_a_grid_case_with_photo_and_position(gl, demo, grid, patrol):
    g, (x0, y0, x1, y1) = grid
    lat, lon = (y0 + y1) / 2, (x0 + x1) / 2
    r = gl.post("grid_worker", f"{P}/{patrol['id']}/findings",
                json={"title": "巡查发现：井盖缺失", "description": "人行道井盖缺失，已设置警示。",
                      "lat": lat, "lon": lon})
    assert r.status_code == 201, r.text
    f = r.json()
    assert f["patrol_id"] == patrol["id"] and f["number"]
    up = gl.post("grid_worker", f"/api/v1/cases/{f['id']}/attachments", data=png(32, 24),
                 headers={"Content-Type": "image/png"})
    assert up.status_code == 201, up.text
    c = gl.get("grid_worker", f"/api/v1/cases/{f['id']}").json()
    assert c["channel"] == "grid"
    assert c["lat"] == pytest.approx(lat) and c["lon"] == pytest.approx(lon)
    assert c["region"]["id"] == demo["gw_grid"] if isinstance(c.get("region"), dict) else True
    assert len(c["attachments"]) == 1
    p = gl.get("grid_worker", f"{P}/{patrol['id']}").json()
    assert p["findings"] == 1
    assert [x["id"] for x in p["finding_cases"]] == [f["id"]]
    # A finding needs its position.
    assert_error(gl.post("grid_worker", f"{P}/{patrol['id']}/findings",
                         json={"title": "x", "description": "y"}), 400, field="lat")


def test_end_then_late_fixes_count_and_findings_refused(gl, grid, patrol):
    g, (x0, y0, x1, y1) = grid
    now = datetime.now(timezone.utc).replace(microsecond=0)
    url = f"{P}/{patrol['id']}/fixes"
    r = gl.post("grid_worker", f"{P}/{patrol['id']}/end", json={"note": "一切正常"})
    assert r.status_code == 200, r.text
    assert r.json()["under_way"] is False and r.json()["note"] == "一切正常"
    # A fix queued on the phone during the patrol arrives after its end: it counts.
    late = {"at": iso(now - timedelta(seconds=5)), "lat": y0 + 0.0002, "lon": x0 + 0.0002}
    assert gl.post("grid_worker", url, json={"fixes": [late]}).json()["added"] == 1
    assert_error(gl.post("grid_worker", f"{P}/{patrol['id']}/end", json={}), 409, field="patrol")
    assert_error(gl.post("grid_worker", f"{P}/{patrol['id']}/findings",
                         json={"title": "x", "description": "y", "lat": y0, "lon": x0}), 409,
                 field="patrol")
    assert gl.get("grid_worker", P + "/current").json()["patrol"] is None


def test_coverage_is_the_share_of_the_grid_near_the_tracks(gl, demo, grid, patrol):
    g, (x0, y0, x1, y1) = grid
    now = datetime.now(timezone.utc).replace(microsecond=0)
    lat = (y0 + y1) / 2
    # Ride the grid's middle line from its west edge to its east edge in a minute (the fixes
    # start with the patrol; the last is up to a minute ahead, within a phone clock's skew).
    width = haversine((lat, x0), (lat, x1))
    steps = max(2, int(width // 40))
    t0 = now
    fx = [{"at": iso(t0 + timedelta(seconds=int(60 * i / steps))), "lat": lat,
           "lon": x0 + (x1 - x0) * i / steps} for i in range(steps + 1)]
    r = gl.post("grid_worker", f"{P}/{patrol['id']}/fixes", json={"fixes": fx})
    assert r.status_code == 200, r.text
    day = now.astimezone(CST).date().isoformat()
    rows = gl.items("supervisor", P + "/coverage",
                    params={"from": day, "to": day, "region": demo["gw_grid"], "radius": 30})
    assert len(rows) == 1 and rows[0]["date"] == day and rows[0]["region"]["id"] == demo["gw_grid"]
    height = haversine((y0, x0), (y1, x0))
    # A rectangle-ish grid: a 60 m band across it (other tests' fixes lie on or near that line).
    expected = 60 / height
    assert rows[0]["share"] >= expected * 0.95, (rows[0], expected)
    assert rows[0]["share"] < 1 and rows[0]["patrols"] >= 1
    # A wider band covers more; a grid no track came near is at 0.
    wide = gl.items("supervisor", P + "/coverage",
                    params={"from": day, "to": day, "region": demo["gw_grid"], "radius": 200})
    assert wide[0]["share"] > rows[0]["share"]
    other = gl.items("admin", P + "/coverage",
                     params={"from": day, "to": day, "region": demo["other_street_grid"]})
    assert other[0]["share"] == 0 and other[0]["patrols"] == 0
    # Every grid of the district, per day.
    week = gl.items("admin", P + "/coverage", params={"to": day})
    days = {x["date"] for x in week}
    assert len(days) == 7 and len(week) == 7 * len({x["region"]["id"] for x in week})
    assert_error(gl.get("admin", P + "/coverage", params={"radius": 0}), 400, field="radius")
    assert_error(gl.get("admin", P + "/coverage", params={"from": "2026-01-01", "to": "2026-06-01"}),
                 400, field="to")
    assert_error(gl.get("admin", P + "/coverage", params={"from": "soon"}), 400, field="from")


def test_statistics_per_worker(gl, demo, grid, patrol):
    g, (x0, y0, x1, y1) = grid
    now = datetime.now(timezone.utc).replace(microsecond=0)
    fx = [{"at": iso(now - timedelta(seconds=100 - 10 * i)), "lat": y0 + 0.0001 * i, "lon": x0}
          for i in range(3)]
    gl.post("grid_worker", f"{P}/{patrol['id']}/fixes", json={"fixes": fx})
    gl.post("grid_worker", f"{P}/{patrol['id']}/end", json={})
    rows = gl.items("admin", P + "/stats")
    me = [x for x in rows if x["worker"]["id"] == demo["users"]["grid_worker"]["id"]]
    assert len(me) == 1, rows
    s = me[0]
    assert s["patrols"] >= 1 and s["days"] >= 1 and s["fixes"] >= 3 and s["distance_m"] > 0
    listed = gl.items("admin", P, params={"user": demo["users"]["grid_worker"]["id"]})
    assert sum(p["fixes"] for p in listed) >= s["fixes"] - 0
    # A grid worker sees their own row and patrols only.
    mine = gl.items("grid_worker", P + "/stats")
    assert all(x["worker"]["id"] == demo["users"]["grid_worker"]["id"] for x in mine)
    assert all(p["worker"]["id"] == demo["users"]["grid_worker"]["id"]
               for p in gl.items("grid_worker", P))


def test_statistics_keep_to_a_bound_officials_region(gl, demo, grid, patrol):
    """A street official reads the patrol statistics of their street, as they read its patrols and
    coverage: the grid worker of street 1 is not in street 2's figures."""
    from test_sec_scope import bound_user
    g, (x0, y0, x1, y1) = grid
    now = datetime.now(timezone.utc).replace(microsecond=0)
    gl.post("grid_worker", f"{P}/{patrol['id']}/fixes",
            json={"fixes": [{"at": iso(now - timedelta(seconds=30)), "lat": y0, "lon": x0}]})
    gw = demo["users"]["grid_worker"]["id"]
    home = demo["regions"][demo["gw_grid_code"][:9]]["code"]
    away = "330179002" if home != "330179002" else "330179001"
    inside = bound_user(gl, demo, "supervisor", home)
    outside = bound_user(gl, demo, "supervisor", away)
    assert any(x["worker"]["id"] == gw for x in gl.items(inside, P + "/stats"))
    assert all(x["worker"]["id"] != gw for x in gl.items(outside, P + "/stats"))
    assert all(p["worker"]["id"] != gw for p in gl.items(outside, P))
    assert_error(gl.get(outside, P + "/stats", params={"region": demo["gw_grid"]}), 403,
                 field="region")
    # The region filter narrows an unbound reader's figures the same way.
    assert all(x["worker"]["id"] != gw
               for x in gl.items("admin", P + "/stats", params={"region": demo["street2"]})
               ) or demo["gw_grid_code"].startswith("330179002")
