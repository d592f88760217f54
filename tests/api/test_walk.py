"""
The 15-minute service circle (issue 14, src/walk): facilities reached along the register's
roads from a point or a community, the area reached, coverage per place type, the communities
that lack a type, region scope and bad input. Runs on the demo register (src/demo).
"""
from conftest import assert_error

SC = "/api/v1/service-circle"
M_PER_MIN = 1000 / 15


def communities(gl):
    items = gl.get("admin", "/api/v1/regions", params={"level": "community"}).json()["items"]
    assert items, "the demo has communities"
    return items


def a_circle(gl, who="supervisor", **params):
    r = gl.get(who, SC, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_communitys_circle_lists_its_facilities_nearest_first(gl):
    found = None
    for c in communities(gl):
        r = a_circle(gl, region=c["code"])
        if r.get("places"):
            found = (c, r)
            break
    assert found, "some community's centre lies on the demo's roads"
    c, r = found
    assert r["region"] == {"code": c["code"], "name": c["name"]}
    assert r["minutes"] == 15 and r["metres"] == 1000
    d = [p["distance_m"] for p in r["places"]]
    assert d == sorted(d) and all(0 <= x <= 1000 for x in d), d
    for p in r["places"]:
        assert p["name"] and p["type"] and abs(p["minutes"] - p["distance_m"] / M_PER_MIN) <= 0.1, p
    counts = {b["type"]: b["count"] for b in r["by_type"]}
    for t, n in counts.items():
        assert n == sum(1 for p in r["places"] if p["type"] == t)
    assert r["area"]["type"] in ("Polygon", "MultiPolygon")
    # Coverage: one row per place type, consistent counts, 'lacking' under half.
    assert len(r["coverage"]) == len(r["by_type"]) >= 17
    for row in r["coverage"]:
        assert 0 <= row["covered"] <= row["points"] and row["points"] > 0
        assert row["lacking"] == (row["covered"] < 0.5 * row["points"])


def test_a_points_circle_shrinks_with_the_time_and_filters_by_type(gl):
    c = next(c for c in communities(gl) if a_circle(gl, region=c["code"]).get("places"))
    o = a_circle(gl, region=c["code"])["origin"]
    big = a_circle(gl, lat=o["lat"], lon=o["lon"], minutes=20)
    small = a_circle(gl, lat=o["lat"], lon=o["lon"], minutes=5, area=0)
    assert big["metres"] == round(20 * M_PER_MIN) and small["area"] is None
    codes_small = {p["code"] for p in small["places"]}
    assert codes_small <= {p["code"] for p in big["places"]}
    assert len(big["places"]) > len(small["places"])
    # The same place is as far in both (shortest paths do not depend on the bound).
    far = {p["code"]: p["distance_m"] for p in big["places"]}
    for p in small["places"]:
        assert far[p["code"]] == p["distance_m"]
    kinds = sorted({p["type"] for p in big["places"]})[:2]
    only = a_circle(gl, lat=o["lat"], lon=o["lon"], minutes=20, types=",".join(kinds))
    assert only["places"] and {p["type"] for p in only["places"]} <= set(kinds)
    assert len(only["places"]) == sum(1 for p in big["places"] if p["type"] in kinds)


def test_gaps_list_communities_lacking_a_type_worst_first(gl):
    r = gl.get("supervisor", f"{SC}/gaps").json()
    assert r["communities"] > 0 and r["min_share"] == 0.5
    shares = [row["share"] for row in r["rows"]]
    assert shares == sorted(shares) and all(s < 0.5 for s in shares)
    assert r["rows"], "the demo leaves some communities without some facility within 15 minutes"
    row = r["rows"][0]
    cov = {x["type"]: x for x in a_circle(gl, region=row["region_code"])["coverage"]}
    assert cov[row["type"]]["lacking"] and cov[row["type"]]["covered"] == row["covered"]
    # A longer walk closes some gaps, never opens new ones.
    wider = gl.get("supervisor", f"{SC}/gaps", params={"minutes": 30}).json()["rows"]
    assert {(x["region_code"], x["type"]) for x in wider} <= {(x["region_code"], x["type"]) for x in r["rows"]}


def test_a_grid_worker_sees_only_the_community_of_their_grid(gl):
    me = gl.get("grid_worker", "/api/v1/me").json()
    mine = me["region"]
    rows = gl.get("grid_worker", f"{SC}/gaps").json()
    assert rows["communities"] == 1
    assert all(mine.startswith(x["region_code"]) for x in rows["rows"])
    other = next(c for c in communities(gl) if not mine.startswith(c["code"]))
    assert_error(gl.get("grid_worker", SC, params={"region": other["code"]}), 403, "forbidden", reason="scope")


def test_bad_input_names_the_field(gl):
    assert_error(gl.get("supervisor", SC, params={"lat": "abc", "lon": 120.1}), 400, "bad_request", "lat")
    assert_error(gl.get("supervisor", SC, params={"lon": 120.1}), 400, "bad_request", "lat")
    assert_error(gl.get("supervisor", SC, params={"lat": 30.1, "lon": 500}), 400, "bad_request", "lon")
    assert_error(gl.get("supervisor", SC, params={"lat": 30.1, "lon": 120.1, "minutes": 0}), 400, "bad_request", "minutes")
    assert_error(gl.get("supervisor", SC, params={"lat": 30.1, "lon": 120.1, "minutes": 61}), 400, "bad_request", "minutes")
    assert_error(gl.get("supervisor", SC, params={"lat": 30.1, "lon": 120.1, "types": "school,castle"}), 400,
                 "bad_request", "types")
    assert_error(gl.get("supervisor", SC, params={"region": "no-such-code"}), 404, "not_found", "region")
    street = gl.get("admin", "/api/v1/regions", params={"level": "street"}).json()["items"][0]
    assert_error(gl.get("supervisor", SC, params={"region": street["code"]}), 400, "bad_request", "region")
    assert_error(gl.get("supervisor", f"{SC}/gaps", params={"min_share": 2}), 400, "bad_request", "min_share")
    # Far from every road: refused, saying how far.
    e = assert_error(gl.get("supervisor", SC, params={"lat": 1.0, "lon": 1.0}), 400, "bad_request", "lat")
    assert "nearest road" in e["message"], e
    # Citizens have no access (the route table's roles).
    assert_error(gl.get("citizen", f"{SC}/gaps"), 403, "forbidden", reason="role")


def test_a_register_write_is_in_the_next_circle(gl):
    """The graph follows the register: a place added is reached at once, and gone once deleted."""
    from conftest import unique
    c = next(c for c in communities(gl) if a_circle(gl, region=c["code"]).get("places"))
    o = a_circle(gl, region=c["code"])["origin"]
    near = a_circle(gl, lat=o["lat"], lon=o["lon"], minutes=15, area=0)["places"][0]
    code = unique("lib")
    r = gl.post("admin", "/api/v1/address-register/places",
                json={"code": code, "name": code + "社区书屋", "type": "library", "lat": near["lat"], "lon": near["lon"]})
    assert r.status_code == 201, r.text
    got = [p for p in a_circle(gl, lat=o["lat"], lon=o["lon"], minutes=15)["places"] if p["code"] == code]
    assert got and got[0]["distance_m"] == near["distance_m"] and got[0]["type"] == "library", got
    assert gl.delete("admin", f"/api/v1/address-register/places/{r.json()['id']}").status_code in (200, 204)
    assert not [p for p in a_circle(gl, lat=o["lat"], lon=o["lon"], minutes=15)["places"] if p["code"] == code]
