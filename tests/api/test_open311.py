"""Open311 GeoReport v2 + FixMyStreet updates (docs/open311.md), against the real server.

XML bodies are parsed with lxml (libxml2): well-formedness, the declaration, and the element
order of every record are checked against the specification's; JSON follows the spec's
mapping (top-level arrays, no wrapper). The round trip goes POST (form, XML reply) → case in
gridloop → department dispatch/sign/reply → GET shows the change and the update.
"""
import datetime
import os
import shutil
import time

import pytest
import requests
from lxml import etree

from conftest import assert_error, copy_db, new_db, run_cli, unique

KEY = "demo-open311-key-lanxi"
XML = "text/xml"
JSON = "application/json"
DECL = b'<?xml version="1.0" encoding="utf-8"?>'
FORM = "application/x-www-form-urlencoded; charset=utf-8"

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description"]
UPDATE_FIELDS = ["update_id", "service_request_id", "status", "updated_datetime", "description", "media_url"]
W3C = "%Y-%m-%dT%H:%M:%S%z"


def xml_of(r, status=200):
    assert r.status_code == status, f"{r.status_code}: {r.text[:500]}"
    assert r.headers["Content-Type"] == XML, r.headers
    assert r.content.startswith(DECL), r.content[:80]
    return etree.fromstring(r.content)


def json_of(r, status=200):
    assert r.status_code == status, f"{r.status_code}: {r.text[:500]}"
    assert r.headers["Content-Type"] == JSON, r.headers
    return r.json()


def children(el):
    return [c.tag for c in el]


def xml_error(r, status, contains=None):
    root = xml_of(r, status)
    assert root.tag == "errors" and children(root) == ["error"], etree.tostring(root)
    err = root[0]
    assert children(err) == ["code", "description"]
    assert err.findtext("code") == str(status)
    if contains:
        assert contains in err.findtext("description"), err.findtext("description")
    return err.findtext("description")


def json_error(r, status, contains=None):
    body = json_of(r, status)
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}, body
    assert body[0]["code"] == status
    if contains:
        assert contains in body[0]["description"], body
    return body[0]["description"]


def w3c(s):
    """A W3C datetime with its zone, as the spec requires."""
    assert s and (s.endswith("Z") or s[-6] in "+-"), s
    return datetime.datetime.strptime(s.replace("Z", "+0000"), W3C)


def o311(gl, path):
    return gl.url("/open311/v2/" + path)


def post_request(gl, fmt="xml", **fields):
    form = {"api_key": KEY, "service_code": "010101", "lat": "30.2", "long": "120.1",
            "description": "路边有暴露垃圾"}
    form.update(fields)
    form = {k: v for k, v in form.items() if v is not None}
    return requests.post(o311(gl, f"requests.{fmt}"), data=form, timeout=30)


def created_id(r):
    root = xml_of(r)
    assert root.tag == "service_requests" and children(root) == ["request"]
    req = root[0]
    assert children(req)[:2] == ["service_request_id", "service_notice"], children(req)
    return req.findtext("service_request_id")


def case_by_number(gl, number):
    items = gl.items("admin", "/api/v1/cases", params={"channel": "open311", "limit": 200})
    found = [c for c in items if c["number"] == number]
    assert found, f"case {number} not in gridloop"
    return gl.get("admin", f"/api/v1/cases/{found[0]['id']}").json()


def act(gl, who, case, action, **fields):
    r = gl.post(who, f"/api/v1/cases/{case['id']}/actions", json={"action": action, "version": case["version"], **fields})
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------- discovery and services

