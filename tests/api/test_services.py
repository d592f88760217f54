"""
The service catalogue, 一件事 bundles and 秒批 (issue 18 item 3, docs/services.md): the demo's
出生一件事 bundle collects its items' fields once and fans out one task per item to its
department; each department accepts and approves (or refuses with a reason) only its own tasks;
the last decision settles the application and tells the applicant; an item whose rule passes on
the applicant's profile is approved at once and says which data decided it; bad input names the
field; every step is audited.
"""
import datetime

import pytest

from conftest import PASSWORD, assert_error, unique

ITEMS = "/api/v1/service-items"
BUNDLES = "/api/v1/service-bundles"
APPLY = "/api/v1/me/service-applications"
TASKS = "/api/v1/service-tasks"

NEWBORN_FORM = {"child_name": "王小宝", "child_birth_date": "2026-11-20", "child_sex": "男",
                "mother_name": "李芳", "father_name": "王强", "birth_hospital": "澜溪区妇幼保健院",
                "household_address": "青石街道青石社区 1 幢 101 室", "mailing_address": "青石社区 1 幢 101 室"}


def beijing_today():
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()


def years_ago(n):
    t = beijing_today()
    return t.replace(year=t.year - n, day=min(t.day, 28)).isoformat()


@pytest.fixture(scope="module")
def newborn(gl):
    bundles = gl.items("citizen", BUNDLES)
    return [b for b in bundles if b["name"] == "出生一件事"][0]


@pytest.fixture(scope="module")
def handlers(gl, demo):
    """One handler per department of the bundle, plus the demo's handler_cgj (of none of them)."""
    names = {}
    for code in ("WJJ", "GAJ", "YBJ", "RSJ", "MZJ"):
        name = unique("svc_" + code.lower())
        r = gl.post("admin", "/api/v1/users", json={"name": name, "password": PASSWORD, "roles": ["handler"],
                                                    "departments": [demo["depts"][code]["id"]]})
        assert r.status_code == 201, r.text
        names[demo["depts"][code]["id"]] = name
    return names


def fresh_citizen(gl, phone=None):
    name = unique("svc_citizen")
    body = {"name": name, "password": PASSWORD, "roles": ["citizen"]}
    if phone:
        body["phone"] = phone
    r = gl.post("admin", "/api/v1/users", json=body)
    assert r.status_code == 201, r.text
    return name


def set_profile(gl, who, demo, region="street1", born=years_ago(35)):
    r = gl.put(who, "/api/v1/me/policy-profiles/person",
               json={"name": "申请人", "birth_date": born, "hukou_region_id": demo[region]})
    assert r.status_code in (200, 201), r.text


def step(gl, who, task, action, note=None, status=200):
    body = {"version": task["version"]}
    if note is not None:
        body["note"] = note
    r = gl.post(who, f"{TASKS}/{task['id']}/{action}", json=body)
    assert r.status_code == status, r.text
    return r.json()


def test_catalogue_newborn_bundle(gl, newborn, demo):
    names = [i["name"] for i in newborn["items"]]
    assert names == ["出生医学证明", "户口登记（出生登记）", "城乡居民医保参保（新生儿）", "社会保障卡申领",
                     "预防接种证办理"]
    depts = {i["department"] for i in newborn["items"]}
    assert depts == {"区卫生健康局", "区公安分局", "区医疗保障局", "区人力资源和社会保障局"}
    # The shared fields come once each, in the order the items first ask them.
    keys = [f["key"] for f in newborn["fields"]]
    assert keys == ["child_name", "child_birth_date", "child_sex", "mother_name", "father_name",
                    "birth_hospital", "household_address", "mailing_address"]
    insurance = newborn["items"][2]
    assert insurance["instant"] is True and insurance["rule_text"] == "户籍在澜溪区"
    assert newborn["items"][0]["instant"] is False and newborn["items"][0]["rule"] is None
    assert newborn["items"][4]["mode"] == "counter" and newborn["items"][0]["time_limit_days"] == 5


