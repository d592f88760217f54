"""
Fixtures for the gridloop API tests.

Every test talks to a real `gridloop serve` process over loopback HTTP. The binary comes from
GRIDLOOP_BIN (default: build/gridloop of this checkout), so the same suite runs against the
normal and the ASan/UBSan build (`make api`).

- `gl` (session scope) is one server over a copy of a demo database, with a login throttle
  generous enough never to trip; most tests use it and must leave its demo data as they found
  it (they create their own objects under unique names instead of editing shared ones).
- `server_factory` (function scope) starts fresh servers with their own settings, for tests
  that need isolation (throttling, password changes, shutdown).

The suite runs on SQLite by default. With GRIDLOOP_TEST_PG set to a PostgreSQL server URL
without a database name (postgresql://postgres@127.0.0.1:PORT; scripts/test-pg.sh starts a
throwaway server and sets it), every database is a PostgreSQL database instead: copies are
CREATE DATABASE ... TEMPLATE, and the files that live beside a SQLite database (data key,
triage model, attachments) live under var/ of one working directory (conf_db_sidecar).
Tests name databases with new_db(), read them with db_open() and find the files beside them
with sidecar(), so the same test runs on both.

Whatever a server wrote to stderr is kept in its directory; a sanitizer report in it fails
the test session, and so does a server that does not exit 0 on SIGTERM or leaves an audit
chain that `gridloop audit verify` does not call intact.
"""
import fcntl
import http.cookiejar
import itertools
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("GRIDLOOP_BIN", os.path.join(ROOT, "build", "gridloop"))
WEB = os.path.join(ROOT, "web")
PASSWORD = "demo-pass-1"
DEMO_USERS = ["admin", "operator", "dispatcher", "handler_cgj", "handler_qsjd", "grid_worker",
              "supervisor", "data_officer", "citizen"]

# Settings for the long-lived servers: logins never throttled, and idle keep-alive connections
# not closed after the default 30 s, which raced with a client reusing its pooled connection at
# that moment ("Remote end closed connection without response", seen under ASan's slower runs).
GENEROUS = ["--login-max-user-failures", "1000", "--login-max-ip-failures", "100000", "--request-timeout", "3600"]
# Uploads: the shared server takes every test's photos from the same demo users.
GENEROUS += ["--attach-uploads-per-minute", "100000"]
# The public lookup: the shared servers take every test's wrong guesses from 127.0.0.1.
GENEROUS += ["--lookup-max-ip-failures", "100000", "--lookup-max-case-failures", "100000"]

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

# Sanitizer reports that turned up in any server's stderr, checked at session end.
_sanitizer_reports = []


PG = os.environ.get("GRIDLOOP_TEST_PG", "").rstrip("/")
# PostgreSQL mode: every gridloop process runs here, so var/<dbname>.key etc. are shared.
PG_HOME = os.environ.get("GRIDLOOP_TEST_PG_HOME") or (
    os.path.join(ROOT, "build", "pg-home-%d" % os.getpid()) if PG else None)
_pg_names = itertools.count()
_pg_created = []


def is_pg(db):
    return db.startswith("postgresql://") or db.startswith("postgres://")


def _pg_admin():
    import psycopg2
    con = psycopg2.connect(PG + "/postgres")
    con.autocommit = True
    return con


def _pg_name(db):
    return db.rsplit("/", 1)[1]


def new_db(tmp_path, name="db", create=True):
    """A database name for a test: a file under tmp_path, or (PostgreSQL mode) a new empty
    database (created unless create=False: copy_db creates it from a template)."""
    if not PG:
        return str(tmp_path / name)
    db_name = "t%d_%d_%s" % (os.getpid(), next(_pg_names), re.sub(r"[^a-z0-9_]", "_", name.lower()))
    url = f"{PG}/{db_name}"
    if create:
        con = _pg_admin()
        con.cursor().execute(f'CREATE DATABASE "{db_name}"')
        con.close()
        _pg_created.append(db_name)
    return url


