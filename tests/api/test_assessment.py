"""
考核 through the API (GET /api/v1/stats/assessment, docs/assessment.md): a few cases run
through the loop on a fresh server with the injectable clock, then the assessment as JSON,
CSV (parsed) and XLSX (opened as a zip), the roles allowed, and every bad parameter.

The cases, all on 2026-12-07 (Beijing), category 占道经营 (lead CGJ):
  c1  dispatch CGJ, sign, reply (contacted, solved), evaluate satisfied
  c2  dispatch CGJ, sign, reply (contacted, not solved), evaluate unsatisfied → rectify,
      reply (contacted, solved), evaluate basically_satisfied
  c3  dispatch CGJ, CGJ returns it, redispatch QSJD, QSJD signs (not replied, not yet due)
Hand-computed, latest round, k = 0.9, w = (0.10, 0.50, 0.40):
  CGJ  dispatched 2 (c1, c2; c3's lead is now QSJD), replied 2, closed 2, rectified 1,
       assigned 3 (c1, c2, c3), returns 1 → 退单率 1/3; evaluations 2 (c1, c2 round 1):
       contacted 2, solved 2, satisfied 1, basically 1 → 响应率 1, 解决率 1,
       满意率 (1 + 0.9)/2 = 0.95; score 100·(0.1 + 0.5 + 0.38) = 98; rank 1
  QSJD dispatched 1, assigned 1, returns 0, no evaluation → 三率 and score null, unranked
Every round: CGJ has 3 evaluations (c2 round 0: contacted, not solved, unsatisfied):
  响应率 1, 解决率 2/3, 满意率 1.9/3; score 100·(0.1 + 0.5·2/3 + 0.4·1.9/3) = 68.6667.
"""
import csv
import datetime as dt
import io
import re
import zipfile

import pytest

from conftest import GENEROUS, assert_error

