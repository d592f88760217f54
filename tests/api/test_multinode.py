"""
Several `gridloop serve` processes on one PostgreSQL database behave as one service
(issue 10, "several nodes"; src/app/app_cluster.c): sessions and login throttling are the
database's; the Open311 rate windows are a table; live events, organisation changes, session
ends and new cases reach the other nodes through LISTEN/NOTIFY; the background jobs (sweeper,
notification delivery) run on exactly one node, the holder of an advisory lock, and another
node takes them over when that one is killed.

PostgreSQL only: on SQLite one process serves a database, so there is nothing to share.
"""
import datetime as dt
import re
import signal
import time

import pytest
import requests

from conftest import (GENEROUS, PASSWORD, PG, Api, Server, assert_error, db_open, drop_db,
                      unique)
from test_notify import EventStream, wait_until

pytestmark = pytest.mark.skipif(
    not PG, reason="several nodes share a PostgreSQL database; set GRIDLOOP_TEST_PG "
                   "(scripts/with-pg.sh) to run these")

BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)  # Monday, a working day
CAT = 10  # 010201 占道经营, lead CGJ, resolve within 4 working hours
MANHOLE = "星光路口有个井盖不见了，窨井敞着口，晚上路过的人很容易掉下去，很危险"


@pytest.fixture
def nodes(tmp_path, template_db):
    """nodes(args) -> [Api, Api]: two servers on one copy of the demo database."""
    started = []

    def make(args=(), n=2):
        first = Server(str(tmp_path / "node0"), template_db, list(args))
        servers = [first] + [Server(str(tmp_path / f"node{i}"), None, list(args), db=first.db)
                             for i in range(1, n)]
        started.extend(servers)
        for s in servers:
            s.start()
        apis = [Api(s) for s in servers]
        # Each node counts the others every 2 s: wait until all know they are not alone.
        wait_until(lambda: all(metric(a, "gridloop_nodes") == n for a in apis), timeout=10,
                   what="every node to count the others")
        return apis

    yield make
    live = [s for s in started if s.proc is not None]
    for s in live[1:]:
        assert s.stop() == 0, s.stderr()[-3000:]
    if live:
        live[0].check_clean_exit()  # exit 0 and `audit verify` intact
    if started:
        drop_db(started[0].db)


def metric(api, name):
    r = api.get("data_officer", "/metrics", timeout=5)  # /metrics needs credentials
    assert r.status_code == 200, r.text
    return int(re.search(r"^%s (\d+)$" % name, r.text, re.M).group(1))


def jobs(api):
    """1 when this node runs the background jobs (the gauge of /metrics)."""
    return metric(api, "gridloop_node_jobs")


