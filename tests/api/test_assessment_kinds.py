"""
诉求类型 in the assessment (issue 13, item 3: "reported and assessed"): GET /api/v1/stats/kinds
counts the period's cases per kind of request and how they ended; a callback left out as
invalid (有效回访) does not count, as in the 三率.
"""
import datetime as dt

from conftest import assert_error

URL = "/api/v1/stats/kinds"


def act(api, who, case, action, **fields):
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions", json={"action": action, "version": case["version"], **fields})
    assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:300]}"
    return r.json()


def new(api, kind):
    r = api.post("operator", "/api/v1/cases", json={"title": "类型统计", "description": "小区门口有人摆摊占用人行道",
                                                    "channel": "hotline", "kind": kind,
                                                    "citizen": {"name": "张三", "phone": "13812348000"}})
    assert r.status_code == 201, r.text
    return r.json()


def test_cases_per_kind_and_how_they_ended(server_factory):
    api = server_factory()
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=2)
    cgj = {d["code"]: d for d in api.items("admin", "/api/v1/departments")}["CGJ"]["id"]
    act(api, "operator", new(api, "consult"), "answer", note="办理居住证请携带身份证到社区服务中心")
    ended = []
    for sat in ("satisfied", "unsatisfied"):
        c = act(api, "dispatcher", new(api, "complaint"), "dispatch", department=cgj)
        c = act(api, "handler_cgj", c, "sign")
        c = act(api, "handler_cgj", c, "reply", result="已现场处理", contacted=True, solved=sat == "satisfied")
        ended.append(act(api, "operator", c, "evaluate", satisfaction=sat))
    new(api, "help")
    period = {"from": start.isoformat(), "to": (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)).isoformat()}

    def rows():
        r = api.get("supervisor", URL, params=period)
        assert r.status_code == 200, r.text
        return {x["kind"]: x for x in r.json()["rows"]}

    k = rows()
    assert set(k) == {"complaint", "consult", "help"}, k
    assert (k["consult"]["received"], k["consult"]["answered"], k["consult"]["closed"]) == (1, 1, 1)
    c = k["complaint"]
    assert (c["received"], c["answered"], c["closed"], c["evaluated"], c["satisfied"]) == (2, 0, 1, 2, 1)
    assert c["close_rate"] == 0.5 and c["satisfaction_rate"] == 0.5
    assert (k["help"]["received"], k["help"]["closed"], k["help"]["satisfaction_rate"]) == (1, 0, None)

    # The unsatisfied callback left out as invalid (approved): the complaint's 满意率 is the other's.
    u = act(api, "operator", ended[1], "invalidate", invalid_reason="unreachable", reason="三次回访均无人接听")
    act(api, "supervisor", u, "approve")
    c = rows()["complaint"]
    assert (c["evaluated"], c["satisfied"], c["satisfaction_rate"]) == (1, 1, 1.0), c

    assert_error(api.get("supervisor", URL, params={**period, "format": "xlsx"}), 400, "bad_request", "format")
    assert_error(api.get("supervisor", URL, params={"from": period["from"]}), 400, "bad_request", "to")
    assert_error(api.get("handler_cgj", URL, params=period), 403, "forbidden", reason="role")
