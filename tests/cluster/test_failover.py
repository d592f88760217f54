"""
Failover with nothing acknowledged lost (issue 10).

1. The database tier alone: writers INSERT through HAProxy's PostgreSQL frontend while the
   leader's postmaster is killed (kill -9); Patroni fails over to the synchronous standby (or,
   when it cannot confirm the standby at that instant, restarts the primary in place).
2. The same fault under gridloop: writers create cases through HAProxy's HTTP frontend (two
   gridloop nodes) while the PostgreSQL leader's postmaster is killed.
3. One gridloop node killed (kill -9) under the same load.

After each: every acknowledged write is stored, once, and (2, 3) `gridloop audit verify` says
intact. The time without service is recorded (see conftest: printed at the end of the run).
"""
import contextlib
import os
import re
import signal
import subprocess
import time
import uuid

import psycopg2
import pytest
import requests

from conftest import PASSWORD, SCRIPT, USER, alive, record
from load import Load

WRITERS = int(os.environ.get("CLUSTER_WRITERS", "4"))


def pg_connect(cluster, dbname="postgres"):
    c = psycopg2.connect(host="127.0.0.1", port=cluster.port("HAPROXY_PG_PORT"), user="postgres",
                         dbname=dbname, connect_timeout=2)
    c.autocommit = True
    return c


def kill_leader_postmaster(cluster):
    old = cluster.leader()
    assert old in (1, 2), cluster.status()
    pid = cluster.postmaster_pid(old)
    os.kill(pid, signal.SIGKILL)
    return old, pid, time.monotonic()


def restarted_pid(cluster, n, killed):
    """The postmaster of pg{n} if it runs again under a new pid, else None."""
    try:
        pid = cluster.postmaster_pid(n)
    except (OSError, ValueError, AssertionError):
        return None
    return pid if pid != killed else None


def wait_new_leader(cluster, old, killed, timeout=60, in_place_after=15):
    """The leader after the old one's postmaster was killed: normally the synchronous standby.
    Patroni restarts the crashed primary in place instead when, at the moment it notices the
    crash, it cannot confirm that the standby is fit to take over (its REST answer late on a
    loaded machine): primary_start_timeout 0 means "fail over if possible", not "always". That
    is a recovery too, as long as nothing acknowledged is lost (which the callers check), so it
    is accepted once the standby has had in_place_after seconds to take over and did not."""
    start = time.monotonic()
    deadline = start + timeout
    while time.monotonic() < deadline:
        lead = cluster.leader()
        if lead is not None and lead != old:
            return lead, "promoted"
        if (lead == old and time.monotonic() - start > in_place_after
                and restarted_pid(cluster, old, killed) is not None):
            return lead, "restarted in place"
        time.sleep(0.2)
    raise AssertionError(f"no failover from pg{old} within {timeout}s:\n{cluster.status()}")


def test_database_failover_loses_no_acknowledged_insert(cluster):
    cluster.wait_healthy()
    table = "failover_" + uuid.uuid4().hex[:8]
    with contextlib.closing(pg_connect(cluster)) as c, c.cursor() as cur:
        cur.execute(f"CREATE TABLE {table} (rid text NOT NULL, at timestamptz NOT NULL DEFAULT now())")

    def attempt(state, rid):
        try:
            if "conn" not in state:
                state["conn"] = pg_connect(cluster)
            with state["conn"].cursor() as cur:
                cur.execute(f"INSERT INTO {table} (rid) VALUES (%s)", (rid,))
            return "ok", rid
        except psycopg2.Error as e:
            conn = state.pop("conn", None)
            if conn is not None:
                conn.close()
            return "retry", str(e).strip().splitlines()[0][:90] if str(e).strip() else type(e).__name__

    load = Load(attempt, writers=WRITERS, tag="pg").start()
    try:
        assert load.wait_for_acks(200, 30), f"the load did not get going: {load.errors}"
        old, killed, t_kill = kill_leader_postmaster(cluster)
        new, how = wait_new_leader(cluster, old, killed)
        recovered = load.wait_recovered(t_kill)
    finally:
        load.finish()
    assert recovered, f"writes did not resume: {load.errors}\n{cluster.status()}"
    assert not load.failures, load.failures[:5]

    with contextlib.closing(pg_connect(cluster)) as c, c.cursor() as cur:
        cur.execute(f"SELECT rid, count(*) FROM {table} GROUP BY rid")
        stored = dict(cur.fetchall())
    lost = [rid for rid in load.acked if rid not in stored]
    doubled = [rid for rid, n in stored.items() if n > 1]
    gap, at = load.gap(t_kill)
    record("pg-failover", f"kill -9 postmaster of leader pg{old}, pg{new} {how}",
           writers=WRITERS, acknowledged=len(load.acked), lost=len(lost), stored_twice=len(doubled),
           gap_s=gap, gap_starts_s=at, errors=dict(load.errors))
    assert not lost, f"{len(lost)} acknowledged inserts lost: {lost[:10]}"
    cluster.wait_healthy()


