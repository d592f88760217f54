"""Static files from --web: MIME types, ETags, gzip, and no way out of the web directory."""
import json
import gzip
import http.client
import os

import pytest
import requests

from conftest import WEB, Api, Server

INDEX = open(os.path.join(WEB, "index.html"), "rb").read()
SECRET = b"top-secret-outside-web-7f3a"


def raw_get(port, path, headers=None):
    """GET with the path sent byte for byte (requests would normalise dot segments)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A web directory with a secret file next to it (and one inside a dot directory)."""
    top = tmp_path_factory.mktemp("site")
    web = top / "web"
    (web / "assets").mkdir(parents=True)
    (web / "docs").mkdir()
    (web / ".private").mkdir()
    (top / "secret.txt").write_bytes(SECRET)
    (web / ".private" / "key.txt").write_bytes(SECRET)
    (web / ".env").write_bytes(SECRET)
    (web / "index.html").write_bytes(INDEX)
    (web / "docs" / "index.html").write_bytes(b"<p>docs</p>")
    (web / "app.js").write_bytes(b"console.log('gridloop');\n" * 40)
    (web / "style.css").write_bytes(b"body { margin: 0 }\n")
    (web / "assets" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 600)
    (web / "data.bin").write_bytes(b"\1\2\3")
    (web / "100%.txt").write_bytes(b"percent")
    (web / "a b.txt").write_bytes(b"space")
    return str(web)


@pytest.fixture(scope="module")
def web_api(tmp_path_factory, template_db, site):
    srv = Server(str(tmp_path_factory.mktemp("websrv")), template_db, ["--web", site]).start()
    yield Api(srv)
    srv.check_clean_exit()


def test_index(gl):
    r = requests.get(gl.url("/"), headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.content == INDEX
    assert "Content-Encoding" not in r.headers
    assert r.headers["Cache-Control"] == "no-cache"
    r2 = requests.get(gl.url("/index.html"), headers={"Accept-Encoding": "identity"})
    assert r2.content == INDEX and r2.headers["ETag"] == r.headers["ETag"]
    h = requests.head(gl.url("/"), headers={"Accept-Encoding": "identity"})
    assert h.status_code == 200 and h.content == b"" and h.headers["ETag"] == r.headers["ETag"]


def test_etag_304(gl):
    r = requests.get(gl.url("/"), headers={"Accept-Encoding": "identity"})
    etag = r.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    r2 = requests.get(gl.url("/"), headers={"Accept-Encoding": "identity", "If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    assert r2.headers["ETag"] == etag
    r3 = requests.get(gl.url("/"), headers={"Accept-Encoding": "identity", "If-None-Match": '"other"'})
    assert r3.status_code == 200 and r3.content == INDEX
    r4 = requests.get(gl.url("/"), headers={"Accept-Encoding": "identity", "If-None-Match": f'"x", {etag}'})
    assert r4.status_code == 304


def test_gzip(gl):
    status, headers, body = raw_get(gl.server.port, "/", {"Accept-Encoding": "gzip, deflate"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert body[:2] == b"\x1f\x8b" and len(body) < len(INDEX)
    assert gzip.decompress(body) == INDEX
    plain = requests.get(gl.url("/"), headers={"Accept-Encoding": "identity"})
    # Different representations have different ETags, and each revalidates to 304.
    assert headers["ETag"] != plain.headers["ETag"]
    s304, _, b304 = raw_get(gl.server.port, "/", {"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})
    assert s304 == 304 and b304 == b""
    # requests decompresses transparently.
    assert requests.get(gl.url("/")).content == INDEX


def test_mime_types_and_caching(web_api):
    port = web_api.server.port
    cases = {"/app.js": "text/javascript; charset=utf-8", "/style.css": "text/css; charset=utf-8",
             "/assets/logo.png": "image/png", "/data.bin": "application/octet-stream",
             "/docs/": "text/html; charset=utf-8", "/docs": "text/html; charset=utf-8"}
    for path, mime in cases.items():
        status, headers, body = raw_get(port, path)
        assert status == 200, path
        assert headers["Content-Type"] == mime, path
    assert raw_get(port, "/docs/")[2] == b"<p>docs</p>"
    assert raw_get(port, "/assets/logo.png")[1]["Cache-Control"] == "public, max-age=31536000, immutable"
    assert raw_get(port, "/app.js")[1]["Cache-Control"] == "no-cache"
    # Images are not gzipped even when the client asks.
    assert "Content-Encoding" not in raw_get(port, "/assets/logo.png", {"Accept-Encoding": "gzip"})[1]
    js = raw_get(port, "/app.js", {"Accept-Encoding": "gzip"})
    assert js[1]["Content-Encoding"] == "gzip" and gzip.decompress(js[2]).startswith(b"console.log")


def test_percent_decoding_once(web_api, gl):
    port = web_api.server.port
    assert raw_get(port, "/100%25.txt")[:1] == (200,)
    assert raw_get(port, "/100%25.txt")[2] == b"percent"
    assert raw_get(port, "/a%20b.txt")[2] == b"space"
    assert raw_get(port, "/%61pp.js")[0] == 200
    # "%252e" is "%2e" once decoded, which is not the same file as "."
    assert raw_get(gl.server.port, "/index%252ehtml")[0] == 404
    assert raw_get(gl.server.port, "/index%2ehtml")[0] == 200


def test_edited_file_is_served_fresh(web_api, site):
    port = web_api.server.port
    path = os.path.join(site, "style.css")
    first = raw_get(port, "/style.css")
    with open(path, "wb") as f:
        f.write(b"body { margin: 1px }\n")
    os.utime(path, ns=(first_mtime := os.stat(path).st_mtime_ns + 10 ** 9, first_mtime))
    second = raw_get(port, "/style.css")
    assert second[2] == b"body { margin: 1px }\n"
    assert second[1]["ETag"] != first[1]["ETag"]


TRAVERSALS = [
    "/../secret.txt",
    "/../../../../etc/passwd",
    "/docs/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/.%2e/secret.txt",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/docs%2f..%2f..%2fsecret.txt",
    "/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/%252e%252e/secret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/.private/key.txt",
    "/.env",
    "/%2eenv",
    "/docs/./../../secret.txt",
    "/secret.txt%00.html",
    "//secret.txt",
    "/%2fetc%2fpasswd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal(web_api, path):
    status, headers, body = raw_get(web_api.server.port, path)
    assert status in (400, 404), (status, body[:200])
    assert SECRET not in body
    assert b"root:" not in body
    if status == 400:
        err = json.loads(body)["error"]
        assert err["code"] == "bad_request" and err["field"] == "path"


def test_unknown_file(gl, web_api):
    for api in (gl, web_api):
        r = requests.get(api.url("/no/such/file.html"))
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"
    # Writes to static paths are not found either (only GET and HEAD serve files).
    r = requests.post(gl.url("/index.html"), data=b"x")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
