"""
The policy calculator and 免申即享 (issue 18 item 4): declarative rules checked on save (unknown
fields, wrong types, depth and size limits), the calculator's explanation of what is missing
("再满足：企业成立满 1 年"), 试算 for officials, offers recorded for the newly eligible when a
policy is published and when a profile changes (once each, audited, queued as notifications),
and who may do what.
"""
import datetime

from conftest import assert_error, unique

POL = "/api/v1/policies"
CALC = "/api/v1/policy-calculator"


def beijing_today():
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()


def days_ago(n):
    return (beijing_today() - datetime.timedelta(days=n)).isoformat()


def years_ago(n):
    t = beijing_today()
    return t.replace(year=t.year - n, day=min(t.day, 28)).isoformat()


FIRM_RULE = {"all": [
    {"field": "years_registered", "op": ">=", "value": 1},
    {"field": "employees", "op": ">=", "value": 10},
    {"field": "size", "op": "<=", "value": "small"},
]}


def create(gl, rule, subject="person", amount=200, period="month", who="admin"):
    r = gl.post(who, POL, json={"name": unique("政策"), "summary": "测试政策", "subject": subject,
                                "rule": rule, "amount": amount, "period": period})
    assert r.status_code == 201, r.text
    return r.json()


def publish(gl, pid):
    r = gl.post("supervisor", f"{POL}/{pid}/publish")
    assert r.status_code == 200, r.text
    return r.json()


def offers(gl):
    r = gl.get("citizen", "/api/v1/me/policy-offers")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_calculator_says_what_is_missing(gl):
    p = create(gl, FIRM_RULE, subject="firm", amount=50000, period="once")
    assert p["status"] == "draft"
    assert p["rule_text"] == "同时满足（企业成立满 1 年；从业人数不少于 10 人；企业规模不超过小型企业）"
    publish(gl, p["id"])
    young = {"name": "某科技公司", "registered_on": days_ago(200), "employees": 20, "size": "micro",
             "industry": "软件和信息技术服务业"}
    r = gl.post("citizen", CALC, json={"subject": "firm", "profile": young})
    assert r.status_code == 200, r.text
    mine = [i for i in r.json()["items"] if i["policy_id"] == p["id"]][0]
    assert mine["qualifies"] is False
    assert mine["missing"] == ["企业成立满 1 年"]
    assert "从业人数不少于 10 人" in mine["met"]
    old = dict(young, registered_on=days_ago(800))
    mine = [i for i in gl.post("citizen", CALC, json={"subject": "firm", "profile": old}).json()["items"]
            if i["policy_id"] == p["id"]][0]
    assert mine["qualifies"] is True and mine["missing"] == [] and mine["amount"] == 50000
    # A firm too big and too young misses both, each said on its own.
    big = dict(young, size="medium")
    mine = [i for i in gl.post("citizen", CALC, json={"subject": "firm", "profile": big}).json()["items"]
            if i["policy_id"] == p["id"]][0]
    assert mine["missing"] == ["企业成立满 1 年", "企业规模不超过小型企业"]


def test_any_and_not_are_explained_as_a_whole(gl, demo):
    rule = {"all": [
        {"field": "hukou_region", "op": "in", "value": "330179"},
        {"any": [{"field": "disability", "op": ">", "value": 0}, {"field": "age", "op": ">=", "value": 80}]},
        {"not": {"field": "income_band", "op": ">", "value": 3}},
    ]}
    profile = {"birth_date": years_ago(40), "hukou_region_id": demo["street1"], "income_band": 5}
    r = gl.post("supervisor", f"{POL}/trial", json={"subject": "person", "rule": rule, "profile": profile})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["qualifies"] is False
    street = demo["regions"]["330179"]["name"]
    assert body["met"] == [f"户籍在{street}"]
    assert body["missing"] == ["满足其一（持有残疾人证；年满 80 周岁）", "不满足（家庭收入档次大于 3 档）"]
    profile.update(disability=2, income_band=2)
    body = gl.post("supervisor", f"{POL}/trial", json={"subject": "person", "rule": rule, "profile": profile}).json()
    assert body["qualifies"] is True and body["missing"] == []


