"""SMS through a real Kannel (docs/citizens.md): the 受理回执 when a hotline case with a phone is
created, the 办结请评价 when it is replied, both received by Kannel's fake SMSC as UCS-2 and
decoded back; delivery reports coming back to GET /api/v1/sms/dlr; the admin's template table;
retries with back-off when the gateway is down."""
import datetime as dt
import subprocess
import time

import pytest

from conftest import (BIN, GENEROUS, Api, Server, assert_error, child_env, copy_db, db_open,
                      drop_db, free_port, new_db)
from kannel import PASSWORD as KPASS
from kannel import USER as KUSER
from kannel import Kannel

CAT = 10  # 010201 占道经营, lead CGJ
PHONE = "138 1234 8000"


def wait_until(pred, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def act(api, who, case, action, **fields):
    body = {"action": action, "version": case["version"]}
    body.update(fields)
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions", json=body)
    assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:500]}"
    return r.json()


def new_case(api, phone=PHONE, anonymous=False):
    citizen = {"name": "张三", "phone": phone} if phone else {}
    body = {"title": "占道经营", "description": "小区门口有人摆摊占用人行道", "channel": "hotline",
            "citizen": citizen}
    r = api.post("operator", "/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def messages(api, case_id):
    r = api.get("admin", "/api/v1/sms-messages", params={"case_id": case_id})
    assert r.status_code == 200, r.text
    return r.json()["items"]


@pytest.fixture(scope="module")
def kannel(tmp_path_factory):
    k = Kannel(tmp_path_factory.mktemp("kannel")).start()
    yield k
    k.stop()


@pytest.fixture(scope="module")
def sms(tmp_path_factory, template_db, kannel):
    port = free_port()
    srv = Server(str(tmp_path_factory.mktemp("sms")), template_db, GENEROUS + [
        "--test-clock", "--session-ttl", "31536000", "--notify-interval", "1", "--sms-channel", "kannel", "--sms-kannel-url", kannel.sendsms_url,
        "--sms-kannel-user", KUSER, "--sms-kannel-password", KPASS, "--sms-from", "12345",
        "--sms-dlr-url", f"http://127.0.0.1:{port}"], port=port).start()
    yield Api(srv)
    srv.check_clean_exit()
    drop_db(srv.db)


def received_with(kannel, needle):
    return [m for m in kannel.received() if needle in m["text"]]


def test_receipt_and_evaluation_request_reach_the_phone(sms, kannel):
    c = new_case(sms)
    # 受理回执 with the case number and check code, as UCS-2 to the clear number.
    got = wait_until(lambda: received_with(kannel, c["number"]), what="the receipt at the SMSC")
    assert len(got) == 1, got
    m = got[0]
    assert m["to"] == "13812348000", m  # digits only: Kannel reads a space as another number
    assert m["from"] == "12345" and m["coding"] == "ucs-2"
    assert m["text"] == (f"【12345】您反映的问题已受理，工单号{c['number']}，查询码{c['check_code']}。"
                         "可凭工单号和查询码查询办理进度。")
    # Kannel reports back (SMSC ack, then delivered): the outbox row says delivered.
    row = wait_until(lambda: [x for x in messages(sms, c["id"]) if x["status"] == "delivered"],
                     what="the delivery report")[0]
    assert row["template"] == "receipt" and row["phone"] == "138******8000", row  # the case's mask
    # Kannel sends the SMSC's ack (8) and the delivery (1) on their own: either may come last.
    assert row["attempts"] == 1 and row["last_report"] in (1, 8) and row["report_at"], row
    assert PHONE not in str(row) and "13812348000" not in str(row)
    with db_open(sms.server.db) as con:
        reports = con.execute("SELECT r.type FROM sms_reports r JOIN sms_messages m"
                              " ON m.id = r.message_id WHERE m.case_id = ? ORDER BY r.id",
                              (c["id"],)).fetchall()
        stored = con.execute("SELECT phone_enc FROM sms_messages WHERE case_id = ?",
                             (c["id"],)).fetchall()
    assert 1 in [t for (t,) in reports], reports
    assert "1381234" not in stored[0][0].replace(" ", "")  # sealed at rest
    audit = sms.get("admin", "/api/v1/audit", params={"limit": 50}).json()["items"]
    assert any(e["action"] == "sms.report" and e["target"] == f"sms/{row['id']}" for e in audit)

    # Reply: 办结请评价.
    c = act(sms, "dispatcher", c, "dispatch", department=sms_dept(sms, "CGJ"), category=CAT,
            instruction="请核实处理")
    c = act(sms, "handler_cgj", c, "sign")
    c = act(sms, "handler_cgj", c, "reply", result="已现场劝离摊贩并清理人行道", contacted=True,
            solved=True)
    assert c["state"] == "replied", c["state"]
    got = wait_until(lambda: [m for m in received_with(kannel, c["number"]) if "评价" in m["text"]],
                     what="the evaluation request at the SMSC")
    assert got[0]["text"] == f"【12345】您反映的问题（工单号{c['number']}）已办结，请对办理结果进行评价。"
    kinds = sorted(x["template"] for x in messages(sms, c["id"]))
    assert kinds == ["evaluate", "receipt"], kinds


def sms_dept(api, code):
    return {d["code"]: d for d in api.items("admin", "/api/v1/departments")}[code]["id"]


def test_no_phone_no_text(sms, kannel):
    c = new_case(sms, phone=None)
    assert messages(sms, c["id"]) == []


def test_admin_edits_the_templates(sms, kannel):
    tpls = {t["code"]: t for t in sms.items("admin", "/api/v1/sms-templates")}
    assert set(tpls) == {"receipt", "evaluate", "code", "policy", "service"}
    assert tpls["receipt"]["name"] == "受理回执" and tpls["code"]["name"] == "验证码"
    rid = tpls["receipt"]["id"]
    # Bad input names the field and writes nothing.
    for body in ("工单号{number}，{phone}", "工单号{number", "工单号number}", "", "长" * 301):
        r = sms.patch("admin", f"/api/v1/sms-templates/{rid}", json={"body": body})
        assert_error(r, 400, field="body")
    assert_error(sms.patch("admin", f"/api/v1/sms-templates/{rid}", json={}), 400, field="body")
    assert_error(sms.patch("admin", "/api/v1/sms-templates/999", json={"body": "x"}), 404)
    for who in ("operator", "dispatcher", "citizen"):
        assert_error(sms.patch(who, f"/api/v1/sms-templates/{rid}", json={"body": "x"}), 403)
        assert_error(sms.get(who, "/api/v1/sms-templates"), 403)
    assert_error(sms.get("citizen", "/api/v1/sms-messages"), 403)
    new = "【12345】已受理：{number}（查询码{check_code}）"
    r = sms.patch("admin", f"/api/v1/sms-templates/{rid}", json={"body": new})
    assert r.status_code == 200, r.text
    assert r.json()["body"] == new and r.json()["updated_at"]
    audit = sms.get("admin", "/api/v1/audit", params={"limit": 20}).json()["items"]
    assert any(e["action"] == "sms_template.update" and e["target"] == f"sms_template/{rid}"
               for e in audit)
    try:
        c = new_case(sms, phone="13900001111")
        got = wait_until(lambda: received_with(kannel, c["number"]), what="the edited receipt")
        assert got[0]["text"] == f"【12345】已受理：{c['number']}（查询码{c['check_code']}）"
        assert got[0]["to"] == "13900001111"
    finally:
        sms.patch("admin", f"/api/v1/sms-templates/{rid}", json={"body": tpls["receipt"]["body"]})


def test_delivery_report_needs_the_token(sms, kannel):
    c = new_case(sms, phone="13900002222")
    row = wait_until(lambda: [x for x in messages(sms, c["id"]) if x["status"] != "pending"],
                     what="the send")[0]
    base = "/api/v1/sms/dlr"
    # Anyone can reach the route (Kannel has no session), but only the message's token counts.
    r = sms.get(None, base, params={"id": row["id"], "token": "0" * 32, "type": 2})
    assert_error(r, 404)
    assert_error(sms.get(None, base, params={"id": row["id"], "type": 2}), 400, field="token")
    assert_error(sms.get(None, base, params={"token": "x", "type": 2}), 400, field="id")
    assert_error(sms.get(None, base, params={"id": row["id"], "token": "x", "type": 99}), 400,
                 field="type")
    assert_error(sms.get(None, base, params={"id": "abc", "token": "x", "type": 1}), 400,
                 field="id")
    after = wait_until(lambda: [x for x in messages(sms, c["id"]) if x["status"] == "delivered"],
                       what="the delivery report")[0]
    assert after["last_report"] in (1, 8)


def test_gateway_down_is_retried_then_given_up(tmp_path, template_db):
    dead = free_port()  # nothing listens here
    srv = Server(str(tmp_path / "down"), template_db, GENEROUS + [
        "--notify-interval", "1", "--notify-retry-base", "1", "--notify-max-attempts", "3",
        "--sms-channel", "kannel", "--sms-kannel-url", f"http://127.0.0.1:{dead}/cgi-bin/sendsms",
        "--sms-kannel-user", KUSER, "--sms-kannel-password", KPASS]).start()
    try:
        api = Api(srv)
        c = new_case(api)
        row = wait_until(lambda: [x for x in messages(api, c["id"]) if x["status"] == "failed"],
                         timeout=60, what="the message to be given up")[0]
        assert row["attempts"] == 3 and row["last_error"].startswith("kannel:"), row
        assert row["sent_at"] is None
    finally:
        srv.check_clean_exit()
        drop_db(srv.db)


def test_bad_sms_settings_refuse_to_start(tmp_path, template_db):
    for args, field in ((["--sms-channel", "pigeon"], "sms_channel"),
                        (["--sms-channel", "kannel", "--sms-kannel-url", "ftp://x"],
                         "sms_kannel_url")):
        db = new_db(tmp_path, field, create=False)
        copy_db(template_db, db)
        p = subprocess.run([BIN, "serve", "--db", db, "--listen", f"127.0.0.1:{free_port()}",
                            *args], capture_output=True, text=True, env=child_env(), timeout=30)
        assert p.returncode != 0
        assert field in p.stderr, p.stderr
        drop_db(db)


# ---------------------------------------------------------------- sign-in by SMS code

def code_at_smsc(kannel, to, before=0):
    """The newest 验证码 text the fake SMSC received for 'to' after the first 'before' texts."""
    msgs = [m for m in kannel.received()[before:] if m["to"] == to and "验证码" in m["text"]]
    if not msgs:
        return None
    import re
    return re.search(r"验证码为(\d{6})，5分钟内有效", msgs[-1]["text"]).group(1)


def ask_code(api, phone, kannel):
    before = len(kannel.received())
    r = api.post(None, "/api/v1/auth/sms-code", json={"phone": phone})
    assert r.status_code == 202, r.text
    assert r.json() == {"sent": True, "expires_in": 300}
    return wait_until(lambda: code_at_smsc(kannel, phone.replace(" ", ""), before),
                      what="the code at the SMSC")


def test_sign_up_then_sign_in_by_sms_code(sms, kannel):
    phone = "13700001234"
    code = ask_code(sms, phone, kannel)
    # The code is nowhere in clear: the outbox keeps "{code}" and the sealed code is erased once
    # sent; the code table keeps a keyed hash.
    def outbox():
        with db_open(sms.server.db) as con:
            rows = con.execute("SELECT m.text, m.secret_enc, m.status FROM sms_messages m"
                               " JOIN sms_templates t ON t.id = m.template_id WHERE t.code = 'code'"
                               " ORDER BY m.id DESC LIMIT 1").fetchall()
        return rows if rows[0][2] != "pending" else None
    # The SMSC may have the text before the worker has recorded the send.
    rows = wait_until(outbox, what="the code's message recorded as sent")
    with db_open(sms.server.db) as con:
        hashes = con.execute("SELECT code_hash FROM sms_codes ORDER BY id DESC LIMIT 1").fetchall()
    text, secret, status = rows[0]
    assert "{code}" in text and code not in text and secret == "" and status != "pending", rows
    assert code not in hashes[0][0]

    wrong = "000000" if code != "000000" else "111111"
    r = sms.post(None, "/api/v1/auth/sms-login", json={"phone": phone, "code": wrong})
    assert_error(r, 401, field="code")
    for bad, field in (({"phone": phone, "code": "12ab56"}, "code"),
                       ({"phone": phone, "code": "12345"}, "code"),
                       ({"phone": "12345", "code": "123456"}, "phone"),
                       ({"phone": phone}, "code")):
        assert_error(sms.post(None, "/api/v1/auth/sms-login", json=bad), 400, field=field)
    r = sms.post(None, "/api/v1/auth/sms-login", json={"phone": phone, "code": code})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token"] and body["csrf_token"] and body["user"]["roles"] == ["citizen"], body
    uid = body["user"]["id"]
    me = sms.anon.get(sms.url("/api/v1/me"), headers={"Authorization": "Bearer " + body["token"]})
    assert me.status_code == 200 and me.json()["id"] == uid
    # A used code does not open a second session.
    assert_error(sms.post(None, "/api/v1/auth/sms-login", json={"phone": phone, "code": code}),
                 401, field="code")
    # Signing in again (the clock past the minute's gap) finds the same account.
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=2)
    assert sms.put("admin", "/api/v1/test/clock", json={"now": later.isoformat()}).status_code == 200
    code = ask_code(sms, phone, kannel)
    r = sms.post(None, "/api/v1/auth/sms-login", json={"phone": phone, "code": code})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] == uid
    audit = [e["action"] for e in sms.get("admin", "/api/v1/audit", params={"limit": 50}).json()["items"]]
    assert "citizen.signin" in audit and "citizen.signup" in audit and "sms_code.request" in audit and "sms_code.wrong" in audit


