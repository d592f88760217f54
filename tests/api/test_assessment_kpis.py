"""
The assessment's further KPIs (docs/assessment.md, "More KPIs"): 及时签收率, 整改率, 直接答复率,
按期办结率, 返工率, 延期率 and the backlog, computed by hand from a scripted day of cases and
compared with the API, from the roll-ups and from the raw facts alike (SQLite here; PostgreSQL
with scripts/with-pg.sh).

All on Monday 2026-12-07 (Beijing), category 占道经营 (lead CGJ), dispatched at 09:30:
  k1  sign, reply, evaluate satisfied                                     closed
  k2  sign after its sign deadline (late), reply, evaluate unsatisfied
      → rectifying, reply again, evaluate satisfied                       closed, rectified, done
  k3  sign, reply, evaluate unsatisfied → rectifying                       open (backlog)
  k4  sign, extend, the supervisor approves                                open, extended
  k5  sign, reply, evaluate satisfied, the supervisor reopens              open, reworked
  k6  answered on the call (直接答复): never dispatched
  k7  not signed                                                           open
  k8  (a category the centre reviews, 办结审核) sign, reply → reviewing, sent back
                                                                          open, reworked
Hand-computed for CGJ over the day:
  dispatched 7 (k1..k5, k7, k8); signed 6, signed on time 5 → 及时签收率 5/6
  rectified 2 (k2, k3), rectify_done 1 (k2) → 整改率 1/2
  reworked 4 (k2, k3 rectified; k5 reopened; k8 sent back); replied_ever 5 (k1, k2, k3, k5, k8)
  → 返工率 4/5
  extended 1 (k4) → 延期率 1/7
  every case has the same caller: each after k1 is linked at intake to the earlier ones (重复诉求)
  → repeated 6 (k2..k5, k7, k8) → 重复诉求率 6/7
  replied now 2 (k1, k2: k3, k5 and k8 wait for a new reply); due 2 (no open case past its
  deadline yet), on time 2 → 按期办结率 (on_time_rate) 1
  backlog 5 (k3, k4, k5, k7, k8), none overdue
Group 0 (no department): answered 1 (k6) → 直接答复率 1/(1 + 0) = 1; CGJ's 0/(0 + 7) = 0; the
centre's 1/(1 + 7).
At 09:31 (before any sign or reply), the backlog was all seven dispatched cases.
"""
import datetime as dt
import pytest

from conftest import GENEROUS, db_open

CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "86400"]
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)
CAT = 10
DAY = {"from": "2026-12-07T00:00:00+08:00", "to": "2026-12-08T00:00:00+08:00"}
URL = "/api/v1/stats/assessment"


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    from conftest import Api, Server
    srv = Server(str(tmp_path_factory.mktemp("kpis")), template_db, GENEROUS + CLOCK_ARGS).start()
    api = Api(srv)

    def clock(t):
        r = api.put("admin", "/api/v1/test/clock", json={"now": t.isoformat()})
        assert r.status_code == 200, r.text

    def act(who, c, action, **fields):
        body = {"action": action, "version": c["version"], **fields}
        r = api.post(who, f"/api/v1/cases/{c['id']}/actions", json=body)
        assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:400]}"
        return r.json()

    def new():
        r = api.post("operator", "/api/v1/cases", json={
            "title": "占道经营", "description": "小区门口有人摆摊占用人行道", "channel": "hotline",
            "citizen": {"name": "张三", "phone": "13812348000"}})
        assert r.status_code == 201, r.text
        return r.json()

    clock(T0)
    cgj = next(d for d in api.items("admin", "/api/v1/departments") if d["code"] == "CGJ")
    manhole = next(c for c in api.items("admin", "/api/v1/categories") if c["code"] == "020201")["id"]
    r = api.put("admin", "/api/v1/review-rules", json={"category": manhole, "review": True})
    assert r.status_code == 200, r.text
    k = {}
    for name in ("k1", "k2", "k3", "k4", "k5", "k7", "k8"):
        k[name] = act("dispatcher", new(), "dispatch", department=cgj["id"],
                      category=manhole if name == "k8" else CAT)
    k["k6"] = act("operator", new(), "answer", note="工作日 9:00-17:00 可办理")
    assert k["k6"]["state"] == "closed"

    clock(T0 + dt.timedelta(minutes=5))
    for name in ("k1", "k3", "k4", "k5", "k8"):
        k[name] = act("handler_cgj", k[name], "sign")
        assert not k[name]["sign_late"]
    sign_deadline = dt.datetime.fromisoformat(k["k2"]["deadlines"]["sign"].replace("Z", "+00:00"))
    late = sign_deadline + dt.timedelta(minutes=1)
    assert late < dt.datetime(2026, 12, 7, 20, 0, tzinfo=BJ), late
    clock(late)
    k["k2"] = act("handler_cgj", k["k2"], "sign")
    assert k["k2"]["sign_late"]

    clock(late + dt.timedelta(minutes=10))

    def reply(c, solved=True):
        return act("handler_cgj", c, "reply", result="已现场处理", contacted=True, solved=solved)

    k["k1"] = act("operator", reply(k["k1"]), "evaluate", satisfaction="satisfied")
    k["k2"] = act("operator", reply(k["k2"], False), "evaluate", satisfaction="unsatisfied")
    k["k2"] = act("operator", reply(k["k2"]), "evaluate", satisfaction="satisfied")
    assert k["k2"]["state"] == "closed" and k["k2"]["rectify_round"] == 1
    k["k3"] = act("operator", reply(k["k3"], False), "evaluate", satisfaction="unsatisfied")
    assert k["k3"]["state"] == "rectifying"
    until = dt.datetime.fromisoformat(k["k4"]["deadlines"]["resolve"].replace("Z", "+00:00")) + dt.timedelta(days=3)
    k["k4"] = act("handler_cgj", k["k4"], "extend", reason="需协调市场监管", until=until.isoformat())
    k["k4"] = act("supervisor", k["k4"], "approve")
    k["k5"] = act("operator", reply(k["k5"]), "evaluate", satisfaction="satisfied")
    k["k5"] = act("supervisor", k["k5"], "reopen", reason="群众再次反映")
    assert k["k5"]["state"] == "processing" and k["k5"]["replied_at"] is None
    k["k8"] = reply(k["k8"])
    assert k["k8"]["state"] == "reviewing", k["k8"]["state"]
    k["k8"] = act("dispatcher", k["k8"], "send_back", reason="答复未说明处理时间")
    assert k["k8"]["state"] == "processing"

    yield {"api": api, "srv": srv, "cgj": cgj, "clock": clock, "k": k,
           "end": late + dt.timedelta(minutes=10)}
    srv.check_clean_exit()


def set_built(db, v):
    con = db_open(db)
    with con:
        con.execute("UPDATE assess_rollup_state SET built = ?", (v,))
    con.close()


def rows(api, **params):
    r = api.get("supervisor", URL, params=params)
    assert r.status_code == 200, r.text
    return {x["id"]: x for x in r.json()["rows"]}


def check_day(api, cgj_id):
    got = rows(api, **DAY)
    c, none = got[cgj_id], got[0]
    assert (c["dispatched"], c["signed"], c["signed_on_time"]) == (7, 6, 5)
    assert c["sign_rate"] == pytest.approx(5 / 6)
    assert (c["rectified"], c["rectify_done"]) == (2, 1) and c["rectify_rate"] == pytest.approx(0.5)
    assert (c["reworked"], c["replied_ever"]) == (4, 5) and c["rework_rate"] == pytest.approx(0.8)
    assert c["extended"] == 1 and c["extension_rate"] == pytest.approx(1 / 7)
    assert c["repeated"] == 6 and c["repeat_rate"] == pytest.approx(6 / 7)
    assert (c["replied"], c["due"], c["on_time"]) == (2, 2, 2) and c["on_time_rate"] == 1
    assert (c["backlog"], c["backlog_overdue"]) == (5, 0)
    assert c["answered"] == 0 and c["answer_rate"] == 0
    assert (none["answered"], none["dispatched"], none["answer_rate"]) == (1, 0, 1)
    assert none["backlog"] == 0 and none["sign_rate"] is None and none["rework_rate"] is None


