"""
Attachments: photos on a case. Upload as the raw body or multipart/form-data, the type judged
from the bytes (never the declared Content-Type), limits (bytes, pixels, count per case), the
file back byte for byte with a thumbnail, who may add and who may see, the case JSON and its
timeline, and the content-addressed layout on disk.

The images are made here: PNG with zlib and struct, and a minimal baseline JPEG (8x8 grey,
one-code Huffman tables) written byte by byte; no imaging library is needed.
"""
import hashlib
import os
import struct
import threading
import zlib

import pytest
import requests

from conftest import assert_error, sidecar, unique


def png(width, height, noise=False):
    """An RGB PNG: a colour gradient, or random pixels (which do not compress)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    rows = []
    for y in range(height):
        if noise:
            rows.append(b"\x00" + os.urandom(width * 3))
            continue
        row = bytearray(b"\x00")
        for x in range(width):
            row += bytes((x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), 128))
        rows.append(bytes(row))
    raw = b"".join(rows)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def jpeg_grey8():
    """A valid 8x8 mid-grey baseline JPEG: one block whose DC difference and AC run are both
    coded with the single one-bit code '0' of their tables."""
    soi, eoi = b"\xff\xd8", b"\xff\xd9"
    dqt = b"\xff\xdb\x00\x43\x00" + b"\x01" * 64
    sof = b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00"
    counts = b"\x01" + b"\x00" * 15
    dht_dc = b"\xff\xc4\x00\x14\x00" + counts + b"\x00"     # category 0: DC difference 0
    dht_ac = b"\xff\xc4\x00\x14\x10" + counts + b"\x00"     # EOB
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    scan = b"\x3f"                                          # bits 0 (DC) 0 (EOB), padded with ones
    return soi + dqt + sof + dht_dc + dht_ac + sos + scan + eoi


def image_size(data):
    """(width, height) from a PNG IHDR or a JPEG frame header."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return struct.unpack(">II", data[16:24])
    assert data[:2] == b"\xff\xd8", data[:16]
    at = 2
    while at < len(data):
        assert data[at] == 0xFF
        marker = data[at + 1]
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[at + 5:at + 9])
            return w, h
        at += 2 + length
    raise AssertionError("no JPEG frame header")


