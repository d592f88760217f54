"""Issue 11, items 15-17 (ops): `serve` never creates a system or a key, /healthz reports a
database that takes no writes, and the audit chain is anchored by a signed head kept outside
the database. Each runs on SQLite and, under scripts/with-pg.sh, on PostgreSQL."""
import concurrent.futures
import hashlib
import os
import re
import shutil
import subprocess
import time

import pytest
import requests

from conftest import (BIN, PASSWORD, PG, Api, Server, child_env, db_open, free_port, is_pg,
                      new_db, run_cli, sidecar)

HEAD_RE = re.compile(r"gridloop-audit-head/1 seq=(\d+) hash=([0-9a-f]{64}) at=(\d+) "
                     r"key=([0-9a-f]{64}) sig=([0-9a-f]{128})")


def serve_once(db, *args, timeout=30):
    """Run `serve` expecting it to refuse: returns the finished process (killed if it did
    start, which fails the test)."""
    cmd = [BIN, "serve", "--db", db, "--listen", f"127.0.0.1:{free_port()}", "--web", "", *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, env=child_env(),
                              timeout=timeout, cwd=os.environ.get("GRIDLOOP_TEST_PG_HOME") or None)
    except subprocess.TimeoutExpired:
        pytest.fail("serve started instead of refusing")


def init(db, demo=True):
    args = ["init", "--db", db] + (["--demo", "--demo-password", PASSWORD] if demo else [])
    p = run_cli(*args)
    assert p.returncode == 0, p.stderr
    return p


USERS = ("admin", "supervisor", "operator", "citizen", "data_officer")


def system(tmp_path, name, db=None):
    """A small system of its own (no demo data: fast on the sanitizer build too): init, one user
    per role the tests need, and the audit signing key made the way an install from before the
    anchor gets it (init run again adds it). Its database (db, else a new one) and public key."""
    db = db or new_db(tmp_path, name)
    init(db, demo=False)
    for u in USERS:
        p = run_cli("user", "add", "--db", db, "--name", u, "--password", PASSWORD, "--role", u)
        assert p.returncode == 0, p.stderr
    os.unlink(sidecar(db, ".audit-key"))
    p = init(db, demo=False)
    assert "(new)" in p.stdout, p.stdout
    return db, re.search(r"public key ([0-9a-f]{64})", p.stdout).group(1)


