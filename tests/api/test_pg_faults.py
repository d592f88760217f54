"""
PostgreSQL faults: a wrong connection string, a database that is not there at start, a
database that goes away while serving and comes back, and two nodes migrating one new
database at once.

These tests run with the PostgreSQL suite (GRIDLOOP_TEST_PG set, scripts/with-pg.sh). The
outage test stops and starts a PostgreSQL of its own (initdb in a temporary directory on a
random loopback port), so the shared server of the other tests is never disturbed.
"""
import os
import subprocess
import threading
import time

import pytest
import requests

from conftest import (BIN, PASSWORD, PG, Api, Server, child_env, db_open, free_port, new_db,
                      run_cli, unique)

pytestmark = pytest.mark.skipif(not PG, reason="PostgreSQL tests: run under scripts/with-pg.sh")

def test_wrong_connection_string_and_unreachable_database(tmp_path):
    t0 = time.monotonic()
    # Nothing listens on this port.
    p = run_cli("serve", "--db", f"postgresql://postgres@127.0.0.1:{free_port()}/gl", "--listen",
                f"127.0.0.1:{free_port()}")
    assert p.returncode != 0
    assert "cannot connect to PostgreSQL" in p.stderr and "Connection refused" in p.stderr, p.stderr
    assert time.monotonic() - t0 < 15
    # A database that does not exist: named in the message, nothing created.
    p = run_cli("init", "--db", f"{PG}/no_such_db_{os.getpid()}")
    assert p.returncode != 0 and "no_such_db" in p.stderr, p.stderr
    # A malformed URL.
    p = run_cli("init", "--db", "postgresql://[::1/broken")
    assert p.returncode != 0 and "cannot connect to PostgreSQL" in p.stderr, p.stderr


