"""
Finding any case (issue 13): GET /api/v1/cases?q= finds a case by its number, by the citizen's
full phone number (through the keyed hash, however the number is written), by the citizen's
name, by the address and by text; every answer carries `total`, the count of all matches, on
every page; 诉求类型 (kind) is given at intake, answered and filtered on.
"""
import random

import pytest

from conftest import assert_error, unique

LIST = "/api/v1/cases"


def create(gl, who="operator", **fields):
    body = {"title": fields.pop("title", "查找测试"), "description": fields.pop("description", "描述"),
            "channel": fields.pop("channel", "hotline" if who != "citizen" else "web")}
    body.update(fields)
    r = gl.post(who, LIST, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def find(gl, who, **params):
    r = gl.get(who, LIST, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "total", "total_capped", "next_cursor"}, body
    return body


def han(n):
    """n random Han characters from a rare block, so that no other test's text holds them."""
    return "".join(chr(random.randint(0x9a00, 0x9fa0)) for _ in range(n))


def a_phone():
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def test_by_number(gl):
    c = create(gl)
    body = find(gl, "operator", q=c["number"])
    assert [i["id"] for i in body["items"]] == [c["id"]] and body["total"] == 1
    # The 14 digits without the dash are the same number.
    assert [i["id"] for i in find(gl, "operator", q=c["number"].replace("-", ""))["items"]] == [c["id"]]
    # A number that does not exist finds nothing (and is no error).
    assert find(gl, "operator", q="19990101-000001")["total"] == 0


def test_by_phone_however_written(gl):
    phone = a_phone()
    older = create(gl, citizen={"name": "甲", "phone": phone})
    newer = create(gl, citizen={"name": "甲", "phone": f"{phone[:3]} {phone[3:7]} {phone[7:]}"})
    other = create(gl, citizen={"name": "乙", "phone": a_phone()})
    for typed in (phone, f"{phone[:3]}-{phone[3:7]}-{phone[7:]}", f"+86 {phone}", f"(+86) {phone}"):
        body = find(gl, "operator", q=typed)
        assert [i["id"] for i in body["items"]] == [newer["id"], older["id"]], typed
        assert body["total"] == 2
    assert other["id"] not in [i["id"] for i in find(gl, "operator", q=phone)["items"]]
    # The number is never in the answer, only its mask.
    r = gl.get("operator", LIST, params={"q": phone})
    assert phone not in r.text


def test_phone_search_keeps_the_scope(gl):
    """A citizen searching someone else's number sees none of their cases."""
    phone = a_phone()
    create(gl, citizen={"name": "丙", "phone": phone})
    assert find(gl, "citizen", q=phone)["total"] == 0
    assert find(gl, "operator", q=phone)["total"] == 1


def test_by_name_and_address(gl):
    name, street = han(3), han(5) + "路12号"
    by_name = create(gl, citizen={"name": name, "phone": a_phone()})
    at = create(gl, address=f"柳湾街道{street}")
    assert [i["id"] for i in find(gl, "operator", q=name)["items"]] == [by_name["id"]]
    assert [i["id"] for i in find(gl, "operator", q=street)["items"]] == [at["id"]]
    # A short piece of the address (1-2 characters are read from the table, not the index).
    assert at["id"] in [i["id"] for i in find(gl, "operator", q=street[:2], limit=200)["items"]]
    # A name is matched whole: its first two characters are not that citizen.
    assert by_name["id"] not in [i["id"] for i in find(gl, "operator", q=name[:2], limit=200)["items"]]


def test_by_text(gl):
    word = han(4)
    c = create(gl, description=f"楼下{word}噪音很大")
    assert [i["id"] for i in find(gl, "operator", q=word)["items"]] == [c["id"]]


def test_total_counts_every_page(gl):
    t = unique("F")
    made = [create(gl, title=f"查找{t} {i}")["id"] for i in range(5)]
    first = find(gl, "operator", q=t, limit=2)
    assert first["total"] == 5 and len(first["items"]) == 2
    seen, cursor = [i["id"] for i in first["items"]], first["next_cursor"]
    while cursor:
        page = find(gl, "operator", q=t, limit=2, cursor=cursor)
        assert page["total"] == 5
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == sorted(made, reverse=True)
    # Filters narrow the total too.
    assert find(gl, "operator", q=t, state="closed")["total"] == 0


def test_kind(gl):
    t = unique("K")
    consult = create(gl, title=f"咨询{t}", kind="consult")
    plain = create(gl, title=f"默认{t}")
    assert consult["kind"] == "consult" and plain["kind"] == "complaint"
    assert [i["id"] for i in find(gl, "operator", q=t, kind="consult")["items"]] == [consult["id"]]
    assert find(gl, "operator", q=t, kind="consult,complaint")["total"] == 2
    assert_error(gl.get("operator", LIST, params={"kind": "gossip"}), 400, "bad_request", "kind")
    r = gl.post("operator", LIST, json={"title": "x", "description": "y", "channel": "hotline", "kind": "gossip"})
    assert_error(r, 400, "bad_request", "kind")
    # The kind is on the timeline's creation event, for the audit.
    timeline = gl.get("operator", f"{LIST}/{consult['id']}").json()["timeline"]
    assert timeline[0]["action"] == "create" and timeline[0]["payload"]["kind"] == "consult"


@pytest.mark.parametrize("path", ["/api/v1/case-actions"])
def test_other_lists_carry_total(gl, path):
    body = gl.get("operator", path).json()
    assert body["total"] == len(body["items"])


def test_saved_filters_are_the_users_own(gl):
    name = unique("我的超期")
    query = {"state": "processing,dispatched", "overdue": "true", "q": "噪音"}
    r = gl.post("dispatcher", "/api/v1/me/filters", json={"name": name, "query": query})
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["name"] == name and saved["query"] == query
    # Saving under the same name replaces it (same id).
    r = gl.post("dispatcher", "/api/v1/me/filters", json={"name": name, "query": {"kind": "consult"}})
    assert r.json()["id"] == saved["id"] and r.json()["query"] == {"kind": "consult"}
    mine = gl.get("dispatcher", "/api/v1/me/filters").json()
    assert set(mine) == {"items", "total", "next_cursor"}
    assert [f["id"] for f in mine["items"] if f["name"] == name] == [saved["id"]]
    # Another user neither sees nor deletes it.
    assert saved["id"] not in [f["id"] for f in gl.get("operator", "/api/v1/me/filters").json()["items"]]
    assert gl.delete("operator", f"/api/v1/me/filters/{saved['id']}").status_code == 404
    # Bad input names the field; an unknown list parameter is refused.
    assert_error(gl.post("dispatcher", "/api/v1/me/filters", json={"name": "", "query": {}}), 400, "bad_request", "name")
    assert_error(gl.post("dispatcher", "/api/v1/me/filters", json={"name": "x", "query": {"evil": "1"}}), 400,
                 "bad_request", "query.evil")
    assert_error(gl.post("dispatcher", "/api/v1/me/filters", json={"name": "x", "query": {"state": 3}}), 400,
                 "bad_request", "query.state")
    assert gl.delete("dispatcher", f"/api/v1/me/filters/{saved['id']}").status_code == 204
    assert saved["id"] not in [f["id"] for f in gl.get("dispatcher", "/api/v1/me/filters").json()["items"]]
    # Both writes are audited.
    actions = [e["action"] for e in gl.get("admin", "/api/v1/audit", params={"limit": 20}).json()["items"]]
    assert "filter.save" in actions and "filter.delete" in actions