def leader_of(apis, timeout=10):
    """The one node running the jobs (waits for the election); fails if two ever do."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = [a for a in apis if jobs(a)]
        assert len(running) <= 1, "two nodes run the background jobs"
        if running:
            return running[0]
        time.sleep(0.1)
    raise AssertionError("no node took the background jobs")


def create_case(api, title="multinode", **kw):
    body = {"title": title, "description": "东门垃圾三天没人清理" + unique(), "channel": "hotline"}
    body.update(kw)
    r = api.post("operator", "/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return r.json()


# ---------------------------------------------------------------- sessions and throttling

def test_session_made_on_one_node_works_on_the_other_and_logout_ends_it_there(nodes):
    a, b = nodes(GENEROUS)
    s = a.fresh("dispatcher")
    me = requests.get(b.url("/api/v1/me"), headers={"Authorization": "Bearer " + s.token}, timeout=5)
    assert me.status_code == 200 and me.json()["name"] == "dispatcher", me.text
    # B has the session in its cache now; a logout on A must end it on B too (at once: a
    # trigger announces the deleted session at commit).
    assert s.post(a.url("/api/v1/auth/logout")).status_code == 204
    wait_until(lambda: requests.get(b.url("/api/v1/me"), headers={"Authorization": "Bearer " + s.token},
                                    timeout=5).status_code == 401, timeout=2, what="logout on A to reach B")
    # A user disabled on A is refused by B though B had the session cached.
    u = a.fresh("grid_worker")
    hdr = {"Authorization": "Bearer " + u.token}
    assert requests.get(b.url("/api/v1/me"), headers=hdr, timeout=5).status_code == 200
    uid = u.user["id"]
    r = a.patch("admin", f"/api/v1/users/{uid}", json={"active": False})
    assert r.status_code == 200, r.text
    try:
        wait_until(lambda: requests.get(b.url("/api/v1/me"), headers=hdr, timeout=5).status_code == 401,
                   timeout=2, what="the disabled user to be refused on B")
    finally:
        assert a.patch("admin", f"/api/v1/users/{uid}", json={"active": True}).status_code == 200


def test_login_throttling_counts_failures_on_every_node(nodes):
    a, b = nodes(["--login-max-user-failures", "3", "--login-max-ip-failures", "1000"])
    assert_error(a.login_raw("operator", "wrong-password"), 401)
    assert_error(b.login_raw("operator", "wrong-password"), 401)
    assert_error(a.login_raw("operator", "wrong-password"), 401)
    # Three failures in all, on two nodes: both refuse even the right password now.
    assert_error(b.login_raw("operator", PASSWORD), 429, "too_many_requests")
    assert_error(a.login_raw("operator", PASSWORD), 429, "too_many_requests")
    assert a.login_raw("dispatcher", PASSWORD).status_code == 200


def test_open311_rate_limit_is_shared(nodes):
    a, b = nodes(GENEROUS)
    r = a.post("admin", "/api/v1/open311/clients", json={"name": unique("mn"), "rate_limit": 3})
    assert r.status_code == 201, r.text
    key = r.json()["api_key"]
    form = {"api_key": key, "service_code": "010101", "lat": "30.2", "long": "120.1",
            "description": "路边有暴露垃圾"}

    def post(api):
        return requests.post(api.url("/open311/v2/requests.json"), data=form, timeout=30)

    if time.time() % 60 > 45:  # a fixed window per minute: start well inside one
        time.sleep(61 - time.time() % 60)
    assert post(a).status_code == 200
    assert post(b).status_code == 200
    assert post(a).status_code == 200
    # The limit is 3 a minute for the client, whichever node it reaches.
    over = post(b)
    assert over.status_code == 429, over.text
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert post(a).status_code == 429


# ---------------------------------------------------------------- events and caches

def test_live_events_reach_streams_on_every_node(nodes):
    # A long notification interval: an event that arrives within seconds came through the
    # wake-up and the fan-out, not through the worker's next tick.
    apis = nodes(GENEROUS + ["--notify-interval", "60"])
    lead = leader_of(apis)
    other = apis[1] if lead is apis[0] else apis[0]
    on_other = EventStream(other, "dispatcher")
    on_lead = EventStream(lead, "dispatcher")
    try:
        wait_until(lambda: on_other.comments and on_lead.comments, timeout=5, what="the streams to open")
        # Created on the leader: its worker publishes; the other node's stream hears it through
        # NOTIFY, once.
        c1 = create_case(lead, "leader-case")
        ev, data = on_other.wait_for(lambda e, d: d and d["case_id"] == c1["id"], timeout=5)
        assert ev["event"] == "new_case" and int(ev["id"]) == data["id"]
        # Created on the other node: it asks the leader's worker for a pass; both streams hear.
        c2 = create_case(other, "other-case")
        on_lead.wait_for(lambda e, d: d and d["case_id"] == c2["id"], timeout=5)
        on_other.wait_for(lambda e, d: d and d["case_id"] == c2["id"], timeout=5)
        time.sleep(0.5)
        for s in (on_other, on_lead):
            again = [e for e in s.drain() if e.get("event") == "new_case"
                     and int(e["id"]) in (c1["id"], c2["id"])]
            assert again == [], "an event is delivered once per stream"
    finally:
        on_other.close()
        on_lead.close()


def test_organisation_change_on_one_node_is_used_by_the_other(nodes):
    a, b = nodes(GENEROUS)
    # B serves the department list from its cache after this.
    before = {d["code"] for d in b.items("admin", "/api/v1/departments")}
    code = unique("MN")[:20]
    r = a.post("admin", "/api/v1/departments", json={"code": code, "name": unique("多节点部门")})
    assert r.status_code == 201, r.text
    dept = r.json()
    assert code not in before
    wait_until(lambda: code in {d["code"] for d in b.items("admin", "/api/v1/departments")},
               timeout=2, what="B to list the department created on A")
    # A routing rule made on A sends B's intake to the new department.
    manhole = next(k for k in b.items("admin", "/api/v1/categories") if k["code"] == "020201")
    r = a.post("admin", "/api/v1/routing-rules",
               json={"category_id": manhole["id"], "department_id": dept["id"], "priority": 1})
    assert r.status_code == 201, r.text
    rule = r.json()
    try:
        s = b.post("operator", "/api/v1/triage/suggest", json={"description": MANHOLE, "category": manhole["id"]})
        assert s.status_code == 200, s.text
        assert s.json()["department"]["id"] == dept["id"], s.json()["department"]
    finally:
        assert a.delete("admin", f"/api/v1/routing-rules/{rule['id']}").status_code == 204


def test_case_read_on_another_node_after_a_write_is_current(nodes):
    a, b = nodes(GENEROUS)
    c = create_case(a, "read-your-write")
    assert b.get("admin", f"/api/v1/cases/{c['id']}").json()["version"] == c["version"]  # cached on B
    cgj = next(d["id"] for d in a.items("admin", "/api/v1/departments") if d["code"] == "CGJ")
    r = a.post("dispatcher", f"/api/v1/cases/{c['id']}/actions",
               json={"action": "dispatch", "version": c["version"], "department": cgj})
    assert r.status_code == 200, r.text
    got = b.get("admin", f"/api/v1/cases/{c['id']}").json()
    assert got["version"] == r.json()["version"] and got["state"] == "dispatched", got


def test_case_created_on_one_node_is_a_duplicate_candidate_on_the_other(nodes):
    a, b = nodes(GENEROUS)
    text = "白鹭街道学府路88号门口的雨水箅子被人偷走了，留下一个大洞，电动车经过很危险" + unique()
    first = create_case(a, text[:12], description=text, lat=30.25, lon=120.15)

    def found():
        s = b.post("dispatcher", "/api/v1/triage/suggest",
                   json={"description": text + "，请尽快处理", "lat": 30.2501, "lon": 120.1501})
        assert s.status_code == 200, s.text
        return first["id"] in {d["id"] for d in s.json()["duplicates"]}

    wait_until(found, timeout=3, what="B's duplicate index to have the case created on A")


# ---------------------------------------------------------------- background jobs

def test_sweeper_runs_on_one_node_and_another_takes_over_when_it_dies(nodes):
    apis = nodes(GENEROUS + ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "1"])

    def at(t):
        for api in apis:
            if api.server.proc is not None:
                r = api.put("admin", "/api/v1/test/clock", json={"now": t.isoformat()})
                assert r.status_code == 200, r.text

    lead = leader_of(apis)
    other = apis[1] if lead is apis[0] else apis[0]
    at(T0)
    cgj = next(d["id"] for d in lead.items("admin", "/api/v1/departments") if d["code"] == "CGJ")
    c = create_case(other)
    r = other.post("dispatcher", f"/api/v1/cases/{c['id']}/actions",
                   json={"action": "dispatch", "version": c["version"], "department": cgj, "category": CAT})
    assert r.status_code == 200, r.text

    def urges():
        got = other.get("admin", f"/api/v1/cases/{c['id']}").json()
        return [e for e in got["timeline"] if e["action"] == "urge" and e["actor"] == "system"]

    at(T0.replace(hour=16))  # an hour past the resolve deadline
    wait_until(urges, timeout=10, what="the sweeper to urge the overdue case")
    time.sleep(2.5)  # two more sweeps on each node that ran one
    assert len(urges()) == 1
    assert [jobs(a) for a in apis].count(1) == 1
    assert "now runs the background jobs" in lead.server.stderr()
    assert "now runs the background jobs" not in other.server.stderr()
    assert "overdue case(s) urged" in lead.server.stderr()
    assert "overdue case(s) urged" not in other.server.stderr()

    # Kill the leader: its connections close, the server releases the lock, the other node's
    # next try takes it.
    t0 = time.monotonic()
    lead.server.proc.send_signal(signal.SIGKILL)
    lead.server.proc.wait()
    lead.server.proc = None
    wait_until(lambda: jobs(other) == 1, timeout=8, what="the surviving node to take the jobs over")
    took = time.monotonic() - t0
    assert took < 5, f"takeover took {took:.1f} s"
    # Its sweeper runs: the second working day overdue escalates.
    at((T0 + dt.timedelta(days=1)).replace(hour=15, minute=30))

    def escalated():
        return other.get("admin", f"/api/v1/cases/{c['id']}").json()["escalated"]

    wait_until(escalated, timeout=10, what="the new leader's sweeper to escalate")
    assert len(urges()) == 2
    with db_open(other.server.db) as con:
        kinds = [k for (k,) in con.execute("SELECT kind FROM notifications WHERE case_id = ? ORDER BY id",
                                           (c["id"],)).fetchall()]
    assert kinds.count("overdue") == 2 and kinds.count("escalated") == 1, kinds


def test_lost_listener_and_lock_connections_come_back(nodes):
    """The listener and the lock connections are cut (a database restart or a failover does
    the same): each node listens again, the streams' clients are told to reload (event
    'gap'), one node takes the jobs again, and events flow across nodes as before."""
    apis = nodes(GENEROUS + ["--notify-interval", "60"])
    leader_of(apis)
    streams = [EventStream(api, "dispatcher") for api in apis]
    try:
        wait_until(lambda: all(s.comments for s in streams), timeout=5, what="the streams to open")
        with db_open(apis[0].server.db) as con:
            cut = con.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                              " WHERE datname = current_database() AND application_name = 'gridloop-side'"
                              ).fetchone()[0]
        assert cut == 4, f"two side connections per node, cut {cut}"
        for s in streams:
            s.wait_for(lambda e, d: e.get("event") == "gap", timeout=10)
        for api in apis:
            wait_until(lambda: "hearing the other nodes again" in api.server.stderr(), timeout=5,
                       what="the listener to reconnect")
        lead = leader_of(apis)
        other = apis[1] if lead is apis[0] else apis[0]
        c = create_case(other, "after-the-cut")
        for s in streams:
            s.wait_for(lambda e, d: d and d["case_id"] == c["id"], timeout=5)
    finally:
        for s in streams:
            s.close()
