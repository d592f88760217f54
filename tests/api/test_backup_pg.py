"""
PostgreSQL backup as docs/backup.md describes it: a base backup (pg_basebackup) plus the WAL
archive (archive_mode, archive_command), restored to a point in time (recovery_target_time).

The test runs its own PostgreSQL 15 (initdb in a temporary directory, a random loopback port,
fsync on, WAL archiving on), has a gridloop server create cases in three batches, takes the
base backup after the first, notes the time between the second and the third, restores the
base backup and the archive to that time in a second data directory, and checks that
gridloop on the restored database has exactly the first two batches and an intact audit chain.
"""
import datetime
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import BIN, PASSWORD, PG, Api, Server, child_env, free_port, note_sanitizer

PGBIN = "/usr/lib/postgresql/15/bin"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(os.path.join(PGBIN, "initdb")), reason="PostgreSQL 15 not installed"),
    # The suite's PostgreSQL pass (GRIDLOOP_TEST_PG) would run the same thing again: once is enough.
    pytest.mark.skipif(bool(PG), reason="runs in the SQLite pass; it starts its own PostgreSQL"),
]


def as_pg(cmd, **kw):
    """Run a PostgreSQL tool as the postgres user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def ok(p):
    assert p.returncode == 0, f"{p.args}: exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


class Cluster:
    """One PostgreSQL data directory, started on a free loopback port."""

    def __init__(self, root, data, conf):
        self.root, self.data, self.conf, self.port = root, data, conf, None

    def start(self):
        for _attempt in range(5):
            self.port = free_port()
            with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
                f.write(f"\n# test\nport = {self.port}\n{self.conf}\n")
            p = as_pg([f"{PGBIN}/pg_ctl", "-D", self.data, "-l", self.data + ".log", "-w", "-t", "60",
                       "start"], cwd=self.root)
            if p.returncode == 0:
                return self
        raise AssertionError(f"PostgreSQL did not start:\n{open(self.data + '.log').read()[-3000:]}")

    def url(self, db="gl"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def sql(self, query, db="gl"):
        p = ok(subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                               "-p", str(self.port), "-U", "postgres", "-d", db, "-c", query],
                              capture_output=True, text=True, timeout=60))
        return p.stdout.strip()

    def stop(self):
        as_pg([f"{PGBIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"], cwd=self.root)


def gridloop(cwd, *args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, env=child_env(), timeout=120, cwd=cwd)
    note_sanitizer(p.stderr, "gridloop " + " ".join(args))
    return p


@pytest.fixture
def pg_root():
    # Not under pytest's tmp_path: that is 0700 root, and the server runs as postgres.
    root = tempfile.mkdtemp(prefix="gridloop-pgbackup.")
    os.makedirs(os.path.join(root, "archive"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(os.path.join(root, "archive"), "postgres", "postgres")
    clusters = []
    yield root, clusters
    for c in clusters:
        c.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_base_backup_and_wal_archive_restore_to_a_point_in_time(tmp_path, pg_root, monkeypatch):
    root, clusters = pg_root
    archive = os.path.join(root, "archive")
    # gridloop keeps the data key and the model of a PostgreSQL database under ./var/ (docs/deployment.md).
    work = tmp_path / "work"
    (work / "var").mkdir(parents=True)
    monkeypatch.chdir(work)

    primary_data = os.path.join(root, "primary")
    ok(as_pg([f"{PGBIN}/initdb", "-D", primary_data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
              "--locale=C.UTF-8"], cwd=root))
    primary = Cluster(root, primary_data, "\n".join([
        "listen_addresses = '127.0.0.1'",
        f"unix_socket_directories = '{root}'",
        "wal_level = replica",
        "archive_mode = on",
        f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'",
    ]))
    clusters.append(primary.start())
    primary.sql("CREATE DATABASE gl", db="postgres")
    ok(gridloop(work, "init", "--db", primary.url(), "--demo", "--demo-password", PASSWORD))

    srv = Server(str(tmp_path / "srv"), None, db=primary.url()).start()
    api = Api(srv)
    batches = []

    def batch(tag, n=15):
        ids = set()
        for i in range(n):
            r = api.post("operator", "/api/v1/cases", json={
                "title": f"时间点恢复 {tag}-{i}", "description": "小区门口污水外溢，气味很大。",
                "channel": "hotline", "citizen": {"name": "赵六", "phone": "13800001111"}})
            assert r.status_code == 201, r.text
            ids.add(r.json()["id"])
        batches.append(ids)
        return ids

    try:
        first = batch("A")
        base = os.path.join(root, "base")
        t0 = time.monotonic()
        ok(as_pg([f"{PGBIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                  "-D", base, "-Fp", "-Xstream", "--checkpoint=fast"], cwd=root))
        base_secs = time.monotonic() - t0
        second = batch("B")
        time.sleep(1.0)
        target = datetime.datetime.now(datetime.timezone.utc)
        time.sleep(1.0)
        third = batch("C")
    finally:
        srv.check_clean_exit()

    # The segment holding the third batch goes to the archive now (else only when full).
    seg = primary.sql("SELECT pg_walfile_name(pg_switch_wal())")
    deadline = time.monotonic() + 30
    while not os.path.exists(os.path.join(archive, seg)):
        assert time.monotonic() < deadline, f"{seg} never archived: {os.listdir(archive)}"
        time.sleep(0.1)

    # Restore: the base backup, the archive, and the time, in a data directory of its own.
    restored_data = os.path.join(root, "restored")
    ok(as_pg(["cp", "-a", base, restored_data]))
    stamp = target.strftime("%Y-%m-%d %H:%M:%S.%f+00")
    restored = Cluster(root, restored_data, "\n".join([
        "archive_mode = off",
        f"restore_command = 'cp {archive}/%f %p'",
        f"recovery_target_time = '{stamp}'",
        "recovery_target_action = 'promote'",
    ]))
    ok(as_pg(["touch", os.path.join(restored_data, "recovery.signal")]))
    t0 = time.monotonic()
    clusters.append(restored.start())
    deadline = time.monotonic() + 60
    while restored.sql("SELECT pg_is_in_recovery()") != "f":
        assert time.monotonic() < deadline, open(restored_data + ".log").read()[-3000:]
        time.sleep(0.1)
    restore_secs = time.monotonic() - t0
    log = open(restored_data + ".log").read()
    assert "recovery stopping before commit" in log, log[-3000:]

    ours = first | second | third
    have = {int(x) for x in restored.sql("SELECT id FROM cases").split()}
    assert have & ours == first | second, (sorted(third & have)[:5], sorted((first | second) - have)[:5])
    assert primary.sql("SELECT count(*) FROM cases") == str(len(have) + len(third))

    v = gridloop(work, "audit", "verify", "--db", restored.url())
    assert v.returncode == 0 and "intact" in v.stdout, v.stdout + v.stderr

    rsrv = Server(str(tmp_path / "restored-srv"), None, db=restored.url()).start()
    try:
        rapi = Api(rsrv)
        for i in sorted(second)[:3]:
            r = rapi.get("admin", f"/api/v1/cases/{i}")
            assert r.status_code == 200, r.text
        for i in sorted(third)[:3]:
            assert rapi.get("admin", f"/api/v1/cases/{i}").status_code == 404
        r = rapi.get("admin", f"/api/v1/cases/{min(first)}/contact")
        assert r.status_code == 200 and "13800001111" in r.text, r.text
    finally:
        rsrv.check_clean_exit()
    print(f"pg_basebackup {base_secs:.2f} s; recovery to the target time and promotion {restore_secs:.2f} s")
