"""Case lists exported (issue 13): GET /api/v1/cases/export?format=xlsx|csv with the list's filters
and the caller's scope, read back (the workbook as a zip, the CSV parsed); no personal data."""
import csv
import io
import zipfile

from conftest import assert_error, unique


def test_export_xlsx_and_csv(gl):
    t = unique("EX")
    made = [gl.post("operator", "/api/v1/cases", json={"title": f"导出{t} {i}", "description": "导出测试", "channel": "hotline",
                                                       "kind": "consult", "citizen": {"name": "王五", "phone": "13700009999"}}).json()
            for i in range(3)]
    r = gl.get("supervisor", "/api/v1/cases/export", params={"format": "csv", "q": t})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv") and r.content[:3] == b"\xef\xbb\xbf"
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["编号", "标题", "诉求类型", "状态"]
    assert sorted(row[0] for row in rows[1:]) == sorted(c["number"] for c in made)
    assert all(row[2] == "咨询" and row[3] == "待派单" for row in rows[1:])
    assert "王五" not in r.text and "13700009999" not in r.text
    r = gl.get("supervisor", "/api/v1/cases/export", params={"format": "xlsx", "q": t})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    assert z.testzip() is None
    strings = z.read("xl/sharedStrings.xml").decode()
    for c in made:
        assert c["number"] in strings and c["title"] in strings
    assert "王五" not in strings


def test_export_refusals(gl):
    assert_error(gl.get("supervisor", "/api/v1/cases/export", params={"format": "pdf"}), 400, "bad_request", "format")
    assert_error(gl.get("supervisor", "/api/v1/cases/export", params={"format": "csv", "state": "lost"}), 400,
                 "bad_request", "state")
    assert gl.get("citizen", "/api/v1/cases/export", params={"format": "csv"}).status_code == 403
