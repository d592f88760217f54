"""
考核 from the daily roll-ups (assess_daily, docs/assessment.md "How the figures are computed")
against the raw computation: a seeded random sequence of case actions over six days (about 190 steps) on the
injectable clock (intake located or not, dispatch to two departments, sign, return, reject the
return, redispatch, urge, reply, evaluate satisfied / basically / unsatisfied -> rectification,
rectify, close, reopen, merge, cancel, answer on the call, extend and its decision), then for several periods (whole Beijing days, UTC
midnights, partial days, one hour, the whole span), by department and by region at every
level, both rounds modes, with and without a region scope, the answer with the roll-ups is
compared with the answer the server gives when they are marked unbuilt (it then reads the raw
facts only). Finally `gridloop assess rebuild` must give back the same table the writes kept.
"""
import datetime as dt
import random

import pytest

from conftest import GENEROUS, db_open, run_cli

CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "86400"]
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)
CAT = 10  # 占道经营
URL = "/api/v1/stats/assessment"
HANDLER = {"CGJ": "handler_cgj", "QSJD": "handler_qsjd"}


def set_built(db, v):
    con = db_open(db)
    with con:
        con.execute("UPDATE assess_rollup_state SET built = ?", (v,))
    con.close()


def table(db):
    con = db_open(db, readonly=True)
    rows = con.execute("SELECT lvl, day, dept_id, region_id, region_code, prev_at, next_at, dispatched,"
                       " replied, closed, unreplied, on_time, overdue, rectified, assigned, returns,"
                       " evaluations, contacted, solved, satisfied, basically, unsatisfied FROM assess_daily"
                       " ORDER BY 1, 2, 3, 4, 5, 6, 7").fetchall()
    con.close()
    # Rows whose counts went back to 0 (a case moved to another key) say nothing.
    return [tuple(r) for r in rows if any(r[7:])]


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    from conftest import Api, Server
    srv = Server(str(tmp_path_factory.mktemp("rollup")), template_db, GENEROUS + CLOCK_ARGS).start()
    api = Api(srv)
    now = T0

    def clock(t):
        r = api.put("admin", "/api/v1/test/clock", json={"now": t.isoformat()})
        assert r.status_code == 200, r.text

    clock(now)
    depts = {d["code"]: d["id"] for d in api.items("admin", "/api/v1/departments")}
    users = {u["name"]: u for u in api.items("admin", "/api/v1/users")}
    grid = users["grid_worker"]["region_id"]
    box = api.get("admin", f"/api/v1/regions/{grid}").json()["boundary"]["coordinates"][0]
    lat, lon = (box[0][1] + box[2][1]) / 2, (box[0][0] + box[2][0]) / 2
    grid_code = api.get("admin", f"/api/v1/regions/{grid}").json()["code"]
    for name, code in (("sup_street_r", grid_code[:9]), ("sup_grid_r", grid_code)):
        r = api.post("admin", "/api/v1/users", json={"name": name, "password": "demo-pass-1",
                                                      "roles": ["supervisor"], "region": code})
        assert r.status_code == 201, r.text

    rnd = random.Random(12)
    cases = []  # [case json, lead code]

    def act(i, who, action, **fields):
        c = cases[i][0]
        body = {"action": action, "version": c["version"]}
        body.update(fields)
        r = api.post(who, f"/api/v1/cases/{c['id']}/actions", json=body)
        assert r.status_code == 200, f"{who} {action} on {c['state']}: {r.status_code} {r.text[:300]}"
        cases[i][0] = r.json()

    end = T0 + dt.timedelta(days=6)
    while now < end:
        now += dt.timedelta(minutes=rnd.randrange(5, 90))
        clock(now)
        if not cases or rnd.random() < 0.15:
            body = {"title": "占道经营", "description": "小区门口有人摆摊占用人行道", "channel": "hotline",
                    "citizen": {"name": "张三", "phone": "13812348000"}}
            if rnd.random() < 0.7:
                body.update(lat=lat, lon=lon)
            r = api.post("operator", "/api/v1/cases", json=body)
            assert r.status_code == 201, r.text
            cases.append([r.json(), None])
            continue
        i = rnd.randrange(len(cases))
        c, lead = cases[i]
        st = c["state"]
        # A redispatch goes to the other department (the same one is refused after a return).
        other = rnd.choice(list(HANDLER)) if lead is None else next(d for d in HANDLER if d != lead)
        h = HANDLER.get(lead)
        choice = rnd.random()
        if st == "new":
            if choice < 0.8:
                act(i, "dispatcher", "dispatch", department=depts[other], category=CAT)
                cases[i][1] = other
            elif choice < 0.9:
                masters = [j for j, (m, _) in enumerate(cases)
                           if j != i and m["state"] in ("new", "dispatched", "processing")]
                if masters:
                    m = rnd.choice(masters)
                    act(i, "dispatcher", "merge", master=cases[m][0]["id"])
                    # The master's timeline gained the merge: its version moved on.
                    cases[m][0] = api.get("admin", f"/api/v1/cases/{cases[m][0]['id']}").json()
            elif choice < 0.95:
                act(i, "dispatcher", "cancel", reason="重复来电")
            else:
                act(i, "operator", "answer", note="已在电话中答复")
        elif st == "dispatched":
            if choice < 0.5:
                act(i, h, "sign")
            elif choice < 0.7:
                act(i, h, "return", reason="不属于本部门")
            elif choice < 0.85:
                act(i, "dispatcher", "redispatch", department=depts[other], note="改派")
                cases[i][1] = other
            else:
                act(i, "supervisor", "urge", note="请尽快")
        elif st == "returned":
            if choice < 0.6:
                act(i, "dispatcher", "redispatch", department=depts[other], note="改派")
                cases[i][1] = other
            else:
                act(i, "dispatcher", "reject_return", reason="属于本部门职责")
        elif st in ("processing", "rectifying"):
            if choice < 0.6:
                act(i, h, "reply", result="已处理", contacted=rnd.random() < 0.8, solved=rnd.random() < 0.7)
            elif choice < 0.75:
                act(i, h, "return", reason="不属于本部门")
            elif choice < 0.9:
                act(i, "dispatcher", "redispatch", department=depts[other], note="改派")
                cases[i][1] = other
            elif choice < 0.95 and not c.get("pending") and c["deadlines"]["resolve"]:
                until = dt.datetime.fromisoformat(c["deadlines"]["resolve"].replace("Z", "+00:00"))
                if until > now:
                    act(i, h, "extend", reason="需协调", until=(until + dt.timedelta(days=2)).isoformat())
                    act(i, "supervisor", rnd.choice(["approve", "deny"]), note="同意")
            else:
                act(i, "supervisor", "urge", note="请尽快")
        elif st == "replied":
            if choice < 0.7:
                sat = rnd.choice(["satisfied", "basically_satisfied", "unsatisfied"])
                act(i, "operator", "evaluate", satisfaction=sat, contacted=rnd.random() < 0.9,
                    solved=rnd.random() < 0.7)
            elif choice < 0.85:
                act(i, "supervisor", "rectify", reason="整改不到位")
            else:
                act(i, "operator", "close", note="无法联系")
        elif st == "closed" and choice < 0.2 and lead is not None:
            act(i, "supervisor", "reopen", reason="群众再次反映")

    yield {"api": api, "srv": srv, "now": now, "cases": cases}
    srv.check_clean_exit()