def test_kpis_of_the_day(world):
    check_day(world["api"], world["cgj"]["id"])


def test_kpis_from_the_raw_facts_are_the_same(world):
    # Unbuilt roll-ups: the assessment reads the raw facts only.
    set_built(world["srv"].db, 0)
    try:
        check_day(world["api"], world["cgj"]["id"])
    finally:
        set_built(world["srv"].db, 1)


def test_backlog_at_an_earlier_end(world):
    # A period that ends at 09:31: all seven dispatched cases were open then (k1, k2 replied
    # later). The backlog is a stock at the end; the case counts are the cases' present facts.
    got = rows(world["api"], **{"from": DAY["from"], "to": "2026-12-07T09:31:00+08:00"})
    c = got[world["cgj"]["id"]]
    assert (c["dispatched"], c["backlog"], c["backlog_overdue"]) == (7, 7, 0)
    assert (c["signed"], c["replied"], c["replied_ever"]) == (6, 2, 5)


def test_backlog_overdue_once_the_deadlines_pass(world):
    api, k = world["api"], world["k"]
    # A month later every open case is past its resolve deadline; the day's figures stay.
    world["clock"](T0 + dt.timedelta(days=40))
    try:
        got = rows(api, **{"from": DAY["from"], "to": "2027-01-16T09:30:00+08:00"})
        c = got[world["cgj"]["id"]]
        assert (c["backlog"], c["backlog_overdue"]) == (5, 5)
        assert c["dispatched"] == 7 and c["extended"] == 1
        # The day alone: overdue are the open cases whose deadline is before its end.
        end = dt.datetime(2026, 12, 8, tzinfo=BJ)
        late = 0
        for name in ("k3", "k4", "k5", "k7", "k8"):
            case = api.get("supervisor", f"/api/v1/cases/{k[name]['id']}").json()
            deadline = dt.datetime.fromisoformat(case["deadlines"]["resolve"].replace("Z", "+00:00"))
            late += deadline < end
        c = rows(api, **DAY)[world["cgj"]["id"]]
        assert (c["backlog"], c["backlog_overdue"]) == (5, late)
    finally:
        world["clock"](world["end"])
    assert k["k7"]["signed_at"] is None


def test_csv_and_xlsx_carry_the_new_columns(world):
    api = world["api"]
    r = api.get("supervisor", URL, params={**DAY, "format": "csv"})
    assert r.status_code == 200
    head = r.content.decode("utf-8-sig").split("\r\n")[0].split(",")
    for key in ("sign_rate", "rectify_rate", "answer_rate", "rework_rate", "extension_rate",
                "signed", "signed_on_time", "rectify_done", "reworked", "replied_ever", "extended",
                "answered", "backlog", "backlog_overdue", "repeat_rate", "repeated"):
        assert key in head, key


def test_bulletin_pdf_reports_the_kpis(world, tmp_path):
    """The 通报 of the day carries the further KPIs over the whole centre and per department:
    直接答复率 1/8, 及时签收率 5/6, 按期办结率 2/2, 整改率 1/2, 返工率 4/5, 延期率 1/7, backlog 5."""
    import re
    import subprocess
    r = world["api"].get("supervisor", URL, params={**DAY, "format": "pdf"})
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    pdf = tmp_path / "kpis.pdf"
    pdf.write_bytes(r.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    flat = re.sub(r"\s+", "", text)
    assert "直接答复1件，直接答复率12.5%；及时签收率83.3%，按期办结率100.0%，整改率50.0%，返工率80.0%，" \
           "延期率14.3%；期末积压5件，其中超期0件。" in flat, text
    assert "办理质量" in text
    line = next(x for x in text.splitlines() if world["cgj"]["name"] in x and "83.3%" in x)
    assert re.findall(r"[0-9.]+%|\b\d+\b", line.split(world["cgj"]["name"])[1]) == \
        ["83.3%", "100.0%", "50.0%", "80.0%", "14.3%", "5", "0"], line
