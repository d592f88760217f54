"""
The knowledge base (知识库, issue 13): articles with an owner department and validity dates,
suggested for a caller's words (the same text features as triage), used for a 直接答复 (the
answer action's `article`: linked on the event and counted); roles, bad input and the audit.
"""
from conftest import assert_error, unique

KB = "/api/v1/knowledge"


def make(gl, **fields):
    body = {"title": unique("知识") + fields.pop("title", ""), "body": fields.pop("body", "答复内容"), **fields}
    r = gl.post("supervisor", KB, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_demo_articles_are_suggested_for_a_callers_words(gl):
    r = gl.post("operator", f"{KB}/suggest", json={"text": "请问刚出生的小孩医保怎么参保，要带什么材料"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items and items[0]["title"] == "新生儿医保参保办理", [i["title"] for i in items]
    assert 0 < items[0]["score"] <= 1 and items[0]["department"] == "区医疗保障局"
    # Words that no article is about find nothing rather than noise.
    assert gl.post("operator", f"{KB}/suggest", json={"text": "楼上每天夜里拖椅子的声音很吵"}).json()["items"] == []


def test_answer_from_an_article_links_and_counts_it(gl):
    art = make(gl, title="犬只登记", body="犬只登记请到所在街道便民服务中心办理，需携带免疫证明。", keywords="养狗 犬只 登记 狗证")
    r = gl.post("operator", "/api/v1/cases", json={"title": "养狗要登记吗", "description": "咨询养狗需要办狗证吗", "channel": "hotline",
                                                   "kind": "consult"})
    c = r.json()
    r = gl.post("operator", f"/api/v1/cases/{c['id']}/actions",
                json={"action": "answer", "version": c["version"], "note": art["body"], "article": art["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "closed"
    ev = [e for e in gl.get("operator", f"/api/v1/cases/{c['id']}").json()["timeline"] if e["action"] == "answer"][0]
    assert ev["payload"] == {"article": art["id"]}
    assert gl.get("operator", f"{KB}/{art['id']}").json()["uses"] == 1


def test_articles_out_of_force_are_neither_suggested_nor_used(gl):
    art = make(gl, title="旧政策", body="已经废止的说法", keywords="旧政策 废止", valid_until="2020-01-01")
    assert art["in_force"] is False
    items = gl.post("operator", f"{KB}/suggest", json={"text": art["title"] + " 废止 旧政策"}).json()["items"]
    assert art["id"] not in [i["id"] for i in items]
    c = gl.post("operator", "/api/v1/cases", json={"title": "咨询", "description": "咨询旧政策", "channel": "hotline"}).json()
    r = gl.post("operator", f"/api/v1/cases/{c['id']}/actions",
                json={"action": "answer", "version": c["version"], "note": "x", "article": art["id"]})
    assert_error(r, 400, "bad_request", "article")
    assert gl.get("operator", f"/api/v1/cases/{c['id']}").json()["state"] == "new"


def test_write_roles_bad_input_and_audit(gl, demo):
    assert gl.post("operator", KB, json={"title": "x", "body": "y"}).status_code == 403
    assert gl.get("citizen", KB).status_code == 403
    assert_error(gl.post("supervisor", KB, json={"title": "", "body": "y"}), 400, "bad_request", "title")
    assert_error(gl.post("supervisor", KB, json={"title": "x", "body": "y", "department_id": 999999}), 400,
                 "bad_request", "department_id")
    assert_error(gl.post("supervisor", KB, json={"title": "x", "body": "y", "valid_from": "2027-01-02",
                                                  "valid_until": "2027-01-01"}), 400, "bad_request", "valid_until")
    art = make(gl, department_id=demo["CGJ"])
    r = gl.patch("supervisor", f"{KB}/{art['id']}", json={"body": "新的答复"})
    assert r.status_code == 200 and r.json()["body"] == "新的答复" and r.json()["title"] == art["title"]
    r = gl.delete("admin", f"{KB}/{art['id']}")
    assert r.status_code == 200 and r.json()["active"] is False
    listed = gl.get("operator", KB, params={"active": "true"}).json()
    assert set(listed) == {"items", "total", "next_cursor"} and art["id"] not in [i["id"] for i in listed["items"]]
    actions = [e["action"] for e in gl.get("admin", "/api/v1/audit", params={"limit": 20}).json()["items"]]
    assert {"knowledge.create", "knowledge.update", "knowledge.deactivate"} <= set(actions)