def test_codes_are_limited_per_number_and_die_after_wrong_tries(sms, kannel):
    phone = "13700005678"
    code = ask_code(sms, phone, kannel)
    # A second code within a minute: refused, with when to come back.
    r = sms.post(None, "/api/v1/auth/sms-code", json={"phone": phone})
    assert_error(r, 429)
    assert 0 < int(r.headers["Retry-After"]) <= 60
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert_error(sms.post(None, "/api/v1/auth/sms-login", json={"phone": phone, "code": wrong}),
                     401, field="code")
    # Five wrong tries: the right code is dead too.
    assert_error(sms.post(None, "/api/v1/auth/sms-login", json={"phone": phone, "code": code}),
                 401, field="code")
    assert_error(sms.post(None, "/api/v1/auth/sms-code", json={"phone": "1370000"}), 400,
                 field="phone")


def test_same_answers_with_or_without_an_account(sms, kannel):
    # One number gets an account, the other never had one: past the minute's gap, asking for a
    # code answers the same for both, and so does a wrong code.
    known, fresh = "13600001111", "13600002222"
    code = ask_code(sms, known, kannel)
    assert sms.post(None, "/api/v1/auth/sms-login",
                    json={"phone": known, "code": code}).status_code == 200
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10)
    r = sms.put("admin", "/api/v1/test/clock", json={"now": later.isoformat()})
    assert r.status_code == 200, r.text
    a = sms.post(None, "/api/v1/auth/sms-code", json={"phone": known})
    b = sms.post(None, "/api/v1/auth/sms-code", json={"phone": fresh})
    assert (a.status_code, a.json()) == (b.status_code, b.json()) == (202, {"sent": True,
                                                                           "expires_in": 300})
    a = sms.post(None, "/api/v1/auth/sms-login", json={"phone": known, "code": "999999"})
    b = sms.post(None, "/api/v1/auth/sms-login", json={"phone": fresh, "code": "999999"})
    assert a.status_code == b.status_code == 401 and a.json() == b.json()


