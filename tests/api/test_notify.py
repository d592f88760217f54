"""Notifications: delivery of the outbox through the webhook channel (with retries) and the live
event stream GET /api/v1/events/stream (scope per caller, Last-Event-ID, shutdown with a stream
open).

The webhook receiver is a small http.server in a thread of the test; each test starts its own
gridloop with server_factory so the notifications it sees are its own."""
import http.server
import json
import queue
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import BIN, assert_error, child_env, copy_db, db_open, free_port, new_db

STREAM = "/api/v1/events/stream"


# ---------------------------------------------------------------- helpers

class Webhook:
    """Records every POST; answers 503 to the first `fail_first` deliveries of each
    notification id, then 204."""

    def __init__(self, fail_first=0):
        self.fail_first = fail_first
        self.calls = []          # (time, notification id header, body dict, status answered)
        self.lock = threading.Lock()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                nid = self.headers.get("X-Gridloop-Notification")
                with hook.lock:
                    seen = sum(1 for c in hook.calls if c[1] == nid)
                    status = 503 if seen < hook.fail_first else 204
                    hook.calls.append((time.monotonic(), nid, json.loads(body), status,
                                       self.headers.get("Content-Type", "")))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def for_kind(self, kind, case_id):
        with self.lock:
            return [c for c in self.calls if c[2]["kind"] == kind and c[2]["case_id"] == case_id]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def webhook():
    hooks = []

    def make(fail_first=0):
        h = Webhook(fail_first)
        hooks.append(h)
        return h

    yield make
    for h in hooks:
        h.close()