def gridloop_attempt(cluster, run):
    """One intake POST through HAProxy; the rid is in the description."""
    url = cluster.http

    def login(state):
        s = requests.Session()
        r = s.post(url + "/api/v1/auth/login", json={"name": USER, "password": PASSWORD}, timeout=(2, 10))
        if r.status_code != 200:
            raise requests.RequestException(f"login {r.status_code}")
        s.headers["Authorization"] = "Bearer " + r.json()["token"]
        state["session"] = s

    def attempt(state, rid):
        try:
            if "session" not in state:
                login(state)
            # The request id is the idempotency key: a retry of an attempt whose answer was
            # lost gets the case that attempt made (docs/api.md, "Retrying safely").
            r = state["session"].post(url + "/api/v1/cases", timeout=(2, 15),
                                      headers={"Idempotency-Key": f"{run}-{rid}"}, json={
                "title": f"路灯不亮 {rid}", "description": f"故障切换测试 请求号 {run} {rid}",
                "channel": "hotline"})
        except requests.RequestException as e:
            state.pop("session", None)
            return "retry", type(e).__name__ + (f" {e}"[:60] if "login" in str(e) else "")
        if r.status_code == 201:
            return "ok", r.json()["id"]
        if r.status_code >= 500:
            try:
                code = r.json()["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = "haproxy"
            return "retry", f"{r.status_code} {code}"
        if r.status_code == 401:
            # The session lives in the database: it must survive a failover. Counted, then
            # logged in again so the run goes on.
            state.pop("session", None)
            return "retry", "401 session lost"
        return "fail", f"{r.status_code} {r.text[:200]}"

    return attempt


def check_cases(cluster, load, run):
    """Every acknowledged case is stored, once, under its own request id; the chain verifies."""
    with contextlib.closing(pg_connect(cluster, cluster.env["DB_NAME"])) as c, c.cursor() as cur:
        cur.execute("SELECT id, description FROM cases WHERE description LIKE %s", (f"故障切换测试 请求号 {run} %",))
        rows = cur.fetchall()
    prefix = f"故障切换测试 请求号 {run} "
    by_id = {i: d[len(prefix):] for i, d in rows}
    per_rid = {}
    for rid in by_id.values():
        per_rid[rid] = per_rid.get(rid, 0) + 1
    lost = [rid for rid, cid in load.acked.items() if by_id.get(cid) != rid]
    ids = list(load.acked.values())
    assert len(set(ids)) == len(ids), "two requests acknowledged with the same case id"
    # A rid stored more than once: an attempt whose answer was lost (connection cut after the
    # commit) and its retry. Through gridloop the rid is the Idempotency-Key, so none; through
    # psql (the database tier alone) it is counted.
    doubled = sorted(rid for rid, n in per_rid.items() if n > 1)
    v = cluster.cli("audit", "verify", "--db", cluster.db_url)
    return lost, doubled, v


def run_gridloop_fault(cluster, fault, name):
    cluster.wait_healthy()
    run = uuid.uuid4().hex[:8]
    load = Load(gridloop_attempt(cluster, run), writers=WRITERS, tag=name).start()
    try:
        assert load.wait_for_acks(100, 60), f"the load did not get going: {load.errors}"
        what, t_fault = fault()
        recovered = load.wait_recovered(t_fault, steady=3.0, timeout=60)
    finally:
        load.finish()
    assert recovered, f"case creation did not resume: {load.errors}\n{cluster.status()}"
    assert not load.failures, load.failures[:5]
    lost, doubled, verify = check_cases(cluster, load, run)
    gap, at = load.gap(t_fault)
    record(name, what, writers=WRITERS, acknowledged=len(load.acked), lost=len(lost),
           stored_twice=len(doubled), gap_s=gap, gap_starts_s=at, errors=dict(load.errors))
    assert not lost, f"{len(lost)} acknowledged cases lost: {lost[:10]}"
    assert not doubled, f"retries stored twice despite their idempotency key: {doubled[:10]}"
    assert verify.returncode == 0 and "intact" in verify.stdout, verify.stdout + verify.stderr
    return load


def wait_one_jobs_node(cluster, timeout=30):
    """Exactly one live node runs the background jobs (its session advisory lock): after the
    primary died that lock died with its connection, and a node must take it on the new one."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = {}
        for n in range(1, cluster.nodes + 1):
            if not alive(cluster.node_pid(n)):
                continue
            try:
                text = requests.get(f"http://127.0.0.1:{cluster.port(f'GRIDLOOP{n}_PORT')}/metrics", timeout=2,
                                    headers={"Authorization": "Bearer " + cluster.env["METRICS_TOKEN"]}).text
                seen[n] = int(re.search(r"^gridloop_node_jobs (\d)$", text, re.M).group(1))
            except (requests.RequestException, AttributeError):
                seen[n] = None
        if list(seen.values()).count(1) == 1 and None not in seen.values():
            return [n for n, v in seen.items() if v == 1][0]
        time.sleep(0.5)
    raise AssertionError(f"not exactly one node runs the jobs after {timeout}s: {seen}")


def test_gridloop_survives_database_failover(cluster):
    if cluster.nodes < 1:
        pytest.fail("needs gridloop nodes (CLUSTER_NODES >= 1)")

    def fault():
        old, killed, t = kill_leader_postmaster(cluster)
        new, how = wait_new_leader(cluster, old, killed)
        return f"kill -9 postmaster of leader pg{old}, pg{new} {how}", t

    run_gridloop_fault(cluster, fault, "gridloop-pg-failover")
    for n in range(1, cluster.nodes + 1):
        assert alive(cluster.node_pid(n)), f"gridloop{n} died:\n{cluster.log_tail(f'gridloop{n}.log')}"
    cluster.wait_healthy()
    wait_one_jobs_node(cluster)


def test_gridloop_survives_a_node_killed(cluster):
    if cluster.nodes < 2:
        pytest.fail("needs two gridloop nodes (CLUSTER_NODES >= 2)")

    # Kill the node that runs the background jobs, so the survivor must take them over.
    victim = wait_one_jobs_node(cluster)

    def fault():
        pid = cluster.node_pid(victim)
        os.kill(pid, signal.SIGKILL)
        return f"kill -9 gridloop{victim} (pid {pid}, the jobs node), {cluster.nodes - 1} node(s) left", time.monotonic()

    run_gridloop_fault(cluster, fault, "gridloop-node-killed")
    assert cluster.haproxy_servers("gridloop").get(f"gl{victim}") == "DOWN"
    assert wait_one_jobs_node(cluster) != victim
    # `up` on the running cluster starts the dead node again; HAProxy takes it back.
    old_pid = cluster.node_pid(victim)
    up = subprocess.run([SCRIPT, "up"], capture_output=True, text=True, env=cluster.script_env(), timeout=120)
    assert up.returncode == 0, up.stdout + up.stderr
    assert cluster.node_pid(victim) != old_pid and alive(cluster.node_pid(victim))
    cluster.wait_healthy(timeout=30)
    assert set(cluster.haproxy_servers("gridloop").values()) == {"UP"}
    wait_one_jobs_node(cluster)