def test_requests_are_limited_per_address(server_factory):
    api = server_factory(args=["--sms-channel", "log"])
    for i in range(20):
        r = api.post(None, "/api/v1/auth/sms-code", json={"phone": f"1390000{i:04d}"})
        assert r.status_code == 202, (i, r.text)
    r = api.post(None, "/api/v1/auth/sms-code", json={"phone": "13900009999"})
    assert_error(r, 429)
    assert r.headers["Retry-After"] == "3600"


# ---------------------------------------------------------------- profile, my data, delete

def citizen_session(sms, kannel, phone):
    import requests
    code = ask_code(sms, phone, kannel)
    r = sms.post(None, "/api/v1/auth/sms-login", json={"phone": phone, "code": code})
    assert r.status_code == 200, r.text
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + r.json()["token"]
    s.user = r.json()["user"]
    return s


def test_profile_my_data_and_delete(sms, kannel, demo):
    me = citizen_session(sms, kannel, "13500003333")
    url = sms.url
    p = me.get(url("/api/v1/me/profile")).json()
    assert p["name"] == "" and p["household"] == [] and p["updated_at"] is None, p
    good = {"name": "李四", "id_number": "11010519491231002X", "region_id": demo["street1"],
            "address": "建国路 1 号", "consent_offers": True,
            "household": [{"name": "王五", "relation": "配偶"}]}
    for bad, field in (({"id_number": "110105194912310021"}, "id_number"),
                       ({"id_number": "11010519491231002"}, "id_number"),
                       ({"region_id": 999999}, "region_id"),
                       ({"household": [{"name": "王五", "relation": ""}]}, "household[0].relation"),
                       ({"name": "长" * 51}, "name"),
                       ({"nickname": "x"}, "nickname")):
        r = me.put(url("/api/v1/me/profile"), json={**good, **bad})
        assert_error(r, 400, field=field)
    assert me.get(url("/api/v1/me/profile")).json()["updated_at"] is None  # nothing written
    r = me.put(url("/api/v1/me/profile"), json=good)
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["name"] == "李四" and p["id_number"] == "110*************2X" and p["consent_offers"]
    assert p["region_id"] == demo["street1"] and p["region_name"] and p["household"] == good["household"]
    # Without id_number the stored one stays; "" erases it.
    r = me.put(url("/api/v1/me/profile"), json={k: v for k, v in good.items() if k != "id_number"})
    assert r.status_code == 200 and r.json()["id_number"] == "110*************2X", r.text
    r = me.put(url("/api/v1/me/profile"), json={**good, "id_number": ""})
    assert r.status_code == 200 and r.json()["id_number"] == "", r.text
    assert me.put(url("/api/v1/me/profile"), json=good).status_code == 200
    with db_open(sms.server.db) as con:
        enc = con.execute("SELECT id_number_enc FROM citizen_profiles WHERE user_id = ?",
                          (me.user["id"],)).fetchall()[0][0]
    assert "11010519491231002X" not in enc
    # Staff have no profile of their own here, and nobody reads another's.
    assert_error(sms.get("operator", "/api/v1/me/profile"), 403)
    assert_error(sms.get("operator", "/api/v1/me/data"), 403)

    r = me.post(url("/api/v1/cases"), json={"title": "路灯不亮", "description": "小区门口路灯坏了",
                                            "channel": "app", "citizen": {"name": "李四",
                                                                          "phone": "13500003333"}})
    assert r.status_code == 201, r.text
    case = r.json()
    data = me.get(url("/api/v1/me/data")).json()
    assert data["profile"]["name"] == "李四" and data["account"]["phone"].endswith("3333")
    assert [c["number"] for c in data["cases"]] == [case["number"]]
    texts = [m["text"] for m in data["messages"]]
    assert any("{code}" in t for t in texts) and any(case["number"] in t for t in texts), texts

    assert_error(me.delete(url("/api/v1/me")), 400, field="confirm")
    r = me.delete(url("/api/v1/me?confirm=erase"))
    assert r.status_code == 204, r.text
    assert me.get(url("/api/v1/me")).status_code == 401
    c = sms.get("operator", f"/api/v1/cases/{case['id']}").json()
    assert c["number"] == case["number"] and c["state"]  # the case is kept
    with db_open(sms.server.db) as con:
        u = con.execute("SELECT active, display_name, phone_enc, phone_hash FROM users WHERE id = ?",
                        (me.user["id"],)).fetchall()[0]
        k = con.execute("SELECT citizen_name, citizen_phone_enc, citizen_phone_hash FROM cases"
                        " WHERE id = ?", (case["id"],)).fetchall()[0]
        prof = con.execute("SELECT count(*) FROM citizen_profiles WHERE user_id = ?",
                           (me.user["id"],)).fetchall()[0][0]
    assert tuple(u) == (0, "", "", "") and tuple(k) == ("", "", "") and prof == 0, (u, k)
    audit = sms.get("admin", "/api/v1/audit", params={"limit": 30}).json()["items"]
    assert any(e["action"] == "citizen.delete" for e in audit)
    assert any(e["action"] == "citizen.profile" for e in audit)