def test_bundle_fans_out_and_completes(gl, newborn, handlers, demo):
    citizen = fresh_citizen(gl, phone="13700001234")
    set_profile(gl, citizen, demo)
    r = gl.post(citizen, APPLY, json={"bundle_id": newborn["id"], "form": NEWBORN_FORM})
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["kind"] == "bundle" and app["name"] == "出生一件事" and app["state"] == "open"
    assert app["form"] == NEWBORN_FORM
    tasks = app["tasks"]
    assert [t["item"] for t in tasks] == [i["name"] for i in newborn["items"]]
    # 医保参保 is 秒批: the household registration decided it, and the basis says so.
    auto = [t for t in tasks if t["auto_approved"]]
    assert len(auto) == 1 and auto[0]["item"] == "城乡居民医保参保（新生儿）"
    assert auto[0]["state"] == "approved"
    assert auto[0]["basis"] == "核验通过：户籍在澜溪区（户籍：青石街道）"
    assert app["tasks_done"] == 1
    manual = [t for t in tasks if not t["auto_approved"]]
    assert {t["state"] for t in manual} == {"issued"}
    # The list's state filter: the 秒批 task among the approved, not among the open ones.
    approved = gl.items("admin", TASKS, params={"state": "approved"})
    assert auto[0]["id"] in [x["id"] for x in approved] and {x["state"] for x in approved} == {"approved"}
    assert auto[0]["id"] not in [x["id"] for x in gl.items("admin", TASKS, params={"state": "issued,accepted"})]
    # Each department sees its own tasks only.
    cgj = gl.items("handler_cgj", TASKS)
    assert not [t for t in cgj if t["application_id"] == app["id"]]
    assert_error(gl.get("handler_cgj", f"/api/v1/service-applications/{app['id']}"), 404)
    e = assert_error(gl.post("handler_cgj", f"{TASKS}/{manual[0]['id']}/accept",
                             json={"version": manual[0]["version"]}), 403, reason="scope")
    assert "not your department" in e["message"]
    for t in manual:
        who = handlers[t["department_id"]]
        mine = gl.items(who, TASKS, params={"state": "issued,accepted"})
        assert t["id"] in [m["id"] for m in mine]
        assert all(m["department_id"] == t["department_id"] for m in mine)
        # The department reads the shared form through the application.
        got = gl.get(who, f"/api/v1/service-applications/{app['id']}")
        assert got.status_code == 200 and got.json()["form"]["child_name"] == "王小宝"
        # ... but only the fields its own items ask for.
        asked = {f["key"] for i in newborn["items"] if i["department_id"] == t["department_id"] for f in i["fields"]}
        assert set(got.json()["form"]) == asked
        after = step(gl, who, t, "accept")
        t2 = [x for x in after["tasks"] if x["id"] == t["id"]][0]
        assert t2["state"] == "accepted"
        assert after["state"] == "open"
        # A stale version is refused naming it.
        assert_error(gl.post(who, f"{TASKS}/{t['id']}/approve", json={"version": t["version"]}), 409,
                     field="version")
        after = step(gl, who, t2, "approve", note="已办结")
    assert after["state"] == "approved" and after["finished_at"]
    assert after["tasks_done"] == 5
    mine = gl.items(citizen, APPLY)
    assert mine[0]["id"] == app["id"] and mine[0]["state"] == "approved"
    msgs = gl.get(citizen, "/api/v1/me/messages", params={"limit": 20}).json()["items"]
    assert any("出生一件事" in m["message"] and "全部办结" in m["message"] for m in msgs)
    # ... and by SMS, to the account's phone (the template 'service').
    texts = gl.items("admin", "/api/v1/sms-messages", params={"limit": 50})
    mine = [m for m in texts if m["phone"] == "137****1234"]
    assert len(mine) == 1 and mine[0]["text"] == "【12345】您申请的「出生一件事」已全部办结", mine
    # A decided task takes no further step.
    done = [x for x in after["tasks"] if x["id"] == manual[0]["id"]][0]
    assert_error(gl.post(handlers[done["department_id"]], f"{TASKS}/{done['id']}/refuse",
                         json={"version": done["version"], "note": "晚了"}), 409, field="state")
    audit = gl.get("admin", "/api/v1/audit", params={"limit": 60}).json()["items"]
    actions = {e["action"] for e in audit}
    assert {"service_application.create", "service_task.auto_approve",
            "service_application.task_accept", "service_application.task_approve"} <= actions


