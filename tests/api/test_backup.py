"""
gridloop backup / gridloop restore (docs/backup.md) on SQLite.

- A backup taken while a server is taking case writes holds every case acknowledged before
  the backup began and none created after it finished; restored into a new file (with the data
  key, which is kept apart unless --with-key), it serves those cases, phone numbers included,
  and its audit chain verifies.
- A backup that was altered (a byte of a file, a truncated file, a manifest that lies, an
  audit entry rewritten with the checksums updated to match) is refused and nothing is
  written.
- A restore into a database that is there is refused unless --force.
- Wrong paths and missing options give clear messages and exit codes (2: usage, 1: refused).
"""
import hashlib
import json
import os
import shutil
import sqlite3
import threading
import time

import pytest
import requests

from conftest import PG, Api, Server, copy_db, run_cli

# gridloop backup/restore copy a SQLite file; PostgreSQL is backed up with its own tools
# (pg_basebackup + WAL archive: tests/api/test_backup_pg.py).
pytestmark = pytest.mark.skipif(bool(PG), reason="SQLite backup; PostgreSQL: test_backup_pg.py")

PHONE = "13912345678"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def case_ids(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return {i for (i,) in con.execute("SELECT id FROM cases")}
    finally:
        con.close()


def manifest(d):
    with open(os.path.join(d, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def write_manifest(d, m):
    with open(os.path.join(d, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(m, f)


def listing(d):
    return sorted(os.listdir(d))


def assert_ok(p):
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def assert_refused(p, status, *phrases):
    assert p.returncode == status, f"exit {p.returncode}, expected {status}\n{p.stdout}\n{p.stderr}"
    for phrase in phrases:
        assert phrase in p.stderr, f"{phrase!r} not in: {p.stderr}"
    assert p.stderr.startswith("gridloop: "), p.stderr


def test_backup_while_writing_restores_every_acknowledged_case(server_factory, tmp_path):
    api = server_factory()
    srv = api.server
    token = api.login("operator").token
    acked = {}  # id -> number
    lock = threading.Lock()
    stop = threading.Event()
    errors = []

    def writer(n):
        s = requests.Session()
        s.headers["Authorization"] = "Bearer " + token
        i = 0
        while not stop.is_set():
            i += 1
            body = {"title": f"备份测试 {n}-{i}", "description": "路灯不亮，晚上行人看不清路。",
                    "channel": "hotline", "citizen": {"name": "王五", "phone": PHONE}}
            r = s.post(api.url("/api/v1/cases"), json=body, timeout=30)
            if r.status_code != 201:
                errors.append((r.status_code, r.text[:300]))
                return
            with lock:
                acked[r.json()["id"]] = r.json()["number"]

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()

    def wait_acked(n, what):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not errors:
            with lock:
                if len(acked) >= n:
                    return set(acked)
            time.sleep(0.01)
        stop.set()
        raise AssertionError(f"{what}: {len(acked)} cases acknowledged; errors: {errors[:3]}")

    try:
        before = wait_acked(60, "before the backup")
        out = str(tmp_path / "backup")
        t0 = time.monotonic()
        b = run_cli("backup", "--db", srv.db, "--out", out)
        took = time.monotonic() - t0
        with lock:
            during = len(acked) - len(before)
            after_backup = len(acked)
        assert_ok(b)
        # The writers went on after the backup; those cases must not be in it.
        wait_acked(after_backup + 30, "after the backup")
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors, errors[:3]
    assert "database.sqlite" in b.stdout and "audit entries" in b.stdout, b.stdout
    # The data key stays out of the backup by default; its fingerprint is in the manifest.
    assert listing(out) == ["database.sqlite", "manifest.json", "triage.model"]
    assert oct(os.stat(out).st_mode & 0o777) == "0o700"
    m = manifest(out)
    assert m["data_key_sha256"] == sha256(srv.db + ".key")
    assert m["format"] == "gridloop-backup" and m["version"] == 1
    assert m["source"] == os.path.realpath(srv.db)
    assert m["schema_version"] >= 8
    for f in m["files"]:
        p = os.path.join(out, f["name"])
        assert f["size"] == os.path.getsize(p) and f["sha256"] == sha256(p), f
    assert m["rows"]["audit_log"] == m["audit_head"]["seq"] > 0

    # The server kept serving while it was copied, and is still writing now.
    print(f"backup took {took:.3f} s; {during} cases acknowledged while it ran")

    target = str(tmp_path / "restored" / "db")
    os.makedirs(os.path.dirname(target))
    # Without the key beside the target the restore stops and says which key it needs.
    p = run_cli("restore", "--from", out, "--db", target)
    assert_refused(p, 1, "data key needed, nothing restored", target + ".key", m["data_key_sha256"][:16])
    assert os.listdir(os.path.dirname(target)) == []
    shutil.copyfile(srv.db + ".key", target + ".key")  # from where the operator keeps it
    r = assert_ok(run_cli("restore", "--from", out, "--db", target))
    assert "audit chain intact" in r.stdout, r.stdout
    assert sorted(os.listdir(os.path.dirname(target))) == ["db", "db.key", "db.triage"]
    assert sha256(target + ".key") == sha256(srv.db + ".key")
    assert sha256(target + ".triage") == sha256(srv.db + ".triage")

    restored = case_ids(target)
    with lock:
        final = dict(acked)
    lost = before - restored
    assert not lost, f"{len(lost)} cases acknowledged before the backup began are missing: {sorted(lost)[:10]}"
    ours = restored & set(final)
    assert len(restored) == m["rows"]["cases"]
    # Whatever of ours is in the copy was committed (so acknowledged: the writers stopped
    # cleanly) and the copy stops at one point: ids are given in commit order.
    later = set(final) - restored
    assert later and min(later) > max(ours), (len(later), len(ours))
    assert len(later) >= 30

    # A server on the restored database serves those cases, phone numbers decrypted.
    rsrv = Server(str(tmp_path / "restored"), None, db=target).start()
    try:
        rapi = Api(rsrv)
        sample = sorted(before)[:: max(1, len(before) // 10)]
        for i in sample:
            c = rapi.get("admin", f"/api/v1/cases/{i}")
            assert c.status_code == 200, c.text
            assert c.json()["number"] == final[i]
        contact = rapi.get("admin", f"/api/v1/cases/{sample[0]}/contact")
        assert contact.status_code == 200 and PHONE in contact.text, contact.text
        r = rapi.post("operator", "/api/v1/cases", json={"title": "恢复后", "description": "恢复后第一条",
                                                          "channel": "hotline"})
        assert r.status_code == 201, r.text
    finally:
        rsrv.check_clean_exit()
    v = run_cli("audit", "verify", "--db", target)
    assert v.returncode == 0 and "intact" in v.stdout, v.stdout + v.stderr


def make_backup(tmp_path, template_db, name="b"):
    """A backup that holds the data key (--with-key), of a copy of the template."""
    src = str(tmp_path / f"{name}-src" / "db")
    os.makedirs(os.path.dirname(src))
    copy_db(template_db, src)
    shutil.copyfile(template_db + ".key", src + ".key")
    out = str(tmp_path / name)
    p = assert_ok(run_cli("backup", "--db", src, "--out", out, "--with-key"))
    assert "--with-key" in p.stdout and "data.key" in listing(out)
    assert os.stat(os.path.join(out, "data.key")).st_mode & 0o077 == 0
    return src, out


def test_altered_backup_is_refused_and_nothing_written(tmp_path, template_db):
    src, good = make_backup(tmp_path, template_db)
    target_dir = tmp_path / "target"
    target_dir.mkdir()
    target = str(target_dir / "db")

    def variant(name, change):
        d = str(tmp_path / name)
        shutil.copytree(good, d)
        change(d)
        return d

    def flip_byte(d):
        with open(os.path.join(d, "database.sqlite"), "r+b") as f:
            f.seek(5000)
            b = f.read(1)
            f.seek(5000)
            f.write(bytes([b[0] ^ 0x20]))

    def truncate_model(d):
        p = os.path.join(d, "triage.model")
        with open(p, "r+b") as f:
            f.truncate(os.path.getsize(p) // 2)

    def lie_about_rows(d):
        m = manifest(d)
        m["rows"]["cases"] += 1
        write_manifest(d, m)

    def rewrite_audit_entry(d):
        # Someone with write access edits an audit entry and fixes the checksums to match:
        # the chain itself gives it away.
        p = os.path.join(d, "database.sqlite")
        con = sqlite3.connect(p)
        con.execute("UPDATE audit_log SET actor_name = 'someone else' WHERE seq = 1")
        con.commit()
        con.execute("PRAGMA journal_mode=DELETE")
        con.close()
        m = manifest(d)
        for f in m["files"]:
            if f["name"] == "database.sqlite":
                f["size"], f["sha256"] = os.path.getsize(p), sha256(p)
        write_manifest(d, m)

    cases = [
        (flip_byte, "does not match its SHA-256"),
        (truncate_model, "bytes, the manifest says"),
        (lambda d: os.remove(os.path.join(d, "data.key")), "is missing"),
        (lie_about_rows, "the manifest says"),
        (rewrite_audit_entry, "audit chain BROKEN at entry 1"),
        (lambda d: os.remove(os.path.join(d, "manifest.json")), "is not a gridloop backup"),
        (lambda d: open(os.path.join(d, "manifest.json"), "w").write('{"format": "gridloop-backup", "vers'),
         "not a valid backup manifest"),
        (lambda d: write_manifest(d, {**manifest(d), "version": 2}), "format version 2"),
        (lambda d: write_manifest(d, {**manifest(d), "files": [dict(f, name="../../etc/passwd")
                                                                for f in manifest(d)["files"]]}),
         "must be named"),
    ]
    for n, (change, phrase) in enumerate(cases):
        d = variant(f"bad{n}", change)
        p = run_cli("restore", "--from", d, "--db", target)
        assert_refused(p, 1, phrase)
        if "nothing restored" not in p.stderr:
            assert "manifest" in p.stderr, p.stderr
        assert os.listdir(target_dir) == [], (phrase, os.listdir(target_dir))

    # The untouched backup restores.
    assert_ok(run_cli("restore", "--from", good, "--db", target))
    assert case_ids(target) == case_ids(src)


def test_restore_into_existing_database_needs_force(tmp_path, template_db):
    src, out = make_backup(tmp_path, template_db)
    # The target: a live-looking install that has moved on since (one more case).
    srv = Server(str(tmp_path / "target"), template_db)
    shutil.copyfile(template_db + ".key", srv.db + ".key")
    srv.start()
    api = Api(srv)
    r = api.post("operator", "/api/v1/cases", json={"title": "备份之后", "description": "备份之后才有的案件",
                                                    "channel": "hotline"})
    assert r.status_code == 201, r.text
    late = r.json()["id"]
    # Never under a running server, --force or not.
    p = run_cli("restore", "--from", out, "--db", srv.db, "--force")
    assert_refused(p, 1, "is in use by process %d" % srv.proc.pid, "stop gridloop serve")
    srv.check_clean_exit()
    digest = sha256(srv.db)

    p = run_cli("restore", "--from", out, "--db", srv.db)
    assert_refused(p, 1, "exists and is not empty", "--force")
    assert sha256(srv.db) == digest
    assert not [f for f in os.listdir(srv.dir) if ".restore-" in f]

    # A different data key at the target would leave the restored phones unreadable.
    other = str(tmp_path / "other" / "db")
    os.makedirs(os.path.dirname(other))
    with open(other + ".key", "wb") as f:
        f.write(os.urandom(32))
    p = run_cli("restore", "--from", out, "--db", other)
    assert_refused(p, 1, "is not the one this backup was made with")
    assert sorted(os.listdir(os.path.dirname(other))) == ["db.key"]

    p = assert_ok(run_cli("restore", "--from", out, "--db", srv.db, "--force"))
    assert "replacing" in p.stdout, p.stdout
    assert late not in case_ids(srv.db)
    assert case_ids(srv.db) == case_ids(src)
    srv.start()
    r = Api(srv).get("admin", f"/api/v1/cases/{late}")
    assert r.status_code == 404, r.text
    srv.check_clean_exit()


def test_wrong_paths_and_options(tmp_path, template_db):
    missing = str(tmp_path / "nope.db")
    p = run_cli("backup", "--db", missing, "--out", str(tmp_path / "b0"))
    assert_refused(p, 1, "cannot back up database", "No such file")
    assert not os.path.exists(missing) and not os.path.exists(tmp_path / "b0")

    src, out = make_backup(tmp_path, template_db)
    p = run_cli("backup", "--db", src, "--out", out)
    assert_refused(p, 1, "is not empty")
    p = run_cli("backup", "--db", src, "--out", str(tmp_path / "no" / "such" / "dir"))
    assert_refused(p, 1, "cannot create backup directory")
    p = run_cli("backup", "--db", src, "--out", src)
    assert_refused(p, 1, "not a directory")
    p = run_cli("backup", "--db", src)
    assert_refused(p, 2, "--out")
    p = run_cli("backup", "--db", "postgresql://postgres@127.0.0.1:5432/gridloop", "--out", str(tmp_path / "pg"))
    assert_refused(p, 2, "pg_basebackup")
    # A file that is not a SQLite database: refused, nothing left behind.
    junk = str(tmp_path / "junk.db")
    with open(junk, "wb") as f:
        f.write(b"not a database at all" * 1000)
    p = run_cli("backup", "--db", junk, "--out", str(tmp_path / "bj"))
    assert_refused(p, 1, "not a database")
    assert not os.path.exists(tmp_path / "bj")

    p = run_cli("restore", "--db", str(tmp_path / "r.db"))
    assert_refused(p, 2, "--from")
    p = run_cli("restore", "--from", str(tmp_path / "nothing"), "--db", str(tmp_path / "r.db"))
    assert_refused(p, 1, "does not exist")
    p = run_cli("restore", "--from", out, "--db", str(tmp_path / "no" / "dir" / "r.db"))
    assert_refused(p, 1, "does its directory exist")
    p = run_cli("restore", "--from", out, "--db", str(tmp_path / "r.db"), "--bogus")
    assert_refused(p, 2, "unknown option")
    assert not os.path.exists(tmp_path / "r.db")


def test_settings_as_for_every_command(tmp_path, template_db):
    """--db before the command, and GRIDLOOP_DB from the environment, name the database."""
    src, _ = make_backup(tmp_path, template_db, "first")
    out = str(tmp_path / "second")
    assert_ok(run_cli("--db", src, "backup", "--out", out, "--with-key"))
    target = str(tmp_path / "env.db")
    p = assert_ok(run_cli("restore", "--from", out, env={"GRIDLOOP_DB": target}))
    assert "restored " + target in p.stdout
    assert case_ids(target) == case_ids(src)
    # A triage_model setting moves the model, in the backup and on restore alike.
    model = str(tmp_path / "models" / "m.triage")
    os.makedirs(os.path.dirname(model))
    target2 = str(tmp_path / "model.db")
    assert_ok(run_cli("restore", "--from", out, "--db", target2, "--triage-model", model))
    assert sha256(model) == sha256(src + ".triage") and not os.path.exists(target2 + ".triage")
