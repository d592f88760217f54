"""
The data resource catalogue (政务数据资源目录, issue 17, docs/data-sharing.md): datasets with their
fields, grading and sharing class; imports of CSV files (UTF-8 and GB18030) loaded all or
nothing with the errors by line and field; the 'cases' source; roles, bad input and the audit.
"""
import json
import time

import pytest

from conftest import PASSWORD, assert_error, db_open, unique

DS = "/api/v1/datasets"

PEOPLE_FIELDS = [
    {"name": "name", "label": "姓名", "type": "name", "mask": "name", "sensitivity": 3, "required": True},
    {"name": "id_no", "label": "公民身份号码", "type": "id_card", "mask": "id_card", "sensitivity": 4,
     "required": True, "is_key": True},
    {"name": "mobile", "label": "手机号码", "type": "mobile", "mask": "mobile", "sensitivity": 3},
    {"name": "address", "label": "居住地址", "type": "address", "mask": "address", "sensitivity": 2},
    {"name": "birthday", "label": "出生日期", "type": "date", "mask": "year"},
    {"name": "income", "label": "月收入", "type": "number", "lo": 0, "hi": 100000},
]


def id_card(prefix17):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * k for c, k in zip(prefix17, w))
    return prefix17 + "10X98765432"[s % 11]


GOOD_ID = id_card("33010619900307123")
GOOD_ID2 = id_card("33010619851112002")
BAD_ID = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")


@pytest.fixture(scope="module")
def officer(gl, demo):
    """A data officer of 区民政局 (MZJ) and one of 区城管局 (CGJ)."""
    depts = demo["depts"]
    names = {}
    for code in ("MZJ", "CGJ"):
        name = unique("do_" + code.lower())
        r = gl.post("admin", "/api/v1/users", json={"name": name, "password": PASSWORD, "roles": ["data_officer"],
                                                    "departments": [depts[code]["id"]]})
        assert r.status_code == 201, r.text
        names[code] = name
    return names