def poll(fn, timeout=20, step=0.25):
    """fn() until it returns something true; that value (fails after 'timeout' seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(step)


def schema_tables(db):
    with db_open(db) as con:
        if is_pg(db):
            q = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        else:
            q = "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        return con.execute(q).fetchone()[0]


# ---------------------------------------------------------------- item 16: no blank system

def test_serve_refuses_a_missing_or_empty_database(tmp_path):
    if PG:
        # A database without gridloop's schema: refused, and left without one.
        db = new_db(tmp_path, "blank")
        p = serve_once(db)
        assert p.returncode != 0
        assert "holds no gridloop system" in p.stderr and "gridloop init" in p.stderr, p.stderr
        assert schema_tables(db) == 0
        return
    missing = str(tmp_path / "sub" / "missing.db")
    p = serve_once(missing)
    assert p.returncode != 0
    assert "does not exist" in p.stderr and "gridloop init" in p.stderr and missing in p.stderr
    assert not os.path.exists(missing) and not os.path.exists(missing + ".key")
    assert not os.path.exists(os.path.dirname(missing))
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    p = serve_once(str(empty))
    assert p.returncode != 0 and "is empty" in p.stderr, p.stderr
    assert empty.stat().st_size == 0 and not os.path.exists(str(empty) + ".key")
    # The other commands that open a database do not create one either.
    p = run_cli("audit", "verify", "--db", missing)
    assert p.returncode != 0 and "does not exist" in p.stderr
    assert not os.path.exists(missing)


# ---------------------------------------------------------------- item 15: keys

def test_serve_refuses_without_its_data_key_and_init_will_not_replace_it(tmp_path):
    db, _ = system(tmp_path, "nokey")
    key = sidecar(db, ".key")
    saved = open(key, "rb").read()
    os.unlink(key)
    p = serve_once(db)
    assert p.returncode != 0
    assert "data key" in p.stderr and key.split("/")[-1] in p.stderr and "restore" in p.stderr, p.stderr
    assert not os.path.exists(key), "serve created a new data key"
    # init on a database that holds data does not make a new key either.
    p = run_cli("init", "--db", db)
    assert p.returncode != 0 and "holds data" in p.stderr, p.stderr
    assert not os.path.exists(key)
    # Restored, the same database serves again.
    with open(key, "wb") as f:
        f.write(saved)
    os.chmod(key, 0o600)
    srv = Server(str(tmp_path / "srv"), None, db=db).start()
    try:
        assert requests.get(srv.base + "/healthz", timeout=10).status_code == 200
    finally:
        srv.stop()
        srv.check_clean_exit()


def test_serve_refuses_a_port_another_server_listens_on(server_factory, tmp_path):
    """A second server started on an address already served fails at once, naming it: it must
    not share the port (SO_REUSEPORT would hand it every other connection, two databases
    answering one address). Restarting on the port of a server that has stopped still works."""
    api = server_factory()
    srv = api.server
    assert api.get("admin", "/api/v1/cases").status_code == 200  # connections in TIME_WAIT
    other = new_db(tmp_path, "other")
    init(other, demo=False)
    cmd = [BIN, "serve", "--db", other, "--listen", f"127.0.0.1:{srv.port}", "--web", ""]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), timeout=30,
                           cwd=os.environ.get("GRIDLOOP_TEST_PG_HOME") or None)
    except subprocess.TimeoutExpired:
        pytest.fail("a second server started on a port already served")
    assert p.returncode != 0
    assert f"cannot listen on '127.0.0.1:{srv.port}'" in p.stderr, p.stderr
    assert requests.get(srv.base + "/healthz", timeout=5).status_code == 200
    srv.stop()
    srv.fixed_port = srv.port
    srv.start()
    assert api.get("admin", "/api/v1/cases").status_code == 200


def test_init_creates_the_keys_of_a_new_system(tmp_path):
    db = new_db(tmp_path, "fresh")
    p = init(db, demo=False)
    assert os.path.exists(sidecar(db, ".key"))
    assert os.stat(sidecar(db, ".audit-key")).st_mode & 0o077 == 0
    m = re.search(r"audit signing key .* public key ([0-9a-f]{64})", p.stdout)
    assert m, p.stdout
    # Again: the same keys, the same public key.
    p2 = init(db, demo=False)
    assert m.group(1) in p2.stdout


# ---------------------------------------------------------------- item 16: write health

def _health(api):
    r = requests.get(api.url("/healthz"), timeout=15)
    return r.status_code, r.json()


def test_healthz_reports_a_database_that_takes_no_writes(tmp_path, request):
    # On PostgreSQL the whole server is made read-only: one of this test's own, not the shared
    # one that other workers' tests are writing to at the same moment.
    db, _ = system(tmp_path, "health", db=request.getfixturevalue("own_pg").url if PG else None)
    srv = Server(str(tmp_path / "srv"), None, ["--health-probe-interval", "1"], db=db).start()
    api = Api(srv)
    assert _health(api) == (200, {"status": "ok"})
    op = api.login("operator")  # a login writes its session
    if is_pg(db):
        def set_read_only(on):
            with db_open(db) as con:
                con.execute(f"ALTER SYSTEM SET default_transaction_read_only = {'on' if on else 'off'}")
                con.execute("SELECT pg_reload_conf()")
    else:
        # As root, permissions do not stop writes: the immutable flag does, even through the
        # descriptors the server holds open (the -shm file stays writable: it is mapped).
        files = [db, db + "-wal"]

        def set_read_only(on):
            r = subprocess.run(["chattr", "+i" if on else "-i", *files], capture_output=True)
            if r.returncode != 0:
                pytest.skip(f"chattr not available here: {r.stderr!r}")
    try:
        set_read_only(True)
        status, body = poll(lambda: (lambda h: h if h[0] == 503 else None)(_health(api)))
        assert body["status"] == "degraded"
        assert body["reason"] in ("db_read_only", "db_io_error", "db_disk_full"), body
        assert body["error"]["code"] == "unavailable"
        # A write (a login stores its session) fails, never 2xx, while reads go on.
        r = api.login_raw("admin")
        assert r.status_code in (500, 503), r.text  # an I/O error (SQLite) or read-only
        assert op.get(api.url("/api/v1/me"), timeout=10).status_code == 200
    finally:
        set_read_only(False)
    poll(lambda: _health(api)[0] == 200)
    # Every connection takes writes again, including those first opened during the spell
    # (SQLite opened their files read-only): logins from several threads at once.
    with concurrent.futures.ThreadPoolExecutor(12) as ex:
        codes = list(ex.map(lambda _: api.login_raw("admin").status_code, range(24)))
    assert codes == [200] * 24, codes
    srv.stop()
    assert "takes no writes" in srv.stderr() and "takes writes again" in srv.stderr()
    srv.check_clean_exit()


# ---------------------------------------------------------------- item 17: the audit anchor

def _chain_hash(prev, seq, at, actor_id, actor_name, action, target, before, after):
    h = hashlib.sha256()
    for s in (prev, f"{seq}/{at}/{actor_id}", actor_name, action, target, before, after):
        b = s.encode()
        h.update(f"{len(b)}:".encode() + b)
    return h.hexdigest()


def _rewrite_chain(db, seq, new_action):
    """What someone who can write the database does: change entry 'seq' and recompute every
    hash after it, so that the chain verifies again."""
    with db_open(db) as con:
        rows = con.execute("SELECT seq, at, coalesce(actor_id, 0), actor_name, action, target,"
                           " before_digest, after_digest FROM audit_log ORDER BY seq").fetchall()
        prev = "0" * 64
        for r in rows:
            r = list(r)
            if r[0] == seq:
                r[4] = new_action
            h = _chain_hash(prev, *r)
            if r[0] >= seq:
                con.execute("UPDATE audit_log SET action = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                            [r[4], prev, h, r[0]])
            prev = h


def _verify(db, *args):
    return run_cli("audit", "verify", "--db", db, *args)


def test_audit_head_is_signed_published_and_role_protected(tmp_path):
    db, pk = system(tmp_path, "anchor")
    srv = Server(str(tmp_path / "srv"), None,
                 ["--sweep-interval", "1", "--audit-anchor-interval", "1"], db=db).start()
    api = Api(srv)
    assert requests.get(api.url("/api/v1/audit/head"), timeout=10).status_code == 401
    for role in ("operator", "citizen", "data_officer"):
        assert api.get(role, "/api/v1/audit/head").status_code == 403
    r = api.get("admin", "/api/v1/audit/head")
    assert r.status_code == 200, r.text
    head = r.json()
    m = HEAD_RE.fullmatch(head["signed"])
    assert m and int(m.group(1)) == head["seq"] >= 1 and m.group(2) == head["hash"]
    assert head["public_key"] == pk == m.group(4)
    assert api.get("supervisor", "/api/v1/audit/head").status_code == 200
    # The log gets the head periodically (the sweeper's tick), once the chain has grown.
    poll(lambda: HEAD_RE.search(srv.stderr()))
    srv.stop()
    srv.check_clean_exit()
    # The log itself is a file of heads audit verify reads.
    log = os.path.join(srv.dir, "stderr.log")
    p = _verify(db, "--head", log, "--public-key", pk)
    assert p.returncode == 0 and "signed heads agree" in p.stdout, p.stdout + p.stderr
    p = _verify(db, "--head", head["signed"])  # this server's own key, found beside the db
    assert p.returncode == 0, p.stdout + p.stderr


def test_audit_verify_against_a_head_detects_truncation_and_recomputation(tmp_path):
    db, pk = system(tmp_path, "tamper")
    srv = Server(str(tmp_path / "srv"), None, db=db).start()
    api = Api(srv)
    head = api.get("admin", "/api/v1/audit/head").json()
    srv.stop()
    srv.check_clean_exit()
    line = head["signed"]
    assert _verify(db, "--head", line, "--public-key", pk).returncode == 0

    # Malformed, forged or foreign heads are refused before the database is judged.
    p = _verify(db, "--head", line.replace("seq=", "seq=x"), "--public-key", pk)
    assert p.returncode == 2 and "seq" in p.stderr
    forged = line.replace(f"seq={head['seq']} ", f"seq={head['seq'] + 5} ")
    p = _verify(db, "--head", forged, "--public-key", pk)
    assert p.returncode != 0 and "signature" in p.stderr, p.stdout + p.stderr
    p = _verify(db, "--head", line, "--public-key", "ab" * 32)
    assert p.returncode != 0 and "signature" in p.stderr

    # Truncation: the newest entries deleted. The chain alone still verifies; the head does not.
    with db_open(db) as con:
        con.execute("DELETE FROM audit_log WHERE seq > ?", [head["seq"] - 2])
    assert _verify(db).returncode == 0
    p = _verify(db, "--head", line, "--public-key", pk)
    assert p.returncode != 0 and "deleted from the chain's end" in p.stdout, p.stdout + p.stderr

    # Recomputation: an older entry rewritten and every hash after it recomputed.
    db2, _ = system(tmp_path, "tamper2")
    srv = Server(str(tmp_path / "srv2"), None, db=db2).start()
    api = Api(srv)
    line2 = api.get("admin", "/api/v1/audit/head").json()["signed"]
    srv.stop()
    srv.check_clean_exit()
    _rewrite_chain(db2, 2, "nothing.happened")
    assert _verify(db2).returncode == 0, "the rewrite should fool the plain chain check"
    p = _verify(db2, "--head", line2)
    assert p.returncode != 0 and "rewritten" in p.stdout, p.stdout + p.stderr