def test_two_nodes_migrate_one_database_at_once(tmp_path):
    db = new_db(tmp_path, "race")
    procs = [subprocess.Popen([BIN, "init", "--db", db], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=child_env()) for _ in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    with db_open(db) as con:
        versions = [v for (v,) in con.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == sorted(set(versions)) and len(versions) >= 8
    # Each step was applied by exactly one of them (the others waited, then found it done).
    applied = sum(o[1].count("applied migration") for o in outs)
    assert applied == len(versions), outs


def test_database_outage_gives_503_and_the_server_reconnects(tmp_path, own_pg):
    d = str(tmp_path / "srv")
    os.makedirs(d)
    p = run_cli("init", "--db", own_pg.url, "--demo", "--demo-password", PASSWORD)
    assert p.returncode == 0, p.stderr
    srv = Server(d, None, ["--request-timeout", "60"], db=own_pg.url).start()
    api = Api(srv)
    try:
        op = api.login("operator")
        body = {"channel": "hotline", "title": "停电前", "description": "数据库停机之前受理的工单",
                "citizen": {"name": "张三", "phone": "13800138000"}}
        acked = []
        r = op.post(api.url("/api/v1/cases"), json=body, timeout=30)
        assert r.status_code == 201, r.text
        acked.append(r.json()["id"])

        own_pg.stop()
        # While the database is away: 503 with the error body, never a 2xx, never a hang.
        r = op.post(api.url("/api/v1/cases"), json=dict(body, title="停机中"), timeout=30)
        assert r.status_code == 503, r.text
        e = r.json()["error"]
        assert e["code"] == "unavailable" and e["message"], e
        assert requests.get(api.url("/healthz"), timeout=30).status_code == 503
        r = op.get(api.url(f"/api/v1/cases/{acked[0]}"), timeout=30)
        assert r.status_code == 503, r.text

        own_pg.start()
        # Back: the same server answers again without a restart.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if requests.get(api.url("/healthz"), timeout=30).status_code == 200:
                break
            time.sleep(0.2)
        assert requests.get(api.url("/healthz"), timeout=30).status_code == 200
        ok = None
        for _ in range(20):  # the first statement on each old connection may still see the loss
            ok = op.post(api.url("/api/v1/cases"), json=dict(body, title="恢复后"), timeout=30)
            if ok.status_code == 201:
                break
            assert ok.status_code == 503, ok.text
        assert ok.status_code == 201, ok.text
        acked.append(ok.json()["id"])
        for cid in acked:
            r = op.get(api.url(f"/api/v1/cases/{cid}"), timeout=30)
            assert r.status_code == 200, r.text
        with db_open(own_pg.url) as con:
            n = con.execute("SELECT count(*) FROM cases WHERE title = '停机中'").fetchone()[0]
        assert n == 0  # answered 503, so not created either
    finally:
        srv.check_clean_exit()


def test_outage_under_load_loses_no_acknowledged_case(tmp_path, own_pg):
    """Writers keep creating cases while the database is stopped and started: every 201 is in
    the database afterwards, and no request is answered 2xx while it is down."""
    d = str(tmp_path / "srv")
    os.makedirs(d)
    assert run_cli("init", "--db", own_pg.url, "--demo", "--demo-password", PASSWORD).returncode == 0
    srv = Server(d, None, ["--request-timeout", "60"], db=own_pg.url).start()
    api = Api(srv)
    op = api.login("operator")
    acked, statuses, stop, lock = [], [], threading.Event(), threading.Lock()

    def writer(k):
        s = requests.Session()
        s.headers.update(op.headers)
        i = 0
        while not stop.is_set():
            i += 1
            title = f"负载{k}-{i}-{unique()}"
            try:
                r = s.post(api.url("/api/v1/cases"), timeout=30,
                           json={"channel": "hotline", "title": title, "description": "故障期间的受理"})
            except requests.RequestException as e:
                with lock:
                    statuses.append(str(e)[:80])
                continue
            with lock:
                statuses.append(r.status_code)
                if r.status_code == 201:
                    acked.append(r.json()["id"])
            if r.status_code != 201:
                time.sleep(0.05)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        own_pg.stop()
        time.sleep(1.5)
        own_pg.start()
        deadline = time.monotonic() + 30
        before = len(acked)
        while time.monotonic() < deadline and len(acked) < before + 20:
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert len(acked) >= 20, statuses[-20:]
    assert 503 in statuses, "the outage was not seen"
    assert all(s in (201, 503) for s in statuses), [s for s in statuses if s not in (201, 503)][:5]
    with db_open(own_pg.url) as con:
        have = {i for (i,) in con.execute("SELECT id FROM cases")}
    assert set(acked) <= have, sorted(set(acked) - have)[:10]
    assert len(acked) == len(set(acked))
    srv.check_clean_exit()


def test_read_only_database_gives_503_not_500(tmp_path, own_pg):
    """What a node sees for a moment in a failover: its connections reach a server that
    refuses writes (a standby, a demoted primary; here default_transaction_read_only).
    Writes are answered 503 (never 500, never 2xx), reads go on, and once writes are
    accepted again the same server creates cases."""
    d = str(tmp_path / "srv")
    os.makedirs(d)
    assert run_cli("init", "--db", own_pg.url, "--demo", "--demo-password", PASSWORD).returncode == 0
    srv = Server(d, None, [], db=own_pg.url).start()
    api = Api(srv)
    op = api.login("operator")
    body = {"channel": "hotline", "title": "只读", "description": "只读期间的受理"}
    first = op.post(api.url("/api/v1/cases"), json=body, timeout=30)
    assert first.status_code == 201, first.text

    def set_read_only(on):
        with db_open(own_pg.url) as con:
            con.execute(f"ALTER SYSTEM SET default_transaction_read_only = {'on' if on else 'off'}")
            con.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)

    try:
        set_read_only(True)
        for _ in range(3):
            r = op.post(api.url("/api/v1/cases"), json=body, timeout=30)
            assert r.status_code == 503, r.text
            assert r.json()["error"]["code"] == "unavailable"
        r = op.get(api.url(f"/api/v1/cases/{first.json()['id']}"), timeout=30)
        assert r.status_code == 200, r.text
    finally:
        set_read_only(False)
    r = op.post(api.url("/api/v1/cases"), json=body, timeout=30)
    assert r.status_code == 201, r.text
    srv.check_clean_exit()
