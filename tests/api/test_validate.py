"""
POST /api/v1/validate (issue 17): one identifier checked by src/valid, answered as
{"valid": bool, "reason": "..."} with a Chinese reason when invalid and "" when valid. Every
signed-in role may call it, citizens included; unknown types are a 400 naming `type`.
"""
import pytest

from conftest import DEMO_USERS, assert_error

V = "/api/v1/validate"


def with_c18(first17):
    """The code with its GB 32100 MOD 31 check character."""
    cs = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    w = [pow(3, i, 31) for i in range(17)]
    c = 31 - sum(cs.index(ch) * wi for ch, wi in zip(first17, w)) % 31
    return first17 + cs[0 if c == 31 else c]


def check(gl, typ, value, who="citizen"):
    r = gl.post(who, V, json={"type": typ, "value": value})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"valid", "reason"}, body
    return body


@pytest.mark.parametrize("typ,value", [
    ("id_card", "11010519491231002X"),   # GB 11643 worked example
    ("id_card", "11010519491231002x"),
    ("id_card", "440524188001010014"),
    ("credit_code", "91350100M000100Y43"),  # GB 32100 worked example
    ("credit_code", "91350100m000100y43"),
    ("mobile", "13800138000"),
    ("mobile", "+86 138-0013-8000"),
    ("phone", "010-62345678"),
    ("phone", "0571-87654321转123"),
])
def test_valid_values(gl, typ, value):
    assert check(gl, typ, value) == {"valid": True, "reason": ""}


@pytest.mark.parametrize("typ,value,reason", [
    ("id_card", "110105194912310021", "校验码错误"),
    ("id_card", "110105194902300020", "出生日期无效"),
    ("id_card", "110105299901010020", "出生日期无效"),
    ("id_card", "1101051949123100", "长度错误"),
    ("id_card", "991051194912310020", "行政区划代码无效"),
    ("id_card", "", "未填写"),
    ("credit_code", "91350100M000100Y44", "校验码错误"),
    ("credit_code", "91350100M000100I43", "含有无效字符"),
    ("credit_code", "B1350100M000100Y43", "登记管理部门代码无效"),
    ("credit_code", "97350100M000100Y43", "机构类别代码无效"),
    # MOD 31 right, the embedded GB 11714 organisation code's check (5, not 4) wrong
    ("credit_code", "91350100M000100Y5" + "?", "组织机构代码校验码错误"),
    ("mobile", "12800138000", "号段无效"),
    ("mobile", "1380013800", "长度错误"),
    ("phone", "12345678", "号段无效"),
])
def test_invalid_values(gl, typ, value, reason):
    if value.endswith("?"):
        value = with_c18(value[:-1])
    assert check(gl, typ, value) == {"valid": False, "reason": reason}


def test_every_role_may_validate(gl):
    for who in DEMO_USERS:
        assert check(gl, "mobile", "13800138000", who=who)["valid"] is True


def test_signed_out_is_refused(gl):
    assert_error(gl.post(None, V, json={"type": "mobile", "value": "13800138000"}), 401, "unauthorized")


def test_bad_requests_name_the_field(gl):
    assert_error(gl.post("citizen", V, json={"type": "passport", "value": "E123"}), 400, field="type")
    assert_error(gl.post("citizen", V, json={"value": "13800138000"}), 400, field="type")
    assert_error(gl.post("citizen", V, json={"type": "mobile"}), 400, field="value")
    assert_error(gl.post("citizen", V, json={"type": "mobile", "value": 13800138000}), 400, field="value")