def drop_db(db):
    """Drop a PostgreSQL test database (they add up over a run); nothing for SQLite files."""
    if is_pg(db):
        con = _pg_admin()
        con.cursor().execute(f'DROP DATABASE IF EXISTS "{_pg_name(db)}" WITH (FORCE)')
        con.close()


def sidecar(db, suffix):
    """The file the server keeps beside its database (".key", ".triage", ".files")."""
    if is_pg(db):
        return os.path.join(PG_HOME, "var", _pg_name(db) + suffix)
    return db + suffix


class _PgDb:
    """sqlite3-like use of a PostgreSQL database: execute() with '?' placeholders."""

    def __init__(self, url):
        import psycopg2
        self.con = psycopg2.connect(url)
        self.con.autocommit = True

    def execute(self, sql, args=None):
        cur = self.con.cursor()
        if args:
            sql = sql.replace("%", "%%").replace("?", "%s")
        cur.execute(sql, tuple(args) if args else None)
        return cur

    def close(self):
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def db_open(db, readonly=False):
    """A connection to a test database (sqlite3 or psycopg2), '?' placeholders either way."""
    if is_pg(db):
        return _PgDb(db)
    import sqlite3
    if readonly:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        con.execute("PRAGMA busy_timeout = 10000")
        return con
    con = sqlite3.connect(db, timeout=10)
    con.isolation_level = None  # autocommit, as the PostgreSQL wrapper
    return con


