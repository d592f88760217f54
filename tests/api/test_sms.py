"""SMS through a real Kannel (docs/citizens.md): the 受理回执 when a hotline case with a phone is
created, the 办结请评价 when it is replied, both received by Kannel's fake SMSC as UCS-2 and
decoded back; delivery reports coming back to GET /api/v1/sms/dlr; the admin's template table;
retries with back-off when the gateway is down."""
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
        "--notify-interval", "1", "--sms-channel", "kannel", "--sms-kannel-url", kannel.sendsms_url,
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
    assert row["attempts"] == 1 and row["last_report"] == 1 and row["report_at"], row
    assert PHONE not in str(row) and "13812348000" not in str(row)
    with db_open(sms.server.db) as con:
        reports = con.execute("SELECT r.type FROM sms_reports r JOIN sms_messages m"
                              " ON m.id = r.message_id WHERE m.case_id = ? ORDER BY r.id",
                              (c["id"],)).fetchall()
        stored = con.execute("SELECT phone_enc FROM sms_messages WHERE case_id = ?",
                             (c["id"],)).fetchall()
    assert [t for (t,) in reports][-1] == 1 and 8 in [t for (t,) in reports], reports
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
    assert set(tpls) == {"receipt", "evaluate", "code", "policy"}
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
    assert after["last_report"] == 1


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
