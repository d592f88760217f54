"""Process lifecycle and the command line: graceful shutdown, CLI commands, audit verification,
and configuration precedence (flag > environment > config file > default)."""
import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest
import requests

from conftest import BIN, PASSWORD, Api, Server, child_env, copy_db, db_open, free_port, new_db, run_cli


def wait_for(pred, timeout=15, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def in_flight(api):
    text = api.get("data_officer", "/metrics", timeout=5).text  # /metrics needs credentials
    return int(re.search(r"^gridloop_http_in_flight (\d+)$", text, re.M).group(1))


def read_response(sock, timeout=20):
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
            if m and len(rest) >= int(m.group(1)):
                break
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


@pytest.mark.parametrize("password,status", [(PASSWORD, 200), ("wrong-password", 401)])
def test_graceful_shutdown_finishes_request_in_flight(server_factory, password, status):
    api = server_factory()
    srv = api.server
    body = json.dumps({"name": "admin", "password": password}).encode()
    head = (f"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        sock.sendall(head + body[:10])
        # The server has seen the headers when the request counts as in flight (the
        # /metrics request that asks is the other one).
        wait_for(lambda: in_flight(api) >= 2, what="request in flight")
        srv.signal(signal.SIGTERM)
        wait_for(lambda: "received SIGTERM" in srv.stderr(), what="shutdown to begin")
        # No new connections once shutdown has begun...
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
        assert srv.proc.poll() is None, "the server must wait for the request in flight"
        # ...but the request in flight completes.
        sock.sendall(body[10:])
        got, head_text, payload = read_response(sock)
    finally:
        sock.close()
    assert got == status, head_text
    reply = json.loads(payload)
    if status == 200:
        assert len(reply["token"]) == 43 and reply["user"]["name"] == "admin"
    else:
        assert reply["error"]["code"] == "unauthorized"
    assert srv.proc.wait(timeout=20) == 0
    assert "stopped cleanly" in srv.stderr()


def test_sigint_and_idle_keepalive(server_factory):
    """SIGINT stops the server too, and an idle keep-alive connection does not hold it up."""
    api = server_factory()
    s = requests.Session()
    assert s.get(api.url("/healthz")).status_code == 200  # leaves a keep-alive connection open
    t0 = time.monotonic()
    api.server.signal(signal.SIGINT)
    assert api.server.proc.wait(timeout=20) == 0
    assert time.monotonic() - t0 < 8
    assert "received SIGINT" in api.server.stderr()


# ------------------------------------------------------------------ CLI

def test_help_lists_settings():
    p = run_cli("--help")
    assert p.returncode == 0
    for cmd in ("init --db", "serve --db", "user add", "user passwd", "user list", "audit verify"):
        assert cmd in p.stdout, cmd
    for name in ("db", "listen", "web", "threads", "max_body_bytes", "shutdown_grace", "login_max_user_failures",
                 "login_max_ip_failures", "login_window", "session_ttl", "log_level", "config"):
        assert "--" + name.replace("_", "-") in p.stdout, name
        assert "GRIDLOOP_" + name.upper() in p.stdout, name
    none = run_cli()
    assert none.returncode == 2 and "usage:" in none.stderr


def test_version():
    p = run_cli("--version")
    assert p.returncode == 0
    assert re.fullmatch(r"gridloop \d+\.\d+\.\d+\S*\n", p.stdout)


def test_unknown_command_and_option(tmp_path):
    p = run_cli("frobnicate")
    assert p.returncode == 2 and "unknown command" in p.stderr
    p = run_cli("init", "--db", str(tmp_path / "db"), "--bogus")
    assert p.returncode == 2 and "--bogus" in p.stderr
    p = run_cli("serve", "--threads", "lots")
    assert p.returncode == 2 and "threads" in p.stderr


def test_user_add_list_and_login(server_factory):
    api = server_factory()
    db = api.server.db
    # The CLI writes while the server runs (SQLite WAL); the server sees the new user at once.
    p = run_cli("user", "add", "--db", db, "--name", "cli_user", "--password", "cli-pass-123",
                "--role", "operator,supervisor", "--display-name", "命令行用户", "--phone", "13900001111")
    assert p.returncode == 0, p.stderr
    m = re.search(r"user cli_user created with id (\d+)", p.stdout)
    assert m
    r = api.login_raw("cli_user", "cli-pass-123")
    assert r.status_code == 200, r.text
    u = r.json()["user"]
    assert u["id"] == int(m.group(1)) and u["roles"] == ["operator", "supervisor"]
    assert u["display_name"] == "命令行用户"

    p = run_cli("user", "list", "--db", db)
    assert p.returncode == 0
    line = next(ln for ln in p.stdout.splitlines() if " cli_user " in ln)
    assert "operator,supervisor" in line and line.rstrip().endswith("yes")
    # header, demo users, the demo grid workers (one per grid and a night worker in grids 1
    # and 4 of each community: 96 + 32, less grid_worker, who is a demo user already), the demo
    # Open311 client's service account, the new one
    assert len(p.stdout.splitlines()) == 1 + 11 + 127 + 1 + 1

    # Duplicate name.
    p = run_cli("user", "add", "--db", db, "--name", "cli_user", "--password", "cli-pass-123", "--role", "operator")
    assert p.returncode != 0 and "cli_user" in p.stderr

    # user passwd ends the old password.
    p = run_cli("user", "passwd", "--db", db, "--name", "cli_user", "--password", "cli-pass-456")
    assert p.returncode == 0, p.stderr
    assert api.login_raw("cli_user", "cli-pass-123").status_code == 401
    assert api.login_raw("cli_user", "cli-pass-456").status_code == 200

    audit = api.items("admin", "/api/v1/audit?limit=20")
    assert any(a["action"] == "user.create" and a["actor_name"] == "gridloop cli" for a in audit)


@pytest.mark.parametrize("args,needle", [
    (["--role", "overlord"], "overlord"),
    (["--role", ""], "role"),
    (["--role", "operator,,admin"], "unknown role"),
    (["--role", "operator", "--name", "z"], "user name"),
    (["--role", "operator", "--department", "x"], "--department"),
    (["--role", "operator", "--password", "short"], "password"),
    (["--role", "operator", "--region", "999999"], "999999"),
])
def test_user_add_refusals(tmp_path, template_db, args, needle):
    db = new_db(tmp_path, create=False)
    copy_db(template_db, db)
    base = ["user", "add", "--db", db, "--name", "bad_user", "--password", "good-pass-1"]
    p = run_cli(*base, *args)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.startswith("gridloop: ") and needle in p.stderr, p.stderr
    assert "bad_user" not in run_cli("user", "list", "--db", db).stdout


def test_bad_role_message_lists_roles(tmp_path, template_db):
    db = new_db(tmp_path, create=False)
    copy_db(template_db, db)
    p = run_cli("user", "add", "--db", db, "--name", "x_user", "--password", "good-pass-1", "--role", "king")
    assert p.returncode == 2
    for role in ("citizen", "operator", "handler", "grid_worker", "admin"):
        assert role in p.stderr


def test_audit_verify_detects_tampering(tmp_path, template_db):
    db = new_db(tmp_path, "db", create=False)
    copy_db(template_db, db)
    for i in range(3):
        assert run_cli("user", "add", "--db", db, "--name", f"aud{i}", "--password", "audit-pass-1",
                       "--role", "citizen").returncode == 0
    p = run_cli("audit", "verify", "--db", db)
    # the demo load, the demo Open311 client, the demo address register, the demo grid
    # workers, the three users
    assert p.returncode == 0 and "intact: 7 entries" in p.stdout

    # Change the content of entry 2 (in a copy).
    bad = new_db(tmp_path, "tampered", create=False)
    copy_db(db, bad)
    with db_open(bad) as c:
        assert c.execute("UPDATE audit_log SET target = 'user/999' WHERE seq = 2").rowcount == 1
    p = run_cli("audit", "verify", "--db", bad)
    assert p.returncode != 0
    assert "BROKEN at entry 2" in p.stdout and "altered" in p.stdout
    assert "entry 2" in p.stderr

    # Recomputing nothing but deleting an entry in the middle is caught too.
    bad2 = new_db(tmp_path, "tampered2", create=False)
    copy_db(db, bad2)
    with db_open(bad2) as c:
        c.execute("DELETE FROM audit_log WHERE seq = 3")
    p = run_cli("audit", "verify", "--db", bad2)
    assert p.returncode != 0 and "BROKEN at entry 3" in p.stdout

    # Rewriting a hash to match the altered content breaks the link to the next entry.
    bad3 = new_db(tmp_path, "tampered3", create=False)
    copy_db(db, bad3)
    with db_open(bad3) as c:
        # (a hash that already starts with ff gets 00: the change must be a change)
        c.execute("UPDATE audit_log SET hash = CASE WHEN substr(hash, 1, 2) = 'ff' THEN '00' ELSE 'ff' END"
                  " || substr(hash, 3) WHERE seq = 1")
    p = run_cli("audit", "verify", "--db", bad3)
    assert p.returncode != 0 and "BROKEN at entry 1" in p.stdout

    # The original is untouched.
    assert run_cli("audit", "verify", "--db", db).returncode == 0


def test_audit_verify_api(gl):
    r = gl.get("admin", "/api/v1/audit/verify")
    assert r.status_code == 200
    v = r.json()
    assert v["ok"] is True and v["entries"] >= 1 and "first_bad_entry" not in v


# ------------------------------------------------------------------ configuration precedence

def serve_until_healthy(args, env, workdir, port):
    """Start serve with exactly these args/env; return the process once port answers."""
    err = open(os.path.join(workdir, f"stderr-{port}.log"), "wb")
    proc = subprocess.Popen([BIN, "serve", *args], stdout=subprocess.DEVNULL, stderr=err, env=child_env(env))
    err.close()
    try:
        wait_for(lambda: proc.poll() is not None or _answers(port), timeout=30, what=f"server on {port}")
    except AssertionError:
        proc.kill()
        proc.wait()
        raise
    assert proc.poll() is None, open(os.path.join(workdir, f"stderr-{port}.log")).read()
    return proc


def _answers(port):
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        return False


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


def test_config_precedence_listen(tmp_path, template_db):
    db = new_db(tmp_path, create=False)
    copy_db(template_db, db)
    p_file, p_env, p_flag = free_port(), free_port(), free_port()
    while len({p_file, p_env, p_flag}) < 3:
        p_env, p_flag = free_port(), free_port()
    conf = tmp_path / "gridloop.conf"
    conf.write_text(f"# test config\ndb = {db}\nlisten = \"127.0.0.1:{p_file}\"\naccess_log = false\n"
                    f"login_window = 60   # seconds\n")

    # File only.
    proc = serve_until_healthy(["--config", str(conf), "--web", ""], {}, str(tmp_path), p_file)
    stop(proc)
    # Environment beats the file.
    proc = serve_until_healthy(["--config", str(conf)], {"GRIDLOOP_LISTEN": f"127.0.0.1:{p_env}"},
                               str(tmp_path), p_env)
    assert not _answers(p_file)
    stop(proc)
    # A flag beats both; GRIDLOOP_CONFIG names the file like --config does.
    proc = serve_until_healthy(["--listen", f"127.0.0.1:{p_flag}"],
                               {"GRIDLOOP_LISTEN": f"127.0.0.1:{p_env}", "GRIDLOOP_CONFIG": str(conf)},
                               str(tmp_path), p_flag)
    assert not _answers(p_file) and not _answers(p_env)
    stop(proc)
    assert run_cli("audit", "verify", "--db", db).returncode == 0


def test_config_precedence_db(tmp_path):
    """The same order for another setting, seen through `init` (no server needed)."""
    conf = tmp_path / "c.conf"
    conf.write_text(f"db = {tmp_path / 'from-file.db'}\n")
    p = run_cli("init", "--config", str(conf))
    assert p.returncode == 0 and "from-file.db" in p.stdout
    p = run_cli("init", "--config", str(conf), env={"GRIDLOOP_DB": str(tmp_path / "from-env.db")})
    assert p.returncode == 0 and "from-env.db" in p.stdout
    p = run_cli("init", "--config", str(conf), "--db", str(tmp_path / "from-flag.db"),
                env={"GRIDLOOP_DB": str(tmp_path / "from-env.db")})
    assert p.returncode == 0 and "from-flag.db" in p.stdout
    p = run_cli("init", f"--db={tmp_path / 'inline.db'}")
    assert p.returncode == 0 and "inline.db" in p.stdout
    for name in ("from-file.db", "from-env.db", "from-flag.db", "inline.db"):
        assert (tmp_path / name).exists()


def test_config_errors(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("db = x.db\nthreads = lots\n")
    p = run_cli("init", "--config", str(conf))
    assert p.returncode == 2 and f"{conf}:2" in p.stderr and "threads" in p.stderr
    conf.write_text("colour = blue\n")
    p = run_cli("init", "--config", str(conf))
    assert p.returncode == 2 and "unknown setting 'colour'" in p.stderr
    conf.write_text("just words\n")
    p = run_cli("init", "--config", str(conf))
    assert p.returncode == 2 and "name = value" in p.stderr
    p = run_cli("init", "--config", str(tmp_path / "missing.conf"))
    assert p.returncode != 0 and "missing.conf" in p.stderr
    p = run_cli("init", "--db", str(tmp_path / "x.db"), env={"GRIDLOOP_LOGIN_WINDOW": "5"})
    assert p.returncode == 2 and "GRIDLOOP_LOGIN_WINDOW" in p.stderr and "login_window" in p.stderr
    p = run_cli("init", "--db", str(tmp_path / "x.db"), "--log-level", "loud")
    assert p.returncode == 2 and "log_level" in p.stderr


def test_init_demo_cases_take_cases_through_the_loop(tmp_path):
    """`init --demo --demo-cases N`: N cases of the last two weeks in several states, each
    made through the case module (a consistent timeline), phones encrypted and masked."""
    db = new_db(tmp_path)
    p = run_cli("init", "--db", db, "--demo", "--demo-password", "demo-pass-1", "--demo-cases", "60")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "demo cases: 60" in p.stdout
    con = db_open(db)
    try:
        states = dict(con.execute("SELECT state, count(*) FROM cases GROUP BY 1").fetchall())
        assert sum(states.values()) == 60
        assert {"new", "dispatched", "processing"} <= set(states), states
        assert con.execute("SELECT count(*) FROM cases WHERE citizen_phone_enc = ''").fetchone()[0] == 0
        # Each stands at an address of the register, with its grid; some hotline calls give
        # only the address as typed, without a point (demo_cases.c).
        known = {a for (a,) in con.execute("SELECT address FROM addr_points").fetchall()}
        located = con.execute("SELECT address FROM cases WHERE lat IS NOT NULL AND region_id IS NOT NULL").fetchall()
        typed = con.execute("SELECT address FROM cases WHERE lat IS NULL").fetchall()
        assert len(located) + len(typed) == 60 and typed and len(located) > len(typed)
        assert all(a in known for (a,) in located), located[:5]
        assert all(a.removeprefix("澜溪区").removesuffix("附近") in known for (a,) in typed), typed[:5]
        assert con.execute("SELECT count(*) FROM cases WHERE citizen_phone_mask NOT LIKE '1__****____'").fetchone()[0] == 0
        # Every event starts where the previous one left the case, and the last leaves its state.
        for cid, state in con.execute("SELECT id, state FROM cases").fetchall():
            cur = None
            for frm, to in con.execute("SELECT from_state, to_state FROM case_events WHERE case_id = ? ORDER BY id", (cid,)):
                assert frm == cur or (cur is None and frm is None), (cid, frm, cur)
                cur = to
            assert cur == state, (cid, cur, state)
        assert con.execute("SELECT count(*) FROM notifications WHERE status = 'pending'").fetchone()[0] == 0
    finally:
        con.close()
    bad = run_cli("init", "--db", str(tmp_path / "db2"), "--demo-cases", "5")
    assert bad.returncode == 2 and "--demo" in bad.stderr
    bad = run_cli("init", "--db", str(tmp_path / "db3"), "--demo", "--demo-cases", "many")
    assert bad.returncode == 2 and "--demo-cases" in bad.stderr


def test_the_reporter_withdraws_before_dispatch(gl):
    """撤回 (issue 13): the citizen who reported takes the report back while it is new; nobody
    else may, and once dispatched it is too late."""
    r = gl.post("citizen", "/api/v1/cases", json={"title": "撤回测试", "description": "已经自己解决了", "channel": "web"})
    c = r.json()
    assert "withdraw" in c["actions"]
    assert gl.post("operator", f"/api/v1/cases/{c['id']}/actions",
                   json={"action": "withdraw", "version": c["version"]}).status_code == 403
    r = gl.post("citizen", f"/api/v1/cases/{c['id']}/actions",
                json={"action": "withdraw", "version": c["version"], "reason": "问题已自行解决"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "cancelled" and r.json()["closed_at"] is not None
    d = gl.post("citizen", "/api/v1/cases", json={"title": "撤回测试2", "description": "x", "channel": "web"}).json()
    depts = {x["code"]: x["id"] for x in gl.get("admin", "/api/v1/departments").json()["items"]}
    d = gl.post("dispatcher", f"/api/v1/cases/{d['id']}/actions",
                json={"action": "dispatch", "version": d["version"], "department": depts["CGJ"]}).json()
    r = gl.post("citizen", f"/api/v1/cases/{d['id']}/actions", json={"action": "withdraw", "version": d["version"]})
    assert r.status_code == 409, r.text
