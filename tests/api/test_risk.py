"""Risk grades (风险等级, issue 16 item 3; docs/warning.md section 3): an explained score over what a
case says, its history and its place, from rules an administrator edits; every grade shows its
reasons; a person confirms or lowers it (kept as a correction); a high grade is a warning."""
import random

from conftest import assert_error, db_open, unique


def create(api, title, description, **fields):
    r = api.post("operator", "/api/v1/cases", json={"title": title, "description": description,
                                                    "channel": "hotline", **fields})
    assert r.status_code == 201, r.text
    return r.json()


def risk(api, case, who="supervisor"):
    r = api.get(who, f"/api/v1/cases/{case['id']}/risk")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_dispute_is_graded_with_its_reasons(gl):
    c = create(gl, f"工地讨薪{unique()}", "几十人农民工聚集讨薪，有人扬言要跳楼，还发生了打架")
    g = risk(gl, c)
    labels = {x["label"]: x["weight"] for x in g["reasons"]}
    assert {"讨薪", "涉及农民工", "数十人参与", "扬言跳楼", "肢体冲突"} <= set(labels), labels
    assert g["score"] == sum(labels.values()) and g["level"] == "high"
    # A high grade is a warning for the supervisors, with the reasons in words.
    ws = [w for w in gl.items("supervisor", "/api/v1/warnings", params={"kind": "risk"}) if w["case_id"] == c["id"]]
    assert len(ws) == 1 and ws[0]["level"] == "high" and "讨薪" in ws[0]["evidence"]
    # A plain request: no risk seen.
    plain = create(gl, f"路灯不亮{unique()}", "小区门口路灯晚上不亮")
    assert risk(gl, plain) == {"case_id": plain["id"], "score": 0, "level": None, "reasons": []}


def test_a_person_confirms_or_lowers_and_the_correction_is_kept(gl):
    c = create(gl, f"邻里纠纷{unique()}", "邻居因为停车发生纠纷，对方威胁要报复")
    g = risk(gl, c)
    assert g["level"] == "medium", g
    path = f"/api/v1/cases/{c['id']}/risk"
    assert_error(gl.post("supervisor", path, json={"level": "high"}), 400, field="level")
    assert_error(gl.post("supervisor", path, json={"level": "low"}), 400, field="note")
    assert_error(gl.post("supervisor", path, json={"level": "severe"}), 400, field="level")
    assert_error(gl.post("operator", path, json={"level": "low", "note": "x"}), 403)
    r = gl.post("supervisor", path, json={"level": "low", "note": "已电话核实，双方已和解"})
    assert r.status_code == 200, r.text
    g2 = r.json()
    assert g2["level"] == "medium" and g2["confirmed_level"] == "low" and g2["confirmed_by"]
    with db_open(gl.server.db) as db:
        row = db.execute("SELECT from_level, to_level, note FROM risk_corrections WHERE case_id = ?",
                         [c["id"]]).fetchone()
    assert tuple(row) == ("medium", "low", "已电话核实，双方已和解")
    audit = gl.items("admin", "/api/v1/audit", params={"limit": 5})
    assert any(a["action"] == "case.risk_confirm" and a["target"] == f"case/{c['id']}" for a in audit)


def test_the_rules_are_a_table_an_administrator_edits(gl):
    rules = gl.items("supervisor", "/api/v1/risk-rules")
    assert any(r["factor"] == "word" and r["pattern"] == "轻生" for r in rules)
    word = f"罢工{random.randint(1000, 9999)}"
    for body, field, status in [({"factor": "mood", "pattern": "x", "weight": 5, "label": "x"}, "factor", 400),
                                ({"factor": "history", "pattern": "anger", "weight": 5, "label": "x"}, "pattern", 400),
                                ({"factor": "word", "pattern": word, "weight": 500, "label": "x"}, "weight", 400),
                                ({"factor": "word", "pattern": "轻生", "weight": 5, "label": "x"}, "pattern", 409)]:
        assert_error(gl.put("admin", "/api/v1/risk-rules", json=body), status, field=field)
    r = gl.put("admin", "/api/v1/risk-rules", json={"factor": "word", "pattern": word, "weight": 70, "label": "扬言罢工"})
    assert r.status_code == 200, r.text
    assert_error(gl.put("supervisor", "/api/v1/risk-rules", json={"factor": "word", "pattern": "x", "weight": 1,
                                                                   "label": "x"}), 403)
    # The next intake uses it.
    c = create(gl, f"工厂{word}", f"员工说明天{word}")
    g = risk(gl, c)
    assert g["level"] == "high" and {"label": "扬言罢工", "weight": 70} in g["reasons"]


def test_the_weights_are_refitted_to_the_decisions_and_applied_on_request(server_factory):
    api = server_factory()
    text = "邻居因为停车发生纠纷，对方威胁要报复"
    cases = [create(api, f"停车纠纷{i}", text) for i in range(4)]
    assert {risk(api, c)["level"] for c in cases} == {"medium"}
    for c in cases:
        r = api.post("supervisor", f"/api/v1/cases/{c['id']}/risk", json={"level": "low", "note": "口角，已调解"})
        assert r.status_code == 200, r.text
    assert_error(api.get("supervisor", "/api/v1/risk-rules/refit"), 403)

    r = api.get("admin", "/api/v1/risk-rules/refit")
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["examples"] == 4 and p["agree_before"] == 0 and p["agree_after"] == 4 and not p["applied"], p
    met = {x["pattern"]: x for x in p["rules"] if x["examples"]}
    assert set(met) == {"纠纷", "威胁", "报复"}, met
    assert sum(x["proposed"] for x in met.values()) < 30
    assert all(x["proposed"] <= x["weight"] for x in met.values())
    untouched = [x for x in p["rules"] if not x["examples"]]
    assert untouched and all(x["proposed"] == x["weight"] for x in untouched)
    # A proposal changes nothing.
    assert risk(api, create(api, "停车纠纷又起", text))["level"] == "medium"

    assert_error(api.post("admin", "/api/v1/risk-rules/refit", json={"apply": True}), 400, field="apply")
    r = api.post("admin", "/api/v1/risk-rules/refit", json={})
    assert r.status_code == 200 and r.json()["applied"], r.text
    rules = {x["pattern"]: x["weight"] for x in api.items("admin", "/api/v1/risk-rules")}
    assert all(rules[k] == met[k]["proposed"] for k in met), rules
    # The next intake grades with the new weights.
    assert risk(api, create(api, "停车纠纷再起", text))["level"] == "low"
    audit = api.items("admin", "/api/v1/audit", params={"limit": 10})
    assert any(a["action"] == "risk_rule.refit" for a in audit), [a["action"] for a in audit]