def test_refusal_tells_which_and_why(gl, newborn, handlers, demo):
    citizen = fresh_citizen(gl)
    set_profile(gl, citizen, demo)
    app = gl.post(citizen, APPLY, json={"bundle_id": newborn["id"], "form": NEWBORN_FORM}).json()
    manual = [t for t in app["tasks"] if not t["auto_approved"]]
    # A refusal needs its reason.
    assert_error(gl.post(handlers[manual[1]["department_id"]], f"{TASKS}/{manual[1]['id']}/refuse",
                         json={"version": manual[1]["version"]}), 400, field="note")
    after = step(gl, handlers[manual[1]["department_id"]], manual[1], "refuse", note="落户地址不在本区")
    assert after["state"] == "open"  # the others are still being handled
    for t in manual[:1] + manual[2:]:
        after = step(gl, handlers[t["department_id"]], t, "approve")  # decided at the counter
    assert after["state"] == "refused"
    refused = [t for t in after["tasks"] if t["state"] == "refused"]
    assert len(refused) == 1 and refused[0]["note"] == "落户地址不在本区"
    msgs = gl.get(citizen, "/api/v1/me/messages", params={"limit": 20}).json()["items"]
    assert any("有事项未通过" in m["message"] and "户口登记（出生登记）" in m["message"]
               and "落户地址不在本区" in m["message"] for m in msgs)


def test_instant_item_and_what_decides_it(gl, demo, handlers):
    elder_item = [i for i in gl.items("citizen", ITEMS) if i["name"] == "高龄津贴申领"][0]
    assert elder_item["rule_text"] == "同时满足（年满 80 周岁；户籍在澜溪区）"
    old = fresh_citizen(gl)
    born = years_ago(82)
    set_profile(gl, old, demo, born=born)
    r = gl.post(old, APPLY, json={"item_id": elder_item["id"], "form": {"bank_account": "6222 0000 1111"}})
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["kind"] == "item" and app["state"] == "approved" and app["finished_at"]
    t = app["tasks"][0]
    assert t["auto_approved"] and t["state"] == "approved"
    assert t["basis"] == f"核验通过：年满 80 周岁（出生日期：{born}）；户籍在澜溪区（户籍：青石街道）"
    msgs = gl.get(old, "/api/v1/me/messages", params={"limit": 20}).json()["items"]
    assert any("高龄津贴申领" in m["message"] and "全部办结" in m["message"] for m in msgs)
    # Too young: nothing is refused by the data; the department gets it with what was not shown.
    young = fresh_citizen(gl)
    set_profile(gl, young, demo, born=years_ago(70))
    app = gl.post(young, APPLY, json={"item_id": elder_item["id"], "form": {"bank_account": "1"}}).json()
    t = app["tasks"][0]
    assert app["state"] == "open" and not t["auto_approved"] and t["state"] == "issued"
    assert t["basis"] == "数据未能核验，转人工办理：再满足：年满 80 周岁"
    # No profile at all: the same, saying so.
    nobody = fresh_citizen(gl)
    app = gl.post(nobody, APPLY, json={"item_id": elder_item["id"], "form": {"bank_account": "1"}}).json()
    assert app["tasks"][0]["basis"] == "未保存本人资料，数据无法核验，转人工办理"
    assert app["tasks"][0]["state"] == "issued"
    # The department's handler refuses it; the applicant is told why.
    mzj = handlers[demo["depts"]["MZJ"]["id"]]
    after = step(gl, mzj, app["tasks"][0], "refuse", note="请先补充户籍与出生日期")
    assert after["state"] == "refused"


def test_citizen_reads_only_own(gl, newborn, demo):
    a = fresh_citizen(gl)
    app = gl.post(a, APPLY, json={"bundle_id": newborn["id"], "form": NEWBORN_FORM}).json()
    assert_error(gl.get("citizen", f"/api/v1/service-applications/{app['id']}"), 404)
    assert gl.get(a, f"/api/v1/service-applications/{app['id']}").status_code == 200
    got = gl.get("supervisor", f"/api/v1/service-applications/{app['id']}")
    assert got.status_code == 200 and got.json()["form"] == NEWBORN_FORM
    assert app["id"] not in [x["id"] for x in gl.items("citizen", APPLY)]


def test_bad_applications_name_the_field(gl, newborn):
    who = "citizen"
    assert_error(gl.post(who, APPLY, json={"form": {}}), 400, field="bundle_id")
    assert_error(gl.post(who, APPLY, json={"bundle_id": newborn["id"], "item_id": 1, "form": {}}), 400,
                 field="item_id")
    assert_error(gl.post(who, APPLY, json={"bundle_id": 999999, "form": {}}), 400, field="bundle_id")
    assert_error(gl.post(who, APPLY, json={"item_id": 999999, "form": {}}), 400, field="item_id")
    missing = dict(NEWBORN_FORM)
    del missing["child_sex"]
    assert_error(gl.post(who, APPLY, json={"bundle_id": newborn["id"], "form": missing}), 400,
                 field="form.child_sex")
    assert_error(gl.post(who, APPLY, json={"bundle_id": newborn["id"], "form": dict(NEWBORN_FORM, child_name="")}),
                 400, field="form.child_name")
    assert_error(gl.post(who, APPLY, json={"bundle_id": newborn["id"], "form": dict(NEWBORN_FORM, salary="1")}),
                 400, field="form")
    assert_error(gl.post(who, APPLY, json={"bundle_id": newborn["id"],
                                           "form": dict(NEWBORN_FORM, child_name="长" * 201)}),
                 400, field="form.child_name")
    assert_error(gl.post(who, APPLY, json={"bundle_id": newborn["id"], "form": "x"}), 400, field="form")
    assert_error(gl.get("admin", TASKS, params={"state": "lost"}), 400, field="state")
    assert_error(gl.post("admin", f"{TASKS}/999999/approve", json={"version": 1}), 404)


