"""The sensing network (issue 16, item 5; docs/warning.md section 5): the device registry and its
thresholds, readings over MQTT from a real mosquitto (started here on a random loopback port) and
over HTTP in batches, one case per device and condition while a breach lasts, the recovery noted
on it, a broker restart, and devices gone quiet raising warnings."""
import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import GENEROUS, Api, Broker, Server, assert_error, unique

TOPIC = "gridloop/devices/{}/readings"


def iso(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now():
    return datetime.now(timezone.utc).replace(microsecond=0)


def reading(value, at=None, metric="noise_db"):
    return json.dumps({"time": iso(at or now()), "values": {metric: value}})


def sensor_cases(api, title=None):
    items = api.items("admin", "/api/v1/cases", params={"channel": "sensor", "limit": 200})
    return [c for c in items if title is None or title in c["title"]]


def wait_for(fn, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def device(api, code):
    return next(d for d in api.items("admin", "/api/v1/devices") if d["code"] == code)


@pytest.fixture(scope="module")
def mqtt(tmp_path_factory, template_db):
    broker = Broker(tmp_path_factory.mktemp("broker")).start()
    client = f"gl-test-{unique('c')}"
    srv = Server(str(tmp_path_factory.mktemp("sensors")), template_db,
                 GENEROUS + ["--mqtt-url", broker.url, "--mqtt-client-id", client]).start()
    api = Api(srv)
    assert wait_for(lambda: api.get("admin", "/api/v1/sensors/status").json()["connected"])
    yield {"broker": broker, "srv": srv, "api": api, "client": client}
    srv.check_clean_exit()
    broker.stop()


def test_a_breach_over_mqtt_opens_one_case_until_it_recovers(mqtt):
    api, broker = mqtt["api"], mqtt["broker"]
    dev = device(api, "DEMO-NOISE-1")
    before = len(sensor_cases(api))
    t0 = now()
    broker.publish(TOPIC.format("DEMO-NOISE-1"), reading(95, t0))
    wait_for(lambda: len(sensor_cases(api)) > before)
    opened = sensor_cases(api)
    assert len(opened) == before + 1, opened
    case = api.get("admin", f"/api/v1/cases/{opened[0]['id']}").json()
    assert case["channel"] == "sensor" and "噪声超标" in case["title"]
    assert "DEMO-NOISE-1" in case["description"] and "95.0dB" in case["description"]
    assert case["region_id"] == dev["region_id"] and case["category"]
    # Still breaching, a redelivered message and a later reading: no second case.
    broker.publish(TOPIC.format("DEMO-NOISE-1"), reading(97, t0 + timedelta(seconds=1)))
    broker.publish(TOPIC.format("DEMO-NOISE-1"), reading(95, t0))  # QoS 1 redelivery
    broker.publish(TOPIC.format("DEMO-NOISE-1"), reading(80, t0 + timedelta(seconds=2)))  # in the band
    time.sleep(1.0)
    assert len(sensor_cases(api)) == before + 1
    states = api.get("admin", f"/api/v1/devices/{dev['id']}").json()["states"]
    assert [s["breached"] for s in states if s["metric"] == "noise_db"] == [True]
    assert [s["case_id"] for s in states if s["metric"] == "noise_db"] == [case["id"]]
    # At or below the clear level: recovered, noted on the case, and the next breach is new.
    broker.publish(TOPIC.format("DEMO-NOISE-1"), reading(70, t0 + timedelta(seconds=3)))
    got = wait_for(lambda: [e for e in api.get("admin", f"/api/v1/cases/{case['id']}").json()["timeline"]
                            if e["action"] == "sensor_recover"])
    assert got and "已恢复" in got[0]["note"] and "97.0dB" in got[0]["note"]
    broker.publish(TOPIC.format("DEMO-NOISE-1"), reading(99, t0 + timedelta(seconds=4)))
    assert wait_for(lambda: len(sensor_cases(api)) == before + 2)
    series = api.get("admin", f"/api/v1/devices/{dev['id']}/readings",
                     params={"metric": "noise_db", "from": iso(t0 - timedelta(minutes=1)),
                             "to": iso(t0 + timedelta(minutes=1)), "points": 1000}).json()["items"]
    assert sum(p["n"] for p in series) == 5  # six messages, the redelivered one stored once
    assert max(p["max"] for p in series) == 99
    status = api.get("admin", "/api/v1/sensors/status").json()
    assert status["connected"] is True and status["duplicates"] >= 1


def test_bad_messages_are_counted_and_change_nothing(mqtt):
    api, broker = mqtt["api"], mqtt["broker"]
    before = api.get("admin", "/api/v1/sensors/status").json()
    n_cases = len(sensor_cases(api))
    bad = [("DEMO-NOISE-2", "not json"),
           ("DEMO-NOISE-2", json.dumps({"time": "yesterday", "values": {"noise_db": 99}})),
           ("DEMO-NOISE-2", reading(99, now() + timedelta(hours=2))),  # in the future
           ("DEMO-NOISE-2", reading(99, now() - timedelta(days=30))),  # far in the past
           ("DEMO-NOISE-2", json.dumps({"time": iso(now()), "values": {"noise_db": "loud"}})),
           ("DEMO-NOISE-2", json.dumps({"time": iso(now()), "values": {}})),
           ("no such/device", reading(99))]
    for code, payload in bad:
        broker.publish(TOPIC.format(code), payload)
    # An unknown device passes the parser and is rejected by the writer.
    broker.publish(TOPIC.format("NO-SUCH-DEVICE"), reading(99))
    after = wait_for(lambda: (lambda s: s if s["malformed"] - before["malformed"] >= 6
                              and s["rejected"] > before["rejected"] else None)(
        api.get("admin", "/api/v1/sensors/status").json()))
    assert after, api.get("admin", "/api/v1/sensors/status").json()
    assert len(sensor_cases(api)) == n_cases
    assert "rejected" in mqtt["srv"].stderr()


def test_readings_survive_a_broker_restart_and_a_server_restart(mqtt):
    api, broker, srv = mqtt["api"], mqtt["broker"], mqtt["srv"]
    dev = device(api, "DEMO-WATER-1")
    t0 = now()
    broker.stop()
    broker.start()
    assert wait_for(lambda: api.get("admin", "/api/v1/sensors/status").json()["connected"], 30)
    broker.publish(TOPIC.format("DEMO-WATER-1"), reading(3, t0, "depth_cm"))
    # The server away: the broker keeps the QoS 1 readings for its persistent session.
    srv.stop()
    broker.publish(TOPIC.format("DEMO-WATER-1"), reading(4, t0 + timedelta(seconds=1), "depth_cm"))
    broker.publish(TOPIC.format("DEMO-WATER-1"), reading(30, t0 + timedelta(seconds=2), "depth_cm"))
    srv.start()
    series = lambda: api.get("admin", f"/api/v1/devices/{dev['id']}/readings",
                             params={"metric": "depth_cm", "from": iso(t0 - timedelta(seconds=5)),
                                     "to": iso(t0 + timedelta(minutes=1)), "points": 1000}).json()["items"]
    assert wait_for(lambda: sum(p["n"] for p in series()) == 3, 30), series()
    assert wait_for(lambda: sensor_cases(api, "路面积水深度超标"))


def test_readings_over_http_in_a_batch(mqtt):
    api = mqtt["api"]
    t = now()
    body = {"readings": [{"device": "DEMO-MANHOLE-1", "time": iso(t), "values": {"tilt_deg": 2}},
                         {"device": "DEMO-MANHOLE-1", "time": iso(t + timedelta(seconds=1)),
                          "values": {"tilt_deg": 25.5}}]}
    r = api.post("data_officer", "/api/v1/readings", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": 2, "duplicates": 0, "cases": 1}
    r = api.post("data_officer", "/api/v1/readings", json=body)
    assert r.json() == {"stored": 2, "duplicates": 2, "cases": 0}
    assert len(sensor_cases(api, "井盖倾斜角超标")) == 1
    # Bad input names the element and field, and nothing of the batch is written.
    good = {"device": "DEMO-MANHOLE-2", "time": iso(t), "values": {"tilt_deg": 50}}
    for bad, field, status in [
        ({"device": "NOPE", "time": iso(t), "values": {"tilt_deg": 1}}, "readings[1].device", 404),
        ({"device": "DEMO-MANHOLE-2", "time": iso(t + timedelta(hours=1)), "values": {"tilt_deg": 1}},
         "readings[1].time", 400),
        ({"device": "DEMO-MANHOLE-2", "time": iso(t), "values": {"Tilt": 1}}, "readings[1].values", 400),
        ({"device": "DEMO-MANHOLE-2", "time": iso(t), "values": []}, "readings[1].values", 400),
        ({"device": "bad code!", "time": iso(t), "values": {"tilt_deg": 1}}, "readings[1].device", 400),
    ]:
        assert_error(api.post("data_officer", "/api/v1/readings", json={"readings": [good, bad]}),
                     status, field=field)
    assert sensor_cases(api, "智能井盖2") == []
    assert_error(api.post("data_officer", "/api/v1/readings", json={"readings": []}), 400, field="readings")
    assert_error(api.post("operator", "/api/v1/readings", json=body), 403)


def test_the_registry_checks_what_it_is_given(mqtt):
    api = mqtt["api"]
    noise1 = device(api, "DEMO-NOISE-1")
    code = unique("DEV-")
    new = {"code": code, "type": "noise", "name": "新噪声监测点", "lat": noise1["lat"],
           "lon": noise1["lon"], "interval_s": 60}
    r = api.post("admin", "/api/v1/devices", json=new)
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["region_id"] == noise1["region_id"] and d["online"] is False and d["states"] == []
    assert_error(api.post("admin", "/api/v1/devices", json=new), 409, field="code")
    for patch, field in [({"code": "has space"}, "code"), ({"type": "Noise"}, "type"), ({"name": ""}, "name"),
                         ({"interval_s": 1}, "interval_s"), ({"lat": 0, "lon": 0}, "lat"),
                         ({"lon": None}, "lon"), ({"department_id": 999999}, "department_id")]:
        assert_error(api.post("admin", "/api/v1/devices", json={**new, "code": unique("DEV-"), **patch}),
                     400, field=field)
    r = api.patch("admin", f"/api/v1/devices/{d['id']}", json={"name": "改名的监测点", "active": False})
    assert r.status_code == 200 and r.json()["name"] == "改名的监测点" and r.json()["active"] is False
    assert_error(api.patch("admin", f"/api/v1/devices/{d['id']}", json={"code": "OTHER"}), 400, field="code")
    # A switched-off device's readings are refused.
    assert_error(api.post("admin", "/api/v1/readings", json={"readings": [
        {"device": code, "time": iso(now()), "values": {"noise_db": 99}}]}), 409, field="readings[0].device")
    audit = api.items("admin", "/api/v1/audit", params={"limit": 10})
    assert any(a["action"] == "device.update" and a["target"] == f"device/{d['id']}" for a in audit)
    assert_error(api.post("supervisor", "/api/v1/devices", json={**new, "code": unique("DEV-")}), 403)
    # Thresholds: the hysteresis must make sense.
    t = {"type": "noise", "metric": "noise_db", "label": "噪声", "unit": "dB", "high": 85, "clear": 90}
    assert_error(api.put("admin", "/api/v1/sensor-thresholds", json=t), 400, field="clear")
    assert_error(api.put("admin", "/api/v1/sensor-thresholds", json={**t, "clear": 75, "metric": "Noise"}),
                 400, field="metric")
    r = api.put("supervisor", "/api/v1/sensor-thresholds", json={**t, "clear": 75})
    assert r.status_code == 200, r.text
    assert any(x["metric"] == "noise_db" and x["high"] == 85 for x in r.json()["items"])


@pytest.fixture
def clocked(server_factory):
    return server_factory(GENEROUS + ["--test-clock", "true", "--sweep-interval", "86400"])


def test_devices_gone_quiet_raise_grouped_warnings_with_a_life_cycle(clocked):
    api = clocked
    later = now() + timedelta(hours=2)
    r = api.put("admin", "/api/v1/test/clock", json={"now": iso(later)})
    assert r.status_code == 200, r.text
    rep = api.post("admin", "/api/v1/admin/sweep").json()
    assert rep["devices_offline"] >= 5, rep
    assert api.post("admin", "/api/v1/admin/sweep").json()["devices_offline"] == 0  # once each
    ws = api.items("supervisor", "/api/v1/warnings", params={"kind": "device_offline"})
    noise = [w for w in ws if w["device"] == "DEMO-NOISE-1"]
    assert len(noise) == 1, ws
    w = noise[0]
    assert w["status"] == "new" and w["level"] == "medium" and w["region"]
    assert "感知设备离线" in w["title"] and "从未上报" in w["evidence"]
    assert api.get("admin", "/api/v1/devices").json()["items"][0]["online"] is False
    # The life cycle: acknowledge once; dismiss needs a reason; a dismissed one is done.
    path = f"/api/v1/warnings/{w['id']}"
    r = api.post("supervisor", path + "/acknowledge", json={})
    assert r.status_code == 200 and r.json()["status"] == "acknowledged" and r.json()["handled_by"]
    assert_error(api.post("supervisor", path + "/acknowledge", json={}), 409)
    assert_error(api.post("supervisor", path + "/dismiss", json={"reason": ""}), 400, field="reason")
    other = [x for x in ws if x["id"] != w["id"]][0]
    r = api.post("dispatcher", f"/api/v1/warnings/{other['id']}/dispatch", json={})
    assert r.status_code == 200, r.text
    made = r.json()
    assert made["status"] == "dispatched" and made["case_number"]
    case = api.get("admin", f"/api/v1/cases/{made['case_id']}").json()
    assert case["channel"] == "sensor" and case["title"] == other["title"]
    r = api.post("supervisor", path + "/dismiss", json={"reason": "设备例行检修，已知离线"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert_error(api.post("supervisor", path + "/dispatch", json={}), 409)
    audit = api.items("admin", "/api/v1/audit", params={"limit": 30})
    actions = {a["action"] for a in audit}
    assert {"warning.raise", "warning.acknowledge", "warning.dismiss", "warning.dispatch"} <= actions
    # The supervisors heard of it.
    msgs = api.items("supervisor", "/api/v1/me/messages")
    assert any("感知设备离线" in m["message"] for m in msgs), msgs
    # Open warnings only by default; all on request; a grid worker may not read them.
    assert all(x["status"] in ("new", "acknowledged") for x in api.items("supervisor", "/api/v1/warnings"))
    assert any(x["status"] == "dismissed" for x in api.items("supervisor", "/api/v1/warnings",
                                                             params={"status": "all"}))
    assert_error(api.get("supervisor", "/api/v1/warnings", params={"status": "gone"}), 400, field="status")
    assert_error(api.get("grid_worker", "/api/v1/warnings"), 403)


def test_a_silence_mutes_a_kind_of_warning(clocked):
    api = clocked
    t = now()
    assert_error(api.post("supervisor", "/api/v1/warning-silences",
                          json={"kind": "device_offline", "until": iso(t - timedelta(hours=1)), "reason": "x"}),
                 400, field="until")
    assert_error(api.post("supervisor", "/api/v1/warning-silences",
                          json={"kind": "loud", "until": iso(t + timedelta(days=1)), "reason": "x"}),
                 400, field="kind")
    r = api.post("supervisor", "/api/v1/warning-silences",
                 json={"kind": "device_offline", "until": iso(t + timedelta(days=1)), "reason": "设备割接"})
    assert r.status_code == 200, r.text
    api.put("admin", "/api/v1/test/clock", json={"now": iso(t + timedelta(hours=2))})
    rep = api.post("admin", "/api/v1/admin/sweep").json()
    assert rep["devices_offline"] >= 5
    assert api.items("supervisor", "/api/v1/warnings", params={"kind": "device_offline"}) == []
    sid = r.json()["items"][0]["id"]
    assert api.delete("supervisor", f"/api/v1/warning-silences/{sid}").status_code == 204
    assert api.items("supervisor", "/api/v1/warning-silences") == []


def spike_in_the_grid(api, demo, title, description):
    """Fourteen noise complaints (070103) in the grid worker's grid, against a quiet baseline,
    then a scan five minutes later: (the category, the start time, the scan's response)."""
    cat = next(c for c in api.items("admin", "/api/v1/categories") if c["code"] == "070103")
    t = now()
    api.put("admin", "/api/v1/test/clock", json={"now": iso(t)})
    for i in range(14):
        r = api.post("operator", "/api/v1/cases", json={
            "title": f"{title}{i}", "description": description, "channel": "hotline",
            "category": cat["id"], "region_id": demo["gw_grid"]})
        assert r.status_code == 201, r.text
    api.put("admin", "/api/v1/test/clock", json={"now": iso(t + timedelta(minutes=5))})
    return cat, t, api.post("supervisor", "/api/v1/warnings/scan")


def test_a_spike_of_cases_raises_one_warning_in_words(clocked, demo):
    """Fourteen noise complaints in one street within hours, against a quiet baseline: the scan
    (src/warn) raises one spike warning naming the street, the category and the counts; a
    second scan groups into it rather than raising another."""
    api = clocked
    cat, t, r = spike_in_the_grid(api, demo, "广场舞音响扰民", "晚上广场舞音响太吵")
    assert r.status_code == 200 and r.json()["raised"] >= 1, r.text
    spikes = [w for w in api.items("supervisor", "/api/v1/warnings", params={"kind": "spike"})
              if w["category_id"] == cat["id"]]
    assert len(spikes) == 1, spikes
    w = spikes[0]
    street = demo["regions"][demo["gw_grid_code"][:9]]["name"]
    assert street in w["title"] and cat["name"] in w["title"] and "诉求激增" in w["title"]
    assert "24 小时内" in w["evidence"] and "同期预期" in w["evidence"] and w["level"] == "high"
    assert w["region_id"] == demo["regions"][demo["gw_grid_code"][:9]]["id"]
    # On the map at a point of its street (within the street's outline's box).
    outline = api.get("admin", f"/api/v1/regions/{w['region_id']}").json()["boundary"]

    def positions(c):
        return [c] if isinstance(c[0], (int, float)) else [p for x in c for p in positions(x)]
    pts = positions(outline["coordinates"])
    assert w["lat"] is not None and w["lon"] is not None, w
    assert min(p[0] for p in pts) <= w["lon"] <= max(p[0] for p in pts), (w["lon"], outline["type"])
    assert min(p[1] for p in pts) <= w["lat"] <= max(p[1] for p in pts), w["lat"]
    api.put("admin", "/api/v1/test/clock", json={"now": iso(t + timedelta(minutes=65))})
    api.post("supervisor", "/api/v1/warnings/scan")
    again = [x for x in api.items("supervisor", "/api/v1/warnings", params={"kind": "spike"})
             if x["category_id"] == cat["id"]]
    assert len(again) == 1 and again[0]["count"] == 2


def test_cases_high_only_by_an_open_spike_are_counted_in_one_warning(clocked, demo):
    """During a spike, a case that reaches 高 only with the spike's points joins one risk
    warning for that spike (count, latest evidence; one message to the supervisors), where each
    would otherwise be a warning of its own; a case high on its own words keeps its own."""
    api = clocked
    _, _, r = spike_in_the_grid(api, demo, "夜间施工扰民", "工地晚上施工太吵")
    assert r.status_code == 200, r.text
    street = demo["regions"][demo["gw_grid_code"][:9]]["id"]
    assert any(w["region_id"] == street
               for w in api.items("supervisor", "/api/v1/warnings", params={"kind": "spike"}))

    # The grades here count words and the spike: the history rules would add points by what
    # the demo's cases in the grid happen to be.
    for r in api.items("supervisor", "/api/v1/risk-rules"):
        if r["factor"] == "history":
            body = {k: r[k] for k in ("id", "factor", "pattern", "weight", "label")}
            r = api.put("admin", "/api/v1/risk-rules", json={**body, "active": False})
            assert r.status_code == 200, r.text

    def told():
        return [m for m in api.items("supervisor", "/api/v1/me/messages", params={"limit": 100})
                if "高风险诉求" in m["message"]]
    before = len(told())

    def case(title, description):
        r = api.post("operator", "/api/v1/cases", json={
            "title": title, "description": description, "channel": "hotline",
            "region_id": demo["gw_grid"]})
        assert r.status_code == 201, r.text
        c = r.json()
        return c, api.get("supervisor", f"/api/v1/cases/{c['id']}/risk").json()

    # 讨薪 25 + 集体 15 + 纠纷 10: 中 alone, 高 with the spike's 10.
    lone = []
    for i in range(3):
        c, g = case(f"工人集体讨薪{unique()}", "工地工人集体讨薪发生纠纷")
        labels = {x["label"]: x["weight"] for x in g["reasons"]}
        spike_pts = labels.get("所在街道同类诉求正在激增")
        assert g["level"] == "high" and spike_pts and g["score"] - spike_pts < 60, g
        lone.append(c)
    risks = api.items("supervisor", "/api/v1/warnings", params={"kind": "risk"})
    grouped = [w for w in risks if w["case_id"] in {c["id"] for c in lone}]
    assert len(grouped) == 1, grouped
    w = grouped[0]
    assert w["count"] == 3 and w["case_id"] == lone[0]["id"], w
    assert "诉求激增区域" in w["title"] and lone[2]["number"] in w["evidence"], w
    # High on its own (扬言跳楼 45 + 讨薪 25): its own warning, the spike or not.
    own, g = case(f"讨薪扬言跳楼{unique()}", "工人讨薪不成扬言要跳楼")
    labels = {x["label"]: x["weight"] for x in g["reasons"]}
    assert g["level"] == "high" and g["score"] - labels.get("所在街道同类诉求正在激增", 0) >= 60, g
    mine = [x for x in api.items("supervisor", "/api/v1/warnings", params={"kind": "risk"})
            if x["case_id"] == own["id"]]
    assert len(mine) == 1 and mine[0]["count"] == 1 and mine[0]["id"] != w["id"], mine
    # Two warnings, so two messages for the supervisor where there would have been four.
    assert len(told()) - before == 2, told()[:5]