def iso(t):
    return t.isoformat()


def periods(now):
    d0 = dt.datetime(2026, 12, 7, tzinfo=BJ)
    utc = dt.timezone.utc
    return [
        (d0, d0 + dt.timedelta(days=1)),
        (d0, d0 + dt.timedelta(days=7)),
        (d0 + dt.timedelta(days=2), d0 + dt.timedelta(days=4)),
        (dt.datetime(2026, 12, 7, tzinfo=utc), dt.datetime(2026, 12, 12, tzinfo=utc)),
        (dt.datetime(2026, 12, 8, 13, 17, tzinfo=BJ), dt.datetime(2026, 12, 11, 7, 5, tzinfo=BJ)),
        (dt.datetime(2026, 12, 9, 10, tzinfo=BJ), dt.datetime(2026, 12, 9, 11, tzinfo=BJ)),
        (d0 - dt.timedelta(days=30), now + dt.timedelta(days=30)),
        (d0 + dt.timedelta(days=1), now),
    ]


def compare(world, who, params):
    api, db = world["api"], world["srv"].db
    with_rollup = api.get(who, URL, params=params)
    assert with_rollup.status_code == 200, with_rollup.text
    set_built(db, 0)
    try:
        raw = api.get(who, URL, params=params)
    finally:
        set_built(db, 1)
    assert raw.status_code == 200, raw.text
    assert with_rollup.json() == raw.json(), params
    return with_rollup.json()


@pytest.mark.parametrize("who", ["supervisor", "sup_street_r", "sup_grid_r"])
def test_rollup_answers_as_the_raw_facts(world, who):
    seen = 0
    for a, b in periods(world["now"]):
        for by in (("department", None), ("region", "district"), ("region", "street"),
                   ("region", "community"), ("region", "grid")):
            for rounds in ("latest", "all"):
                params = {"from": iso(a), "to": iso(b), "by": by[0], "rounds": rounds,
                          "weights": "0.1,0.5,0.3,0.1"}
                if by[1]:
                    params["level"] = by[1]
                body = compare(world, who, params)
                seen += sum(r["dispatched"] + r["evaluations"] for r in body["rows"])
    assert seen > 0  # the world has activity in the periods compared


def test_the_rollups_were_used_and_rebuild_matches(world):
    db = world["srv"].db
    con = db_open(db, readonly=True)
    assert con.execute("SELECT built FROM assess_rollup_state").fetchone()[0] == 1
    con.close()
    kept = table(db)
    assert kept, "the case writes kept no roll-up rows"
    p = run_cli("assess", "rebuild", "--db", db)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rebuilt" in p.stdout
    assert table(db) == kept