def new_case(api, who="citizen", channel="app"):
    body = {"title": unique("附件测试"), "description": "路面坑洼，附照片", "channel": channel}
    if who != "citizen":
        body["citizen"] = {"name": "市民丙", "phone": "13900003333"}
    r = api.post(who, "/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def upload(api, who, case_id, data, content_type="image/png"):
    return api.post(who, f"/api/v1/cases/{case_id}/attachments", data=data,
                    headers={"Content-Type": content_type})


@pytest.fixture(scope="module")
def photo():
    return png(64, 48)


def test_upload_and_get_back_byte_identical(gl, photo):
    case = new_case(gl)
    r = upload(gl, "citizen", case["id"], photo)
    assert r.status_code == 201, r.text
    a = r.json()
    sha = hashlib.sha256(photo).hexdigest()
    assert a == {"id": a["id"], "sha256": sha, "mime": "image/png", "size": len(photo), "width": 64, "height": 48,
                 "url": f"/api/v1/attachments/{a['id']}", "thumbnail_url": f"/api/v1/attachments/{a['id']}/thumbnail"}
    assert r.headers["Location"] == a["url"]
    got = gl.get("citizen", a["url"])
    assert got.status_code == 200
    assert got.content == photo
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["ETag"] == f'"{sha}"'
    cc = got.headers["Cache-Control"]
    assert "private" in cc and "no-store" in cc, cc  # a case's photo is personal (issue 11)
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    # The browser's revalidation costs nothing.
    again = gl.get("citizen", a["url"], headers={"If-None-Match": got.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    # Staff who see the case see its photos too.
    assert gl.get("operator", a["url"]).content == photo


def test_thumbnail_is_a_smaller_jpeg(gl):
    big = png(800, 400)
    case = new_case(gl)
    a = upload(gl, "citizen", case["id"], big).json()
    t = gl.get("citizen", a["thumbnail_url"])
    assert t.status_code == 200, t.text
    assert t.headers["Content-Type"] == "image/jpeg"
    assert t.content[:3] == b"\xff\xd8\xff" and t.content[-2:] == b"\xff\xd9"
    assert image_size(t.content) == (320, 160)
    assert t.headers["ETag"] == f'"{a["sha256"]}-thumb"'
    # Small images keep their size.
    small = upload(gl, "citizen", case["id"], png(40, 30)).json()
    assert image_size(gl.get("citizen", small["thumbnail_url"]).content) == (40, 30)


def test_type_comes_from_the_bytes(gl):
    case = new_case(gl)
    jpeg = jpeg_grey8()
    for declared in ("image/png", "application/octet-stream"):
        r = upload(gl, "citizen", case["id"], jpeg, declared)
        assert r.status_code in (200, 201), r.text
        a = r.json()
        assert (a["mime"], a["width"], a["height"]) == ("image/jpeg", 8, 8)
    got = gl.get("citizen", a["url"])
    assert got.content == jpeg and got.headers["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize("body,content_type", [
    (b"this is plain text, not a photo", "image/png"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "image/jpeg"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"),
    (b"BM6\x00\x00\x00\x00\x00\x00\x006\x00\x00\x00(\x00", "image/bmp"),
], ids=["text", "pdf", "svg", "bmp"])
def test_wrong_type_is_415(gl, body, content_type):
    case = new_case(gl)
    e = assert_error(upload(gl, "citizen", case["id"], body, content_type), 415, "unsupported_media_type")
    assert "judged by its content" in e["message"], e


def test_declared_type_must_be_an_upload_type(gl, photo):
    case = new_case(gl)
    assert_error(upload(gl, "citizen", case["id"], photo, "text/plain"), 415, "unsupported_media_type")
    assert_error(gl.post("citizen", f"/api/v1/cases/{case['id']}/attachments", json={"file": "x"}), 415,
                 "unsupported_media_type")


def test_damaged_images_are_400(gl, photo):
    case = new_case(gl)
    header_on_garbage = photo[:33] + b"garbage" * 20
    e = assert_error(upload(gl, "citizen", case["id"], header_on_garbage), 400, "bad_request")
    assert "does not decode" in e["message"], e
    assert_error(upload(gl, "citizen", case["id"], photo[:12]), 400, "bad_request")
    jpeg = jpeg_grey8()
    e = assert_error(upload(gl, "citizen", case["id"], jpeg[:-2], "image/jpeg"), 400, "bad_request")
    assert "truncated" in e["message"], e
    assert_error(upload(gl, "citizen", case["id"], b""), 400, "bad_request")
    assert gl.get("citizen", f"/api/v1/cases/{case['id']}").json()["attachments"] == []


def test_decompression_bomb_is_413_before_decoding(gl):
    case = new_case(gl)
    bomb = png(1, 1)
    bomb = bomb[:16] + struct.pack(">II", 100000, 100000) + bomb[24:]
    e = assert_error(upload(gl, "citizen", case["id"], bomb), 413, "payload_too_large")
    assert "100000x100000" in e["message"], e


def test_too_large_is_413(server_factory):
    api = server_factory(args=["--max-upload-bytes", "4096"])
    case = new_case(api)
    big = png(40, 40, noise=True)
    assert len(big) > 4096
    e = assert_error(upload(api, "citizen", case["id"], big), 413, "payload_too_large")
    assert "4096" in e["message"], e
    r = upload(api, "citizen", case["id"], png(20, 20))
    assert r.status_code == 201, r.text


def test_another_users_case_is_403(gl, photo):
    hotline_case = new_case(gl, "operator", "hotline")
    e = assert_error(upload(gl, "citizen", hotline_case["id"], photo), 403, "forbidden")
    assert "outside your scope" in e["message"], e
    # The photo of the citizen's case is not for department staff who do not handle it.
    mine = new_case(gl)
    a = upload(gl, "citizen", mine["id"], photo).json()
    assert_error(gl.get("handler_qsjd", a["url"]), 403, "forbidden")
    assert_error(gl.get("handler_qsjd", a["thumbnail_url"]), 403, "forbidden")
    assert_error(gl.anon.get(gl.url(a["url"]), timeout=10), 401, "unauthorized")
    assert_error(gl.get("citizen", "/api/v1/attachments/99999999"), 404, "not_found")


def test_case_lists_attachments_and_timeline_records_them(gl, photo):
    case = new_case(gl)
    first = upload(gl, "citizen", case["id"], photo).json()
    second = upload(gl, "operator", case["id"], jpeg_grey8(), "image/jpeg").json()
    c = gl.get("operator", f"/api/v1/cases/{case['id']}").json()
    assert [x["id"] for x in c["attachments"]] == [first["id"], second["id"]]
    assert c["attachments"][0] == {**first, "stage": "before"}
    events = [e for e in c["timeline"] if e["action"] == "attach"]
    assert [e["payload"]["sha256"] for e in events] == [first["sha256"], second["sha256"]]
    assert events[1]["role"] == "operator" and events[0]["to"] == c["state"]
    # The reporter sees both photos, but on the timeline only their own step (no staff identity).
    mine = gl.get("citizen", f"/api/v1/cases/{case['id']}").json()
    assert mine["attachments"] == c["attachments"]
    assert [e["payload"]["sha256"] for e in mine["timeline"] if e["action"] == "attach"] == [first["sha256"]]
    # A photo changes no decision: the version the citizen saw still acts.
    assert c["version"] == case["version"]
    audit = gl.get("admin", "/api/v1/audit?limit=20").json()["items"]
    assert any(x["action"] == "case.attach" and x["target"] == f"case/{case['id']}" for x in audit), audit[:3]


def test_photos_say_before_or_after_the_work(gl, demo, photo):
    # 处置前 / 处置后: the state the case was in when a photo was attached decides; the citizen,
    # who does not see the department's attach step on the timeline, sees the stage too.
    case = new_case(gl)
    before = upload(gl, "citizen", case["id"], photo).json()
    r = gl.post("dispatcher", f"/api/v1/cases/{case['id']}/actions",
                json={"action": "dispatch", "version": case["version"], "department": demo["CGJ"]})
    assert r.status_code == 200, r.text
    r = gl.post("handler_cgj", f"/api/v1/cases/{case['id']}/actions", json={"action": "sign", "version": r.json()["version"]})
    assert r.status_code == 200, r.text
    after = upload(gl, "handler_cgj", case["id"], png(32, 24)).json()
    for who in ("handler_cgj", "citizen", "operator"):
        c = gl.get(who, f"/api/v1/cases/{case['id']}").json()
        assert [(a["id"], a["stage"]) for a in c["attachments"]] == [(before["id"], "before"), (after["id"], "after")], who


def test_case_read_before_and_after_upload_shows_it(gl, photo):
    # The server keeps a read case serialised; an attachment does not bump the version, yet
    # the next read must carry it (and its timeline event).
    case = new_case(gl)
    before = gl.get("citizen", f"/api/v1/cases/{case['id']}").json()
    assert before["attachments"] == [] and before == gl.get("citizen", f"/api/v1/cases/{case['id']}").json()
    a = upload(gl, "citizen", case["id"], png(40, 30)).json()
    after = gl.get("citizen", f"/api/v1/cases/{case['id']}").json()
    assert [x["id"] for x in after["attachments"]] == [a["id"]]
    assert len(after["timeline"]) == len(before["timeline"]) + 1 and after["timeline"][-1]["action"] == "attach"
    assert after["version"] == before["version"]
    # Per-viewer members are the viewer's own even when the case was just read by another.
    staff = gl.get("operator", f"/api/v1/cases/{case['id']}").json()
    mine = gl.get("citizen", f"/api/v1/cases/{case['id']}").json()
    assert "suggested" not in mine and "check_code" in mine
    assert staff["attachments"] == mine["attachments"]
    # Staff-only events (triage's suggestion, a repeat-complaint link) are not the citizen's.
    assert [e["id"] for e in mine["timeline"]] == [e["id"] for e in staff["timeline"]
                                                   if e["action"] not in ("triage", "repeat")]


def test_a_listed_photo_can_be_fetched_at_once(gl):
    """Whoever sees an attachment on a case can fetch its file and thumbnail at that moment.
    The files used to be renamed into place after the commit, so a case read in between
    listed a photo whose file answered an error (seen once as a flaky Open311 test). Every read
    also lists as many 'attach' events as photos: the case, its timeline and its attachments are
    read by separate statements, and one read showed a photo without its event (seen once under
    ASan on PostgreSQL)."""
    case = new_case(gl)
    owner = gl.fresh("citizen")
    photos = [png(20 + i, 15, noise=True) for i in range(20)]  # attach_max_per_case
    failed = []

    def add_all():
        for data in photos:
            r = owner.post(gl.url(f"/api/v1/cases/{case['id']}/attachments"), data=data,
                           headers={"Content-Type": "image/png"}, timeout=30)
            if r.status_code != 201:
                failed.append(r.text)

    uploader = threading.Thread(target=add_all)
    uploader.start()
    fetched = {}
    try:
        while len(fetched) < len(photos):
            finished = not uploader.is_alive()  # then this read is the last one needed
            read = gl.get("operator", f"/api/v1/cases/{case['id']}").json()
            events = [e for e in read["timeline"] if e["action"] == "attach"]
            assert len(events) == len(read["attachments"]), (len(events), len(read["attachments"]))
            for a in read["attachments"]:
                if a["id"] in fetched:
                    continue
                got, thumb = gl.get("operator", a["url"]), gl.get("operator", a["thumbnail_url"])
                assert got.status_code == 200 and thumb.status_code == 200, (got.text, thumb.text)
                fetched[a["id"]] = got.content
            if finished:
                break
    finally:
        uploader.join()
    assert not failed, failed
    assert sorted(fetched.values()) == sorted(photos)


def test_same_content_is_stored_once(gl, photo):
    content = png(33, 17)
    one, two = new_case(gl), new_case(gl)
    a = upload(gl, "citizen", one["id"], content)
    assert a.status_code == 201
    # A retried upload answers 200 with the same attachment and adds no event.
    again = upload(gl, "citizen", one["id"], content)
    assert again.status_code == 200 and again.json() == a.json()
    c = gl.get("citizen", f"/api/v1/cases/{one['id']}").json()
    assert len(c["attachments"]) == 1
    assert len([e for e in c["timeline"] if e["action"] == "attach"]) == 1
    # The same photo on another case: a new link to the same stored file.
    b = upload(gl, "citizen", two["id"], content)
    assert b.status_code == 201 and b.json()["id"] == a.json()["id"]
    # On disk: <db>.files/ab/cd/<sha256> and its thumbnail, once.
    sha = a.json()["sha256"]
    path = os.path.join(sidecar(gl.server.db, ".files"), sha[:2], sha[2:4], sha)
    with open(path, "rb") as f:
        assert f.read() == content
    assert os.path.getsize(path + ".thumb.jpg") > 0
    assert not [n for n in os.listdir(os.path.dirname(path)) if ".tmp." in n]


def test_multipart_upload(gl, photo):
    case = new_case(gl)
    r = gl.post("citizen", f"/api/v1/cases/{case['id']}/attachments",
                files={"file": ("IMG_0001.png", photo, "image/jpeg")}, data={"note": "门口"})
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["mime"] == "image/png" and a["sha256"] == hashlib.sha256(photo).hexdigest()
    assert gl.get("citizen", a["url"]).content == photo
    two = gl.post("citizen", f"/api/v1/cases/{case['id']}/attachments",
                  files=[("a", ("a.png", photo, "image/png")), ("b", ("b.png", photo, "image/png"))])
    e = assert_error(two, 400, "bad_request")
    assert "one file" in e["message"], e
    bad = gl.post("citizen", f"/api/v1/cases/{case['id']}/attachments", data=b"--x\r\n",
                  headers={"Content-Type": "multipart/form-data"})
    assert_error(bad, 400, "bad_request")


def test_count_limit_per_case(server_factory):
    api = server_factory(args=["--attach-max-per-case", "2"])
    case = new_case(api)
    for w in (10, 11):
        assert upload(api, "citizen", case["id"], png(w, 10)).status_code == 201
    e = assert_error(upload(api, "citizen", case["id"], png(12, 10)), 409, "conflict")
    assert "2 attachments" in e["message"], e
    # The same content again is still fine: nothing new is attached.
    assert upload(api, "citizen", case["id"], png(10, 10)).status_code == 200


def test_attach_dir_setting(server_factory, tmp_path):
    files = tmp_path / "photos"
    api = server_factory(args=["--attach-dir", str(files)])
    case = new_case(api)
    a = upload(api, "citizen", case["id"], png(9, 9)).json()
    sha = a["sha256"]
    assert (files / sha[:2] / sha[2:4] / sha).is_file()
    assert (files / sha[:2] / sha[2:4] / (sha + ".thumb.jpg")).is_file()


def test_finished_case_takes_no_attachments(gl, photo):
    case = new_case(gl, "operator", "hotline")
    r = gl.post("dispatcher", f"/api/v1/cases/{case['id']}/actions",
                json={"action": "cancel", "version": case["version"], "reason": "重复来电"})
    assert r.status_code == 200, r.text
    e = assert_error(upload(gl, "operator", case["id"], photo), 409, "conflict")
    assert "no longer" in e["message"], e
