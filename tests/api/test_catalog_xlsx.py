"""
Dataset imports of XLSX workbooks (format=xlsx, issue 17): the first sheet read by src/tabular
(shared strings, numbers, a date serial shown by its cell format), the rows validated and loaded
all or nothing like a CSV, errors by the sheet's row number, and a malformed workbook refused
naming the file with nothing written.
"""
import datetime
import io
import zipfile
from xml.sax.saxutils import escape

from conftest import assert_error
from test_catalog import BAD_ID, DS, GOOD_ID, GOOD_ID2, make, officer  # noqa: F401 (fixture)

HEADER = ("姓名", "公民身份号码", "手机号码", "居住地址", "出生日期", "月收入")
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def col(i):
    return "ABCDEFGHIJ"[i]


def xlsx_of(rows, header=HEADER):
    """A workbook as Excel writes it: strings shared, dates as serials with a date format
    (numFmtId 14), numbers plain. A datetime.date value becomes a date cell, a float a number."""
    strings, index = [], {}

    def sst(s):
        if s not in index:
            index[s] = len(strings)
            strings.append(s)
        return index[s]

    xml_rows = []
    for r, values in enumerate([list(header)] + [list(v) for v in rows], start=1):
        cells = []
        for c, v in enumerate(values):
            ref = f"{col(c)}{r}"
            if isinstance(v, datetime.date):
                serial = (v - datetime.date(1899, 12, 30)).days
                cells.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
            elif isinstance(v, (int, float)):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            elif v != "":
                cells.append(f'<c r="{ref}" t="s"><v>{sst(v)}</v></c>')
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml",
                   f'<workbook {NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                   '<sheets><sheet name="人口" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/sharedStrings.xml",
                   f'<sst {NS}>' + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>")
        z.writestr("xl/styles.xml", f'<styleSheet {NS}><cellXfs count="2"><xf numFmtId="0"/>'
                                    '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>')
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet {NS}><sheetData>{"".join(xml_rows)}</sheetData></worksheet>')
    return buf.getvalue()


def import_xlsx(gl, who, ds, data, **params):
    params.setdefault("format", "xlsx")
    return gl.post(who, f"{DS}/{ds['id']}/import", params=params, data=data,
                   headers={"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})


def test_import_xlsx_loads_rows(gl, demo, officer):  # noqa: F811
    d = make(gl, officer["MZJ"], demo["depts"]["MZJ"]["id"])
    rows = [["张三", GOOD_ID, 13800138000, "", datetime.date(1990, 3, 7), 5200],
            ["欧阳娜娜", GOOD_ID2, "", "", "", 3000.5]]
    r = import_xlsx(gl, officer["MZJ"], d, xlsx_of(rows), filename="人口.xlsx")
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["format"] == "xlsx" and rep["encoding"] == "utf-8"
    assert rep["rows_loaded"] == 2 and rep["row_count"] == 2
    audit = gl.get("admin", "/api/v1/audit", params={"limit": 5}).json()["items"]
    assert [e for e in audit if e["action"] == "dataset.import" and e["target"] == f"dataset/{d['id']}"]
    # The values as the sheet shows them (the date from its serial and its format, the mobile
    # and the amounts from numbers): a quality run finds every one valid. A serial left as
    # "32939" would not be a date.
    q = gl.post(officer["MZJ"], f"{DS}/{d['id']}/quality")
    assert q.status_code in (200, 201), q.text
    assert q.json()["validity"] == 1.0 and q.json()["rows_checked"] == 2, q.text


def test_import_xlsx_bad_rows_by_sheet_row_load_nothing(gl, demo, officer):  # noqa: F811
    d = make(gl, officer["MZJ"], demo["depts"]["MZJ"]["id"])
    rows = [["赵六", GOOD_ID2, "13800138000", "", datetime.date(1985, 11, 12), 3000],
            ["钱七", BAD_ID, "1380013800", "", "1985-13-40", "abc"],
            ["", GOOD_ID, "", "", "", ""]]
    r = import_xlsx(gl, officer["MZJ"], d, xlsx_of(rows))
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"]["field"] == "file"
    errs = {(e["line"], e["field"]): e["reason"] for e in body["report"]["errors"]}
    assert errs[(3, "id_no")] == "身份证号校验码错误"
    assert (3, "mobile") in errs and (3, "birthday") in errs and (3, "income") in errs
    assert errs[(4, "name")] == "必填项为空"
    assert gl.get("operator", f"{DS}/{d['id']}").json()["row_count"] == 0


def test_import_xlsx_malformed_is_refused(gl, demo, officer):  # noqa: F811
    d = make(gl, officer["MZJ"], demo["depts"]["MZJ"]["id"])
    good = xlsx_of([["张三", GOOD_ID, "", "", "", ""]])
    assert_error(import_xlsx(gl, officer["MZJ"], d, good[: len(good) // 2]), 400, "bad_request", "file")
    assert_error(import_xlsx(gl, officer["MZJ"], d, b"PK\x03\x04 not a zip"), 400, "bad_request", "file")
    # A CSV sent as XLSX, and a workbook sent as CSV.
    assert_error(import_xlsx(gl, officer["MZJ"], d, "姓名,公民身份号码\n张三,1\n".encode()), 400, "bad_request", "file")
    assert_error(import_xlsx(gl, officer["MZJ"], d, good, format="csv"), 400, "bad_request", "file")
    # Malformed XML in the sheet.
    buf = io.BytesIO()
    with zipfile.ZipFile(good and io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</row>", b"", 1)
            dst.writestr(item, data)
    assert_error(import_xlsx(gl, officer["MZJ"], d, buf.getvalue()), 400, "bad_request", "file")
    assert gl.get("operator", f"{DS}/{d['id']}").json()["row_count"] == 0