def test_officials_keep_the_catalogue(gl, demo):
    item = {"name": unique("事项"), "department_id": demo["depts"]["MZJ"]["id"], "conditions": "持证残疾人",
            "materials": "残疾人证", "time_limit_days": 7, "mode": "online",
            "fields": [{"key": "card_no", "label": "残疾人证号"}],
            "rule": {"field": "disability", "op": ">=", "value": 1}}
    r = gl.post("data_officer", ITEMS, json=item)
    assert r.status_code == 201, r.text
    it = r.json()
    assert it["instant"] and it["rule_text"] and it["fields"] == item["fields"]
    other = dict(item, name=unique("事项"), rule=None, fields=[{"key": "card_no", "label": "证号"},
                                                              {"key": "phone2", "label": "备用电话"}])
    it2 = gl.post("admin", ITEMS, json=other).json()
    assert it2["instant"] is False and it2["rule"] is None
    r = gl.post("supervisor", BUNDLES, json={"name": unique("一件事"), "summary": "测试", "items": [it["id"], it2["id"]]})
    assert r.status_code == 201, r.text
    b = r.json()
    assert [f["key"] for f in b["fields"]] == ["card_no", "phone2"]
    assert b["fields"][0]["label"] == "残疾人证号"  # the first item's label of a shared key
    # Withdrawn from citizens: inactive items and bundles are not listed to them.
    r = gl.put("admin", f"{ITEMS}/{it2['id']}", json=dict(other, active=False))
    assert r.status_code == 200 and r.json()["active"] is False
    assert it2["id"] not in [i["id"] for i in gl.items("citizen", ITEMS)]
    assert_error(gl.get("citizen", f"{ITEMS}/{it2['id']}"), 404)
    assert_error(gl.post("citizen", APPLY, json={"bundle_id": b["id"], "form": {"card_no": "1", "phone2": "2"}}),
                 409, field="bundle_id")
    audit = gl.get("admin", "/api/v1/audit", params={"limit": 20}).json()["items"]
    assert {"service_item.create", "service_item.update", "service_bundle.create"} <= {e["action"] for e in audit}
    r = gl.put("admin", f"{BUNDLES}/{b['id']}", json={"name": b["name"], "items": [it["id"], it2["id"]], "active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert b["id"] not in [x["id"] for x in gl.items("citizen", BUNDLES)]


@pytest.mark.parametrize("patch,field", [
    ({"name": ""}, "name"),
    ({"department_id": 999999}, "department_id"),
    ({"time_limit_days": 0}, "time_limit_days"),
    ({"time_limit_days": 366}, "time_limit_days"),
    ({"mode": "fax"}, "mode"),
    ({"fields": [{"key": "Bad-Key", "label": "x"}]}, "fields"),
    ({"fields": [{"key": "a", "label": "x"}, {"key": "a", "label": "y"}]}, "fields"),
    ({"fields": [{"key": "a"}]}, "fields[0].label"),
    ({"rule": {"field": "employees", "op": ">=", "value": 1}}, "rule"),
    ({"rule": {"field": "hukou_region", "op": "in", "value": "999999"}}, "rule"),
    ({"conditions": "长" * 2001}, "conditions"),
])
def test_bad_items_name_the_field(gl, demo, patch, field):
    item = {"name": unique("事项"), "department_id": demo["depts"]["MZJ"]["id"], "time_limit_days": 7,
            "mode": "online"}
    item.update(patch)
    assert_error(gl.post("admin", ITEMS, json=item), 400, field=field)


@pytest.mark.parametrize("items,field", [([], "items"), ([1], "items"), ([1, 1], "items"), ([1, 999999], "items")])
def test_bad_bundles_name_the_field(gl, items, field):
    assert_error(gl.post("admin", BUNDLES, json={"name": unique("一件事"), "items": items}), 400, field=field)
