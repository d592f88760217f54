"""Every list answers one envelope, {"items", "total", "next_cursor"}, and pages the same way:
?limit= caps a page, next_cursor (null on the last page) is passed back as ?cursor=."""
import pytest

from conftest import assert_error, unique

LISTS = [
    ("admin", "/api/v1/users"),
    ("admin", "/api/v1/regions"),
    ("admin", "/api/v1/departments"),
    ("admin", "/api/v1/categories"),
    ("admin", "/api/v1/routing-rules"),
    ("admin", "/api/v1/open311/clients"),
]


@pytest.mark.parametrize("who,path", LISTS, ids=[p for _w, p in LISTS])
def test_list_envelope(gl, who, path):
    body = gl.get(who, path).json()
    assert set(body) == {"items", "total", "next_cursor"}, body
    assert body["total"] == len(body["items"]) and body["next_cursor"] is None


PAGED = [p for p in LISTS if p[1] != "/api/v1/open311/clients"]


@pytest.mark.parametrize("who,path", PAGED, ids=[p for _w, p in PAGED])
def test_list_cursor_walks_every_item(gl, who, path):
    full = gl.get(who, path).json()
    if full["total"] < 3:
        pytest.skip("too few items to page")
    seen, cursor = [], None
    while True:
        page = gl.get(who, path, params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert page["total"] == full["total"] and len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == full["items"]
    assert_error(gl.get(who, path, params={"limit": 0}), 400, "bad_request", "limit")
    assert_error(gl.get(who, path, params={"cursor": "x"}), 400, "bad_request", "cursor")


def test_write_answers_what_it_audits(gl):
    """A created record is answered with Location and the same record a GET returns."""
    r = gl.post("admin", "/api/v1/departments", json={"code": unique("LD")[:20], "name": unique("列表部门")})
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/api/v1/departments/{r.json()['id']}"
    assert gl.get("admin", r.headers["Location"]).json() == r.json()


def test_audit_list_envelope_and_cursor(gl):
    first = gl.get("admin", "/api/v1/audit", params={"limit": 2}).json()
    assert set(first) == {"items", "total", "next_cursor"}, first
    assert first["total"] >= 3 and len(first["items"]) == 2
    second = gl.get("admin", "/api/v1/audit", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert second["items"][0]["id"] < first["items"][1]["id"]
    older = gl.get("admin", "/api/v1/audit", params={"limit": 2, "before": first["next_cursor"]}).json()
    assert older["items"] == second["items"]   # ?before= is the same cursor