def child_env(extra=None):
    """Environment for a gridloop process: no stray GRIDLOOP_* settings from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDLOOP_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    if extra:
        env.update(extra)
    return env


def run_cli(*args, env=None, timeout=180):
    """Run a gridloop command; returns CompletedProcess with text stdout/stderr."""
    p = subprocess.run([BIN, *args], capture_output=True, text=True, env=child_env(env),
                       timeout=timeout, cwd=PG_HOME)
    note_sanitizer(p.stderr, "gridloop " + " ".join(args))
    return p


def note_sanitizer(text, what):
    if any(m in text for m in SANITIZER_MARKERS):
        _sanitizer_reports.append(f"{what}:\n{text[-4000:]}")


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_port_rng = random.Random(os.getpid() ^ time.monotonic_ns())
# Ports handed out in the last PORT_HOLD seconds, by every test process of the machine (make
# check runs two suites of two workers each at once): "port time" lines, read and written
# under an flock.
PORTS_FILE = os.path.join(tempfile.gettempdir(), "gridloop-test-ports")
PORT_HOLD = 120


def free_port():
    """A loopback port that is free now and that no other test process was given in the last
    PORT_HOLD seconds. Chosen below the kernel's ephemeral range: a port from that range (what
    bind to port 0 gives) is also what every outgoing connection takes as its local port, and
    the suite opens thousands. And remembered across processes: a port is free from the moment
    it is probed until the process given it binds it, so two workers could be given the same
    one; the second server then failed to start, and while gridloop still bound with
    SO_REUSEPORT it started and shared the port's connections (a CI run saw one worker's admin
    token refused by another worker's server)."""
    low = _ephemeral_low()
    lo, hi = (10000, low) if low > 12000 else (1024, low)
    with open(PORTS_FILE, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        now = time.time()
        held = {}
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit():
                try:
                    at = float(parts[1])
                except ValueError:
                    continue
                if now - at < PORT_HOLD:
                    held[int(parts[0])] = at
        port = None
        for _ in range(500):
            p = _port_rng.randrange(lo, hi)
            if p in held:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    continue
            port = p
            break
        if port is None:
            raise RuntimeError(f"no free loopback port in {lo}-{hi}")
        held[port] = now
        f.seek(0)
        f.truncate()
        f.write("".join(f"{p} {at}\n" for p, at in held.items()))
        f.flush()
        return port


def copy_db(src, dst):
    """Copy a database and the files beside it (no server may be using 'src')."""
    if is_pg(src):
        con = _pg_admin()
        con.cursor().execute(f'CREATE DATABASE "{_pg_name(dst)}" TEMPLATE "{_pg_name(src)}"')
        con.close()
        _pg_created.append(_pg_name(dst))
        for suffix in (".key", ".triage", ".audit-key"):
            if os.path.exists(sidecar(src, suffix)):
                shutil.copyfile(sidecar(src, suffix), sidecar(dst, suffix))
        return
    for suffix in ("", "-wal", "-shm", ".triage", ".key", ".audit-key"):
        if os.path.exists(src + suffix):
            shutil.copyfile(src + suffix, dst + suffix)


class Server:
    """One `gridloop serve` process over its own database copy."""

    def __init__(self, workdir, template_db, args=(), env=None, db=None, port=None):
        self.dir = workdir
        self.fixed_port = port  # known before start (a URL in the settings names it)
        os.makedirs(workdir, exist_ok=True)
        if db:
            self.db = db
        elif not PG:
            self.db = os.path.join(workdir, "db")
        else:
            self.db = new_db(None, os.path.basename(workdir), create=not template_db)
        if template_db:
            copy_db(template_db, self.db)
        self.args = list(args)
        self.env = env
        self.proc = None
        self.port = None
        self.stderr_path = os.path.join(workdir, "stderr.log")
        self.stdout_path = os.path.join(workdir, "stdout.log")
        self.exit_code = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        for _attempt in range(5):
            self.port = self.fixed_port or free_port()
            cmd = [BIN, "serve", "--db", self.db, "--listen", f"127.0.0.1:{self.port}",
                   "--web", WEB, *self.args]
            with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
                self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=child_env(self.env),
                                             cwd=PG_HOME)
            if self._wait_healthy(timeout):
                return self
            # Lost the port to someone else between probing and binding: try another.
            if self.proc.poll() is None:
                break
        raise RuntimeError(f"gridloop serve did not become healthy:\n{self.stderr()[-3000:]}")

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return True
            # Not listening yet, or slow to answer (its first write probe waits for a disk that
            # other tests keep busy): not ready yet, until the deadline.
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.02)
        return False

    def stderr(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def stop(self, timeout=20):
        """SIGTERM and wait; returns the exit code (None if it had to be killed)."""
        if self.proc is None:
            return self.exit_code
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.exit_code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.exit_code = None
        self.proc = None
        note_sanitizer(self.stderr(), f"server in {self.dir}")
        return self.exit_code

    def check_clean_exit(self):
        code = self.stop()
        assert code == 0, f"server exited with {code}; stderr:\n{self.stderr()[-3000:]}"
        v = run_cli("audit", "verify", "--db", self.db)
        assert v.returncode == 0 and "intact" in v.stdout, v.stdout + v.stderr



class Broker:
    """A real mosquitto (Debian's) on a random loopback port with persistence in its own
    directory: the broker the sensor tests publish to (docs/warning.md section 5)."""

    def __init__(self, workdir):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.proc = None
        self.log = os.path.join(self.dir, "mosquitto.log")

    @property
    def url(self):
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout=15):
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                    f"persistence_location {self.dir}/\nmax_queued_messages 0\n"
                    "log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n")
        if os.geteuid() == 0:
            # Started as root, mosquitto runs as its own user: its directory must be its own.
            import pwd
            pw = pwd.getpwnam("mosquitto")
            for name in [self.dir] + [os.path.join(self.dir, x) for x in os.listdir(self.dir)]:
                os.chown(name, pw.pw_uid, pw.pw_gid)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not start: {open(self.log).read()[-2000:]}")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)
        self.proc = None

    def publish(self, topic, payload, qos=1):
        p = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-t", topic,
                            "-q", str(qos), "-m", payload], capture_output=True, text=True, timeout=20)
        assert p.returncode == 0, p.stderr


