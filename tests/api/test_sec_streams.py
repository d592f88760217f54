"""Event streams cannot take the server down or outlive their session (issue 11, items 2 and 9).

Item 2: GET /api/v1/events/stream holds a connection for as long as it is open, so streams are
capped per user and per client address (429 + Retry-After), in total below the connection
limit (503 + Retry-After; the budget is checked against max_connections at start) and in time
(stream_max_life: the stream ends cleanly after a 'retry:' hint and the client reconnects).

Item 9: a stream serves the session it was opened with: logout, a password change, a
deactivation or a change of roles ends it, and the session is checked again while it lives.
On PostgreSQL the same holds for a stream on another node (the session and user
announcements of migration 0009 reach every node).

Every server here is a server_factory one with small limits; every stream is read by a
thread with bounded waits, and every wait has a timeout."""
import datetime as dt
import queue
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import BIN, GENEROUS, PASSWORD, PG, child_env, copy_db, free_port, new_db

STREAM = "/api/v1/events/stream"


class Stream:
    """One event stream over its own connection, read by a thread."""

    def __init__(self, base, session, headers=None):
        h = {"Accept": "text/event-stream"}
        h.update(headers or {})
        self.r = session.get(base + STREAM, stream=True, headers=h, timeout=(5, 30))
        self.status = self.r.status_code
        self.lines = []
        self.events = queue.Queue()
        self.ended = threading.Event()
        if self.status != 200:
            self.body = self.r.text
            self.r.close()
            self.ended.set()
            return
        self.sock = self.r.raw.connection.sock
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        ev = {}
        try:
            for line in self.r.iter_lines(chunk_size=None, decode_unicode=True):
                self.lines.append(line)
                if line == "":
                    if ev:
                        self.events.put(ev)
                    ev = {}
                elif not line.startswith(":"):
                    k, _, v = line.partition(":")
                    ev[k] = v[1:] if v.startswith(" ") else v
        except Exception:  # closed by the test, or the server went away
            pass
        self.ended.set()

    def opened(self, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not any(l.startswith(": connected") for l in self.lines):
            time.sleep(0.02)
        return any(l.startswith(": connected") for l in self.lines)

    def case_event(self, case_id, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ev = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                return None
            if f'"case_id":{case_id},' in ev.get("data", "") or f'"case_id":{case_id}}}' in ev.get("data", ""):
                return ev
        return None

    def close(self):
        if self.status == 200:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.ended.wait(5)
            self.r.close()


def close_all(streams):
    for s in streams:
        s.close()


def create_case(api, title):
    r = api.post("operator", "/api/v1/cases",
                 json={"title": title, "description": "东门垃圾三天没人清理", "channel": "hotline"})
    assert r.status_code == 201, r.text
    return r.json()


def assert_refused(st, status, code):
    assert st.status == status, f"expected {status}, got {st.status}: {getattr(st, 'body', '')[:300]}"
    ra = st.r.headers.get("Retry-After", "")
    assert ra.isdigit() and int(ra) > 0, st.r.headers
    assert f'"code":"{code}"' in st.body, st.body


# ---------------------------------------------------------------- item 2: caps, budget, life

def test_streams_per_user_are_capped(server_factory):
    api = server_factory(args=GENEROUS + ["--stream-max-per-user", "2"])
    open_ = []
    try:
        # Two sessions of one citizen: the cap is the user's, not the session's.
        a, b = api.fresh("citizen"), api.fresh("citizen")
        open_ += [Stream(api.base, a), Stream(api.base, b)]
        assert [s.status for s in open_] == [200, 200]
        third = Stream(api.base, a)
        open_.append(third)
        assert_refused(third, 429, "too_many_requests")
        # Another user is not affected, and ordinary requests still work for the capped one.
        other = Stream(api.base, api.login("operator"))
        open_.append(other)
        assert other.status == 200
        assert a.get(api.url("/api/v1/me"), timeout=5).status_code == 200
    finally:
        close_all(open_)


def test_streams_per_address_are_capped(server_factory):
    api = server_factory(args=GENEROUS + ["--stream-max-per-address", "3"])
    open_ = []
    try:
        for who in ("citizen", "operator", "dispatcher"):
            open_.append(Stream(api.base, api.login(who)))
        assert [s.status for s in open_] == [200, 200, 200]
        fourth = Stream(api.base, api.login("handler_cgj"))
        open_.append(fourth)
        assert_refused(fourth, 429, "too_many_requests")
    finally:
        close_all(open_)


def test_stream_budget_keeps_connections_for_ordinary_requests(server_factory):
    api = server_factory(args=GENEROUS + ["--max-connections", "16", "--stream-budget", "3"])
    open_ = []
    try:
        for who in ("citizen", "operator", "dispatcher"):
            open_.append(Stream(api.base, api.login(who)))
        assert [s.status for s in open_] == [200, 200, 200]
        over = Stream(api.base, api.login("handler_cgj"))
        open_.append(over)
        assert_refused(over, 503, "unavailable")
        # The slots the budget leaves serve ordinary requests.
        assert requests.get(api.url("/healthz"), timeout=5).status_code == 200
        assert api.get("handler_cgj", "/api/v1/me", timeout=5).status_code == 200
        # A stream that ends gives its place back: here its session's logout ends it at once.
        assert api.login("citizen").post(api.url("/api/v1/auth/logout"), timeout=5).status_code == 204
        assert open_[0].ended.wait(5)
        again = Stream(api.base, api.login("handler_cgj"))
        open_.append(again)
        assert again.status == 200
    finally:
        close_all(open_)


def test_stream_budget_must_leave_connections_free(tmp_path, template_db):
    # Checked at start: a budget that could take (nearly) every connection is refused.
    # A real system, so the refusal is the budget's and not the missing database's.
    db = new_db(tmp_path, create=False)
    copy_db(template_db, db)
    p = subprocess.run([BIN, "serve", "--db", str(db), "--listen", f"127.0.0.1:{free_port()}",
                        "--max-connections", "20", "--stream-budget", "20"],
                       capture_output=True, text=True, env=child_env(), timeout=30)
    assert p.returncode != 0
    assert "stream_budget" in p.stderr and "max_connections" in p.stderr, p.stderr


def test_stream_ends_after_its_maximum_life_and_can_reconnect(server_factory):
    api = server_factory(args=GENEROUS + ["--stream-max-life", "2"])
    s = Stream(api.base, api.login("dispatcher"))
    try:
        assert s.status == 200 and s.opened()
        assert any(l.startswith("retry:") for l in s.lines), s.lines
        assert s.ended.wait(8), "a stream past stream_max_life ends"
        again = Stream(api.base, api.login("dispatcher"))
        assert again.status == 200 and again.opened()
        again.close()
    finally:
        s.close()


# ---------------------------------------------------------------- item 9: the session ends

def test_logout_ends_that_sessions_streams_only(server_factory):
    api = server_factory(args=GENEROUS + ["--notify-interval", "1"])
    gone, kept = api.fresh("dispatcher"), api.fresh("dispatcher")
    s_gone, s_kept = Stream(api.base, gone), Stream(api.base, kept)
    try:
        assert s_gone.opened() and s_kept.opened()
        assert gone.post(api.url("/api/v1/auth/logout"), timeout=5).status_code == 204
        assert s_gone.ended.wait(5), "the logged-out session's stream ends"
        case = create_case(api, "after-logout")
        assert s_kept.case_event(case["id"], timeout=10), "the other session's stream still delivers"
        assert not s_kept.ended.is_set()
        # Reopening with the ended session is refused.
        assert Stream(api.base, gone).status == 401
    finally:
        close_all([s_gone, s_kept])


def test_password_change_ends_the_users_streams(server_factory):
    api = server_factory(args=GENEROUS)
    s = api.fresh("dispatcher")
    st = Stream(api.base, s)
    try:
        assert st.opened()
        uid = s.user["id"]
        r = s.put(api.url(f"/api/v1/users/{uid}/password"),
                  json={"current_password": PASSWORD, "password": "another-pass-9"}, timeout=10)
        assert r.status_code == 204, r.text
        assert st.ended.wait(5), "a password change ends the user's streams"
    finally:
        st.close()


def test_deactivation_ends_the_users_streams_and_nothing_more_is_delivered(server_factory):
    api = server_factory(args=GENEROUS + ["--notify-interval", "1"])
    s = api.fresh("dispatcher")
    st = Stream(api.base, s)
    try:
        assert st.opened()
        r = api.patch("admin", f"/api/v1/users/{s.user['id']}", json={"active": False})
        assert r.status_code == 200, r.text
        assert st.ended.wait(5), "a deactivated user's stream ends"
        case = create_case(api, "after-deactivation")
        assert st.case_event(case["id"], timeout=2) is None
    finally:
        st.close()


def test_role_change_ends_the_stream_a_display_name_does_not(server_factory):
    api = server_factory(args=GENEROUS)
    s = api.fresh("supervisor")
    st = Stream(api.base, s)
    uid = s.user["id"]
    try:
        assert st.opened()
        r = api.patch("admin", f"/api/v1/users/{uid}", json={"display_name": "督办甲"})
        assert r.status_code == 200, r.text
        time.sleep(1.0)
        assert not st.ended.is_set(), "a new display name leaves the stream open"
        r = api.patch("admin", f"/api/v1/users/{uid}", json={"roles": ["citizen"]})
        assert r.status_code == 200, r.text
        assert st.ended.wait(5), "a stream opened under other roles ends (the client reopens it)"
    finally:
        st.close()


def test_stream_ends_when_its_session_expires_checked_while_it_lives(server_factory):
    # Nothing announces an expiry: the stream's periodic check (stream_check_interval) finds it.
    api = server_factory(args=GENEROUS + ["--test-clock", "true", "--session-ttl", "600",
                                          "--stream-check-interval", "1"])
    admin = api.login("admin")
    st = Stream(api.base, api.fresh("dispatcher"))
    try:
        assert st.opened()
        time.sleep(1.5)
        assert not st.ended.is_set(), "a stream of a live session stays open across checks"
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)
        r = admin.put(api.url("/api/v1/test/clock"), json={"now": later.isoformat()}, timeout=5)
        assert r.status_code in (200, 204), r.text
        assert st.ended.wait(6), "the stream of an expired session ends at its next check"
    finally:
        st.close()


@pytest.mark.skipif(not PG, reason="several nodes share a PostgreSQL database")
def test_logout_on_one_node_ends_the_stream_on_another(tmp_path, template_db):
    from conftest import Api, Server, drop_db
    first = Server(str(tmp_path / "n0"), template_db, GENEROUS)
    second = Server(str(tmp_path / "n1"), None, GENEROUS, db=first.db)
    try:
        first.start()
        second.start()
        a, b = Api(first), Api(second)
        s = a.fresh("dispatcher")
        st = Stream(b.base, s)
        assert st.opened()
        u = a.fresh("grid_worker")
        st2 = Stream(b.base, u)
        assert st2.opened()
        try:
            assert s.post(a.url("/api/v1/auth/logout"), timeout=5).status_code == 204
            assert st.ended.wait(5), "a logout on node A ends the session's stream on node B"
            r = a.patch("admin", f"/api/v1/users/{u.user['id']}", json={"active": False})
            assert r.status_code == 200, r.text
            assert st2.ended.wait(5), "a deactivation on node A ends the user's stream on node B"
        finally:
            close_all([st, st2])
    finally:
        assert second.stop() == 0
        first.check_clean_exit()
        drop_db(first.db)
