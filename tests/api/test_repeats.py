"""Repeat complaints (重复诉求, issue 16 item 1; docs/warning.md section 1): intake links a case to
the earlier ones of the last 30 days from the same caller, at the same place or on the same
subject in the same grid; a caller who complains a third time about what was not solved gets an
urgent case, the supervisors are told and a warning is raised, grouped per chain."""
import random

from conftest import assert_error, unique


def phone():
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def create(api, who="operator", **fields):
    body = {"title": "楼下烧烤油烟", "description": "楼下烧烤店油烟直冲楼上", "channel": "hotline", **fields}
    r = api.post(who, "/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return api.get("admin", f"/api/v1/cases/{r.json()['id']}").json()


def chain(api, case, who="supervisor"):
    r = api.get(who, f"/api/v1/cases/{case['id']}/repeats")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_the_same_caller_again_and_again(gl, demo):
    cat = next(c for c in gl.items("admin", "/api/v1/categories") if c["code"] == "070103")
    caller = {"name": "张女士", "phone": phone()}
    first = create(gl, citizen=caller, category=cat["id"], title=f"邻居装修噪音{unique()}")
    assert chain(gl, first) == []
    second = create(gl, citizen=caller, category=cat["id"], title="还是装修噪音")
    links = chain(gl, second)
    assert [(x["id"], x["reason"], x["unsolved"], x["later"]) for x in links] == [(first["id"], "caller", True, False)]
    assert second["urgency"] == first["urgency"]  # one unsolved before: not yet raised
    third = create(gl, citizen=caller, category=cat["id"], title="装修噪音第三次反映")
    assert third["urgency"] == "urgent", third
    ev = [e for e in third["timeline"] if e["action"] == "repeat"]
    assert len(ev) == 1 and "同一来电人 2 件" in ev[0]["note"] and "2 件未解决" in ev[0]["note"]
    assert "已提级为紧急" in ev[0]["note"]
    # The earliest case sees the later ones.
    later = chain(gl, first)
    assert {x["id"] for x in later if x["later"]} == {second["id"], third["id"]}
    # The supervisors heard, and a repeat warning names the case.
    assert any(third["number"] in m["message"] for m in gl.items("supervisor", "/api/v1/me/messages"))
    ws = [w for w in gl.items("supervisor", "/api/v1/warnings", params={"kind": "repeat"})
          if w["case_id"] == third["id"]]
    assert len(ws) == 1 and ws[0]["level"] in ("medium", "high") and "重复诉求" in ws[0]["title"]
    assert third["number"] in ws[0]["evidence"]
    # A fourth time joins the same warning (one chain, one warning).
    fourth = create(gl, citizen=caller, category=cat["id"], title="装修噪音第四次")
    ws = [w for w in gl.items("supervisor", "/api/v1/warnings", params={"kind": "repeat"})
          if "张女士" not in w["evidence"] and w["count"] >= 2 and fourth["number"] in w["evidence"]]
    assert len(ws) == 1, gl.items("supervisor", "/api/v1/warnings", params={"kind": "repeat"})
    # The citizen's own view does not show the internal note.
    assert_error(gl.get("citizen", f"/api/v1/cases/{third['id']}/repeats"), 403)


def test_a_caller_who_keeps_calling_is_one_warning(gl, demo):
    """Only the newest six earlier cases are linked, but the chain keeps the root of its first
    case: the eleventh call still counts in the warning the third raised, and the supervisors
    were told once, not nine times."""
    cat = next(c for c in gl.items("admin", "/api/v1/categories") if c["code"] == "070103")
    caller = {"name": "李先生", "phone": phone()}
    tag = unique()
    cases = [create(gl, citizen=caller, category=cat["id"], title=f"夜间施工噪音{tag}第{i + 1}次")
             for i in range(11)]
    earlier = [x["id"] for x in chain(gl, cases[10]) if not x["later"]]
    assert len(earlier) == 6 and cases[0]["id"] not in earlier, earlier
    ws = [w for w in gl.items("supervisor", "/api/v1/warnings", params={"kind": "repeat", "limit": 500})
          if w["case_id"] in {c["id"] for c in cases}]
    assert len(ws) == 1, [(w["case_id"], w["count"]) for w in ws]
    assert ws[0]["case_id"] == cases[2]["id"] and ws[0]["count"] == 9, ws[0]
    assert cases[10]["number"] in ws[0]["evidence"]
    told = [m for m in gl.items("supervisor", "/api/v1/me/messages", params={"limit": 100})
            if "重复诉求未解决" in m["message"] and tag in m["message"]]
    assert len(told) == 1, told


def test_the_same_place_and_the_same_subject(gl, demo):
    cat = next(c for c in gl.items("admin", "/api/v1/categories") if c["code"] == "020202")
    grid = demo["regions"][demo["gw_grid_code"]]
    box = gl.get("admin", f"/api/v1/regions/{grid['id']}").json()["boundary"]["coordinates"][0]
    lat, lon = (box[0][1] + box[2][1]) / 2, (box[0][0] + box[2][0]) / 2
    a = create(gl, citizen={"name": "王先生", "phone": phone()}, category=cat["id"], lat=lat, lon=lon,
               title=f"井盖破损{unique()}")
    b = create(gl, citizen={"name": "李先生", "phone": phone()}, category=cat["id"], lat=lat + 0.0003,
               lon=lon, title="路口井盖碎了")
    assert [(x["id"], x["reason"]) for x in chain(gl, b)] == [(a["id"], "place")]
    # Far away in the same grid, no point: the same subject.
    c = create(gl, citizen={"name": "赵先生", "phone": phone()}, category=cat["id"], region_id=grid["id"],
               title="小区井盖破损")
    reasons = {x["id"]: x["reason"] for x in chain(gl, c)}
    assert reasons.get(a["id"]) == "subject" and reasons.get(b["id"]) == "subject"
    assert c["urgency"] == b["urgency"]  # subjects alone do not raise the urgency