class Api:
    """Small client over one server: URLs, per-user sessions with cached bearer tokens."""

    def __init__(self, server):
        self.server = server
        self._sessions = {}
        # Never keeps a cookie, so a login made through it cannot authenticate later calls.
        self.anon = requests.Session()
        self.anon.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

    @property
    def base(self):
        return self.server.base

    def url(self, path):
        return self.base + path

    def login_raw(self, name, password=PASSWORD, session=None):
        s = session or requests.Session()
        return s.post(self.url("/api/v1/auth/login"), json={"name": name, "password": password},
                      timeout=10)

    def fresh(self, name, password=PASSWORD):
        """A new session (own token) for 'name', never cached: for logout and password tests."""
        s = requests.Session()
        r = self.login_raw(name, password)
        assert r.status_code == 200, r.text
        body = r.json()
        s.headers["Authorization"] = "Bearer " + body["token"]
        s.token = body["token"]
        s.csrf = body["csrf_token"]
        s.user = body["user"]
        return s

    def login(self, name, password=PASSWORD):
        """The cached session of 'name' (one argon2 verification per user per server)."""
        if name not in self._sessions:
            self._sessions[name] = self.fresh(name, password)
        return self._sessions[name]

    def as_(self, name):
        return self.anon if name is None else self.login(name)

    def request(self, who, method, path, **kw):
        kw.setdefault("timeout", 30)
        return self.as_(who).request(method, self.url(path), **kw)

    def get(self, who, path, **kw):
        return self.request(who, "GET", path, **kw)

    def post(self, who, path, **kw):
        return self.request(who, "POST", path, **kw)

    def put(self, who, path, **kw):
        return self.request(who, "PUT", path, **kw)

    def patch(self, who, path, **kw):
        return self.request(who, "PATCH", path, **kw)

    def delete(self, who, path, **kw):
        return self.request(who, "DELETE", path, **kw)

    def items(self, who, path, **kw):
        r = self.get(who, path, **kw)
        assert r.status_code == 200, r.text
        return r.json()["items"]


def assert_error(r, status, code=None, field=None, reason=None):
    """r is a JSON error {"error":{"code","message","field"}} with the given status; a refusal
    (403) may add "reason" (src/core/err.h, ERR_REASON_*), checked when given."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:500]}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"}, body
    e = body["error"]
    assert set(e) == {"code", "message", "field"} or (status == 403 and set(e) == {"code", "message", "field", "reason"}), e
    assert isinstance(e["message"], str) and e["message"], e
    if code is not None:
        assert e["code"] == code, e
    if field is not None:
        assert e["field"] == field, e
    if reason is not None:
        assert e.get("reason") == reason, e
    return e


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A demo database made once; every server runs on its own copy of it."""
    d = tmp_path_factory.mktemp("template")
    db = new_db(d, "template")
    p = run_cli("init", "--db", db, "--demo", "--demo-password", PASSWORD)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "demo users" in p.stdout
    return db


@pytest.fixture(scope="session")
def gl_server(tmp_path_factory, template_db):
    srv = Server(str(tmp_path_factory.mktemp("shared")), template_db, GENEROUS).start()
    yield srv
    srv.check_clean_exit()


@pytest.fixture(scope="session")
def gl(gl_server):
    return Api(gl_server)


@pytest.fixture
def server_factory(tmp_path, template_db):
    """Start fresh servers: server_factory(args=[...], env={...}) -> Api. All are stopped and
    checked (exit 0, audit intact) at the end of the test unless the test stopped them."""
    started = []

    def make(args=(), env=None, template=True):
        n = len(started)
        srv = Server(str(tmp_path / f"srv{n}"), template_db if template else None, args, env)
        started.append(srv)
        srv.start()
        return Api(srv)

    yield make
    for srv in started:
        if srv.proc is not None:
            srv.check_clean_exit()
    for srv in started:
        drop_db(srv.db)


@pytest.fixture(scope="session")
def demo(gl):
    """Ids of the demo objects the tests refer to, looked up by code/name."""
    regions = {r["code"]: r for r in gl.items("admin", "/api/v1/regions")}
    depts = {d["code"]: d for d in gl.items("admin", "/api/v1/departments")}
    users = {u["name"]: u for u in gl.items("admin", "/api/v1/users")}
    gw = users["grid_worker"]
    grid_code = gw["region"]
    return {
        "regions": regions,
        "depts": depts,
        "users": users,
        "district": regions["330179"]["id"],
        "street1": regions["330179001"]["id"],
        "street2": regions["330179002"]["id"],
        "gw_grid": gw["region_id"],
        "gw_grid_code": grid_code,
        "gw_community": regions[grid_code[:12]]["id"],
        "sibling_grid": regions[grid_code[:12] + "02"]["id"],
        "other_street_grid": regions["33017900200101"]["id"],
        "CGJ": depts["CGJ"]["id"],
        "QSJD": depts["QSJD"]["id"],
        "HWZ": depts["HWZ"]["id"],
    }


