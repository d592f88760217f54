"""Login, logout, sessions, cookie + CSRF, login throttling and password changes."""
import requests

from conftest import PASSWORD, assert_error, unique

LOGIN = "/api/v1/auth/login"


def test_login_ok(gl):
    r = gl.login_raw("admin")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.headers.get("Cache-Control") == "no-store"
    body = r.json()
    assert len(body["token"]) == 43 and len(body["csrf_token"]) >= 16
    assert body["token"] != body["csrf_token"]
    assert body["expires_at"].endswith("Z")
    assert body["user"]["name"] == "admin"
    assert body["user"]["roles"] == ["admin"]
    # Two logins give two independent sessions.
    assert gl.login_raw("admin").json()["token"] != body["token"]


def test_login_wrong_password_and_unknown_user_look_alike(gl):
    wrong = gl.login_raw("operator", "not-the-password")
    unknown = gl.login_raw("nobody-" + unique(), "not-the-password")
    e1 = assert_error(wrong, 401, "unauthorized")
    e2 = assert_error(unknown, 401, "unauthorized")
    assert e1["message"] == e2["message"]
    assert "token" not in wrong.text
    assert "Set-Cookie" not in wrong.headers


def test_login_missing_fields(gl):
    s = gl.anon
    e = assert_error(s.post(gl.url(LOGIN), json={}), 400, "bad_request")
    assert e["field"] in ("name", "password")
    assert_error(s.post(gl.url(LOGIN), json={"name": "admin"}), 400, "bad_request", "password")
    assert_error(s.post(gl.url(LOGIN), json={"password": PASSWORD}), 400, "bad_request", "name")
    assert_error(s.post(gl.url(LOGIN), json={"name": "", "password": PASSWORD}), 400, "bad_request", "name")
    assert_error(s.post(gl.url(LOGIN), json={"name": "admin", "password": 12345678}), 400, "bad_request",
                 "password")
    assert_error(s.post(gl.url(LOGIN), json={"name": "admin", "password": PASSWORD, "remember": True}), 400,
                 "bad_request", "remember")
    # "username" is accepted as a synonym of "name".
    r = s.post(gl.url(LOGIN), json={"username": "citizen", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["user"]["name"] == "citizen"


def test_me(gl, demo):
    r = gl.get("handler_cgj", "/api/v1/me")
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["name"] == "handler_cgj"
    assert me["roles"] == ["handler"]
    assert me["departments"] == [demo["CGJ"]]
    assert me["phone"].isdigit()  # one's own phone is not masked
    gw = gl.get("grid_worker", "/api/v1/me").json()
    assert gw["region_id"] == demo["gw_grid"] and gw["region"] == demo["gw_grid_code"]
    assert_error(gl.get(None, "/api/v1/me"), 401, "unauthorized")
    assert_error(requests.get(gl.url("/api/v1/me"), headers={"Authorization": "Bearer nonsense"}), 401,
                 "unauthorized")
    assert_error(requests.get(gl.url("/api/v1/me"), headers={"Authorization": "Basic YWRtaW46eA=="}), 401)


def test_logout_invalidates_token(gl):
    s = gl.fresh("supervisor")
    other = gl.login("supervisor")  # another session of the same user
    assert s.get(gl.url("/api/v1/me")).status_code == 200
    r = s.post(gl.url("/api/v1/auth/logout"))
    assert r.status_code == 204, r.text
    assert "Max-Age=0" in r.headers.get("Set-Cookie", "")
    assert_error(s.get(gl.url("/api/v1/me")), 401, "unauthorized")
    assert_error(s.post(gl.url("/api/v1/auth/logout")), 401)
    assert other.get(gl.url("/api/v1/me")).status_code == 200


def test_cookie_auth_and_csrf(gl):
    s = requests.Session()
    r = gl.login_raw("admin", session=s)
    assert r.status_code == 200
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("gl_session=" + r.json()["token"] + ";")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    csrf = r.json()["csrf_token"]
    assert "Authorization" not in s.headers
    assert s.cookies.get("gl_session")

    me = s.get(gl.url("/api/v1/me"))
    assert me.status_code == 200 and me.json()["name"] == "admin"

    code = unique("CK")
    body = {"code": code, "name": "cookie test department"}
    e = assert_error(s.post(gl.url("/api/v1/departments"), json=body), 403, "forbidden")
    assert "X-CSRF-Token" in e["message"]
    assert_error(s.post(gl.url("/api/v1/departments"), json=body, headers={"X-CSRF-Token": "x" * len(csrf)}),
                 403, "forbidden")
    codes = [d["code"] for d in gl.items("admin", "/api/v1/departments")]
    assert code not in codes, "a refused cookie write must not create anything"

    ok = s.post(gl.url("/api/v1/departments"), json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201, ok.text
    assert ok.json()["code"] == code

    # Bearer-authenticated writes need no CSRF token (no ambient credential to abuse).
    assert gl.delete("admin", f"/api/v1/departments/{ok.json()['id']}").status_code in (200, 204)

    # Logout through the cookie is a write too.
    assert_error(s.post(gl.url("/api/v1/auth/logout")), 403, "forbidden")
    assert s.post(gl.url("/api/v1/auth/logout"), headers={"X-CSRF-Token": csrf}).status_code == 204
    assert_error(requests.get(gl.url("/api/v1/me"), cookies={"gl_session": r.json()["token"]}), 401)


def test_throttle_per_user(server_factory):
    api = server_factory(args=["--login-max-user-failures", "3", "--login-max-ip-failures", "1000"])
    for _ in range(3):
        assert_error(api.login_raw("operator", "wrong-password"), 401, "unauthorized")
    r = api.login_raw("operator", PASSWORD)
    e = assert_error(r, 429, "too_many_requests")
    assert "user" in e["message"]
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= 900
    # Still throttled on the next attempt; another user of the same address is not.
    assert_error(api.login_raw("operator", PASSWORD), 429)
    assert api.login_raw("dispatcher", PASSWORD).status_code == 200
    # Unknown names are counted the same way, so throttling does not reveal which users exist.
    for _ in range(3):
        assert_error(api.login_raw("ghost", "wrong-password"), 401)
    assert_error(api.login_raw("ghost", "wrong-password"), 429)


def test_throttle_per_address(server_factory):
    api = server_factory(args=["--login-max-user-failures", "100", "--login-max-ip-failures", "4"])
    for i in range(4):
        assert_error(api.login_raw(f"probe{i}", "wrong-password"), 401)
    r = api.login_raw("admin", PASSWORD)
    e = assert_error(r, 429, "too_many_requests")
    assert "address" in e["message"]
    assert int(r.headers["Retry-After"]) >= 1


def test_throttle_limits_from_environment(server_factory):
    api = server_factory(env={"GRIDLOOP_LOGIN_MAX_USER_FAILURES": "1"})
    assert_error(api.login_raw("citizen", "wrong-password"), 401)
    assert_error(api.login_raw("citizen", PASSWORD), 429)


def test_password_change_flow(gl):
    name = unique("pw")
    r = gl.post("admin", "/api/v1/users", json={"name": name, "password": "first-pass-1", "roles": ["operator"]})
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    path = f"/api/v1/users/{uid}/password"

    s1 = gl.fresh(name, "first-pass-1")
    assert_error(s1.put(gl.url(path), json={"password": "second-pass-2"}), 400, "bad_request", "current_password")
    assert_error(s1.put(gl.url(path), json={"password": "second-pass-2", "current_password": "nope-nope-1"}),
                 403, "forbidden", "current_password")
    assert_error(s1.put(gl.url(path), json={"password": "short", "current_password": "first-pass-1"}),
                 400, "bad_request", "password")
    assert s1.get(gl.url("/api/v1/me")).status_code == 200, "failed attempts must not end the session"

    # Someone else's password: another non-admin may not.
    assert_error(gl.put("operator", path, json={"password": "evil-pass-9"}), 403, "forbidden")

    r = s1.put(gl.url(path), json={"password": "second-pass-2", "current_password": "first-pass-1"})
    assert r.status_code == 204, r.text
    assert_error(s1.get(gl.url("/api/v1/me")), 401, "unauthorized")
    assert_error(gl.login_raw(name, "first-pass-1"), 401)
    s2 = gl.fresh(name, "second-pass-2")

    # Admin reset needs no current password and ends the user's sessions.
    r = gl.put("admin", path, json={"password": "third-pass-3"})
    assert r.status_code == 204, r.text
    assert_error(s2.get(gl.url("/api/v1/me")), 401)
    assert_error(gl.login_raw(name, "second-pass-2"), 401)
    assert gl.login_raw(name, "third-pass-3").status_code == 200

    audit = gl.items("admin", "/api/v1/audit?limit=50")
    assert sum(1 for a in audit if a["action"] == "user.passwd" and a["target"] == f"user/{uid}") == 2


def test_disabled_user_loses_session(gl):
    name = unique("dis")
    r = gl.post("admin", "/api/v1/users", json={"name": name, "password": "first-pass-1", "roles": ["citizen"]})
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    s = gl.fresh(name, "first-pass-1")
    assert s.get(gl.url("/api/v1/me")).status_code == 200
    assert gl.patch("admin", f"/api/v1/users/{uid}", json={"active": False}).status_code == 200
    assert_error(s.get(gl.url("/api/v1/me")), 401)
    assert_error(gl.login_raw(name, "first-pass-1"), 401)
    # An admin cannot lock themself out.
    me = gl.get("admin", "/api/v1/me").json()
    assert_error(gl.patch("admin", f"/api/v1/users/{me['id']}", json={"active": False}), 409, "conflict", "active")