def make(gl, who, dept, **kw):
    body = {"name": unique("人口信息") + kw.pop("suffix", ""), "description": "辖区常住人口基础信息",
            "department_id": dept, "grade": "important", "pi_level": "sensitive", "share_class": "conditional",
            "update_freq": "monthly", "fields": PEOPLE_FIELDS, **kw}
    r = gl.post(who, DS, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def csv_of(rows, header=("姓名", "公民身份号码", "手机号码", "居住地址", "出生日期", "月收入")):
    return "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"


def import_(gl, who, ds, text, encoding="utf-8", **params):
    params.setdefault("format", "csv")
    return gl.post(who, f"{DS}/{ds['id']}/import", params=params, data=text.encode(encoding),
                   headers={"Content-Type": "text/csv"})


def test_create_get_list_and_search(gl, demo, officer):
    mzj = demo["depts"]["MZJ"]["id"]
    d = make(gl, officer["MZJ"], mzj)
    assert d["code"].startswith("DS-") and d["department"] == "区民政局"
    assert [f["name"] for f in d["fields"]] == [f["name"] for f in PEOPLE_FIELDS]
    assert d["fields"][1]["is_key"] is True and d["fields"][5]["lo"] == 0 and d["fields"][5]["hi"] == 100000
    assert d["row_count"] == 0 and d["loaded_at"] is None and d["source"] == "import"
    got = gl.get("operator", f"{DS}/{d['id']}").json()
    assert got == d
    # Search over name, description and field labels, for any staff user.
    assert d["id"] in [x["id"] for x in gl.items("handler_cgj", DS, params={"q": d["name"]})]
    assert d["id"] in [x["id"] for x in gl.items("handler_cgj", DS, params={"q": "公民身份号码"})]
    assert d["id"] not in [x["id"] for x in gl.items("handler_cgj", DS, params={"q": "不存在的字段名称"})]
    assert d["id"] in [x["id"] for x in gl.items("admin", DS, params={"department_id": mzj})]
    # Update: a new description, the same fields.
    r = gl.put(officer["MZJ"], f"{DS}/{d['id']}", json={"description": "更新后的说明", "update_freq": "weekly"})
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "更新后的说明" and r.json()["update_freq"] == "weekly"
    assert r.json()["fields"] == d["fields"]
    audit = gl.get("admin", "/api/v1/audit", params={"limit": 20}).json()["items"]
    mine = {e["action"] for e in audit if e["target"] == f"dataset/{d['id']}"}
    assert {"dataset.create", "dataset.update"} <= mine, mine


def test_roles_and_department(gl, demo, officer):
    mzj, cgj = demo["depts"]["MZJ"]["id"], demo["depts"]["CGJ"]["id"]
    body = {"name": "x", "department_id": mzj, "grade": "general", "share_class": "unconditional",
            "fields": PEOPLE_FIELDS[:1]}
    for who in ("operator", "handler_cgj", "dispatcher", "supervisor"):
        assert_error(gl.post(who, DS, json=body), 403)
    assert gl.get("citizen", DS).status_code == 403
    assert gl.get(None, DS).status_code == 401
    # A data officer manages their own department's datasets only.
    assert_error(gl.post(officer["CGJ"], DS, json=body), 403, reason="scope")
    d = make(gl, officer["MZJ"], mzj)
    assert_error(gl.put(officer["CGJ"], f"{DS}/{d['id']}", json={"name": "改名"}), 403, reason="scope")
    assert_error(import_(gl, officer["CGJ"], d, csv_of([["张三", GOOD_ID, "", "", "", ""]])), 403, reason="scope")
    # ... and cannot move one into their own department either.
    assert_error(gl.put(officer["MZJ"], f"{DS}/{d['id']}", json={"department_id": cgj}), 403, reason="scope")
    assert gl.put("admin", f"{DS}/{d['id']}", json={"department_id": cgj}).status_code == 200


@pytest.mark.parametrize("patch,field", [
    ({"name": ""}, "name"),
    ({"department_id": 99999999}, "department_id"),
    ({"grade": "secret"}, "grade"),
    ({"share_class": "maybe"}, "share_class"),
    ({"pi_level": "x"}, "pi_level"),
    ({"update_freq": "hourly"}, "update_freq"),
    ({"source": "people"}, "source"),
    ({"k_min": 1}, "k_min"),
    ({"share_class": "none", "open_class": "open"}, "open_class"),
    ({"fields": []}, "fields"),
    ({"fields": [{"name": "a", "label": "甲", "type": "blob"}]}, "fields[0].type"),
    ({"fields": [{"name": "a", "label": "甲", "type": "text"}, {"name": "b", "label": "乙", "type": "text",
                                                                "mask": "scramble"}]}, "fields[1].mask"),
    ({"fields": [{"name": "Bad Name", "label": "甲", "type": "text"}]}, "fields[0].name"),
    ({"fields": [{"name": "a", "label": "甲", "type": "text"}, {"name": "a", "label": "乙", "type": "text"}]},
     "fields[1].name"),
    ({"fields": [{"name": "a", "label": "", "type": "text"}]}, "fields[0].label"),
    ({"fields": [{"name": "a", "label": "甲", "type": "text", "sensitivity": 5}]}, "fields[0].sensitivity"),
    ({"fields": [{"name": "a", "label": "甲", "type": "number", "lo": 5, "hi": 1}]}, "fields[0].lo"),
])
def test_bad_input_names_the_field_and_writes_nothing(gl, demo, officer, patch, field):
    body = {"name": unique("坏"), "department_id": demo["depts"]["MZJ"]["id"], "grade": "general",
            "share_class": "conditional", "fields": PEOPLE_FIELDS, **patch}
    before = len(gl.items("admin", DS))
    assert_error(gl.post(officer["MZJ"] if field != "department_id" else "admin", DS, json=body), 400,
                 "bad_request", field)
    assert len(gl.items("admin", DS)) == before


def test_a_dataset_that_may_not_be_shared_is_catalogued(gl, demo, officer):
    d = make(gl, officer["MZJ"], demo["depts"]["MZJ"]["id"], share_class="none", grade="core")
    assert d["share_class"] == "none" and d["open_class"] == "closed"
    assert d["id"] in [x["id"] for x in gl.items("operator", DS, params={"share_class": "none"})]


def test_import_utf8_loads_rows_with_regions_and_audit(gl, demo, officer):
    d = make(gl, officer["MZJ"], demo["depts"]["MZJ"]["id"])
    community = [r for r in demo["regions"].values() if r["level"] == "community"][0]
    rows = [["张三", GOOD_ID, "13800138000", f"{community['name']}5幢1单元", "1990-03-07", "5200"],
            ["李四", GOOD_ID2, "", "", "", ""]]
    r = import_(gl, officer["MZJ"], d, csv_of(rows), filename="人口.csv")
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["rows_loaded"] == 2 and rep["row_count"] == 2 and rep["encoding"] == "utf-8"
    got = gl.get("operator", f"{DS}/{d['id']}").json()
    assert got["row_count"] == 2 and got["loaded_at"] is not None
    # Append adds; replace starts over.
    r = import_(gl, officer["MZJ"], d, csv_of([rows[0]]), mode="append")
    assert r.status_code == 200 and r.json()["row_count"] == 3, r.text
    r = import_(gl, officer["MZJ"], d, csv_of([rows[1]]), mode="replace")
    assert r.status_code == 200 and r.json()["row_count"] == 1, r.text
    audit = gl.get("admin", "/api/v1/audit", params={"limit": 10}).json()["items"]
    mine = [e for e in audit if e["action"] == "dataset.import" and e["target"] == f"dataset/{d['id']}"]
    assert len(mine) == 3


def test_import_gb18030_with_a_bad_row_loads_nothing(gl, demo, officer):
    d = make(gl, officer["MZJ"], demo["depts"]["MZJ"]["id"])
    ok = import_(gl, officer["MZJ"], d, csv_of([["王五", GOOD_ID, "13900001111", "", "", ""]]), encoding="gb18030")
    assert ok.status_code == 200 and ok.json()["encoding"] == "gb18030", ok.text
    rows = [["赵六", GOOD_ID2, "13800138000", "", "1985-11-12", "3000"],
            ["钱七", BAD_ID, "1380013800", "", "1985-13-40", "abc"],
            ["", GOOD_ID, "", "", "", ""]]
    r = import_(gl, officer["MZJ"], d, csv_of(rows), encoding="gb18030")
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"]["field"] == "file"
    errs = {(e["line"], e["field"]): e["reason"] for e in body["report"]["errors"]}
    assert errs[(3, "id_no")] == "身份证号校验码错误"
    assert (3, "mobile") in errs and (3, "birthday") in errs and (3, "income") in errs
    assert errs[(4, "name")] == "必填项为空"
    assert body["report"]["errors_total"] == 5
    # Nothing of it was kept: the earlier load stands.
    got = gl.get("operator", f"{DS}/{d['id']}").json()
    assert got["row_count"] == 1


def test_import_header_and_file_problems(gl, demo, officer):
    d = make(gl, officer["MZJ"], demo["depts"]["MZJ"]["id"])
    r = import_(gl, officer["MZJ"], d, "姓名,身份证,手机号码\n张三,1,2\n")
    assert r.status_code == 400
    fields = {e["field"] for e in r.json()["report"]["errors"]}
    assert "身份证" in fields and "id_no" in fields  # an unknown column; a required one missing
    assert_error(import_(gl, officer["MZJ"], d, "姓名,公民身份号码\n\"张三\n"), 400, "bad_request", "file")
    assert_error(import_(gl, officer["MZJ"], d, ""), 400, "bad_request", "file")
    assert_error(import_(gl, officer["MZJ"], d, csv_of([]), format="pdf"), 400, "bad_request", "format")
    assert_error(import_(gl, officer["MZJ"], d, csv_of([]), mode="merge"), 400, "bad_request", "mode")
    r = import_(gl, officer["MZJ"], d, "\n".join(["姓名,公民身份号码"] + [f"某人,{BAD_ID}"] * 150))
    assert r.status_code == 400
    assert len(r.json()["report"]["errors"]) == 100 and r.json()["report"]["errors_total"] == 150
    assert gl.get("operator", f"{DS}/{d['id']}").json()["row_count"] == 0


def test_cases_source_has_fixed_fields(gl, demo):
    r = gl.post("admin", DS, json={"name": unique("12345工单"), "department_id": demo["depts"]["ZHZX"]["id"],
                                   "grade": "important", "share_class": "conditional", "source": "cases",
                                   "pi_level": "personal"})
    assert r.status_code == 201, r.text
    d = r.json()
    assert [f["name"] for f in d["fields"]][:3] == ["number", "category", "street"]
    assert {f["name"]: f["mask"] for f in d["fields"]}["caller_phone"] == "phone"
    assert_error(import_(gl, "admin", d, "number\n1\n"), 409, field="source")
    # Its rows are the cases: a quality run reads them all (the source has no imported rows).
    # The shared server's background work (sensor readings, sweeps) may add a case meanwhile.
    before = gl.get("admin", f"{DS}/{d['id']}").json()["row_count"]
    q = gl.post("admin", f"{DS}/{d['id']}/quality").json()
    assert before <= q["rows_checked"] <= gl.get("admin", f"{DS}/{d['id']}").json()["row_count"]
    assert q["timeliness"] == 1.0 and q["completeness"] == 1.0
    # Turned into an imported dataset, it needs fields of its own.
    assert_error(gl.put("admin", f"{DS}/{d['id']}", json={"source": "import"}), 400, "bad_request", "fields")


def test_the_demo_catalogue(gl, demo):
    items = {d["name"]: d for d in gl.items("data_officer", DS)}
    people, firms = items["辖区常住人口信息"], items["市场主体登记信息"]
    cases, watch = items["12345 工单数据"], items["重点人员管控信息"]
    assert people["department"] == "区民政局" and people["share_class"] == "conditional"
    assert people["row_count"] == 324 and people["grade"] == "important" and people["pi_level"] == "sensitive"
    assert firms["share_class"] == "unconditional" and firms["row_count"] == 60 and firms["open_class"] == "open"
    assert cases["source"] == "cases" and len(cases["fields"]) == 13
    assert watch["share_class"] == "none" and watch["grade"] == "core" and watch["row_count"] == 0
    # The demo's data officer is 区民政局's: manages its datasets, not the others'.
    assert gl.put("data_officer", f"{DS}/{people['id']}", json={"description": people["description"]}).status_code == 200
    assert_error(gl.put("data_officer", f"{DS}/{firms['id']}", json={"description": "x"}), 403, reason="scope")


def test_the_three_lists(gl, demo, officer):
    d = make(gl, officer["MZJ"], demo["depts"]["MZJ"]["id"], share_class="none", grade="core")
    # 需求清单 reads the requests (written by the grant module; here straight into its table).
    with db_open(gl.server.db) as con:
        con.execute("INSERT INTO data_requests (dataset_id, department_id, fields, mode, purpose, legal_basis,"
                    " period_days, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (1, demo["depts"]["CGJ"]["id"], "name,community", "aggregate", "测算各社区独居老人数量",
                     "《浙江省公共数据条例》", 90, int(time.time())))
    body = gl.get("handler_cgj", "/api/v1/catalog/lists").json()
    assert set(body) == {"demand", "responsibility", "negative"}
    q = body["demand"][0]
    assert q["dataset"] == "辖区常住人口信息" and q["owner"] == "区民政局" and q["department"] == "区城市管理局"
    assert q["status"] == "pending" and q["mode"] == "aggregate"
    by_dept = {r["department"]: r["datasets"] for r in body["responsibility"]}
    mzj = {x["name"]: x for x in by_dept["区民政局"]}
    assert mzj["辖区常住人口信息"]["update_freq"] == "monthly" and mzj["辖区常住人口信息"]["loaded_at"]
    assert mzj[d["name"]]["timely"] is False  # never loaded
    assert "市场主体登记信息" in [x["name"] for x in by_dept["区市场监督管理局"]]
    neg = [x["name"] for x in body["negative"]]
    assert d["name"] in neg and "重点人员管控信息" in neg and "辖区常住人口信息" not in neg


