"""
Triage's weekly accuracy per category (GET /api/v1/assessment/triage-accuracy, docs/assessment.md
"Triage accuracy"): a scripted set of dispatches over two Beijing weeks, each keeping triage's
suggestion or correcting it, and the figures the API gives compared with those counted by hand
from the script. Week 1 (Monday 2026-12-07): a noise report and a manhole report dispatched
with triage's own category (kept), a gas report dispatched as noise (a correction); week 2
(2026-12-14): a noise report dispatched as a manhole case (a correction), and the first manhole
case reclassified (it then counts once, in the week and category it ended with).
"""
import datetime as dt

import pytest

from conftest import GENEROUS, assert_error, unique

CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000"]
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)
URL = "/api/v1/assessment/triage-accuracy"
MANHOLE = "星光路口有个井盖不见了，窨井敞着口，晚上路过的人很容易掉下去，很危险"
GAS = "楼道里有很浓的煤气味，怀疑燃气泄漏，请马上派人来"
NOISE = "工地每天晚上十一点以后还在施工打桩，噪声太大根本睡不着，已经持续一周"


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    from conftest import Api, Server
    srv = Server(str(tmp_path_factory.mktemp("triacc")), template_db, GENEROUS + CLOCK_ARGS).start()
    api = Api(srv)

    def clock(t):
        r = api.put("admin", "/api/v1/test/clock", json={"now": t.isoformat()})
        assert r.status_code == 200, r.text

    cats = {k["code"]: k for k in api.items("admin", "/api/v1/categories")}
    noise, manhole = cats["070101"]["id"], cats["020201"]["id"]
    depts = {d["code"]: d["id"] for d in api.items("admin", "/api/v1/departments")}
    expected = {}  # (monday, final category) -> [n, kept]
    latest = {}    # case id -> (monday, category, kept): the latest classification counts

    def dispatch(text, category, when, action="dispatch", case=None, dept="CGJ"):
        clock(when)
        c = case or api.post("operator", "/api/v1/cases", json={
            "channel": "hotline", "title": text[:12], "description": text + unique(),
            "citizen": {"name": "李四", "phone": "13900139000"}}).json()
        suggested = (c.get("suggested") or {}).get("category_id")
        assert suggested, c  # the demo model suggests a category for these texts
        r = api.post("dispatcher", f"/api/v1/cases/{c['id']}/actions",
                     json={"action": action, "version": c["version"], "department": depts[dept],
                           "category": category(suggested)})
        assert r.status_code == 200, r.text
        monday = (when - dt.timedelta(days=when.weekday())).date().isoformat()
        final = r.json()["category_id"]
        latest[c["id"]] = (monday, final, final == suggested)
        return r.json()

    keep = lambda s: s  # noqa: E731
    first = dispatch(NOISE, keep, T0)
    m1 = dispatch(MANHOLE, keep, T0 + dt.timedelta(minutes=5))
    dispatch(GAS, lambda s: noise if s != noise else manhole, T0 + dt.timedelta(minutes=10))
    week2 = T0 + dt.timedelta(days=7)
    dispatch(NOISE, lambda s: manhole if s != manhole else noise, week2)
    # The manhole case reclassified in week 2 (a redispatch with a category, or a dispatch
    # again after a return): only this latest classification counts.
    r = api.post("handler_cgj", f"/api/v1/cases/{m1['id']}/actions",
                 json={"action": "return", "version": m1["version"], "reason": "不属于本部门"})
    assert r.status_code == 200, r.text
    dispatch(MANHOLE, lambda s: noise if s != noise else manhole, week2 + dt.timedelta(minutes=5),
             action="redispatch", case=r.json(), dept="QSJD")
    for monday, cat, kept in latest.values():
        e = expected.setdefault((monday, cat), [0, 0])
        e[0] += 1
        e[1] += int(kept)
    yield {"api": api, "expected": expected, "first": first}
    srv.check_clean_exit()


def test_weekly_accuracy_per_category(world):
    r = world["api"].get("supervisor", URL, params={"from": "2026-12-07T00:00:00+08:00",
                                                    "to": "2026-12-21T00:00:00+08:00"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [w["monday"] for w in body["weeks"]] == ["2026-12-07", "2026-12-14"]
    assert body["weeks"][0]["start"] == "2026-12-06T16:00:00Z"
    got = {}
    for item in body["items"]:
        assert item["name"] and item["code"]
        assert item["n"] == sum(w["n"] for w in item["weeks"])
        assert item["kept"] == sum(w["kept"] for w in item["weeks"])
        assert item["accuracy"] == pytest.approx(item["kept"] / item["n"])
        for w in item["weeks"]:
            if w["n"]:
                got[(w["monday"], item["category_id"])] = [w["n"], w["kept"]]
                assert w["accuracy"] == pytest.approx(w["kept"] / w["n"])
            else:
                assert w["accuracy"] is None
    assert got == world["expected"]
    assert sum(n for n, _ in got.values()) == 4  # four cases, the reclassified one once
    assert sum(k for _, k in got.values()) == 1  # only the first noise report kept triage's
    # Worst first.
    acc = [i["accuracy"] for i in body["items"]]
    assert acc == sorted(acc) and body["total"] == len(body["items"])


def test_the_period_selects_the_weeks(world):
    r = world["api"].get("data_officer", URL, params={"from": "2026-12-14T00:00:00+08:00",
                                                      "to": "2026-12-21T00:00:00+08:00"})
    body = r.json()
    assert [w["monday"] for w in body["weeks"]] == ["2026-12-14"]
    assert sum(i["n"] for i in body["items"]) == 2
    empty = world["api"].get("supervisor", URL, params={"from": "2026-01-01", "to": "2026-02-01"}).json()
    assert empty["items"] == [] and empty["weeks"] == [] and empty["total"] == 0


def test_roles_and_bad_parameters(world):
    api = world["api"]
    for who in ("operator", "dispatcher", "handler_cgj", "citizen"):
        assert_error(api.get(who, URL, params={"from": "2026-12-01", "to": "2027-01-01"}), 403)
    assert_error(api.get("supervisor", URL, params={"to": "2027-01-01"}), 400, field="from")
    assert_error(api.get("supervisor", URL, params={"from": "2026-12-01", "to": "2026-11-01"}), 400, field="to")
    assert_error(api.get("supervisor", URL, params={"from": "x", "to": "2027-01-01"}), 400, field="from")