def test_discovery_both_formats(gl):
    root = xml_of(requests.get(gl.url("/open311/discovery.xml"), timeout=10))
    assert root.tag == "discovery"
    assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
    ep = root.find("endpoints/endpoint")
    assert children(ep) == ["specification", "url", "changeset", "type", "formats"]
    assert ep.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert ep.findtext("url").endswith("/open311/v2") and ep.findtext("type") == "production"
    assert [f.text for f in ep.find("formats")] == ["text/xml", "application/json"]
    w3c(root.findtext("changeset"))
    js = json_of(requests.get(gl.url("/open311/discovery.json"), timeout=10))
    assert set(js) == {"changeset", "contact", "key_service", "endpoints"}
    assert js["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert js["endpoints"][0]["url"] == ep.findtext("url")


def test_services_list_xml_and_json_agree(gl):
    root = xml_of(requests.get(o311(gl, "services.xml"), timeout=10))
    assert root.tag == "services" and len(root) > 100
    for s in root:
        assert s.tag == "service" and children(s) == SERVICE_FIELDS, children(s)
        assert s.findtext("type") == "realtime" and s.findtext("metadata") in ("true", "false")
    js = json_of(requests.get(o311(gl, "services.json"), timeout=10))
    assert isinstance(js, list) and [s["service_code"] for s in js] == [s.findtext("service_code") for s in root]
    by = {s["service_code"]: s for s in js}
    # Leaf categories only; the demo gives two of them attributes.
    assert "01" not in by and "0101" not in by
    assert by["020201"]["metadata"] is True and by["010101"]["metadata"] is False
    assert by["020201"]["group"] == "市政设施" and by["020201"]["service_name"] == "井盖缺失"
    assert "," in by["020201"]["keywords"] and " " not in by["020201"]["keywords"]


def test_service_definition(gl):
    root = xml_of(requests.get(o311(gl, "services/020201.xml"), timeout=10))
    assert root.tag == "service_definition" and children(root) == ["service_code", "attributes"]
    attrs = root.find("attributes")
    assert [a.findtext("code") for a in attrs] == ["NOTICE", "KIND", "HAZARD", "COUNT", "LANDMARK"]
    for a in attrs:
        want = ATTRIBUTE_FIELDS + (["values"] if a.findtext("datatype").endswith("valuelist") else [])
        assert children(a) == want, children(a)
    # Never an empty element (strict clients fail on one): the attribute's own description, or
    # its datatype's (was: empty when the admin gave none).
    assert all(a.findtext("datatype_description") for a in attrs)
    assert attrs[3].findtext("datatype_description") == "数字"
    kind = attrs[1]
    assert kind.findtext("required") == "true" and kind.findtext("datatype") == "singlevaluelist"
    assert [(v.findtext("key"), v.findtext("name")) for v in kind.find("values")][0] == ("lid", "井盖")
    js = json_of(requests.get(o311(gl, "services/020201.json"), timeout=10))
    assert js["service_code"] == "020201" and [a["order"] for a in js["attributes"]] == [1, 2, 3, 4, 5]
    assert js["attributes"][2]["values"][1] == {"key": "loose", "name": "松动"}
    assert {a["datatype"] for a in js["attributes"]} == {"text", "singlevaluelist", "multivaluelist", "number", "string"}
    assert js["attributes"][0]["variable"] is False
    assert all(a["datatype_description"] for a in js["attributes"])


def test_not_found_errors_in_both_formats(gl):
    xml_error(requests.get(o311(gl, "services/999999.xml"), timeout=10), 404, "999999")
    json_error(requests.get(o311(gl, "services/999999.json"), timeout=10), 404, "service_code")
    json_error(requests.get(o311(gl, "requests/20000101-999999.json"), timeout=10), 404)
    xml_error(requests.get(o311(gl, "tokens/nope.xml"), timeout=10), 404)
    xml_error(requests.get(o311(gl, "nothing.xml"), timeout=10), 404)
    # Unknown format suffix: 404 (the body falls back to XML, the mandatory format).
    xml_error(requests.get(o311(gl, "services.csv"), timeout=10), 404, ".xml or .json")
    xml_error(requests.get(o311(gl, "services.xml"), params={"jurisdiction_id": "elsewhere.example"}, timeout=10),
              404, "jurisdiction_id")
    assert requests.get(o311(gl, "services.json"), params={"jurisdiction_id": "gridloop.example"},
                        timeout=10).status_code == 200
    r = requests.post(o311(gl, "services.json"), data={"api_key": KEY}, timeout=10)
    json_error(r, 405)
    assert r.headers["Allow"] == "GET, HEAD"
    # Only requests and servicerequestupdates take a POST (the route table says so).
    r = requests.post(o311(gl, "nothing.xml"), data={"api_key": KEY}, timeout=10)
    xml_error(r, 405)
    assert r.headers["Allow"] == "GET, HEAD"
    r = requests.put(o311(gl, "requests.json"), data={"api_key": KEY}, timeout=10)
    json_error(r, 405)
    assert r.headers["Allow"] == "GET, HEAD, POST"
    xml_error(requests.post(o311(gl, "requests.csv"), data={"api_key": KEY}, timeout=10), 404, ".xml or .json")
    # No route at all under /open311/: still the Open311 format.
    json_error(requests.get(gl.url("/open311/v3/services.json"), timeout=10), 404)


# ---------------------------------------------------------------- POST: keys and validation

def test_post_requires_a_valid_key(gl):
    xml_error(post_request(gl, api_key=None), 403, "api_key")
    xml_error(post_request(gl, api_key=""), 403, "api_key")
    json_error(post_request(gl, "json", api_key="not-a-key"), 403, "api_key")


def test_post_parameter_errors(gl):
    cases = [
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "999999"}, 404, "service_code"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"long": None}, 400, "lat and long"),
        ({"lat": "91"}, 400, "lat"),
        ({"lat": "north"}, 400, "lat"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"phone": "call me"}, 400, "phone"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"description": "长" * 4001}, 400, "description"),
        ({"jurisdiction_id": "elsewhere.example"}, 404, "jurisdiction_id"),
        ({"service_code": "020201", "attribute[KIND]": None}, 400, "KIND"),
        ({"service_code": "020201", "attribute[KIND]": "manhole"}, 400, "KIND"),
        ({"service_code": "020201", "attribute[KIND]": "lid", "attribute[COUNT]": "three"}, 400, "COUNT"),
        ({"service_code": "020201", "attribute[KIND]": "lid", "attribute[HAZARD][]": "fire"}, 400, "HAZARD"),
        ({"service_code": "020201", "attribute[KIND]": "lid", "attribute[NOTICE]": "x"}, 400, "NOTICE"),
        ({"service_code": "010102", "attribute[FACILITY]": "bin", "attribute[SINCE]": "yesterday"}, 400, "SINCE"),
    ]
    before = len(gl.items("admin", "/api/v1/cases", params={"channel": "open311", "limit": 200}))
    for fields, status, contains in cases:
        json_error(post_request(gl, "json", **fields), status, contains)
    # Two values for a single-value list (a repeated key in the form).
    body = f"api_key={KEY}&service_code=020201&lat=30.2&long=120.1&attribute[KIND]=lid&attribute[KIND]=grate"
    r = requests.post(o311(gl, "requests.json"), data=body, headers={"Content-Type": FORM}, timeout=10)
    json_error(r, 400, "one value")
    # Not a form.
    r = requests.post(o311(gl, "requests.xml"), json={"api_key": KEY}, timeout=10)
    xml_error(r, 400, "x-www-form-urlencoded")
    after = len(gl.items("admin", "/api/v1/cases", params={"channel": "open311", "limit": 200}))
    assert after == before, "a refused POST creates no case"


