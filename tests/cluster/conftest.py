"""
Fixtures for the cluster tests (`make check-cluster`).

One cluster for the whole session, started by the real `deploy/cluster up` in a temporary state
directory ($CLUSTER_DIR) and stopped by `deploy/cluster down`: etcd, PostgreSQL primary +
synchronous standby under Patroni, HAProxy, and the gridloop nodes (CLUSTER_NODES, default 2).
The figures each test measures (time without service, acknowledged writes, lost writes) are
collected and printed at the end of the run, and written to build/check-cluster.json.

CLUSTER_KEEP=1 keeps the state directory (logs, data) after the run for a post-mortem.
"""
import json
import os
import subprocess
import tempfile
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("GRIDLOOP_BIN", os.path.join(ROOT, "build", "gridloop"))
SCRIPT = os.path.join(ROOT, "deploy", "cluster")
USER, PASSWORD = "cluster-op", "cluster-pass-1"

_results = []


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            if k:
                env[k] = v
    return env


def alive(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return not any(line.startswith("State:") and "Z" in line for line in f)
    except (FileNotFoundError, ValueError):
        return False


class Cluster:
    def __init__(self, state_dir, nodes):
        self.dir = state_dir
        self.nodes = nodes

    @property
    def env(self):
        return read_env(os.path.join(self.dir, "cluster.env"))

    def port(self, key):
        return int(self.env[key])

    @property
    def db_url(self):
        return self.env["DB_URL"]

    @property
    def http(self):
        return f"http://127.0.0.1:{self.port('HAPROXY_HTTP_PORT')}"

    def rest(self, n):
        return f"http://127.0.0.1:{self.port(f'PATRONI{n}_REST_PORT')}"

    def members(self):
        """Patroni's view: {name: (role, state)} from whichever REST API answers."""
        for n in (1, 2):
            try:
                c = requests.get(self.rest(n) + "/cluster", timeout=2).json()
                return {m["name"]: (m["role"], m["state"]) for m in c.get("members", [])}
            except (requests.RequestException, ValueError):
                continue
        return {}

    def leader(self):
        for name, (role, state) in self.members().items():
            if role == "leader" and state == "running":
                return int(name[2:])
        return None

    def postmaster_pid(self, n):
        with open(os.path.join(self.dir, f"pg{n}", "postmaster.pid")) as f:
            pid = int(f.readline())
        assert alive(pid), f"postmaster of pg{n} ({pid}) is not running"
        return pid

    def node_pid(self, n):
        return int(self.env[f"GRIDLOOP{n}_PID"])

    def haproxy_servers(self, backend):
        """{server: status} as HAProxy sees it; None while a server has not been checked yet."""
        csv = requests.get(f"http://127.0.0.1:{self.port('HAPROXY_STATS_PORT')}/stats;csv", timeout=2).text
        out = {}
        for line in csv.splitlines():
            f = line.split(",")
            if len(f) > 37 and f[0] == backend and f[1] not in ("FRONTEND", "BACKEND"):
                out[f[1]] = None if "INI" in f[36] else f[17]
        return out

    def wait_healthy(self, timeout=90):
        """Leader running, a streaming synchronous standby, HAProxy routing to the leader only,
        and every live gridloop node UP: the state each failover test starts from."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                roles = sorted(r for r, s in self.members().values() if s in ("running", "streaming"))
                pg = self.haproxy_servers("pg_primary")
                live = [n for n in range(1, self.nodes + 1) if alive(self.node_pid(n))]
                gl = self.haproxy_servers("gridloop") if self.nodes else {}
                if (roles == ["leader", "sync_standby"] and sorted(pg.values()) == ["DOWN", "UP"]
                        and all(gl.get(f"gl{n}") == "UP" for n in live)):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"cluster not healthy after {timeout}s:\n{self.status()}")

    def status(self):
        p = subprocess.run([SCRIPT, "status"], capture_output=True, text=True, env=self.script_env())
        return p.stdout + p.stderr

    def script_env(self):
        env = dict(os.environ, CLUSTER_DIR=self.dir, CLUSTER_NODES=str(self.nodes), GRIDLOOP_BIN=BIN)
        return env

    def log_tail(self, name, lines=40):
        try:
            with open(os.path.join(self.dir, "log", name), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except FileNotFoundError:
            return ""

    def cli(self, *args, timeout=120):
        return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout,
                              env={k: v for k, v in os.environ.items() if not k.startswith("GRIDLOOP_")})


@pytest.fixture(scope="session")
def cluster():
    nodes = int(os.environ.get("CLUSTER_NODES", "2"))
    # Not under pytest's tmp_path: its parents are 0700 root, and PostgreSQL runs as postgres.
    c = Cluster(tempfile.mkdtemp(prefix="gridloop-cluster-test."), nodes)
    env = dict(c.script_env(), CLUSTER_USER=USER, CLUSTER_PASSWORD=PASSWORD)
    t0 = time.monotonic()
    up = subprocess.run([SCRIPT, "up"], capture_output=True, text=True, env=env, timeout=300)
    record("cluster", "deploy/cluster up", seconds=round(time.monotonic() - t0, 1))
    try:
        assert up.returncode == 0, f"deploy/cluster up failed:\n{up.stdout}\n{up.stderr}"
        yield c
    finally:
        down_env = dict(c.script_env(), KEEP="1" if os.environ.get("CLUSTER_KEEP") == "1" else "0")
        down = subprocess.run([SCRIPT, "down"], capture_output=True, text=True, env=down_env, timeout=180)
        assert down.returncode == 0, down.stdout + down.stderr
        leftovers = subprocess.run(["pgrep", "-f", c.dir], capture_output=True, text=True).stdout.split()
        assert not leftovers, f"processes left running after down: {leftovers}"


def record(test, what, **figures):
    _results.append({"test": test, "what": what, **figures})


def pytest_terminal_summary(terminalreporter):
    if not _results:
        return
    terminalreporter.section("cluster figures")
    for r in _results:
        figs = ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("test", "what"))
        terminalreporter.write_line(f"{r['test']}: {r['what']}: {figs}")
    out = os.path.join(ROOT, "build", "check-cluster.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(_results, f, indent=1, ensure_ascii=False)
