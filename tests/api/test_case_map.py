"""
The cases of the maps (issue 14): GET /api/v1/stats/grids (the dashboard's choropleth: open,
overdue and all cases per grid in a window of report times, within what the caller may see) and
the case list's place filters (bbox=west,south,east,north; near=lat,lon with radius in metres).

The counts run on a server of their own with the test clock, at a time no other case was
reported, so the window holds exactly the cases made here; one of them is made overdue by the
sweeper. The place filters use the shared server, each test narrowing its lists with q=<token>.
"""
import datetime as dt
import math

import pytest

from conftest import GENEROUS, PASSWORD, assert_error, unique

GRIDS = "/api/v1/stats/grids"
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2027, 3, 1, 9, 30, tzinfo=BJ)  # a Monday, a working day
CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "86400"]
CAT = 10  # 010201 占道经营, lead CGJ, resolve within 4 working hours


def at(api, t):
    r = api.put("admin", "/api/v1/test/clock", json={"now": t.isoformat()})
    assert r.status_code == 200, r.text


def centre(api, rid):
    ring = api.get("admin", f"/api/v1/regions/{rid}").json()["boundary"]["coordinates"][0]
    lats = [p[1] for p in ring]
    lons = [p[0] for p in ring]
    return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2


def new_case(api, who="operator", **kw):
    body = {"title": "占道经营", "description": "小区门口有人摆摊占用人行道", "channel": "hotline"}
    body.update(kw)
    r = api.post(who, "/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def act(api, who, case, action, **fields):
    cur = api.get("admin", f"/api/v1/cases/{case['id']}").json()
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions",
                 json={"action": action, "version": cur["version"], **fields})
    assert r.status_code == 200, r.text
    return r.json()


def counts(api, who, frm, to):
    r = api.get(who, GRIDS, params={"from": frm.isoformat(), "to": to.isoformat()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"from", "to", "items", "elsewhere"}, body
    for item in body["items"]:
        assert set(item) == {"region_id", "code", "name", "total", "open", "overdue"}, item
        assert len(item["code"]) > 12  # grids only
    return {i["code"]: (i["total"], i["open"], i["overdue"]) for i in body["items"]}, body["elsewhere"]


def test_grid_counts_open_overdue_total_and_scope(server_factory):
    api = server_factory(args=GENEROUS + CLOCK_ARGS)
    at(api, T0)
    regions = {r["code"]: r for r in api.items("admin", "/api/v1/regions")}
    gw = [u for u in api.items("admin", "/api/v1/users") if u["name"] == "grid_worker"][0]
    grid_a = gw["region"]                     # in street 330179001
    grid_b = "33017900200101"                 # in street 330179002
    pa = centre(api, regions[grid_a]["id"])
    pb = centre(api, regions[grid_b]["id"])
    cgj = [d["id"] for d in api.items("admin", "/api/v1/departments") if d["code"] == "CGJ"][0]

    a1 = new_case(api, lat=pa[0], lon=pa[1])
    a2 = new_case(api, lat=pa[0] + 0.0001, lon=pa[1])
    new_case(api, lat=pa[0], lon=pa[1] - 0.0001)
    b1 = new_case(api, lat=pb[0], lon=pb[1])
    new_case(api, region_id=regions["330179002"]["id"])  # a street, no point: in no grid
    new_case(api)                                          # nowhere at all
    act(api, "dispatcher", a1, "dispatch", department=cgj, category=CAT)
    act(api, "dispatcher", a2, "cancel", reason="重复来电")
    act(api, "dispatcher", b1, "dispatch", department=cgj, category=CAT)
    # An hour past the resolve deadline, the sweeper marks the dispatched ones overdue.
    at(api, T0.replace(hour=16))
    assert api.post("admin", "/api/v1/admin/sweep").json()["newly_overdue"] == 2
    act(api, "handler_cgj", b1, "sign")

    frm, to = T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=1)
    got, elsewhere = counts(api, "supervisor", frm, to)
    # a2 was cancelled: reported, no longer open.
    assert got == {grid_a: (3, 2, 1), grid_b: (1, 1, 1)}
    assert elsewhere == {"total": 2, "open": 2, "overdue": 0}
    item = [i for i in api.get("admin", GRIDS, params={"from": frm.isoformat(), "to": to.isoformat()}).json()["items"]
            if i["code"] == grid_a][0]
    assert item["region_id"] == regions[grid_a]["id"] and item["name"] == regions[grid_a]["name"]
    assert counts(api, "data_officer", frm, to)[0] == got
    assert counts(api, "dispatcher", frm, to)[0] == got

    # Another window holds none of them.
    assert counts(api, "admin", T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=2)) == (
        {}, {"total": 0, "open": 0, "overdue": 0})

    # A supervisor of the second street sees its grid and its street's case, nothing of the first.
    r = api.post("admin", "/api/v1/users", json={"name": "sup_map2", "password": PASSWORD,
                                                 "roles": ["supervisor"], "region": "330179002"})
    assert r.status_code == 201, r.text
    got2, elsewhere2 = counts(api, "sup_map2", frm, to)
    assert got2 == {grid_b: (1, 1, 1)}
    assert elsewhere2 == {"total": 1, "open": 1, "overdue": 0}