def test_form_encoding_edge_cases(gl):
    # Percent-encoded UTF-8 Chinese, '+' as space, %2B as a literal plus, repeated multivalue
    # attributes, an unknown attribute kept as text.
    body = ("api_key=" + KEY + "&service_code=020201&lat=30.2&long=120.1"
            "&description=%E4%BA%95%E7%9B%96%E4%B8%A2%E5%A4%B1+a%2Bb"
            "&address_string=%E9%9D%92%E7%9F%B3%E8%A1%97+1%E5%8F%B7"
            "&attribute%5BKIND%5D=grate&attribute[HAZARD][]=hole&attribute%5BHAZARD%5D%5B%5D=sunk"
            "&attribute[fixmystreet_id]=4242&attribute[COUNT]=2.5")
    r = requests.post(o311(gl, "requests.json"), data=body.encode(), headers={"Content-Type": FORM}, timeout=10)
    js = json_of(r)
    number = js[0]["service_request_id"]
    got = json_of(requests.get(o311(gl, f"requests/{number}.json"), timeout=10))[0]
    assert got["description"] == "井盖丢失 a+b" and got["address"] == "青石街 1号"
    case = case_by_number(gl, number)
    assert case["channel"] == "open311" and case["title"] == "井盖丢失 a+b"
    # Malformed encodings are refused with the spec's error body.
    for bad in ("api_key=" + KEY + "&description=%zz", "api_key=" + KEY + "&description=%C3%28", "api_key=%00"):
        r = requests.post(o311(gl, "requests.xml"), data=bad, headers={"Content-Type": FORM}, timeout=10)
        xml_error(r, 400, "percent-encoded")