def test_a_policy_offer_reaches_the_phone_of_a_citizen_who_agreed(sms, kannel, demo):
    """免申即享 by SMS (template 'policy'): the offer goes in-app to every newly eligible citizen,
    and by text only to those whose profile consents to proactive offers."""
    url = sms.url
    born = (dt.date.today() - dt.timedelta(days=75 * 366)).isoformat()
    people = {}
    for phone, consent in (("13600004444", True), ("13600005555", False)):
        me = citizen_session(sms, kannel, phone)
        r = me.put(url("/api/v1/me/profile"), json={"name": "王六", "region_id": demo["street1"], "address": "",
                                                      "consent_offers": consent, "household": []})
        assert r.status_code == 200, r.text
        r = me.put(url("/api/v1/me/policy-profiles/person"), json={"name": "王六", "birth_date": born})
        assert r.status_code in (200, 201), r.text
        people[phone] = me
    name = "高龄津贴短信测试"
    r = sms.post("admin", "/api/v1/policies", json={"name": name, "summary": "年满 70 周岁", "subject": "person",
                                                    "rule": {"field": "age", "op": ">=", "value": 70},
                                                    "amount": 100, "period": "month"})
    assert r.status_code == 201, r.text
    assert sms.post("supervisor", f"/api/v1/policies/{r.json()['id']}/publish").status_code == 200
    for me in people.values():  # both are offered in the app
        assert me.get(url("/api/v1/me/policy-offers")).json()["items"]
    texts = wait_until(lambda: [m for m in received_with(kannel, name) if m["to"] == "13600004444"],
                       what="the offer at the SMSC")
    assert "免申即享" in texts[0]["text"] and texts[0]["text"].startswith("【12345】"), texts
    time.sleep(2)  # the notify worker runs every second: the other number would have had it by now
    assert not [m for m in received_with(kannel, name) if m["to"] == "13600005555"]
