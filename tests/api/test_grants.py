"""
Requests for data and grants (issue 17, docs/data-sharing.md "申请与授权"): a department's staff
request a dataset, the owner department's data officer approves, narrows or refuses; the grantee
reads masked rows, aggregates with small cells suppressed and a privacy budget, and exports
carrying a watermark that `gridloop grant trace` reads back. Expired or revoked grants answer
403, 不予共享 cannot be requested, and every access is in the audit chain.
"""
import csv
import hashlib
import io
import json
import time

import pytest

from conftest import PASSWORD, assert_error, db_open, run_cli, unique

DS = "/api/v1/datasets"
RQ = "/api/v1/data-requests"
GR = "/api/v1/data-grants"

FIELDS = [
    {"name": "name", "label": "姓名", "type": "name", "mask": "name", "sensitivity": 3, "required": True},
    {"name": "id_no", "label": "公民身份号码", "type": "id_card", "mask": "id_card", "sensitivity": 4,
     "required": True, "is_key": True},
    {"name": "mobile", "label": "手机号码", "type": "mobile", "mask": "mobile", "sensitivity": 3},
    {"name": "address", "label": "居住地址", "type": "address", "mask": "address", "sensitivity": 2},
    {"name": "zone", "label": "片区", "type": "text", "mask": "none", "sensitivity": 1},
    {"name": "sex", "label": "性别", "type": "text", "mask": "none", "sensitivity": 1},
    {"name": "income", "label": "月收入", "type": "number", "lo": 0, "hi": 100000},
    {"name": "score", "label": "评分", "type": "number"},
]
AGG_FIELDS = ["name", "zone", "sex", "income", "score"]


def id_card(prefix17):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * k for c, k in zip(prefix17, w))
    return prefix17 + "10X98765432"[s % 11]