def case_with_attachments(gl, number, n, timeout=15):
    """The case once it carries n attachments: Open311 photos are decoded and attached off the
    HTTP threads after the report is answered (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        case = case_by_number(gl, number)
        if len(case["attachments"]) >= n or time.monotonic() > deadline:
            return case
        time.sleep(0.1)


def test_multipart_post_keeps_the_photo(gl):
    """Clients that upload the photo (FixMyStreet among them) post multipart/form-data: the fields
    as form fields, the photo as a file part. The report is accepted and the photo becomes an
    attachment of the case (was: refused whole, 400)."""
    from test_attachments import png
    tag = unique("mp")
    fields = [("api_key", KEY), ("service_code", "020201"), ("lat", "30.2"), ("long", "120.1"),
              ("description", f"井盖缺失，附照片 {tag}"), ("attribute[KIND]", "lid"),
              ("attribute[HAZARD][]", "hole"), ("attribute[HAZARD][]", "sunk"), ("first_name", "Wei")]
    photo = png(61, 47, noise=True)  # its own bytes: attachments are shared by content
    r = requests.post(o311(gl, "requests.xml"), data=fields, files={"media": ("photo.png", photo, "image/png")},
                      timeout=30)
    assert r.request.headers["Content-Type"].startswith("multipart/form-data")
    number = created_id(r)
    case = case_with_attachments(gl, number, 1)
    assert case["description"] == f"井盖缺失，附照片 {tag}" and case["channel"] == "open311"
    assert len(case["attachments"]) == 1, case["attachments"]
    att = case["attachments"][0]
    assert (att["mime"], att["width"], att["height"], att["size"]) == ("image/png", 61, 47, len(photo))
    assert gl.get("admin", att["url"]).content == photo
    assert [e["action"] for e in case["timeline"]][:1] == ["create"] and "attach" in [e["action"] for e in case["timeline"]]
    assert case["timeline"][-1]["actor"] == "open311.demo-fixmystreet"
    origin = gl.get("dispatcher", f"/api/v1/cases/{case['id']}/open311").json()
    assert origin["attributes"] == [{"code": "KIND", "value": "lid"}, {"code": "HAZARD", "value": "hole"},
                                    {"code": "HAZARD", "value": "sunk"}]

    # JSON answers too; a photo larger than the body limit of a plain form is within the upload
    # limit that applies to multipart bodies.
    big = png(800, 700, noise=True)
    assert len(big) > 1048576
    r = requests.post(o311(gl, "requests.json"), data=fields, files={"photo1": ("big.png", big, "image/png")},
                      timeout=60)
    number = json_of(r)[0]["service_request_id"]
    assert [a["size"] for a in case_with_attachments(gl, number, 1)["attachments"]] == [len(big)]

    # A file that is not an image the server takes does not cost the citizen the report.
    r = requests.post(o311(gl, "requests.json"), data=fields, files={"media": ("x.txt", b"not a photo", "text/plain")},
                      timeout=30)
    number = json_of(r)[0]["service_request_id"]
    assert case_by_number(gl, number)["attachments"] == []

    # The form's rules are the same as URL-encoded: the key, the attributes, the errors.
    r = requests.post(o311(gl, "requests.xml"), data=[f for f in fields if f[0] != "api_key"],
                      files={"media": ("photo.png", photo, "image/png")}, timeout=30)
    xml_error(r, 403, "api_key")
    r = requests.post(o311(gl, "requests.json"), data=[f for f in fields if f[0] != "attribute[KIND]"],
                      files={"media": ("photo.png", photo, "image/png")}, timeout=30)
    json_error(r, 400, "KIND")
    body = b"--q\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\n" + KEY.encode() + b"\r\n--q"
    r = requests.post(o311(gl, "requests.xml"), data=body, headers={"Content-Type": "multipart/form-data; boundary=q"},
                      timeout=10)
    xml_error(r, 400, "multipart")


# ---------------------------------------------------------------- the round trip

def test_round_trip_post_dispatch_reply_and_updates(gl, demo):
    tag = unique("o")
    form = {"first_name": "Wei" + tag, "last_name": "Li", "email": f"{tag}@example.com", "phone": "13912345678",
            "service_code": "020201", "attribute[KIND]": "lid", "attribute[HAZARD][]": ["hole", "sunk"],
            "attribute[COUNT]": "1", "description": f"学府路井盖缺失 {tag}，回电 13912345678", "address_string": "学府路 8 号",
            "media_url": "https://img.example.com/a.jpg", "account_id": "acct-7", "device_id": "dev-1"}
    r = post_request(gl, **form)
    number = created_id(r)
    assert xml_of(r).findtext("request/account_id") == "acct-7"
    token = r.headers["Open311-Token"]
    assert len(token) == 43

    # The case exists in gridloop, created through the one intake path by the client's account.
    case = case_by_number(gl, number)
    assert case["channel"] == "open311" and case["category"] == "井盖缺失" and case["state"] == "new"
    assert case["citizen"]["name"] == f"Wei{tag} Li" and case["address"] == "学府路 8 号"
    assert case["timeline"][0]["action"] == "create" and case["timeline"][0]["actor"] == "open311.demo-fixmystreet"
    # Staff see what the client posted beyond the case: the answers, in the order posted.
    origin = gl.get("dispatcher", f"/api/v1/cases/{case['id']}/open311").json()
    assert origin["client"] == "demo-fixmystreet" and origin["service_code"] == "020201"
    assert origin["attributes"] == [{"code": "KIND", "value": "lid"}, {"code": "HAZARD", "value": "hole"},
                                    {"code": "HAZARD", "value": "sunk"}, {"code": "COUNT", "value": "1"}]
    assert origin["account_id"] == "acct-7" and "email" not in origin
    assert gl.get("citizen", f"/api/v1/cases/{case['id']}/open311").status_code == 403

    # The token leads to the id.
    root = xml_of(requests.get(o311(gl, f"tokens/{token}.xml"), timeout=10))
    assert root.findtext("request/service_request_id") == number and root.findtext("request/token") == token

    # GET: open, no department yet, no personal data anywhere.
    root = xml_of(requests.get(o311(gl, f"requests/{number}.xml"), timeout=10))
    assert root.tag == "service_requests" and len(root) == 1
    req = root[0]
    assert children(req) == REQUEST_FIELDS, children(req)
    assert req.findtext("status") == "open" and req.findtext("service_code") == "020201"
    # A number typed into the description is masked on the way out.
    assert req.findtext("description") == f"学府路井盖缺失 {tag}，回电 139****5678"
    assert req.findtext("media_url") == "https://img.example.com/a.jpg"
    assert float(req.findtext("lat")) == pytest.approx(30.2) and float(req.findtext("long")) == pytest.approx(120.1)
    w3c(req.findtext("requested_datetime"))
    for url in (f"requests/{number}.xml", f"requests/{number}.json", "requests.xml", "requests.json",
                "servicerequestupdates.json"):
        text = requests.get(o311(gl, url), timeout=10).text
        for secret in ("Wei" + tag, f"{tag}@example.com", "13912345678", "acct-7", "dev-1"):
            assert secret not in text, f"{secret} leaked through {url}"

    # The department works the case: dispatch, sign, reply.
    case = act(gl, "dispatcher", case, "dispatch", department=demo["CGJ"], instruction="请核实")
    case = act(gl, "handler_cgj", case, "sign")
    js = json_of(requests.get(o311(gl, f"requests/{number}.json"), params={"extensions": "true"}, timeout=10))[0]
    assert js["status"] == "open" and js["agency_responsible"] == "区城市管理局"
    assert js["extended_attributes"] == {"extended_status": "in_progress"}
    assert w3c(js["expected_datetime"]) > w3c(js["requested_datetime"])
    case = act(gl, "handler_cgj", case, "reply", result=f"已补装井盖 {tag}", contacted=True, solved=True)

    root = xml_of(requests.get(o311(gl, f"requests/{number}.xml"), params={"extensions": "true"}, timeout=10))
    req = root[0]
    assert children(req) == REQUEST_FIELDS + ["extended_attributes"]
    assert req.findtext("status") == "closed" and req.findtext("status_notes") == f"已补装井盖 {tag}"
    assert req.findtext("extended_attributes/extended_status") == "fixed"
    assert w3c(req.findtext("updated_datetime")) >= w3c(req.findtext("requested_datetime"))

    # The FixMyStreet updates feed shows the steps, the reply with its text and status.
    root = xml_of(requests.get(o311(gl, "servicerequestupdates.xml"), timeout=10))
    assert root.tag == "service_request_updates"
    mine = [u for u in root if u.findtext("service_request_id") == number]
    for u in mine:
        assert u.tag == "request_update" and children(u) == UPDATE_FIELDS
    assert [u.findtext("status") for u in mine] == ["open", "investigating", "in_progress", "fixed"]
    assert mine[-1].findtext("description") == f"已补装井盖 {tag}"
    assert "请核实" not in etree.tostring(root, encoding="unicode"), "internal instructions stay internal"

    # A citizen update comes back as a comment on the timeline, once per update_id.
    update = {"api_key": KEY, "service_request_id": number, "update_id": f"fms-{tag}", "status": "OPEN",
              "updated_datetime": "2026-12-02T09:00:00+08:00", "description": f"井盖装好了，谢谢 {tag}"}
    r = requests.post(o311(gl, "servicerequestupdates.xml"), data=update, timeout=10)
    root = xml_of(r)
    assert root.tag == "service_request_updates" and children(root[0]) == ["update_id"]
    first_id = root.findtext("request_update/update_id")
    r2 = requests.post(o311(gl, "servicerequestupdates.json"), data=update, timeout=10)
    assert json_of(r2)[0]["update_id"] == first_id, "a retried update is not written twice"
    case = gl.get("admin", f"/api/v1/cases/{case['id']}").json()
    comments = [e for e in case["timeline"] if e["action"] == "comment"]
    assert len(comments) == 1 and comments[0]["note"] == f"井盖装好了，谢谢 {tag}"
    assert comments[0]["actor"] == "open311.demo-fixmystreet" and str(comments[0]["id"]) == first_id
    js = json_of(requests.get(o311(gl, "servicerequestupdates.json"), timeout=10))
    assert [u["description"] for u in js if u["service_request_id"] == number][-1] == f"井盖装好了，谢谢 {tag}"


def test_update_errors(gl):
    number = created_id(post_request(gl))
    base = {"api_key": KEY, "service_request_id": number, "update_id": unique("u"), "status": "OPEN",
            "updated_datetime": "2026-12-02T09:00:00Z", "description": "still there"}
    for drop in ("service_request_id", "update_id", "status", "updated_datetime", "description"):
        form = dict(base)
        del form[drop]
        json_error(requests.post(o311(gl, "servicerequestupdates.json"), data=form, timeout=10), 400, drop)
    for field, value, status in (("status", "MAYBE", 400), ("updated_datetime", "soon", 400),
                                 ("service_request_id", "20000101-000000", 404), ("api_key", "bad", 403)):
        json_error(requests.post(o311(gl, "servicerequestupdates.json"), data={**base, field: value}, timeout=10), status)
    # Another client may not comment on this client's request.
    other = gl.post("admin", "/api/v1/open311/clients", json={"name": unique("oc")}).json()["api_key"]
    json_error(requests.post(o311(gl, "servicerequestupdates.json"), data={**base, "api_key": other}, timeout=10), 403)
    # A finished case takes no more updates, and the refusal leaves nothing behind.
    case = case_by_number(gl, number)
    act(gl, "dispatcher", case, "cancel", reason="重复测试数据")
    xml_error(requests.post(o311(gl, "servicerequestupdates.xml"), data=base, timeout=10), 409)
    assert json_of(requests.get(o311(gl, f"requests/{number}.json"), params={"extensions": "true"},
                                timeout=10))[0]["extended_attributes"]["extended_status"] == "cancelled"
    assert not [e for e in gl.get("admin", f"/api/v1/cases/{case['id']}").json()["timeline"] if e["action"] == "comment"]


def updates_of(gl, number, **params):
    js = json_of(requests.get(o311(gl, "servicerequestupdates.json"), params=params, timeout=10))
    for u in js:
        assert list(u) == UPDATE_FIELDS, u
    return [u for u in js if u["service_request_id"] == number]


def test_updates_announce_hang_on_approval_only(gl, demo):
    """A department's 挂账 request is internal: a denied one was never announced; an approved one
    is published once, by the approval, with the suspended status (was: the request published as
    挂账, the approval not at all)."""
    number = created_id(post_request(gl, description="挂账测试 " + unique("h")))
    case = case_by_number(gl, number)
    case = act(gl, "dispatcher", case, "dispatch", department=demo["CGJ"])
    case = act(gl, "handler_cgj", case, "sign")
    case = act(gl, "handler_cgj", case, "hang", reason="需等待道路改造完成")
    case = act(gl, "supervisor", case, "deny", note="先按常规办理")
    mine = updates_of(gl, number)
    assert [u["status"] for u in mine] == ["open", "investigating", "in_progress"], mine
    assert not [u for u in mine if "挂账" in u["description"]], "a denied request is not announced"
    case = act(gl, "handler_cgj", case, "hang", reason="需等待道路改造完成")
    assert [u["status"] for u in updates_of(gl, number)] == ["open", "investigating", "in_progress"]
    case = act(gl, "supervisor", case, "approve")
    assert case["state"] == "hanging"
    mine = updates_of(gl, number)
    assert [u["status"] for u in mine] == ["open", "investigating", "in_progress", "planned"], mine
    approval = [e for e in case["timeline"] if e["action"] == "approve"][-1]
    assert mine[-1]["update_id"] == str(approval["id"]) and "挂账" in mine[-1]["description"]
    js = json_of(requests.get(o311(gl, f"requests/{number}.json"), params={"extensions": "true"}, timeout=10))[0]
    assert js["extended_attributes"]["extended_status"] == "planned" and js["status"] == "open"
    # An approved extension stays internal.
    case = act(gl, "handler_cgj", case, "resume")
    until = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)).isoformat()
    case = act(gl, "handler_cgj", case, "extend", reason="需协调", until=until)
    case = act(gl, "supervisor", case, "approve")
    assert [u["status"] for u in updates_of(gl, number)][-2:] == ["planned", "in_progress"]


def test_rectification_is_published_open(gl, demo):
    """An unsatisfied evaluation sends the case back to the department: clients see an open status
    they know (was: "reopen", which FixMyStreet ignores)."""
    number = created_id(post_request(gl, description="整改测试 " + unique("r")))
    case = case_by_number(gl, number)
    case = act(gl, "dispatcher", case, "dispatch", department=demo["CGJ"])
    case = act(gl, "handler_cgj", case, "sign")
    case = act(gl, "handler_cgj", case, "reply", result="已处理", contacted=True, solved=True)
    case = act(gl, "operator", case, "evaluate", satisfaction="unsatisfied", contacted=True, solved=False,
               comment="没有修好")
    assert case["state"] == "rectifying"
    statuses = [u["status"] for u in updates_of(gl, number)]
    assert statuses[:4] == ["open", "investigating", "in_progress", "fixed"] and "reopen" not in statuses
    assert statuses[4:] and set(statuses[4:]) == {"open"}, statuses
    js = json_of(requests.get(o311(gl, f"requests/{number}.json"), params={"extensions": "true"}, timeout=10))[0]
    assert js["status"] == "open" and js["extended_attributes"]["extended_status"] == "open"


def test_end_date_is_the_latest_datetime_to_include(gl):
    """The spec's end_date is "latest datetime to include" (was: excluded)."""
    number = created_id(post_request(gl))
    req = json_of(requests.get(o311(gl, f"requests/{number}.json"), timeout=10))[0]
    at = req["requested_datetime"]
    got = json_of(requests.get(o311(gl, "requests.json"), params={"start_date": at, "end_date": at}, timeout=10))
    assert number in [r["service_request_id"] for r in got]
    before = (w3c(at) - datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    got = json_of(requests.get(o311(gl, "requests.json"), params={"end_date": before}, timeout=10))
    assert number not in [r["service_request_id"] for r in got]
    created = updates_of(gl, number, start_date=at, end_date=at)
    assert [u["status"] for u in created] == ["open"]


# ---------------------------------------------------------------- GET filters

def test_get_requests_filters(gl):
    a = created_id(post_request(gl, service_code="010101"))
    b = created_id(post_request(gl, service_code="010103"))
    got = json_of(requests.get(o311(gl, "requests.json"), params={"service_request_id": f"{a}, {b}"}, timeout=10))
    assert sorted(r["service_request_id"] for r in got) == sorted([a, b])
    # service_request_id overrides the other filters.
    got = json_of(requests.get(o311(gl, "requests.json"), params={"service_request_id": a, "service_code": "010103",
                                                                   "status": "closed"}, timeout=10))
    assert [r["service_request_id"] for r in got] == [a]
    got = json_of(requests.get(o311(gl, "requests.json"), params={"service_code": "010103"}, timeout=10))
    assert b in [r["service_request_id"] for r in got] and all(r["service_code"] == "010103" for r in got)
    got = json_of(requests.get(o311(gl, "requests.json"), params={"service_code": "010101,010103", "status": "open"},
                               timeout=10))
    ids = [r["service_request_id"] for r in got]
    assert a in ids and b in ids and all(r["status"] == "open" for r in got)
    got = json_of(requests.get(o311(gl, "requests.json"), params={"status": "closed", "service_code": "010103"}, timeout=10))
    assert b not in [r["service_request_id"] for r in got]
    # Newest first, inside the default window.
    stamps = [w3c(r["requested_datetime"]) for r in json_of(requests.get(o311(gl, "requests.json"), timeout=10))]
    assert stamps == sorted(stamps, reverse=True) and len(stamps) <= 1000
    old = {"start_date": "2020-01-01T00:00:00Z", "end_date": "2020-02-01T00:00:00+08:00"}
    assert json_of(requests.get(o311(gl, "requests.json"), params=old, timeout=10)) == []
    root = xml_of(requests.get(o311(gl, "requests.xml"), params=old, timeout=10))
    assert root.tag == "service_requests" and len(root) == 0
    # The paging extension walks the same list.
    whole = [r["service_request_id"] for r in json_of(requests.get(o311(gl, "requests.json"), timeout=10))]
    pages = []
    for page in (1, 2, 3):
        pages += [r["service_request_id"] for r in
                  json_of(requests.get(o311(gl, "requests.json"), params={"page_size": 2, "page": page}, timeout=10))]
    assert pages == whole[:6]
    json_error(requests.get(o311(gl, "requests.json"), params={"page_size": 1001}, timeout=10), 400, "page_size")
    json_error(requests.get(o311(gl, "requests.json"), params={"page": 0}, timeout=10), 400, "page")
    # An empty parameter is an absent one.
    assert requests.get(o311(gl, "requests.json"), params={"status": "", "service_code": ""}, timeout=10).status_code == 200


@pytest.mark.parametrize("params,field", [
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2026-13-01T00:00:00Z"}, "end_date"),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
    ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "before"),
    ({"status": "pending"}, "status"),
])
def test_get_requests_bad_parameters(gl, params, field):
    xml_error(requests.get(o311(gl, "requests.xml"), params=params, timeout=10), 400, field)
    json_error(requests.get(o311(gl, "requests.json"), params=params, timeout=10), 400)


