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


def test_boilerplate_reused_across_cases_is_flagged(gl, demo):
    """The same substance sent to three cases (only its dates differ) is boilerplate (套话) on each
    of them; a reply no other case got is not."""
    import random
    tag = "".join(random.choice("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥") for _ in range(8))
    template = "您反映的{tag}问题我们已转交属地街道核查处理，预计{d}个工作日内办结，请留意短信通知，咨询电话12345。"
    cases = [walk_to_reply(gl, demo, template.format(tag=tag, d=d)) for d in (3, 5, 7)]
    q = gl.get("supervisor", f"/api/v1/cases/{cases[2]['id']}/reply-check").json()
    assert q["boilerplate"] and q["flagged"] and q["reused"] == 2 and q["reused_departments"] == 1, q
    # Not empty, not off topic by itself: the flag comes from the repetition.
    assert not q["empty"]
    q = gl.get("supervisor", f"/api/v1/cases/{cases[0]['id']}/reply-check").json()
    assert q["boilerplate"] and q["reused"] == 2, q
    other = walk_to_reply(gl, demo, template.format(tag=tag[::-1] + "乙", d=3))
    q = gl.get("supervisor", f"/api/v1/cases/{other['id']}/reply-check").json()
    assert not q["boilerplate"] and q["reused"] == 0, q