CLOCK_ARGS = ["--test-clock", "--session-ttl", "31536000", "--sweep-interval", "86400"]
BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 7, 9, 30, tzinfo=BJ)  # Monday, a working day
CAT = 10        # 010201 占道经营, lead CGJ
PERIOD = {"from": "2026-12-07T00:00:00+08:00", "to": "2026-12-08T00:00:00+08:00"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
URL = "/api/v1/stats/assessment"


def act(api, who, case, action, **fields):
    body = {"action": action, "version": case["version"]}
    body.update(fields)
    r = api.post(who, f"/api/v1/cases/{case['id']}/actions", json=body)
    assert r.status_code == 200, f"{who} {action}: {r.status_code} {r.text[:500]}"
    return r.json()


def new_case(api, **kw):
    body = {"title": "占道经营", "description": "小区门口有人摆摊占用人行道", "channel": "hotline",
            "citizen": {"name": "张三", "phone": "13812348000"}}
    body.update(kw)
    r = api.post("operator", "/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def reply(api, c, solved=True):
    return act(api, "handler_cgj", c, "reply", result="已现场处理", contacted=True, solved=solved)


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_db):
    from conftest import Api, Server
    srv = Server(str(tmp_path_factory.mktemp("assess")), template_db, GENEROUS + CLOCK_ARGS).start()
    api = Api(srv)
    r = api.put("admin", "/api/v1/test/clock", json={"now": T0.isoformat()})
    assert r.status_code == 200, r.text
    depts = {d["code"]: d for d in api.items("admin", "/api/v1/departments")}
    users = {u["name"]: u for u in api.items("admin", "/api/v1/users")}
    grid = users["grid_worker"]["region_id"]
    box = api.get("admin", f"/api/v1/regions/{grid}").json()["boundary"]["coordinates"][0]
    lat, lon = (box[0][1] + box[2][1]) / 2, (box[0][0] + box[2][0]) / 2
    cgj, qsjd = depts["CGJ"]["id"], depts["QSJD"]["id"]

    c1 = new_case(api, lat=lat, lon=lon)
    c1 = act(api, "dispatcher", c1, "dispatch", department=cgj, category=CAT)
    c1 = act(api, "handler_cgj", c1, "sign")
    c1 = reply(api, c1)
    c1 = act(api, "operator", c1, "evaluate", satisfaction="satisfied")
    assert c1["state"] == "closed"

    c2 = new_case(api)
    c2 = act(api, "dispatcher", c2, "dispatch", department=cgj, category=CAT)
    c2 = act(api, "handler_cgj", c2, "sign")
    c2 = reply(api, c2, solved=False)
    c2 = act(api, "operator", c2, "evaluate", satisfaction="unsatisfied")
    assert c2["state"] == "rectifying"
    c2 = reply(api, c2)
    c2 = act(api, "operator", c2, "evaluate", satisfaction="basically_satisfied")
    assert c2["state"] == "closed" and c2["rectify_round"] == 1

    c3 = new_case(api)
    c3 = act(api, "dispatcher", c3, "dispatch", department=cgj, category=CAT)
    c3 = act(api, "handler_cgj", c3, "return", reason="不属于城管职责")
    c3 = act(api, "dispatcher", c3, "redispatch", department=qsjd, note="改派属地街道")
    c3 = act(api, "handler_qsjd", c3, "sign")
    assert c3["state"] == "processing"

    yield {"api": api, "CGJ": depts["CGJ"], "QSJD": depts["QSJD"], "grid": grid}
    srv.check_clean_exit()


def rows_by_code(body):
    return {r["code"]: r for r in body["rows"]}


def test_json_by_department(world):
    api = world["api"]
    r = api.get("supervisor", URL, params=PERIOD)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["from"] == "2026-12-06T16:00:00Z" and body["to"] == "2026-12-07T16:00:00Z"
    assert body["by"] == "department" and body["level"] is None and body["rounds"] == "latest"
    assert body["k"] == 0.9
    assert body["weights"] == {"response": 0.1, "solve": 0.5, "satisfy": 0.4, "on_time": 0}
    rows = rows_by_code(body)
    assert set(rows) == {"CGJ", "QSJD"}, rows.keys()
    cgj, qsjd = rows["CGJ"], rows["QSJD"]
    assert cgj["name"] == world["CGJ"]["name"] and cgj["id"] == world["CGJ"]["id"]
    assert (cgj["dispatched"], cgj["replied"], cgj["closed"], cgj["rectified"]) == (2, 2, 2, 1)
    assert (cgj["due"], cgj["on_time"], cgj["overdue"]) == (2, 2, 0)
    assert (cgj["assigned"], cgj["returns"]) == (3, 1)
    assert (cgj["evaluations"], cgj["contacted"], cgj["solved"]) == (2, 2, 2)
    assert (cgj["satisfied"], cgj["basically_satisfied"], cgj["unsatisfied"]) == (1, 1, 0)
    assert cgj["response_rate"] == 1 and cgj["solve_rate"] == 1
    assert cgj["satisfaction_rate"] == pytest.approx(0.95)
    assert cgj["on_time_rate"] == 1 and cgj["return_rate"] == pytest.approx(1 / 3)
    assert cgj["score"] == pytest.approx(98.0) and cgj["rank"] == 1
    # No evaluation: the rates and the score are null (not 0), and the row is not ranked.
    assert (qsjd["dispatched"], qsjd["assigned"], qsjd["returns"], qsjd["evaluations"]) == (1, 1, 0, 0)
    for k in ("response_rate", "solve_rate", "satisfaction_rate", "score", "rank"):
        assert qsjd[k] is None, k
    assert qsjd["return_rate"] == 0
    assert body["rows"][0]["code"] == "CGJ"


def test_every_round_and_overrides(world):
    api = world["api"]
    body = api.get("data_officer", URL, params={**PERIOD, "rounds": "all"}).json()
    cgj = rows_by_code(body)["CGJ"]
    assert body["rounds"] == "all"
    assert (cgj["evaluations"], cgj["contacted"], cgj["solved"], cgj["unsatisfied"]) == (3, 3, 2, 1)
    assert cgj["solve_rate"] == pytest.approx(2 / 3)
    assert cgj["satisfaction_rate"] == pytest.approx(1.9 / 3)
    assert cgj["score"] == pytest.approx(100 * (0.1 + 0.5 * 2 / 3 + 0.4 * 1.9 / 3))
    # k and weights from the query (准格尔旗-style weights, k = 1).
    body = api.get("admin", URL, params={**PERIOD, "k": "1", "weights": "0.30,0.35,0.35"}).json()
    cgj = rows_by_code(body)["CGJ"]
    assert body["k"] == 1 and body["weights"]["response"] == 0.3
    assert cgj["satisfaction_rate"] == 1 and cgj["score"] == pytest.approx(100.0)
    # On time as a fourth term: QSJD's c3 is not yet due, so its score stays null.
    body = api.get("admin", URL, params={**PERIOD, "weights": "0,0,0,1"}).json()
    rows = rows_by_code(body)
    assert rows["CGJ"]["score"] == pytest.approx(100.0) and rows["QSJD"]["score"] is None
    # A period without activity lists only what is still open at its end (QSJD's c3; not
    # overdue: "now", the test clock, is before its deadline) ...
    body = api.get("admin", URL, params={"from": "2027-01-01", "to": "2027-02-01"}).json()
    assert [(r["code"], r["dispatched"], r["backlog"], r["backlog_overdue"]) for r in body["rows"]] \
        == [("QSJD", 0, 1, 0)]
    # ... and one before any case has no rows.
    body = api.get("admin", URL, params={"from": "2026-01-01", "to": "2026-02-01"}).json()
    assert body["rows"] == []


def test_by_region(world):
    api = world["api"]
    body = api.get("supervisor", URL, params={**PERIOD, "by": "region"}).json()
    assert body["by"] == "region" and body["level"] == "street"
    located = [r for r in body["rows"] if r["id"] != 0]
    assert len(located) == 1, body["rows"]
    street = located[0]
    grid = api.get("admin", f"/api/v1/regions/{world['grid']}").json()
    assert grid["code"].startswith(street["code"]) and len(street["code"]) == 9
    assert street["dispatched"] == 1 and street["evaluations"] == 1 and street["score"] == pytest.approx(100.0)
    assert street["rank"] == 1
    none = [r for r in body["rows"] if r["id"] == 0]
    assert len(none) == 1 and none[0]["code"] == "" and none[0]["rank"] is None
    assert none[0]["dispatched"] == 2
    body = api.get("supervisor", URL, params={**PERIOD, "by": "region", "level": "grid"}).json()
    assert [r["id"] for r in body["rows"] if r["id"]] == [world["grid"]]


def test_csv(world):
    api = world["api"]
    r = api.get("supervisor", URL, params={**PERIOD, "format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == \
        'attachment; filename="assessment-department-2026-12-06-2026-12-07.csv"'
    assert r.content.startswith(b"\xef\xbb\xbf")
    text = r.content.decode("utf-8-sig")
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(text))}
    cgj, qsjd = rows["CGJ"], rows["QSJD"]
    assert cgj["name"] == world["CGJ"]["name"] and cgj["rank"] == "1"
    assert cgj["score"] == "98.00" and cgj["satisfaction_rate"] == "0.9500" and cgj["return_rate"] == "0.3333"
    assert cgj["dispatched"] == "2" and cgj["basically_satisfied"] == "1"
    assert qsjd["score"] == "" and qsjd["rank"] == "" and qsjd["response_rate"] == ""


def test_xlsx(world):
    api = world["api"]
    r = api.get("admin", URL, params={**PERIOD, "format": "xlsx"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == XLSX
    assert r.headers["Content-Disposition"].startswith("attachment; filename=\"assessment-department-")
    assert r.content[:2] == b"PK"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    assert z.testzip() is None
    names = z.namelist()
    assert "xl/workbook.xml" in names and "xl/worksheets/sheet1.xml" in names
    xml = "".join(z.read(n).decode("utf-8") for n in names if n.startswith("xl/") and n.endswith(".xml"))
    assert world["CGJ"]["name"] in xml and "满意率" in xml and "考核" in xml
    sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    values = [float(v) for v in re.findall(r"<v>([-0-9.eE+]+)</v>", sheet)]
    assert any(abs(v - 98.0) < 1e-9 for v in values), values   # CGJ's score, a number cell


def test_monthly_bulletin_pdf(world, tmp_path):
    """The 通报 as an A4 PDF, read back: its text (pdftotext) holds the title, the period, the
    department and its score; the CJK font is embedded (pdffonts)."""
    import subprocess
    api = world["api"]
    r = api.get("supervisor", URL, params={**PERIOD, "format": "pdf"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"].endswith('.pdf"')
    assert r.content[:5] == b"%PDF-"
    pdf = tmp_path / "bulletin.pdf"
    pdf.write_bytes(r.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    assert "12345 热线诉求办理情况通报" in text, text
    assert "2026年12月07日 至 2026年12月07日" in text, text
    assert world["CGJ"]["name"] in text and "98.00" in text and "95.0%" in text, text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True).stdout.decode()
    cjk = [line for line in fonts.splitlines() if "NotoSansCJK" in line or "Noto Sans CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts
    size = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True).stdout.decode()
    assert "595.28 x 841.89" in size or "A4" in size, size


@pytest.mark.parametrize("who,status", [("supervisor", 200), ("data_officer", 200), ("admin", 200),
                                        ("operator", 403), ("dispatcher", 403), ("handler_cgj", 403),
                                        ("citizen", 403), (None, 401)])
def test_roles(world, who, status):
    r = world["api"].get(who, URL, params=PERIOD)
    assert r.status_code == status, r.text


@pytest.mark.parametrize("params,field", [
    ({"to": PERIOD["to"]}, "from"),
    ({"from": PERIOD["from"]}, "to"),
    ({**PERIOD, "from": "yesterday"}, "from"),
    ({**PERIOD, "to": "2026-13-01"}, "to"),
    ({"from": PERIOD["to"], "to": PERIOD["from"]}, "to"),
    ({**PERIOD, "by": "person"}, "by"),
    ({**PERIOD, "level": "street"}, "level"),          # level without by=region
    ({**PERIOD, "by": "region", "level": "province"}, "level"),
    ({**PERIOD, "rounds": "first"}, "rounds"),
    ({**PERIOD, "k": "1.5"}, "k"),
    ({**PERIOD, "k": "abc"}, "k"),
    ({**PERIOD, "k": ""}, "k"),
    ({**PERIOD, "weights": "0.1,0.5"}, "weights"),
    ({**PERIOD, "weights": "0.1,-0.5,0.4"}, "weights"),
    ({**PERIOD, "weights": "0,0,0"}, "weights"),
    ({**PERIOD, "weights": "a,b,c"}, "weights"),
    ({**PERIOD, "format": "docx"}, "format"),
])
def test_bad_parameters(world, params, field):
    assert_error(world["api"].get("supervisor", URL, params=params), 400, "bad_request", field)


def test_region_bound_supervisor_sees_its_region(world):
    """A supervisor bound to a street assesses the cases located in it: only c1 (in the grid
    worker's grid) of the three; admins and unbound supervisors see all."""
    api = world["api"]
    grid = api.get("admin", f"/api/v1/regions/{world['grid']}").json()
    street = grid["code"][:9]
    r = api.post("admin", "/api/v1/users", json={"name": "sup_street", "password": "demo-pass-1",
                                                  "roles": ["supervisor"], "region": street})
    assert r.status_code == 201, r.text
    body = api.get("sup_street", URL, params=PERIOD).json()
    assert body["within"] == street
    rows = rows_by_code(body)
    assert set(rows) == {"CGJ"}, rows.keys()
    cgj = rows["CGJ"]
    assert (cgj["dispatched"], cgj["replied"], cgj["closed"], cgj["assigned"], cgj["returns"]) == (1, 1, 1, 1, 0)
    assert (cgj["evaluations"], cgj["satisfied"]) == (1, 1)
    by_region = api.get("sup_street", URL, params={**PERIOD, "by": "region", "level": "street"}).json()
    assert [x["code"] for x in by_region["rows"]] == [street]
    # The district-wide view is unchanged for those not bound to a region.
    assert api.get("supervisor", URL, params=PERIOD).json()["within"] is None
    assert rows_by_code(api.get("admin", URL, params=PERIOD).json())["CGJ"]["dispatched"] == 2