# ---------------------------------------------------------------- clients, keys, attributes

def test_admin_issues_rate_limits_and_revokes_keys(gl):
    name = unique("cl")
    r = gl.post("admin", "/api/v1/open311/clients", json={"name": name, "rate_limit": 2})
    assert r.status_code == 201, r.text
    client = r.json()
    key = client["api_key"]
    assert len(key) == 43 and client["active"] and client["user"] == f"open311.{name}"
    listed = [c for c in gl.items("admin", "/api/v1/open311/clients") if c["name"] == name]
    assert listed and "api_key" not in listed[0], "the key is shown once"
    assert gl.get("dispatcher", "/api/v1/open311/clients").status_code == 403
    assert_error(gl.post("admin", "/api/v1/open311/clients", json={"name": name}), 409)
    assert_error(gl.post("admin", "/api/v1/open311/clients", json={"name": "bad name!"}), 400, field="name")

    # The limit is a fixed window per minute: start well inside one.
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    created_id(post_request(gl, api_key=key))
    created_id(post_request(gl, api_key=key))
    r = post_request(gl, api_key=key)
    xml_error(r, 429, "limit")
    assert 1 <= int(r.headers["Retry-After"]) <= 60

    r = gl.delete("admin", f"/api/v1/open311/clients/{client['id']}")
    assert r.status_code == 200 and r.json()["active"] is False
    xml_error(post_request(gl, api_key=key), 403, "api_key")
    assert_error(gl.delete("admin", "/api/v1/open311/clients/999999"), 404)


