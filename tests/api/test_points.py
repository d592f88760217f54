"""
The points bank (积分银行, issue 18 item 6): rules in a table that officials change, awards an
official records, a redemption catalogue with stock, a resident's statement whose balance is the
sum of the ledger; no double spending (balance or stock) under concurrent redemptions against
the real server; every write audited; roles and bad input.
"""
import threading

import requests

from conftest import assert_error, unique

RULES = "/api/v1/points-rules"
ITEMS = "/api/v1/points-items"


def citizen_id(gl):
    return gl.get("citizen", "/api/v1/me").json()["id"]


def rule(gl, code):
    return [r for r in gl.items("citizen", RULES) if r["code"] == code][0]


def award(gl, rule_id, n=1):
    for _ in range(n):
        r = gl.post("grid_worker", "/api/v1/points/awards", json={"user_id": citizen_id(gl), "rule_id": rule_id, "note": "社区清扫"})
        assert r.status_code == 200, r.text


def item(gl, cost, stock):
    r = gl.post("supervisor", ITEMS, json={"name": unique("兑换"), "cost": cost, "stock": stock})
    assert r.status_code == 201, r.text
    return r.json()


def statement(gl):
    r = gl.get("citizen", "/api/v1/me/points")
    assert r.status_code == 200, r.text
    return r.json()


def test_award_redeem_and_the_balance_is_the_sum_of_entries(gl):
    vol = rule(gl, "volunteering")
    assert vol["name"] == "志愿服务" and vol["points"] == 20
    before = statement(gl)["balance"]
    award(gl, vol["id"], 2)
    st = statement(gl)
    assert st["balance"] == before + 40
    assert st["items"][0]["delta"] == 20 and st["items"][0]["rule"] == "志愿服务" and st["items"][0]["note"] == "社区清扫"
    it = item(gl, 15, 5)
    r = gl.post("citizen", f"{ITEMS}/{it['id']}/redeem")
    assert r.status_code == 200, r.text
    assert r.json()["delta"] == -15 and r.json()["item"] == it["name"]
    st = statement(gl)
    assert st["balance"] == before + 25
    assert [i for i in gl.items("citizen", ITEMS) if i["id"] == it["id"]][0]["stock"] == 4
    actions = [e["action"] for e in gl.get("admin", "/api/v1/audit", params={"limit": 20}).json()["items"]]
    assert "points.redeem" in actions and "points.award" in actions and "points_item.create" in actions


def test_rules_are_a_table_officials_change(gl):
    vote = rule(gl, "vote")
    r = gl.patch("supervisor", f"{RULES}/{vote['id']}", json={"points": 3})
    assert r.status_code == 200, r.text
    assert rule(gl, "vote")["points"] == 3
    assert_error(gl.patch("supervisor", f"{RULES}/{vote['id']}", json={"points": -1}), 400, field="points")
    assert_error(gl.patch("citizen", f"{RULES}/{vote['id']}", json={"points": 9}), 403)
    # An inactive rule awards nothing.
    assert gl.patch("admin", f"{RULES}/{vote['id']}", json={"points": 2, "active": False}).status_code == 200
    r = gl.post("supervisor", "/api/v1/points/awards", json={"user_id": citizen_id(gl), "rule_id": vote["id"]})
    assert_error(r, 400, field="rule_id")
    assert gl.patch("admin", f"{RULES}/{vote['id']}", json={"points": 2, "active": True}).status_code == 200


def test_bad_input_and_roles_write_nothing(gl):
    before = statement(gl)
    assert_error(gl.post("supervisor", ITEMS, json={"name": "x", "cost": 0, "stock": 1}), 400, field="cost")
    assert_error(gl.post("supervisor", ITEMS, json={"name": "x", "cost": 1, "stock": -1}), 400, field="stock")
    assert_error(gl.post("supervisor", ITEMS, json={"name": "", "cost": 1, "stock": 1}), 400, field="name")
    assert_error(gl.post("citizen", ITEMS, json={"name": "x", "cost": 1, "stock": 1}), 403)
    assert_error(gl.post("citizen", "/api/v1/points/awards", json={"user_id": citizen_id(gl), "rule_id": 1}), 403)
    assert_error(gl.post("supervisor", "/api/v1/points/awards", json={"user_id": 987654321, "rule_id": rule(gl, "vote")["id"]}),
                 400, field="user_id")
    assert_error(gl.post("citizen", f"{ITEMS}/987654321/redeem"), 404)
    # More than the balance: refused, nothing written.
    it = item(gl, 1000000, 1)
    assert_error(gl.post("citizen", f"{ITEMS}/{it['id']}/redeem"), 409, field="balance")
    assert statement(gl) == before


def _race(gl, item_id, threads):
    token = gl.login("citizen").headers["Authorization"]
    barrier = threading.Barrier(threads)
    codes = []
    lock = threading.Lock()

    def go():
        s = requests.Session()
        s.headers["Authorization"] = token
        barrier.wait()
        r = s.post(gl.url(f"{ITEMS}/{item_id}/redeem"), timeout=30)
        with lock:
            codes.append((r.status_code, r.json().get("error", {}).get("field")))

    ts = [threading.Thread(target=go) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return codes


def test_concurrent_redemptions_never_take_the_last_item_twice(gl):
    award(gl, rule(gl, "volunteering")["id"], 1)
    before = statement(gl)["balance"]
    it = item(gl, 1, 3)
    codes = _race(gl, it["id"], 12)
    assert sorted(codes).count((200, None)) == 3, codes
    assert all(c == (409, "stock") for c in codes if c[0] != 200), codes
    assert [i for i in gl.items("citizen", ITEMS) if i["id"] == it["id"]][0]["stock"] == 0
    assert statement(gl)["balance"] == before - 3


def test_concurrent_redemptions_never_overspend_the_balance(gl):
    award(gl, rule(gl, "volunteering")["id"], 3)
    st = statement(gl)
    cost = st["balance"] // 2
    it = item(gl, cost, 100)
    codes = _race(gl, it["id"], 10)
    assert codes.count((200, None)) == 2, codes
    assert all(c == (409, "balance") for c in codes if c[0] != 200), codes
    after = statement(gl)
    assert after["balance"] == st["balance"] - 2 * cost >= 0
    assert after["balance"] == sum(e["delta"] for e in after["items"])