def unique(prefix="t"):
    unique.n += 1
    return f"{prefix}{os.getpid() % 1000:03d}{unique.n:04d}"


unique.n = 0


# The files that take longest (from half a minute to three, most in one or two long tests), run
# first: pytest-xdist --dist loadfile hands out whole files in collection order, alphabetical,
# where the longest (test_sec_*.py, test_store_copy.py) came last, so a run ended with one worker
# on test_store_copy.py while the others idled. Only the order of files changes; each file's own
# tests keep theirs.
SLOW_FILES_FIRST = ["test_store_copy.py", "test_demo_district.py", "test_pg_faults.py", "test_sec_ops.py",
                    "test_sec_uploads.py", "test_multinode.py", "test_sec_streams.py", "test_sec_input.py",
                    "test_triage_cli.py", "test_sensors.py", "test_triage.py", "test_sensor_crash.py",
                    "test_sms.py", "test_lifecycle.py", "test_sec_head.py", "test_triage_hot.py"]


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest as collected


def pytest_sessionstart(session):
    if PG:
        # Every gridloop process, including those tests start themselves, runs here.
        os.makedirs(os.path.join(PG_HOME, "var"), exist_ok=True)
        os.chdir(PG_HOME)


def pytest_sessionfinish(session, exitstatus):
    if _sanitizer_reports:
        session.exitstatus = 1
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        msg = "sanitizer reports in gridloop stderr:\n" + "\n\n".join(_sanitizer_reports)
        if tr:
            tr.write_line(msg, red=True)
        else:
            print(msg)


@pytest.fixture(autouse=True)
def _no_sanitizer_report(request):
    """Fail the test during which a sanitizer report appears in the shared server's stderr
    (only what it wrote during this test is looked at)."""
    before = len(_sanitizer_reports)
    srv = None
    if "gl_server" in request.fixturenames or "gl" in request.fixturenames:
        srv = request.getfixturevalue("gl_server")
    start = os.path.getsize(srv.stderr_path) if srv and os.path.exists(srv.stderr_path) else 0
    yield
    if srv is not None:
        with open(srv.stderr_path, "rb") as f:
            f.seek(start)
            new = f.read().decode("utf-8", "replace")
        if any(m in new for m in SANITIZER_MARKERS):
            pytest.fail("sanitizer report in server stderr:\n" + new[-4000:])
    assert len(_sanitizer_reports) == before, _sanitizer_reports[-1]


PGBIN = "/usr/lib/postgresql/15/bin"


class OwnPostgres:
    """A PostgreSQL 15 of a test's own, which it may stop, start or make read-only without
    disturbing the shared server of the other tests (as 'postgres' when run by root)."""

    def __init__(self):
        # Not under pytest's tmp_path: that is private to root, and initdb runs as postgres.
        self.dir = tempfile.mkdtemp(prefix="gridloop-ownpg.")
        self.as_pg = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self._run(f"{PGBIN}/initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        self.start()
        # Named for this process: the files beside a database (its .key) live in the shared
        # PG_HOME/var, and another worker may run a server of its own at the same moment.
        name = "gl_%d" % os.getpid()
        self._run(f"{PGBIN}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *cmd):
        p = subprocess.run([*self.as_pg, *cmd], capture_output=True, text=True, timeout=60, cwd=self.dir)
        assert p.returncode == 0, p.stdout + p.stderr
        return p

    def start(self):
        self._run(f"{PGBIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "-t", "30",
                  "start", "-o", f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir}")

    def stop(self, mode="immediate"):
        self._run(f"{PGBIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")


@pytest.fixture
def own_pg():
    pg = OwnPostgres()
    yield pg
    try:
        pg.stop()
    except AssertionError:
        pass
    shutil.rmtree(pg.dir, ignore_errors=True)
