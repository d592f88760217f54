"""
Issue 11, the front door (items 1, 3, 7 and the trusted proxy): what a client can make the
server do with a request head alone. Most tests speak raw HTTP over loopback sockets, each
bounded by a socket timeout, so a server that hangs fails the test instead of stalling it.
"""
import json
import socket
import time

import requests

from conftest import assert_error, copy_db, drop_db, new_db, run_cli


def raw(server, data, timeout=10, read_all=True):
    """Send bytes on a new connection; return everything read until the server closes (or
    what arrived when 'timeout' ran out)."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    try:
        s.sendall(data)
        return read_until_close(s, timeout) if read_all else s
    finally:
        if read_all:
            s.close()


def read_until_close(s, timeout):
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    return out


def access_log(server):
    with open(server.stdout_path, encoding="utf-8", errors="replace") as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def log_for(server, path, tries=50):
    for _ in range(tries):
        rows = [r for r in access_log(server) if r.get("path") == path]
        if rows:
            return rows[-1]
        time.sleep(0.02)
    raise AssertionError(f"no access log line for {path}")


# ---- trusted proxy ----

def test_trusted_proxy_names_the_client(server_factory):
    """From a trusted proxy the client is the rightmost untrusted X-Forwarded-For address; the
    client's own additions to the left of it are not believed."""
    api = server_factory(args=["--trusted-proxies", "127.0.0.1, 10.0.0.0/8"])
    srv = api.server
    r = requests.get(api.url("/healthz?tp=1"), timeout=10,
                     headers={"X-Forwarded-For": "198.51.100.66, 203.0.113.9, 10.1.2.3"})
    assert r.status_code == 200
    row = log_for(srv, "/healthz")
    assert row["ip"] == "203.0.113.9" and row["peer"] == "127.0.0.1", row
    # Two header lines are one list.
    body = raw(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    b"X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 203.0.113.10\r\n\r\n")
    assert body.startswith(b"HTTP/1.1 200"), body[:200]
    assert log_for(srv, "/healthz")["ip"] == "203.0.113.10"
    # /metrics is public from loopback only: a proxied client on loopback is not loopback.
    r = requests.get(api.url("/metrics"), headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
    assert r.status_code == 401, r.text[:200]


def test_forwarded_header_when_configured(server_factory):
    api = server_factory(args=["--trusted-proxies", "127.0.0.1",
                               "--trusted-proxy-header", "forwarded"])
    srv = api.server
    r = requests.get(api.url("/healthz"), timeout=10, headers={
        "Forwarded": 'for=192.0.2.1, for="[2001:db8:cafe::17]:4711";proto=https',
        "X-Forwarded-For": "198.51.100.7"})
    assert r.status_code == 200
    row = log_for(srv, "/healthz")
    assert row["ip"] == "2001:db8:cafe::17" and row["peer"] == "127.0.0.1", row


def test_forwarding_headers_from_untrusted_peers_are_ignored(server_factory):
    api = server_factory(args=["--trusted-proxies", "10.0.0.0/8"])
    srv = api.server
    r = requests.get(api.url("/healthz"), headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
    assert r.status_code == 200
    row = log_for(srv, "/healthz")
    assert row["ip"] == "127.0.0.1" and "peer" not in row, row


def test_bad_trusted_proxies_refuse_to_start(tmp_path, template_db):
    db = new_db(tmp_path, "badproxy", create=False)
    copy_db(template_db, db)
    try:
        p = run_cli("serve", "--db", db, "--listen", "127.0.0.1:0",
                    "--trusted-proxies", "10.0.0.0/40", timeout=30)
        assert p.returncode != 0
        assert "trusted_proxies" in p.stderr, p.stderr
    finally:
        drop_db(db)