def test_admin_defines_service_attributes(gl):
    cats = {c["code"]: c for c in gl.items("admin", "/api/v1/categories", params={"level": 3})}
    cat = cats["010104"]
    body = {"attributes": [
        {"code": "WHEN", "order": 1, "datatype": "datetime", "required": True, "description": "发现时间"},
        {"code": "KINDS", "order": 2, "datatype": "multivaluelist", "description": "垃圾种类",
         "values": [{"key": "build", "name": "建筑垃圾"}, {"key": "soil", "name": "渣土"}]},
    ]}
    assert gl.put("dispatcher", f"/api/v1/categories/{cat['id']}/attributes", json=body).status_code == 403
    r = gl.put("admin", f"/api/v1/categories/{cat['id']}/attributes", json=body)
    assert r.status_code == 200, r.text
    assert [a["code"] for a in r.json()["items"]] == ["WHEN", "KINDS"]
    js = json_of(requests.get(o311(gl, "services/010104.json"), timeout=10))
    assert [a["code"] for a in js["attributes"]] == ["WHEN", "KINDS"]
    assert {s["service_code"]: s for s in json_of(requests.get(o311(gl, "services.json"), timeout=10))}["010104"]["metadata"]
    json_error(post_request(gl, "json", service_code="010104"), 400, "WHEN")
    json_error(post_request(gl, "json", service_code="010104", **{"attribute[WHEN]": "2026-12-01"},
                            **{"attribute[KINDS][]": ["soil", "soil"]}), 400, "twice")
    json_of(post_request(gl, "json", service_code="010104", **{"attribute[WHEN]": "2026-12-01T08:00:00+08:00"},
                         **{"attribute[KINDS][]": ["soil", "build"]}))
    bad = {"attributes": [{"code": "A", "order": 1, "datatype": "colour", "description": "x"}]}
    assert_error(gl.put("admin", f"/api/v1/categories/{cat['id']}/attributes", json=bad), 400, field="datatype")
    bad = {"attributes": [{"code": "A", "order": 1, "datatype": "singlevaluelist", "description": "x"}]}
    assert_error(gl.put("admin", f"/api/v1/categories/{cat['id']}/attributes", json=bad), 400, field="values")
    assert gl.put("admin", f"/api/v1/categories/{cat['id']}/attributes", json={"attributes": []}).status_code == 200
    assert json_of(requests.get(o311(gl, "services/010104.json"), timeout=10))["attributes"] == []


def test_cli_issues_lists_and_revokes_keys(tmp_path, template_db):
    db = new_db(tmp_path, create=False)
    copy_db(template_db, db)  # with its data key
    p = run_cli("open311", "key", "add", "--db", db, "--name", "city-app", "--rate-limit", "30")
    assert p.returncode == 0, p.stderr
    key = p.stdout.strip().splitlines()[-1]
    assert len(key) == 43
    p = run_cli("open311", "key", "list", "--db", db)
    assert p.returncode == 0 and "city-app" in p.stdout and "demo-fixmystreet" in p.stdout and key not in p.stdout
    assert run_cli("open311", "key", "add", "--db", db, "--name", "city-app").returncode != 0
    p = run_cli("open311", "key", "revoke", "--db", db, "--name", "city-app")
    assert p.returncode == 0, p.stderr
    assert run_cli("open311", "key", "revoke", "--db", db, "--name", "nobody").returncode != 0
    v = run_cli("audit", "verify", "--db", db)
    assert v.returncode == 0 and "intact" in v.stdout