class EventStream:
    """GET /api/v1/events/stream read by a thread; parsed events land in a queue."""

    def __init__(self, api, who, last_event_id=None, params=None):
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.r = api.get(who, STREAM, stream=True, headers=headers, timeout=(5, 60), params=params)
        assert self.r.status_code == 200, self.r.text
        assert self.r.headers["Content-Type"].startswith("text/event-stream"), self.r.headers
        self.sock = self.r.raw.connection.sock
        self.events = queue.Queue()
        self.comments = []
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        ev = {}
        try:
            for line in self.r.iter_lines(chunk_size=None, decode_unicode=True):
                if line == "":
                    if ev:
                        self.events.put(ev)
                    ev = {}
                elif line.startswith(":"):
                    self.comments.append(line)
                else:
                    k, _, v = line.partition(":")
                    ev[k] = v[1:] if v.startswith(" ") else v
        except Exception:  # the test closed the response, or the server went away
            pass
        self.ended.set()

    def wait_for(self, pred, timeout=10):
        """The first event (parsed data) for which pred(event, data) holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ev = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            data = json.loads(ev["data"]) if "data" in ev else None
            if pred(ev, data):
                return ev, data
        raise AssertionError("no matching event within %s s" % timeout)

    def drain(self):
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    def close(self):
        # Closing the response would wait for the reader thread's blocked read (until the next
        # keep-alive); shutting the socket down ends that read at once.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ended.wait(5)
        self.r.close()


def create_case(api, title="notify"):
    r = api.post("operator", "/api/v1/cases",
                 json={"title": title, "description": "东门垃圾三天没人清理", "channel": "hotline"})
    assert r.status_code == 201, r.text
    return r.json()


def dispatch(api, case, dept):
    r = api.post("dispatcher", f"/api/v1/cases/{case['id']}/actions",
                 json={"action": "dispatch", "version": case["version"], "department": dept})
    assert r.status_code == 200, r.text
    return r.json()


def dept_id(api, code):
    return next(d["id"] for d in api.items("admin", "/api/v1/departments") if d["code"] == code)


def wait_until(pred, timeout=15, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def outbox_rows(api, case_id):
    db = db_open(api.server.db, readonly=True)
    try:
        return db.execute("SELECT kind, status, attempts, sent_at, last_error FROM notifications"
                          " WHERE case_id = ? ORDER BY id", (case_id,)).fetchall()
    finally:
        db.close()


def webhook_server(server_factory, hook, *extra):
    return server_factory(args=["--notify-channel", "webhook", "--notify-webhook-url", hook.url,
                                "--notify-interval", "1", "--notify-retry-base", "1", *extra])


# ---------------------------------------------------------------- webhook channel

def test_webhook_receives_dispatched_notification(server_factory, webhook):
    hook = webhook()
    api = webhook_server(server_factory, hook)
    cgj = dept_id(api, "CGJ")
    case = dispatch(api, create_case(api), cgj)

    calls = wait_until(lambda: hook.for_kind("dispatched", case["id"]), what="the dispatched webhook")
    _, nid, body, status, ctype = calls[0]
    assert status == 204 and ctype.startswith("application/json")
    assert set(body) == {"id", "case_id", "case_number", "event_id", "kind", "recipient", "message",
                         "created_at", "attempt"}, body
    assert str(body["id"]) == nid
    assert body["case_number"] == case["number"]
    assert body["recipient"] == {"kind": "department", "id": cgj}
    assert case["number"] in body["message"]
    assert body["attempt"] == 1 and body["created_at"].endswith("Z")
    # The intake notified the dispatchers first, through the same channel.
    new = wait_until(lambda: hook.for_kind("new_case", case["id"]), what="the new_case webhook")
    assert new[0][2]["recipient"] == {"kind": "dispatchers", "id": None}
    assert new[0][2]["id"] < body["id"]
    # Delivered once each and recorded as sent.
    wait_until(lambda: all(r[1] == "sent" for r in outbox_rows(api, case["id"])), what="rows sent")
    assert len(hook.for_kind("dispatched", case["id"])) == 1
    rows = outbox_rows(api, case["id"])
    assert [(k, s, a) for k, s, a, *_ in rows] == [("new_case", "sent", 1), ("dispatched", "sent", 1)]
    assert all(r[3] for r in rows)


def test_webhook_failures_are_retried_with_backoff(server_factory, webhook):
    hook = webhook(fail_first=2)
    api = webhook_server(server_factory, hook)
    case = dispatch(api, create_case(api), dept_id(api, "CGJ"))

    calls = wait_until(lambda: [c for c in hook.for_kind("dispatched", case["id"]) if c[3] == 204],
                       timeout=30, what="the third, successful delivery")
    tries = hook.for_kind("dispatched", case["id"])
    assert [c[3] for c in tries] == [503, 503, 204]
    assert [c[2]["attempt"] for c in tries] == [1, 2, 3]
    assert len({c[1] for c in tries}) == 1, "one notification, three attempts"
    # Back-off: the retries come no sooner than the schedule allows (base 1 s, then 1-2 s).
    assert tries[1][0] - tries[0][0] >= 0.9
    assert tries[2][0] - tries[1][0] >= 0.9
    # The outcome is recorded after the delivery (with the rest of its batch): wait for it.
    wait_until(lambda: outbox_rows(api, case["id"])[1][1] == "sent", timeout=10, what="the row marked sent")
    kind, status, attempts, sent_at, last_error = outbox_rows(api, case["id"])[1]
    assert (kind, status, attempts, last_error) == ("dispatched", "sent", 3, "")
    assert sent_at
    assert calls


def test_webhook_gives_up_after_max_attempts(server_factory, webhook):
    hook = webhook(fail_first=100)
    api = webhook_server(server_factory, hook, "--notify-max-attempts", "2")
    case = create_case(api)
    wait_until(lambda: [r for r in outbox_rows(api, case["id"]) if r[1] == "failed"], timeout=30,
               what="the notification to be given up")
    kind, status, attempts, sent_at, last_error = outbox_rows(api, case["id"])[0]
    assert (kind, status, attempts, sent_at) == ("new_case", "failed", 2, None)
    assert "503" in last_error
    time.sleep(1.5)
    assert len(hook.for_kind("new_case", case["id"])) == 2


def test_bad_channel_setting_refuses_to_start(tmp_path, template_db):
    db = new_db(tmp_path, create=False)
    copy_db(template_db, db)
    p = subprocess.run([BIN, "serve", "--db", db, "--listen", f"127.0.0.1:{free_port()}",
                        "--notify-channel", "webhook"],
                       capture_output=True, text=True, env=child_env(), timeout=30)
    assert p.returncode != 0
    assert "notify_webhook_url" in p.stderr, p.stderr


# ---------------------------------------------------------------- event stream

def test_stream_delivers_in_scope_events_only(server_factory):
    api = server_factory(args=["--notify-interval", "1"])
    cgj = dept_id(api, "CGJ")
    mine = EventStream(api, "handler_cgj")
    other = EventStream(api, "handler_qsjd")
    disp = EventStream(api, "dispatcher")
    try:
        case = create_case(api, "stream")
        # Dispatchers hear of the new case.
        ev, data = disp.wait_for(lambda e, d: d and d["case_id"] == case["id"], timeout=5)
        assert ev["event"] == "new_case" and data["recipient"]["kind"] == "dispatchers"
        new_id = int(ev["id"])

        dispatch(api, case, cgj)
        ev, data = mine.wait_for(lambda e, d: d and d["case_id"] == case["id"], timeout=5)
        assert ev["event"] == "dispatched" and int(ev["id"]) == data["id"]
        assert data["recipient"] == {"kind": "department", "id": cgj}
        assert data["case_number"] == case["number"]

        time.sleep(1.0)
        assert [e for e in other.drain() if "data" in e] == [], "another department's handler hears nothing"
        assert [e for e in mine.drain() if e.get("event") == "new_case"] == [], "handlers do not get intake"
    finally:
        for s in (mine, other, disp):
            s.close()

    # Reconnecting with Last-Event-ID replays what was missed, within scope, before live events.
    again = EventStream(api, "handler_cgj", last_event_id=new_id)
    try:
        ev, data = again.wait_for(lambda e, d: d is not None, timeout=5)
        assert ev["event"] == "dispatched" and data["case_id"] == case["id"]
    finally:
        again.close()


def test_supervisors_watch_new_and_overdue_cases_and_open_with_history(server_factory):
    """Issue 13: a supervisor's dashboard stream carries the cases that arrive and those that run
    late in their scope (not only their own notices), and opens with recent history."""
    api = server_factory(args=["--notify-interval", "1"])
    older = [create_case(api, f"历史{i}") for i in range(3)]
    # The outbox hands them out first (a stream replays only what was handed out).
    wait_until(lambda: all(r and r[0][2] > 0 for r in (outbox_rows(api, c["id"]) for c in older)),
               what="the intake notices to be handed out")
    sup = EventStream(api, "supervisor", params={"recent": 2})
    try:
        # History: the latest two in scope, oldest first, before anything live.
        got = [sup.wait_for(lambda e, d: d is not None, timeout=5)[1]["case_id"] for _ in range(2)]
        assert got == [older[1]["id"], older[2]["id"]]
        case = create_case(api, "督办实时")
        ev, data = sup.wait_for(lambda e, d: d and d["case_id"] == case["id"], timeout=5)
        assert ev["event"] == "new_case"
    finally:
        sup.close()
    assert_error(api.get("supervisor", STREAM, params={"recent": 51}), 400, "bad_request", "recent")


def test_stream_needs_a_session(server_factory):
    api = server_factory()
    r = requests.get(api.url(STREAM), timeout=5)
    assert r.status_code == 401


def test_shutdown_with_open_stream_is_quick_and_clean(server_factory):
    api = server_factory()
    s = EventStream(api, "admin")
    wait_until(lambda: s.comments, timeout=5, what="the stream to open")
    t0 = time.monotonic()
    api.server.check_clean_exit()      # SIGTERM, exit code 0, audit intact
    assert time.monotonic() - t0 < 5, "an open stream must not hold shutdown for the grace period"
    assert s.ended.wait(5), "the stream ends when the server stops"
    s.close()