def test_publish_and_profile_change_offer_the_newly_eligible_once(gl, demo):
    me = {"name": "张三", "birth_date": years_ago(70), "hukou_region_id": demo["street1"], "children": 0}
    r = gl.put("citizen", "/api/v1/me/policy-profiles/person", json=me)
    assert r.status_code in (200, 201), r.text
    assert r.json()["hukou_region_id"] == demo["street1"] and r.json()["birth_date"] == me["birth_date"]
    elder = create(gl, {"all": [{"field": "age", "op": ">=", "value": 60},
                                {"field": "hukou_region", "op": "in", "value": "330179"}]}, amount=200)
    assert not [o for o in offers(gl) if o["policy_id"] == elder["id"]]  # a draft offers nothing
    publish(gl, elder["id"])
    mine = [o for o in offers(gl) if o["policy_id"] == elder["id"]]
    assert len(mine) == 1 and mine[0]["amount"] == 200 and mine[0]["period"] == "month"
    assert mine[0]["notification_id"]
    msgs = gl.get("citizen", "/api/v1/me/messages", params={"limit": 50}).json()["items"]
    assert any(elder["name"] in m["message"] and "免申即享" in m["message"] for m in msgs)
    audit = gl.get("admin", "/api/v1/audit", params={"limit": 30}).json()["items"]
    actions = [e["action"] for e in audit]
    assert "policy.publish" in actions and "policy_offer.create" in actions
    assert_error(gl.post("supervisor", f"{POL}/{elder['id']}/publish"), 409, field="status")
    # Saving the profile again offers nothing twice.
    assert gl.put("citizen", "/api/v1/me/policy-profiles/person", json=me).status_code == 200
    assert len([o for o in offers(gl) if o["policy_id"] == elder["id"]]) == 1
    # A family policy the citizen does not meet yet: nothing on publish, an offer once the
    # profile says two children.
    family = create(gl, {"field": "children", "op": ">=", "value": 2}, amount=1000, period="year")
    publish(gl, family["id"])
    assert not [o for o in offers(gl) if o["policy_id"] == family["id"]]
    r = gl.put("citizen", "/api/v1/me/policy-profiles/person", json=dict(me, children=2))
    assert r.status_code == 200, r.text
    assert len([o for o in offers(gl) if o["policy_id"] == family["id"]]) == 1
    # The saved profile is what the calculator uses when none is entered.
    items = gl.post("citizen", CALC, json={"subject": "person"}).json()["items"]
    assert [i for i in items if i["policy_id"] == family["id"]][0]["qualifies"] is True


def test_bad_rules_are_refused_and_write_nothing(gl):
    before = len(gl.items("admin", POL))
    bad = [
        ({"field": "salary", "op": ">", "value": 1}, "salary"),
        ({"field": "employees", "op": ">", "value": 1}, "employees"),          # a firm's field
        ({"field": "age", "op": "in", "value": 60}, "in"),
        ({"field": "age", "op": ">=", "value": "sixty"}, "whole number"),
        ({"field": "age", "op": ">=", "value": 60.5}, "whole number"),
        ({"field": "age", "op": ">=", "value": 60, "extra": 1}, "extra"),
        ({"all": []}, "empty"),
        ({"all": [{"field": "age", "op": ">=", "value": 1}], "any": []}, "only member"),
        ({"field": "hukou_region", "op": "in", "value": "999999"}, "999999"),
        ({"any": [{"field": "age", "op": ">=", "value": 1}] * 64}, "too many"),
    ]
    deep = {"field": "age", "op": ">=", "value": 1}
    for _ in range(7):
        deep = {"not": deep}
    bad.append((deep, "deep"))
    for rule, word in bad:
        r = gl.post("admin", POL, json={"name": "坏规则", "subject": "person", "rule": rule,
                                        "amount": 1, "period": "once"})
        assert_error(r, 400, field="rule")
        assert word in r.json()["error"]["message"], (rule, r.text)
    assert_error(gl.post("admin", POL, json={"name": "x", "subject": "robot", "rule": FIRM_RULE,
                                             "amount": 1, "period": "once"}), 400, field="subject")
    assert_error(gl.post("admin", POL, json={"name": "x", "subject": "firm", "rule": FIRM_RULE,
                                             "amount": 1, "period": "daily"}), 400, field="period")
    assert_error(gl.post("admin", POL, json={"name": "x", "subject": "firm", "rule": FIRM_RULE,
                                             "amount": -1, "period": "once"}), 400, field="amount")
    assert len(gl.items("admin", POL)) == before
    # Bad profiles name their field.
    assert_error(gl.post("citizen", CALC, json={"subject": "person", "profile": {"birth_date": "昨天"}}),
                 400, field="birth_date")
    assert_error(gl.post("citizen", CALC, json={"subject": "person", "profile": {"hukou_region_id": 99999999}}),
                 400, field="hukou_region_id")
    assert_error(gl.post("citizen", CALC, json={"subject": "firm", "profile": {"size": "huge"}}),
                 400, field="size")
    assert_error(gl.put("citizen", "/api/v1/me/policy-profiles/person", json={"children": -1}),
                 400, field="children")


def test_roles_and_drafts(gl):
    assert_error(gl.post("citizen", POL, json={"name": "x", "subject": "firm", "rule": FIRM_RULE,
                                               "amount": 1, "period": "once"}), 403)
    assert_error(gl.post("citizen", f"{POL}/trial", json={"subject": "firm", "rule": FIRM_RULE,
                                                          "profile": {}}), 403)
    draft = create(gl, FIRM_RULE, subject="firm")
    assert_error(gl.post("grid_worker", f"{POL}/{draft['id']}/publish"), 403)
    assert_error(gl.get("citizen", f"{POL}/{draft['id']}"), 404)
    assert draft["id"] not in [p["id"] for p in gl.items("citizen", POL)]
    assert draft["id"] in [p["id"] for p in gl.items("supervisor", POL)]
    assert_error(gl.get("supervisor", "/api/v1/me/policy-offers"), 403)
    # An edit is audited with its before and after; the stored rule is the canonical form.
    r = gl.put("admin", f"{POL}/{draft['id']}", json={"name": draft["name"], "subject": "firm",
               "rule": {"field": "tax", "op": ">=", "value": 100000}, "amount": 3, "period": "year"})
    assert r.status_code == 200, r.text
    assert r.json()["rule"] == {"field": "tax", "op": ">=", "value": 100000}
    assert r.json()["rule_text"] == "上年纳税额不少于 100000 元"