def test_dcat_export(gl):
    r = gl.get("operator", "/api/v1/catalog/dcat")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/ld+json")
    doc = json.loads(r.text)
    assert doc["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert doc["@context"]["dct"] == "http://purl.org/dc/terms/"
    assert doc["@type"] == "dcat:Catalog"
    ds = {x["dct:title"]: x for x in doc["dcat:dataset"]}
    p = ds["辖区常住人口信息"]
    assert p["@type"] == "dcat:Dataset" and p["dct:identifier"].startswith("DS-")
    assert p["dct:publisher"]["foaf:name"] == "区民政局" and "公民身份号码" in p["dcat:keyword"]
    assert p["dct:accrualPeriodicity"]["@id"] == "http://purl.org/cld/freq/monthly"
    assert p["dcat:distribution"][0]["dcat:accessURL"]["@id"].endswith(f"/api/v1/datasets/{p['@id'].rsplit('/', 1)[1]}")
    assert p["dct:description"]
    # Not to be shared: catalogued, with no way in.
    assert ds["重点人员管控信息"]["dcat:distribution"] == [] and ds["重点人员管控信息"]["dct:accessRights"] == "不予共享"


def test_quality_figures_and_push_back(gl, demo, officer):
    mzj = demo["depts"]["MZJ"]["id"]
    d = make(gl, officer["MZJ"], mzj)
    community = [r for r in demo["regions"].values() if r["level"] == "community"][0]
    ids = [id_card(f"3301061990010{i}00{i % 10}") for i in range(1, 9)]
    rows = [["张三", ids[0], "13800138000", f"{community['name']}1幢", "1990-03-07", "5200"]]
    rows += [[f"李{n}", ids[i], "13900001111", "", "", ""] for i, n in enumerate("一二三四五六七", start=1)]
    rows += [["王五", ids[0], "", "", "", ""]]                        # the key again: a duplicate
    rows += [["赵六", ids[3][:6] + "19800101" + ids[3][14:17] + "X", "", "火星基地1号", "", ""]]
    rows[-1][1] = id_card(rows[-1][1][:17])                           # a valid, new number
    r = import_(gl, officer["MZJ"], d, csv_of(rows))
    assert r.status_code == 200, r.text
    # Only the owner's data officer (or an admin) runs a check; staff read the results.
    assert_error(gl.post(officer["CGJ"], f"{DS}/{d['id']}/quality"), 403, reason="scope")
    assert_error(gl.post("dispatcher", f"{DS}/{d['id']}/quality"), 403)
    r = gl.post(officer["MZJ"], f"{DS}/{d['id']}/quality")
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["rows_checked"] == 10 and q["rows_bad"] == 2
    assert q["accuracy"] == pytest.approx(0.8) and q["passed"] is False
    assert q["completeness"] == pytest.approx(1.0)
    assert q["uniqueness"] == pytest.approx(0.9)
    # Present values: 6 + 7 x 3 + 2 + 3 = 32, one of them (the address) not in the region tree.
    assert q["validity"] == pytest.approx(31 / 32)
    assert q["timeliness"] == 1.0
    probs = {(p["row_no"], p["field"]): (p["rule"], p["reason"]) for p in q["problems"]}
    assert probs == {(9, "id_no"): ("duplicate", "与前面的记录重复"),
                     (10, "address"): ("invalid", "地址无法对应到街道或社区")}
    per = {f["field"]: f for f in q["per_field"]}
    assert per["address"]["present"] == 2 and per["address"]["valid"] == 1
    # Sent back to the owner: a case of the data-quality category, dispatched to 区民政局.
    assert q["case_id"]
    c = gl.get("admin", f"/api/v1/cases/{q['case_id']}").json()
    assert c["state"] == "dispatched" and c["department_id"] == mzj and c["category"] == "数据质量问题", c
    assert "准确率 80.0%" in c["title"] and "第 9 行“公民身份号码”与前面的记录重复" in c["description"]
    assert c["deadlines"]["resolve"], c
    # The owner corrects and re-imports; the next run passes and sends nothing back.
    r = import_(gl, officer["MZJ"], d, csv_of(rows[:8]))
    assert r.status_code == 200, r.text
    q2 = gl.post(officer["MZJ"], f"{DS}/{d['id']}/quality").json()
    assert q2["accuracy"] == 1.0 and q2["passed"] is True and q2["case_id"] is None
    hist = gl.get("handler_cgj", f"{DS}/{d['id']}/quality").json()
    assert [x["accuracy"] for x in hist["runs"]] == [1.0, pytest.approx(0.8)]
    assert hist["runs"][1]["case_number"] and hist["problems"] == [] and hist["target"] == 0.95
    # The audit has both runs.
    audit = gl.get("admin", "/api/v1/audit", params={"limit": 20}).json()["items"]
    assert len([e for e in audit if e["action"] == "dataset.quality" and e["target"] == f"dataset/{d['id']}"]) == 2
    # The department's report: this dataset with its latest run and its trend.
    rep = gl.get("operator", "/api/v1/catalog/quality", params={"department_id": mzj}).json()
    mine = [x for x in rep["datasets"] if x["id"] == d["id"]][0]
    assert mine["latest"]["accuracy"] == 1.0 and [t["accuracy"] for t in mine["accuracy_trend"]] == [pytest.approx(0.8), 1.0]
    assert_error(gl.get("operator", "/api/v1/catalog/quality"), 400, "bad_request", "department_id")


def test_demo_population_fails_the_check(gl):
    people = [d for d in gl.items("admin", DS) if d["name"] == "辖区常住人口信息"][0]
    q = gl.post("data_officer", f"{DS}/{people['id']}/quality").json()
    # 24 rows carried over from the old register: 12 wrong check digits, 12 without a mobile.
    assert q["rows_checked"] == 324 and q["rows_bad"] == 24 and q["case_id"]
    rules = {(p["rule"], p["reason"]) for p in q["problems"]}
    assert rules == {("invalid", "身份证号校验码错误"), ("missing", "必填项为空")}


def test_import_size_limit_is_decided_before_the_body(server_factory):
    api = server_factory(args=["--import-max-bytes", "2048"])
    d = [x for x in api.items("admin", DS) if x["name"] == "市场主体登记信息"][0]
    big = "credit_code,firm_name\n" + "91330179MA2XXXXX1X,某公司\n" * 200
    r = api.post("admin", f"{DS}/{d['id']}/import", params={"format": "csv"}, data=big.encode(),
                 headers={"Content-Type": "text/csv"})
    assert r.status_code == 413, r.text
    assert api.get("admin", f"{DS}/{d['id']}").json()["row_count"] == 60
