"""Organisation endpoints: regions, departments, categories, the working calendar, locate, ETags."""
import json
import pytest

from conftest import assert_error, unique

REG = "/api/v1/regions"
DEP = "/api/v1/departments"
CAT = "/api/v1/categories"
CAL = "/api/v1/calendar"


def rect(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


# Far from the demo district, so new boundaries never change what locate answers there.
FAR = rect(121.50, 31.50, 121.51, 31.51)


def free_code(gl, prefix, width):
    used = {r["code"] for r in gl.items("admin", REG)}
    for n in range(10 ** width - 1, 0, -1):
        code = f"{prefix}{n:0{width}d}"
        if code not in used:
            return code
    raise AssertionError("no free region code")


def count(gl, path):
    return len(gl.items("admin", path))


# ------------------------------------------------------------------ regions

def test_region_crud(gl, demo):
    district = demo["district"]
    before = count(gl, REG)
    code = free_code(gl, "330179", 3)

    e = assert_error(gl.post("admin", REG, json={"code": "330178" + code[6:], "name": "错前缀街道", "level": "street",
                                                 "parent_id": district}), 400, "bad_request", "code")
    assert "330179" in e["message"]
    assert_error(gl.post("admin", REG, json={"code": code[:8], "name": "短码", "level": "street",
                                             "parent_id": district}), 400, "bad_request", "code")
    assert_error(gl.post("admin", REG, json={"code": code, "name": "x", "level": "borough",
                                             "parent_id": district}), 400, "bad_request", "level")
    assert_error(gl.post("admin", REG, json={"code": code, "name": "无上级", "level": "street"}), 400,
                 "bad_request", "parent_id")
    assert_error(gl.post("admin", REG, json={"code": "330179001", "name": "重复", "level": "street",
                                             "parent_id": district}), 409, "conflict", "code")
    assert count(gl, REG) == before

    r = gl.post("admin", REG, json={"code": code, "name": "测试街道", "level": "street", "parent_id": district,
                                    "boundary": FAR})
    assert r.status_code == 201, r.text
    street = r.json()
    assert street["code"] == code and street["level"] == "street" and street["parent_id"] == district
    assert street["boundary"]["type"] == "Polygon"
    assert count(gl, REG) == before + 1

    r = gl.post("admin", REG, json={"code": code + "001", "name": "测试社区", "level": "community",
                                    "parent_id": street["id"]})
    assert r.status_code == 201, r.text
    community = r.json()

    # A grid under the street (skipping the community level) is refused.
    assert_error(gl.post("admin", REG, json={"code": code + "00101", "name": "g", "level": "grid",
                                             "parent_id": street["id"]}), 400, "bad_request", "level")

    r = gl.patch("admin", f"{REG}/{street['id']}", json={"name": "改名街道"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "改名街道" and r.json()["boundary"] == street["boundary"]
    got = gl.get("admin", f"{REG}/{street['id']}").json()
    assert got["name"] == "改名街道" and got["path"].endswith("/改名街道")
    assert_error(gl.patch("admin", f"{REG}/{street['id']}", json={"code": "330179999"}), 400, "bad_request", "code")
    assert_error(gl.patch("admin", f"{REG}/{street['id']}", json={"name": ""}), 400, "bad_request", "name")

    e = assert_error(gl.delete("admin", f"{REG}/{street['id']}"), 409, "conflict")
    assert "child" in e["message"]
    assert gl.delete("admin", f"{REG}/{community['id']}").status_code == 204
    assert_error(gl.get("admin", f"{REG}/{community['id']}"), 404, "not_found")
    assert gl.delete("admin", f"{REG}/{street['id']}").status_code == 204
    assert_error(gl.delete("admin", f"{REG}/{street['id']}"), 404, "not_found")
    assert count(gl, REG) == before

    # Demo regions in use stay: the district has streets under it.
    assert_error(gl.delete("admin", f"{REG}/{district}"), 409, "conflict")


BAD_BOUNDARIES = [
    ("not an object", "POLYGON((0 0,1 0,1 1,0 0))"),
    ("a number", 7),
    ("unknown type", {"type": "Circle", "coordinates": [120.1, 30.2]}),
    ("ring not closed", {"type": "Polygon", "coordinates": [[[121.5, 31.5], [121.6, 31.5], [121.6, 31.6],
                                                            [121.5, 31.6]]]}),
    ("too few points", {"type": "Polygon", "coordinates": [[[121.5, 31.5], [121.6, 31.5], [121.5, 31.5]]]}),
    ("self-intersecting", {"type": "Polygon", "coordinates": [[[121.5, 31.5], [121.6, 31.6], [121.6, 31.5],
                                                              [121.5, 31.6], [121.5, 31.5]]]}),
    ("coordinates not numbers", {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]}),
    ("longitude out of range", rect(190.0, 31.5, 191.0, 31.6)),
]


@pytest.mark.parametrize("boundary", [b for _, b in BAD_BOUNDARIES], ids=[n for n, _ in BAD_BOUNDARIES])
def test_region_bad_boundary(gl, demo, boundary):
    before = count(gl, REG)
    code = free_code(gl, "330179", 3)
    r = gl.post("admin", REG, json={"code": code, "name": "坏边界", "level": "street", "parent_id": demo["district"],
                                    "boundary": boundary})
    assert_error(r, 400, "bad_request", "boundary")
    assert count(gl, REG) == before
    # The same check guards updates, and a refused update changes nothing.
    old = gl.get("admin", f"{REG}/{demo['street2']}").json()
    assert_error(gl.patch("admin", f"{REG}/{demo['street2']}", json={"boundary": boundary}), 400, "bad_request",
                 "boundary")
    assert gl.get("admin", f"{REG}/{demo['street2']}").json() == old


def test_region_list_filters(gl, demo):
    streets = gl.items("citizen", f"{REG}?level=street")
    assert streets and all(r["level"] == "street" for r in streets)
    assert all("id" in r and "boundary" not in r for r in streets)
    kids = gl.items("citizen", f"{REG}?parent_id={demo['street1']}")
    assert len(kids) == 4 and all(r["parent_id"] == demo["street1"] for r in kids)
    with_b = gl.items("citizen", f"{REG}?parent_id={demo['street1']}&boundary=1")
    assert all(r["boundary"]["type"] == "Polygon" for r in with_b)
    assert_error(gl.get("citizen", f"{REG}?level=planet"), 400, "bad_request", "level")
    assert_error(gl.get("citizen", f"{REG}?parent_id=abc"), 400, "bad_request", "parent_id")


def test_region_locate(gl, demo):
    r = gl.get("citizen", f"{REG}/locate?lat=30.2&lon=120.1")
    assert r.status_code == 200, r.text
    body = r.json()
    levels = [p["level"] for p in body["path"]]
    assert levels == ["district", "street", "community", "grid"]
    assert body["path"][0]["id"] == demo["district"]
    assert body["region_id"] == body["path"][-1]["id"]
    # Each step is the parent of the next.
    for parent, child in zip(body["path"], body["path"][1:]):
        assert child["parent_id"] == parent["id"] and child["code"].startswith(parent["code"])
    # The grid worker's own grid is found at a point inside it.
    grid = gl.get("admin", f"{REG}/{demo['gw_grid']}").json()
    ring = grid["boundary"]["coordinates"][0]
    lon = sum(p[0] for p in ring[:4]) / 4
    lat = sum(p[1] for p in ring[:4]) / 4
    r = gl.get("grid_worker", f"{REG}/locate?lat={lat}&lon={lon}")
    assert r.status_code == 200 and r.json()["region_id"] == demo["gw_grid"]

    assert_error(gl.get("citizen", f"{REG}/locate?lat=0&lon=0"), 404, "not_found")
    assert_error(gl.get("citizen", f"{REG}/locate?lat=39.9&lon=116.4"), 404, "not_found")
    assert_error(gl.get("citizen", f"{REG}/locate?lat=91&lon=120.1"), 400, "bad_request", "lat")
    assert_error(gl.get("citizen", f"{REG}/locate?lat=30.2"), 400, "bad_request", "lon")
    assert_error(gl.get("citizen", f"{REG}/locate?lat=abc&lon=120.1"), 400, "bad_request", "lat")
    assert_error(gl.get("citizen", f"{REG}/locate?lat=nan&lon=120.1"), 400, "bad_request", "lat")


# ------------------------------------------------------------------ departments

def test_department_crud(gl, demo):
    before = count(gl, DEP)
    code = unique("D")
    r = gl.post("admin", DEP, json={"code": code, "name": "测试局", "phone": "0571-86900999",
                                    "region_ids": [demo["street1"], demo["street2"]]})
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["code"] == code and d["active"] is True and d["parent_id"] is None
    assert sorted(d["region_ids"]) == sorted([demo["street1"], demo["street2"]])
    assert count(gl, DEP) == before + 1

    assert_error(gl.post("admin", DEP, json={"code": code, "name": "重复"}), 409, "conflict", "code")
    assert_error(gl.post("admin", DEP, json={"name": "无代码"}), 400, "bad_request", "code")
    assert_error(gl.post("admin", DEP, json={"code": unique("D"), "name": "x", "region_ids": [999999]}), 400,
                 "bad_request", "region_ids")
    assert_error(gl.post("admin", DEP, json={"code": unique("D"), "name": "x", "parent_id": 999999}), 400,
                 "bad_request", "parent_id")
    assert count(gl, DEP) == before + 1, "refused creates must leave nothing behind"

    r = gl.patch("admin", f"{DEP}/{d['id']}", json={"name": "改名局", "region_ids": [demo["street1"]]})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "改名局" and r.json()["region_ids"] == [demo["street1"]]
    assert r.json()["code"] == code and r.json()["phone"] == "0571-86900999"
    served = [x["id"] for x in gl.items("admin", f"{DEP}?region_id={demo['street1']}")]
    assert d["id"] in served

    # A category's default department cannot be deleted while the category is active.
    r = gl.post("admin", CAT, json={"code": free_cat_code(gl, ""), "name": "依赖部门的类", "level": 1,
                                    "department_id": d["id"]})
    assert r.status_code == 201, r.text
    cat = r.json()
    e = assert_error(gl.delete("admin", f"{DEP}/{d['id']}"), 409, "conflict")
    assert "categor" in e["message"]
    assert gl.get("admin", f"{DEP}/{d['id']}").json()["active"] is True
    assert gl.delete("admin", f"{CAT}/{cat['id']}").status_code == 200

    r = gl.delete("admin", f"{DEP}/{d['id']}")
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    assert d["id"] in [x["id"] for x in gl.items("admin", f"{DEP}?active=false")]
    assert d["id"] not in [x["id"] for x in gl.items("admin", f"{DEP}?active=true")]

    # Demo departments that are defaults of demo categories are protected.
    e = assert_error(gl.delete("admin", f"{DEP}/{demo['HWZ']}"), 409, "conflict")
    assert gl.get("admin", f"{DEP}/{demo['HWZ']}").json()["active"] is True


# ------------------------------------------------------------------ categories

def free_cat_code(gl, prefix):
    """An unused category code one level below 'prefix' ('01' → '01xx'); '' gives a level-1 code."""
    used = {c["code"] for c in gl.items("admin", f"{CAT}?limit=1000")}
    for n in range(98, 9, -1):
        code = f"{prefix}{n:02d}"
        if code not in used:
            return code
    raise AssertionError("no free category code")


def test_category_crud(gl, demo):
    cats = {c["code"]: c for c in gl.items("admin", f"{CAT}?limit=1000")}
    parent = cats["0101"]
    assert parent["level"] == 2
    code = free_cat_code(gl, "0101")
    total = len(cats)
    body = {"code": code, "name": "测试小类", "level": 3, "parent_id": parent["id"], "department_id": demo["HWZ"],
            "urgency": "urgent", "sla": {"sign": 1, "reply": 2, "resolve": 8, "unit": "work_hours"},
            "keywords": "测试 关键词"}
    r = gl.post("admin", CAT, json=body)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["level"] == 3 and c["parent_id"] == parent["id"] and c["urgency"] == "urgent"
    assert c["sla"] == body["sla"] and c["active"] is True
    assert gl.get("citizen", f"{CAT}/{c['id']}").json() == c
    assert_error(gl.post("admin", CAT, json=body), 409, "conflict", "code")

    # Codes must extend the parent's; levels must follow the tree.
    bad = dict(body, code="0201" + code[4:])
    assert_error(gl.post("admin", CAT, json=bad), 400, "bad_request", "code")
    assert_error(gl.post("admin", CAT, json=dict(body, code=code[:4] + "9", level=3)), 400, "bad_request", "code")
    assert_error(gl.post("admin", CAT, json=dict(body, code=free_cat_code(gl, "01"), level=2,
                                                 parent_id=c["id"])), 400, "bad_request", "level")
    assert_error(gl.post("admin", CAT, json=dict(body, urgency="whenever")), 400, "bad_request", "urgency")
    assert_error(gl.post("admin", CAT, json=dict(body, department_id=999999)), 400, "bad_request", "department_id")
    del_level = {k: v for k, v in body.items() if k != "level"}
    assert_error(gl.post("admin", CAT, json=del_level), 400, "bad_request", "level")
    assert len(gl.items("admin", f"{CAT}?limit=1000")) == total + 1

    r = gl.patch("admin", f"{CAT}/{c['id']}", json={"name": "改名小类", "urgency": "normal", "sla": None})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "改名小类" and r.json()["urgency"] == "normal" and r.json()["sla"] is None
    assert r.json()["keywords"] == "测试 关键词"
    assert_error(gl.patch("admin", f"{CAT}/{c['id']}", json={"code": "010101"}), 400, "bad_request", "code")
    assert_error(gl.patch("admin", f"{CAT}/999999", json={"name": "x"}), 404, "not_found")


SLA_CASES = [
    ({"sign": 3, "reply": 2, "resolve": 8, "unit": "work_hours"}, "sla.reply"),
    ({"sign": 1, "reply": 9, "resolve": 8, "unit": "work_hours"}, "sla.resolve"),
    ({"sign": 1, "reply": 2, "resolve": 8, "unit": "fortnights"}, "sla.unit"),
    ({"sign": 1, "reply": 2, "resolve": 8}, "sla.unit"),
    ({"reply": 2, "resolve": 8, "unit": "hours"}, "sla.sign"),
    ({"sign": -1, "reply": 2, "resolve": 8, "unit": "hours"}, "sla.sign"),
    ({"sign": 1, "reply": 2, "resolve": 8.5, "unit": "hours"}, "sla.resolve"),
    ({"sign": 1, "reply": 2, "resolve": 8, "unit": "hours", "extra": 1}, "sla.extra"),
    ("fast", "sla"),
]


@pytest.mark.parametrize("sla,field", SLA_CASES, ids=[f for _, f in SLA_CASES])
def test_category_sla_validation(gl, sla, field):
    cats = {c["code"]: c for c in gl.items("admin", f"{CAT}?limit=1000")}
    code = free_cat_code(gl, "0101")
    r = gl.post("admin", CAT, json={"code": code, "name": "坏时限", "level": 3, "parent_id": cats["0101"]["id"],
                                    "sla": sla})
    assert_error(r, 400, "bad_request", field)
    assert len(gl.items("admin", f"{CAT}?limit=1000")) == len(cats)
    # The same rules apply to an update of an existing category, which stays unchanged.
    before = gl.get("admin", f"{CAT}/{cats['010101']['id']}").json()
    assert_error(gl.patch("admin", f"{CAT}/{before['id']}", json={"sla": sla}), 400, "bad_request", field)
    assert gl.get("admin", f"{CAT}/{before['id']}").json() == before


def test_category_delete_deactivates_subtree(gl):
    top = free_cat_code(gl, "")
    r = gl.post("admin", CAT, json={"code": top, "name": "测试大类", "level": 1})
    assert r.status_code == 201, r.text
    l1 = r.json()
    l2 = gl.post("admin", CAT, json={"code": top + "01", "name": "中类", "level": 2, "parent_id": l1["id"]}).json()
    l3 = gl.post("admin", CAT, json={"code": top + "0101", "name": "小类", "level": 3, "parent_id": l2["id"]}).json()
    other = gl.post("admin", CAT, json={"code": top + "02", "name": "另一中类", "level": 2, "parent_id": l1["id"]})
    assert other.status_code == 201, other.text
    assert [x["id"] for x in gl.items("citizen", f"{CAT}?parent_id={l1['id']}")] == [l2["id"], other.json()["id"]]

    r = gl.delete("admin", f"{CAT}/{l2['id']}")
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    assert gl.get("admin", f"{CAT}/{l3['id']}").json()["active"] is False
    assert gl.get("admin", f"{CAT}/{other.json()['id']}").json()["active"] is True
    assert gl.get("admin", f"{CAT}/{l1['id']}").json()["active"] is True
    active = {c["id"] for c in gl.items("citizen", f"{CAT}?active=true&limit=1000")}
    assert l2["id"] not in active and l3["id"] not in active and l1["id"] in active
    # A child cannot be reactivated under an inactive parent.
    assert_error(gl.patch("admin", f"{CAT}/{l3['id']}", json={"active": True}), 400, "bad_request", "active")
    assert gl.delete("admin", f"{CAT}/{l1['id']}").status_code == 200
    assert gl.get("admin", f"{CAT}/{other.json()['id']}").json()["active"] is False


def test_category_list_paging(gl):
    full = gl.get("citizen", f"{CAT}?limit=1000").json()
    page = gl.get("citizen", f"{CAT}?limit=5&offset=3").json()
    assert page["items"] == full["items"][3:8] and page["total"] == full["total"]
    assert all(c["level"] == 1 for c in gl.items("citizen", f"{CAT}?level=1"))
    assert_error(gl.get("citizen", f"{CAT}?limit=0"), 400, "bad_request", "limit")
    assert_error(gl.get("citizen", f"{CAT}?level=4"), 400, "bad_request", "level")
    assert_error(gl.get("citizen", f"{CAT}?active=maybe"), 400, "bad_request", "active")


# ------------------------------------------------------------------ calendar

def add(gl, start, amount, unit="work_hours"):
    r = gl.get("dispatcher", f"{CAL}/add?from={start.replace('+', '%2B')}&amount={amount}&unit={unit}")
    assert r.status_code == 200, r.text
    return r.json()["result"]


def test_calendar_settings(gl):
    cur = gl.get("operator", CAL).json()
    assert cur["workdays"] == [1, 2, 3, 4, 5] and cur["utc_offset_min"] == 480
    assert cur["periods"] == "09:00-12:00,13:30-17:30"
    start = "2026-12-21T16:00:00+08:00"  # a Monday
    assert add(gl, start, 2) == "2026-12-22T01:30:00Z"
    try:
        r = gl.put("admin", CAL, json={"periods": "08:00-12:00,13:00-17:00", "workdays": [1, 2, 3, 4, 5, 6]})
        assert r.status_code == 200, r.text
        assert r.json()["periods"] == "08:00-12:00,13:00-17:00" and r.json()["workdays"] == [1, 2, 3, 4, 5, 6]
        assert gl.get("operator", CAL).json()["periods"] == "08:00-12:00,13:00-17:00"
        # 16:00 + 2 working hours = 17:00 today (1 h) + 1 h from 08:00 tomorrow.
        assert add(gl, start, 2) == "2026-12-22T01:00:00Z"
        # Saturday is now a working day: Friday 16:30 + 1 h ends Saturday 08:30.
        assert add(gl, "2026-12-25T16:30:00+08:00", 1) == "2026-12-26T00:30:00Z"

        for bad, field in ((({"periods": "12:00-09:00"}), "periods"), ({"periods": "9-5"}, "periods"),
                           ({"workdays": [7]}, "workdays"), ({"workdays": []}, "workdays"),
                           ({"utc_offset_min": 900}, "utc_offset_min"), ({"timezone": "UTC"}, "timezone")):
            assert_error(gl.put("admin", CAL, json=bad), 400, "bad_request", field)
        assert gl.get("operator", CAL).json()["periods"] == "08:00-12:00,13:00-17:00"
    finally:
        r = gl.put("admin", CAL, json={"periods": cur["periods"], "workdays": cur["workdays"]})
        assert r.status_code == 200, r.text
    assert add(gl, start, 2) == "2026-12-22T01:30:00Z"


def test_calendar_holiday_moves_deadline(gl):
    day = "2026-12-24"  # a Thursday without an override in the demo calendar
    start = "2026-12-23T16:00:00+08:00"
    assert add(gl, start, 2) == "2026-12-24T01:30:00Z"
    assert add(gl, start, 1, "work_days").startswith("2026-12-24")
    r = gl.put("admin", f"{CAL}/days/{day}", json={"kind": "holiday", "name": "测试假日"})
    assert r.status_code == 200, r.text
    assert r.json() == {"day": day, "kind": "holiday", "name": "测试假日"}
    try:
        days = gl.get("admin", f"{CAL}?from=2026-12-01&to=2026-12-31").json()["days"]
        assert {"day": day, "kind": "holiday", "name": "测试假日"} in days
        assert add(gl, start, 2) == "2026-12-25T01:30:00Z"
        # Plain hours ignore the calendar.
        assert add(gl, start, 2, "hours") == "2026-12-23T10:00:00Z"
    finally:
        assert gl.delete("admin", f"{CAL}/days/{day}").status_code == 204
    assert add(gl, start, 2) == "2026-12-24T01:30:00Z"
    assert_error(gl.delete("admin", f"{CAL}/days/{day}"), 404, "not_found")
    assert day not in [d["day"] for d in gl.get("admin", f"{CAL}?from=2026-12-01&to=2026-12-31").json()["days"]]

    # A workday override on a Saturday makes it count.
    sat = "2026-12-26"
    assert gl.put("admin", f"{CAL}/days/{sat}", json={"kind": "workday"}).status_code == 200
    try:
        assert add(gl, "2026-12-25T17:30:00+08:00", 1) == "2026-12-26T02:00:00Z"
    finally:
        assert gl.delete("admin", f"{CAL}/days/{sat}").status_code == 204

    assert_error(gl.put("admin", f"{CAL}/days/2026-13-01", json={"kind": "holiday"}), 400, "bad_request")
    assert_error(gl.put("admin", f"{CAL}/days/{day}", json={"kind": "vacation"}), 400, "bad_request", "kind")
    assert_error(gl.get("admin", f"{CAL}?from=2026-1-1"), 400, "bad_request", "from")


def test_calendar_add_bad_params(gl):
    base = f"{CAL}/add?from=2026-12-23T16:00:00%2B08:00"
    assert_error(gl.get("admin", f"{CAL}/add?amount=1&unit=hours"), 400, "bad_request", "from")
    assert_error(gl.get("admin", f"{CAL}/add?from=yesterday&amount=1&unit=hours"), 400, "bad_request", "from")
    assert_error(gl.get("admin", f"{base}&unit=hours"), 400, "bad_request", "amount")
    assert_error(gl.get("admin", f"{base}&amount=-1&unit=hours"), 400, "bad_request", "amount")
    assert_error(gl.get("admin", f"{base}&amount=x&unit=hours"), 400, "bad_request", "amount")
    assert_error(gl.get("admin", f"{base}&amount=1"), 400, "bad_request", "unit")
    assert_error(gl.get("admin", f"{base}&amount=1&unit=weeks"), 400, "bad_request", "unit")


# ------------------------------------------------------------------ lists and ETags

@pytest.mark.parametrize("path", [f"{REG}?level=street", f"{DEP}", f"{CAT}?level=1"])
def test_list_shape_and_etag(gl, demo, path):
    r = gl.get("admin", path)
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body["items"], list) and body["items"]
    assert all(isinstance(x["id"], int) for x in body["items"])
    etag = r.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = gl.get("admin", path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    # Another user gets the same cached body and ETag (lists do not depend on who asks).
    other = gl.get("data_officer", path, headers={"If-None-Match": etag})
    assert other.status_code == 304

    # Any organisation write changes the ETag.
    code = unique("E")
    d = gl.post("admin", DEP, json={"code": code, "name": "ETag 测试"})
    assert d.status_code == 201, d.text
    r2 = gl.get("admin", path, headers={"If-None-Match": etag})
    assert r2.status_code == 200 and r2.headers["ETag"] != etag
    assert gl.get("admin", path, headers={"If-None-Match": r2.headers["ETag"]}).status_code == 304
    if path == DEP:
        assert code in [x["code"] for x in r2.json()["items"]]
    assert gl.delete("admin", f"{DEP}/{d.json()['id']}").status_code == 200


def test_large_lists_are_gzipped_when_accepted(gl):
    import gzip
    import http.client
    from urllib.parse import urlparse

    u = urlparse(gl.url("/api/v1/categories"))
    auth = gl.login("admin").headers["Authorization"]
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", u.path, headers={"Authorization": auth, "Accept-Encoding": "gzip"})
    r = conn.getresponse()
    raw = r.read()
    assert r.status == 200
    assert r.getheader("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in r.getheader("Vary")
    plain = json.loads(gzip.decompress(raw))
    assert plain["total"] == len(plain["items"]) > 100
    etag_gz = r.getheader("ETag")
    conn.request("GET", u.path, headers={"Authorization": auth})
    r2 = conn.getresponse()
    body2 = r2.read()
    assert r2.getheader("Content-Encoding") is None
    assert json.loads(body2) == plain
    assert r2.getheader("ETag") != etag_gz, "encodings must not share an ETag"
    assert len(raw) < len(body2) / 3
