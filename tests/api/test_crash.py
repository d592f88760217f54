"""
Crash safety of intake: SIGKILL the server while several clients stream POST /api/v1/cases,
restart it on the same database, and check that every case whose 201 reached a client exists
with its number, its timeline (the create event) and its audit entry, that no case was left
half-written, and that the audit chain is intact.
"""
import signal
import threading
import time

import requests

from conftest import Api, db_open, run_cli

THREADS = 6
KILL_AFTER = 120  # acknowledged creations before the kill


def test_sigkill_during_case_stream_loses_no_acknowledged_case(server_factory):
    api = server_factory()
    srv = api.server
    tokens = {who: api.login(who).token for who in ("operator", "citizen")}
    acked = {}          # id -> (number, title)
    lock = threading.Lock()
    enough = threading.Event()
    stop = threading.Event()
    errors = []

    def client(n):
        who = "operator" if n % 2 == 0 else "citizen"
        s = requests.Session()
        s.headers["Authorization"] = "Bearer " + tokens[who]
        i = 0
        while not stop.is_set():
            i += 1
            title = f"崩溃测试 {n}-{i}"
            body = {"title": title, "description": "井盖松动，车辆经过有异响。" * 20,
                    "channel": "hotline" if who == "operator" else "app",
                    "citizen": {"name": "李四", "phone": "13900000000"}}
            try:
                r = s.post(api.url("/api/v1/cases"), json=body, timeout=10)
            except requests.RequestException:
                return  # the server is gone: an unanswered request proves nothing either way
            if r.status_code != 201:
                errors.append((r.status_code, r.text[:300]))
                return
            c = r.json()
            with lock:
                acked[c["id"]] = (c["number"], title)
                if len(acked) >= KILL_AFTER:
                    enough.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    assert enough.wait(60), f"only {len(acked)} cases acknowledged; errors: {errors[:3]}"
    srv.proc.send_signal(signal.SIGKILL)  # mid-stream: the clients are still sending
    srv.proc.wait()
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors, errors[:3]
    with lock:
        acked = dict(acked)
    assert len(acked) >= KILL_AFTER

    time.sleep(0.05)
    srv.start()
    api = Api(srv)

    con = db_open(srv.db, readonly=True)
    try:
        rows = {i: (num, title) for i, num, title in con.execute("SELECT id, number, title FROM cases")}
        created = {i for (i,) in con.execute("SELECT case_id FROM case_events WHERE action = 'create'"
                                             " AND from_state IS NULL AND to_state = 'new'")}
        audited = {t for (t,) in con.execute("SELECT target FROM audit_log WHERE action = 'case.create'")}
        numbers = [n for (n,) in con.execute("SELECT number FROM cases")]
    finally:
        con.close()
    missing = [i for i in acked if i not in rows]
    assert not missing, f"{len(missing)} acknowledged case(s) lost after SIGKILL: {missing[:10]}"
    for i, (number, title) in acked.items():
        assert rows[i] == (number, title), (i, rows[i], number, title)
    # Every case in the database, acknowledged or not, is whole: no case without its create
    # event or its audit entry, and numbers stayed unique.
    assert set(rows) == created, (set(rows) ^ created)
    assert {f"case/{i}" for i in rows} <= audited
    assert len(numbers) == len(set(numbers))

    # Through the API after the restart: a sample of the acknowledged cases, full timeline.
    for i in sorted(acked)[:: max(1, len(acked) // 15)]:
        r = api.get("admin", f"/api/v1/cases/{i}")
        assert r.status_code == 200, r.text
        c = r.json()
        assert c["number"] == acked[i][0] and c["state"] == "new"
        assert [e["action"] for e in c["timeline"] if e["action"] != "repeat"] == ["create", "triage"]
    # Intake works again and continues the day's numbering.
    r = api.post("operator", "/api/v1/cases", json={"title": "重启后", "description": "重启后的第一条",
                                                    "channel": "hotline"})
    assert r.status_code == 201, r.text
    assert r.json()["number"] not in numbers
    v = run_cli("audit", "verify", "--db", srv.db)
    assert v.returncode == 0 and "intact" in v.stdout, v.stdout + v.stderr
    # server_factory stops it with SIGTERM, checks exit 0 and the audit chain once more.
