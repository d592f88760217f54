"""The reply-quality check before closure (issue 13; docs/reply-quality.md): GET
/api/v1/cases/{id}/reply-check judges the latest reply against the complaint."""
from conftest import assert_error


def walk_to_reply(gl, demo, result):
    c = gl.post("operator", "/api/v1/cases", json={"title": "垃圾堆积", "channel": "hotline",
                                                   "description": "小区门口垃圾堆积三天没人清理，气味很大，希望尽快清运"}).json()
    for who, body in (("dispatcher", {"action": "dispatch", "department": demo["CGJ"]}),
                      ("handler_cgj", {"action": "sign"}),
                      ("handler_cgj", {"action": "reply", "result": result, "contacted": True, "solved": True})):
        r = gl.post(who, f"/api/v1/cases/{c['id']}/actions", json={"version": c["version"], **body})
        assert r.status_code == 200, r.text
        c = r.json()
    return c


def test_reply_check(gl, demo):
    bad = walk_to_reply(gl, demo, "网友您好！您的留言已收悉。感谢您对我们工作的支持、理解与监督！")
    q = gl.get("supervisor", f"/api/v1/cases/{bad['id']}/reply-check").json()
    assert q["flagged"] and q["empty"]
    good = walk_to_reply(gl, demo, "小区门口堆积的垃圾已于今日安排清运车辆清理完毕，并增加每日清运一次；如有疑问请联系环卫所 0571-86900104。")
    q = gl.get("supervisor", f"/api/v1/cases/{good['id']}/reply-check").json()
    assert not q["flagged"] and not q["off_topic"] and 0 < q["topic"] <= 1, q
    # Staff only, and only once there is a reply.
    assert gl.get("citizen", f"/api/v1/cases/{good['id']}/reply-check").status_code == 403
    c = gl.post("operator", "/api/v1/cases", json={"title": "x", "description": "尚未答复", "channel": "hotline"}).json()
    assert_error(gl.get("supervisor", f"/api/v1/cases/{c['id']}/reply-check"), 404, "not_found")