@pytest.fixture(scope="module")
def people(gl, demo):
    """A dataset of 区民政局 with 40 people: zone 甲 (street 1): 20 男 8 女; zone 乙 (street 2): 10 男 2 女."""
    depts = demo["depts"]
    officer = unique("do_mzj")
    r = gl.post("admin", "/api/v1/users", json={"name": officer, "password": PASSWORD, "roles": ["data_officer"],
                                                "departments": [depts["MZJ"]["id"]]})
    assert r.status_code == 201, r.text
    other = unique("do_cgj")
    r = gl.post("admin", "/api/v1/users", json={"name": other, "password": PASSWORD, "roles": ["data_officer"],
                                                "departments": [depts["CGJ"]["id"]]})
    assert r.status_code == 201, r.text
    comm = {}
    for street in ("330179001", "330179002"):
        comm[street] = [x for x in demo["regions"].values()
                        if x["level"] == "community" and x["code"].startswith(street)][0]
    plan = [("甲", "男", 20, "330179001"), ("甲", "女", 8, "330179001"),
            ("乙", "男", 10, "330179002"), ("乙", "女", 2, "330179002")]
    rows, raw, i = [], [], 0
    for zone, sex, n, street in plan:
        for _ in range(n):
            i += 1
            given = "三四五六七八九十明华"
            row = [f"张{given[i % 10]}{given[i // 10]}", id_card(f"33010619900101{i:03d}"),
                   f"138{i:08d}", f"{comm[street]['name']}{i}幢1单元", zone, sex, str(1000 * i), str(i)]
            rows.append(row)
            raw.append(row)
    header = [f["label"] for f in FIELDS]
    text = "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"
    body = {"name": unique("低保对象"), "description": "低保对象名册", "department_id": depts["MZJ"]["id"],
            "grade": "important", "pi_level": "sensitive", "share_class": "conditional",
            "update_freq": "monthly", "fields": FIELDS, "k_min": 5}
    r = gl.post(officer, DS, json=body)
    assert r.status_code == 201, r.text
    ds = r.json()
    r = gl.post(officer, f"{DS}/{ds['id']}/import", params={"format": "csv"}, data=text.encode(),
                headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["rows_loaded"] == 40, r.text
    return {"ds": ds, "officer": officer, "other_officer": other, "raw": raw, "streets": demo["street1"], "street2": demo["street2"]}


def request(gl, people, who="handler_cgj", **kw):
    body = {"dataset_id": people["ds"]["id"], "fields": ["name", "id_no", "mobile", "address", "zone", "sex"],
            "mode": "rows", "purpose": "核对低保对象是否在占道经营摊贩名单中", "legal_basis": "《社会救助暂行办法》第十一条",
            "period_days": 30, **kw}
    r = gl.post(who, RQ, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def grant_for(gl, people, decision=None, **kw):
    req = request(gl, people, **kw)
    assert req["status"] == "pending" and req["grant_id"] is None
    r = gl.post(people["officer"], f"{RQ}/{req['id']}/decision", json=decision or {"decision": "approve"})
    assert r.status_code == 200, r.text
    return r.json()["grant_id"]


def audit_entries(gl, action, gid):
    # The entries are links of the hash chain, and the chain still verifies with them in it.
    v = gl.get("admin", "/api/v1/audit/verify")
    assert v.status_code == 200 and v.json()["ok"] is True, v.text
    items = gl.get("admin", "/api/v1/audit", params={"limit": 200}).json()["items"]
    return [e for e in items if e["action"] == action and e["target"] == f"data_grant/{gid}"]


def test_masked_rows_never_show_a_masked_field(gl, people):
    gid = grant_for(gl, people, decision={"decision": "approve", "unmasked": ["mobile"]})
    g = gl.get("handler_cgj", f"{GR}/{gid}").json()
    assert g["status"] == "active" and g["unmasked"] == ["mobile"] and "watermark_key" not in g
    assert {c["name"]: c["mask"] for c in g["columns"]}["name"] == "name"
    seen, after = [], 0
    while True:
        r = gl.get("handler_cgj", f"{GR}/{gid}/rows", params={"after": after, "limit": 15})
        assert r.status_code == 200, r.text
        body = r.json()
        assert [c["name"] for c in body["columns"]] == ["name", "id_no", "mobile", "address", "zone", "sex"]
        seen += body["items"]
        if body["next_after"] is None:
            break
        after = body["next_after"]
    assert len(seen) == 40
    raw_values = {v for row in people["raw"] for v in row[:4]}
    for item, raw in zip(seen, people["raw"]):
        v = item["values"]
        assert "income" not in v and "score" not in v, "only granted fields"
        for f in ("name", "id_no", "address"):
            assert v[f] not in raw_values and "*" in v[f], (f, v[f])
        assert v["mobile"] == raw[2], "granted unmasked"
        assert v["name"] == raw[0][0] + "*" * (len(raw[0]) - 1)
        assert v["id_no"] == raw[1][:6] + "*" * 8 + raw[1][-4:]
        assert v["address"].endswith("***") and "幢" not in v["address"]
    entries = audit_entries(gl, "data_grant.rows", gid)
    assert len(entries) == 3
    # The uses are readable (the query, the rows) by the owner, and each is the very text whose
    # digest its audit entry carries.
    uses = gl.get(people["officer"], f"{GR}/{gid}/uses").json()["items"]
    assert [u["rows"] for u in uses] == [10, 15, 15] and {u["action"] for u in uses} == {"data_grant.rows"}
    details = [json.loads(u["detail"]) for u in uses]
    assert [d["query"]["after"] for d in details] == [30, 15, 0] and {d["grant"] for d in details} == {gid}
    assert sorted(e["after_digest"] for e in entries) == sorted(
        hashlib.sha256(u["detail"].encode()).hexdigest() for u in uses)
    assert_error(gl.get("handler_qsjd", f"{GR}/{gid}/uses"), 403, reason="scope")


def test_not_shared_cannot_be_requested_and_bad_fields_are_named(gl, demo, people):
    r = gl.post(people["officer"], DS, json={**{k: people["ds"][k] for k in ("description", "department_id",
                                                                              "grade", "pi_level", "update_freq")},
                                             "name": unique("涉密名册"), "share_class": "none", "fields": FIELDS})
    assert r.status_code == 201, r.text
    none = r.json()
    body = {"dataset_id": none["id"], "fields": ["name"], "mode": "rows", "purpose": "p", "legal_basis": "l",
            "period_days": 10}
    assert_error(gl.post("handler_cgj", RQ, json=body), 400, field="dataset_id")
    assert_error(gl.post("handler_cgj", RQ, json={**body, "dataset_id": people["ds"]["id"], "fields": ["nope"]}),
                 400, field="fields")
    assert_error(gl.post("handler_cgj", RQ, json={**body, "dataset_id": people["ds"]["id"], "mode": "all"}),
                 400, field="mode")
    assert_error(gl.post("handler_cgj", RQ, json={**body, "dataset_id": people["ds"]["id"], "period_days": 0}),
                 400, field="period_days")
    assert_error(gl.post("handler_cgj", RQ, json={**body, "dataset_id": people["ds"]["id"], "purpose": ""}),
                 400, field="purpose")
    n = len(gl.items("admin", RQ, params={"box": "all"}))
    assert_error(gl.post("handler_cgj", RQ, json={**body, "department_id": demo["depts"]["MZJ"]["id"],
                                                  "dataset_id": people["ds"]["id"]}), 400, field="department_id")
    assert len(gl.items("admin", RQ, params={"box": "all"})) == n, "nothing written"


def test_unconditional_is_granted_at_once(gl, people):
    r = gl.post(people["officer"], DS, json={**{k: people["ds"][k] for k in ("description", "department_id",
                                                                              "grade", "pi_level", "update_freq")},
                                             "name": unique("公开名录"), "share_class": "unconditional",
                                             "fields": FIELDS})
    assert r.status_code == 201, r.text
    req = request(gl, {"ds": r.json()})
    assert req["status"] == "approved" and req["grant_id"] and req["decided_by_system"] is True
    g = gl.get("handler_cgj", f"{GR}/{req['grant_id']}").json()
    assert g["status"] == "active" and g["request_id"] == req["id"]


def test_decisions_narrow_refuse_and_who_decides(gl, demo, people):
    req = request(gl, people)
    # Only the owner department's data officer decides.
    assert_error(gl.post(people["other_officer"], f"{RQ}/{req['id']}/decision", json={"decision": "approve"}), 403,
                 reason="scope")
    assert_error(gl.post(people["officer"], f"{RQ}/{req['id']}/decision", json={"decision": "refuse"}), 400,
                 field="reason")
    assert_error(gl.post(people["officer"], f"{RQ}/{req['id']}/decision",
                         json={"decision": "narrow", "reason": "多了", "fields": ["income"]}), 400, field="fields")
    assert_error(gl.post(people["officer"], f"{RQ}/{req['id']}/decision",
                         json={"decision": "narrow", "reason": "期限过长", "period_days": 60}), 400,
                 field="period_days")
    r = gl.post(people["officer"], f"{RQ}/{req['id']}/decision",
                json={"decision": "narrow", "reason": "只需片区与性别，仅限本街道", "fields": ["zone", "sex"],
                      "mode": "aggregate", "period_days": 7, "region_id": demo["street1"]})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["status"] == "narrowed" and d["reason"].startswith("只需")
    g = gl.get("handler_cgj", f"{GR}/{d['grant_id']}").json()
    assert g["fields"] == ["zone", "sex"] and g["mode"] == "aggregate" and g["region_id"] == demo["street1"]
    # An aggregate-only grant never answers rows nor exports.
    assert_error(gl.get("handler_cgj", f"{GR}/{g['id']}/rows"), 403, field="mode")
    assert_error(gl.get("handler_cgj", f"{GR}/{g['id']}/export"), 403, field="mode")
    # Decided once.
    assert_error(gl.post(people["officer"], f"{RQ}/{req['id']}/decision", json={"decision": "approve"}), 409)
    req2 = request(gl, people)
    r = gl.post(people["officer"], f"{RQ}/{req2['id']}/decision", json={"decision": "refuse", "reason": "目的不明确"})
    assert r.status_code == 200 and r.json()["status"] == "refused" and r.json()["grant_id"] is None
    assert req["id"] in [x["id"] for x in gl.items(people["officer"], RQ, params={"box": "inbox"})]
    assert req["id"] in [x["id"] for x in gl.items("handler_cgj", RQ)]
    assert req["id"] not in [x["id"] for x in gl.items("handler_qsjd", RQ)]


def test_region_scope_is_honoured(gl, demo, people):
    gid = grant_for(gl, people, decision={"decision": "narrow", "reason": "仅限本街道", "region_id": demo["street1"]})
    body = gl.get("handler_cgj", f"{GR}/{gid}/rows", params={"limit": 500}).json()
    assert len(body["items"]) == 28 and {i["values"]["zone"] for i in body["items"]} == {"甲"}


def test_aggregate_suppresses_small_and_complementary_cells(gl, people):
    gid = grant_for(gl, people, mode="aggregate", fields=AGG_FIELDS)
    r = gl.post("handler_cgj", f"{GR}/{gid}/aggregate",
                json={"group_by": ["zone", "sex"], "measures": [{"op": "count"}, {"op": "sum", "field": "income"}]})
    assert r.status_code == 200, r.text
    a = r.json()
    cells = {tuple(c["group"]): c for c in a["cells"]}
    assert a["k"] == 5 and a["noisy"] is False and len(cells) == 4
    assert cells[("甲", "男")]["values"][0] == 20 and not cells[("甲", "男")]["suppressed"]
    assert cells[("乙", "男")]["values"][0] == 10
    assert cells[("乙", "女")]["suppressed"] and cells[("乙", "女")]["suppressed_by"] == "small"
    assert cells[("乙", "女")]["values"] == [None, None]
    # With the total shown, one hidden cell would be total − shown: the smallest shown goes too.
    assert cells[("甲", "女")]["suppressed"] and cells[("甲", "女")]["suppressed_by"] == "complementary"
    assert a["totals"][0] == 40
    for c in a["cells"]:
        assert c["suppressed"] or c["values"][0] >= 5
    # One person per group: every cell hidden. Groups of a masked field are its masked values.
    r = gl.post("handler_cgj", f"{GR}/{gid}/aggregate", json={"group_by": ["income"], "measures": [{"op": "count"}]})
    assert r.status_code == 200 and all(c["suppressed"] for c in r.json()["cells"]), r.text
    r = gl.post("handler_cgj", f"{GR}/{gid}/aggregate", json={"group_by": ["name"], "measures": [{"op": "count"}]})
    assert r.status_code == 200 and all(c["group"][0].startswith("张*") for c in r.json()["cells"]), r.text
    assert_error(gl.post("handler_cgj", f"{GR}/{gid}/aggregate", json={"group_by": ["mobile"],
                                                                          "measures": [{"op": "count"}]}),
                 400, field="group_by")
    assert_error(gl.post("handler_cgj", f"{GR}/{gid}/aggregate", json={"measures": [{"op": "avg"}]}),
                 400, field="measures")
    e = audit_entries(gl, "data_grant.aggregate", gid)
    assert len(e) == 3


def test_budget_is_spent_and_refused_when_exhausted(gl, people):
    gid = grant_for(gl, people, mode="aggregate", fields=AGG_FIELDS,
                    decision={"decision": "approve", "epsilon_total": 1.0})
    q = {"group_by": ["zone"], "measures": [{"op": "count"}, {"op": "sum", "field": "income"}]}
    assert_error(gl.post("handler_cgj", f"{GR}/{gid}/aggregate", json=q), 400, field="epsilon")
    assert_error(gl.post("handler_cgj", f"{GR}/{gid}/aggregate",
                         json={"measures": [{"op": "sum", "field": "score"}], "epsilon": 0.1}),
                 400, field="measures")  # a noisy sum needs both bounds
    r = gl.post("handler_cgj", f"{GR}/{gid}/aggregate", json={**q, "epsilon": 0.6})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["noisy"] is True and a["epsilon_spent"] == 0.6 and abs(a["epsilon_left"] - 0.4) < 1e-9
    assert gl.get("handler_cgj", f"{GR}/{gid}").json()["epsilon_spent"] == pytest.approx(0.6)
    assert_error(gl.post("handler_cgj", f"{GR}/{gid}/aggregate", json={**q, "epsilon": 0.6}), 403, field="epsilon")
    assert gl.get("handler_cgj", f"{GR}/{gid}").json()["epsilon_spent"] == pytest.approx(0.6), "refused: not spent"
    r = gl.post("handler_cgj", f"{GR}/{gid}/aggregate", json={**q, "epsilon": 0.4})
    assert r.status_code == 200 and r.json()["epsilon_left"] == 0
    # The uses account for the budget: a refused query spent nothing and left no use.
    uses = gl.get("handler_cgj", f"{GR}/{gid}/uses").json()["items"]
    assert [u["epsilon"] for u in uses] == pytest.approx([0.4, 0.6])
    # A grant without a budget never adds noise; asking for it is refused.
    gid2 = grant_for(gl, people, mode="aggregate", fields=AGG_FIELDS)
    assert_error(gl.post("handler_cgj", f"{GR}/{gid2}/aggregate", json={**q, "epsilon": 0.1}), 403, field="epsilon")


def test_expired_or_revoked_answers_403_and_only_the_grantee_uses(gl, people):
    gid = grant_for(gl, people)
    assert gl.get("handler_cgj", f"{GR}/{gid}/rows").status_code == 200
    assert_error(gl.get("handler_qsjd", f"{GR}/{gid}/rows"), 403, reason="scope")
    assert_error(gl.post("handler_cgj", f"{GR}/{gid}/revoke", json={"reason": "x"}), 403)
    assert_error(gl.post(people["officer"], f"{GR}/{gid}/revoke", json={"reason": ""}), 400, field="reason")
    r = gl.post(people["officer"], f"{GR}/{gid}/revoke", json={"reason": "用途已完成"})
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    assert_error(gl.get("handler_cgj", f"{GR}/{gid}/rows"), 403, field="grant")
    assert_error(gl.get("handler_cgj", f"{GR}/{gid}/export"), 403, field="grant")
    gid2 = grant_for(gl, people, mode="aggregate")
    with db_open(gl.server.db) as con:
        con.execute("UPDATE data_grants SET expires_at = ? WHERE id = ?", (int(time.time()) - 1, gid2))
    assert gl.get("handler_cgj", f"{GR}/{gid2}").json()["status"] == "expired"
    assert_error(gl.post("handler_cgj", f"{GR}/{gid2}/aggregate", json={"measures": [{"op": "count"}]}), 403,
                 field="grant")


def test_export_carries_a_watermark_that_trace_finds(gl, people, tmp_path):
    gids = [grant_for(gl, people) for _ in range(3)]
    gid = gids[1]
    r = gl.get("handler_cgj", f"{GR}/{gid}/export", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv"), r.text
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["姓名", "公民身份号码", "手机号码", "居住地址", "片区", "性别"] and len(rows) == 41
    visible = [[c.replace("\u200b", "").replace("\u200c", "") for c in row] for row in rows[1:]]
    assert all("*" in row[0] for row in visible)
    assert sum(1 for row in rows[1:] if any(c.endswith(("\u200b", "\u200c")) for c in row)) == 40
    # Re-saved as CSV by someone else (no BOM, LF, quoted): the marks survive.
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    leaked = tmp_path / "leaked.csv"
    leaked.write_text(out.getvalue(), encoding="utf-8")
    p = run_cli("grant", "trace", "--db", gl.server.db, str(leaked))
    assert p.returncode == 0, p.stderr
    assert f"grant {gid} (" in p.stdout and "score 100.0%" in p.stdout, p.stdout
    clean = tmp_path / "clean.csv"
    clean.write_text(text.replace("\u200b", "").replace("\u200c", ""), encoding="utf-8")
    p = run_cli("grant", "trace", "--db", gl.server.db, str(clean))
    assert p.returncode == 0 and "no marks" in p.stdout, p.stdout + p.stderr
    x = gl.get("handler_cgj", f"{GR}/{gid}/export", params={"format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    # The XLSX export is traced the same way (every cell is text, so the marks stay in it).
    leaked_x = tmp_path / "leaked.xlsx"
    leaked_x.write_bytes(x.content)
    p = run_cli("grant", "trace", "--db", gl.server.db, str(leaked_x))
    assert p.returncode == 0, p.stderr
    assert f"grant {gid} (" in p.stdout and "score 100.0%" in p.stdout, p.stdout
    assert_error(gl.get("handler_cgj", f"{GR}/{gid}/export", params={"format": "pdf"}), 400, field="format")
    e = audit_entries(gl, "data_grant.export", gid)
    assert len(e) == 2