@pytest.mark.parametrize("params, field", [
    ({}, "from"),
    ({"from": "2027-03-01"}, "to"),
    ({"from": "2027-03-01", "to": "2027-03-01"}, "to"),
    ({"from": "yesterday", "to": "2027-03-01"}, "from"),
])
def test_grid_counts_bad_window(gl, params, field):
    assert_error(gl.get("supervisor", GRIDS, params=params), 400, "bad_request", field)


def test_grid_counts_refused_to_other_roles(gl):
    for who in ("citizen", "operator", "handler_cgj", "grid_worker"):
        assert_error(gl.get(who, GRIDS, params={"from": "2027-03-01", "to": "2027-03-02"}), 403, "forbidden")


# ---------------------------------------------------------------- place filters of the list

def metres_north(lat, lon, m):
    return lat + m / 111194.93, lon


def metres_east(lat, lon, m):
    return lat, lon + m / (111194.93 * math.cos(math.radians(lat)))


def listed(gl, who, **params):
    r = gl.get(who, "/api/v1/cases", params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    return {c["id"] for c in r.json()["items"]}, r.json()["total"]


@pytest.fixture(scope="module")
def spots(gl, demo):
    t = unique("M")
    lat, lon = centre(gl, demo["gw_grid"])
    made = {
        "here": new_case(gl, title=f"地图{t} 此处", lat=lat, lon=lon),
        "n300": new_case(gl, title=f"地图{t} 北三百米", lat=metres_north(lat, lon, 300)[0], lon=lon),
        "e800": new_case(gl, title=f"地图{t} 东八百米", lat=lat, lon=metres_east(lat, lon, 800)[1]),
        "none": new_case(gl, title=f"地图{t} 无坐标"),
    }
    return t, (lat, lon), {k: v["id"] for k, v in made.items()}


def test_near_finds_the_cases_within_the_radius(gl, spots):
    t, (lat, lon), c = spots
    assert listed(gl, "admin", q=t, near=f"{lat},{lon}") == ({c["here"], c["n300"]}, 2)
    assert listed(gl, "admin", q=t, near=f"{lat},{lon}", radius=250)[0] == {c["here"]}
    assert listed(gl, "admin", q=t, near=f"{lat},{lon}", radius=1000)[0] == {c["here"], c["n300"], c["e800"]}
    # 790 m east is within 800 m of the case 800 m east, not of the others.
    p = metres_east(lat, lon, 790)
    assert listed(gl, "admin", q=t, near=f"{p[0]},{p[1]}", radius=100)[0] == {c["e800"]}


def test_bbox_holds_the_cases_inside_it(gl, spots):
    t, (lat, lon), c = spots
    d = 0.001  # about 110 m north-south
    assert listed(gl, "admin", q=t, bbox=f"{lon - d},{lat - d},{lon + d},{lat + d}")[0] == {c["here"]}
    assert listed(gl, "admin", q=t, bbox=f"{lon - d},{lat - d},{lon + d},{lat + 0.01}")[0] == {c["here"], c["n300"]}
    assert listed(gl, "admin", q=t, bbox=f"{lon + 0.02},{lat - d},{lon + 0.03},{lat + d}")[0] == set()
    # The case without a point lies in no box, however large.
    assert c["none"] not in listed(gl, "admin", q=t, bbox="-180,-90,180,90")[0]
    # Combined with the other filters and the caller's scope: a citizen sees none of these.
    assert listed(gl, "citizen", q=t, bbox="-180,-90,180,90")[0] == set()
    assert listed(gl, "admin", q=t, state="new", near=f"{lat},{lon}")[0] == {c["here"], c["n300"]}


def test_open_nearby(gl, spots):
    t, (lat, lon), c = spots
    assert listed(gl, "admin", q=t, open="true", near=f"{lat},{lon}")[0] == {c["here"], c["n300"]}
    act(gl, "dispatcher", {"id": c["n300"]}, "cancel", reason="重复来电")
    assert listed(gl, "admin", q=t, open="true", near=f"{lat},{lon}")[0] == {c["here"]}
    assert listed(gl, "admin", q=t, open="false")[0] == {c["n300"]}
    assert listed(gl, "admin", q=t, open="true")[0] == {c["here"], c["e800"], c["none"]}


@pytest.mark.parametrize("params, field", [
    ({"bbox": "1,2,3"}, "bbox"),
    ({"bbox": "1,2,3,4,5"}, "bbox"),
    ({"bbox": "a,2,3,4"}, "bbox"),
    ({"bbox": "120.2,30.1,120.1,30.2"}, "bbox"),     # west east of east
    ({"bbox": "120.1,30.2,120.2,30.1"}, "bbox"),     # south north of north
    ({"bbox": "120.1,-91,120.2,30.1"}, "bbox"),
    ({"near": "30.1"}, "near"),
    ({"near": "30.1,"}, "near"),
    ({"near": "91,120"}, "near"),
    ({"near": "30.1,120.1", "radius": "0"}, "radius"),
    ({"near": "30.1,120.1", "radius": "5001"}, "radius"),
    ({"near": "30.1,120.1", "radius": "1e3"}, "radius"),
    ({"radius": "500"}, "radius"),
    ({"open": "yes"}, "open"),
])
def test_place_filters_bad_input(gl, params, field):
    assert_error(gl.get("admin", "/api/v1/cases", params=params), 400, "bad_request", field)
