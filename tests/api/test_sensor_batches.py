"""Readings in batches over MQTT (issue 16; docs/warning.md section 5): an array of one device's
readings on its own topic, a gateway's array of many devices' readings on
gridloop/gateways/{code}/readings, a bad element rejected alone, a message over the limit refused
whole, a breach inside a batch opening one case, a redelivered batch stored once, and a
threshold edited through the API judging the next batch, a device changed through the API read
again by the writer."""
import json
from datetime import timedelta

import pytest

from conftest import GENEROUS, Api, Broker, Server, assert_error, unique
from test_sensors import TOPIC, device, iso, now, sensor_cases, wait_for

GATEWAY = "gridloop/gateways/{}/readings"
MAX_READINGS = 20
MAX_BYTES = 4096


@pytest.fixture(scope="module")
def mqtt(tmp_path_factory, template_db):
    broker = Broker(tmp_path_factory.mktemp("broker")).start()
    client = f"gl-test-{unique('c')}"
    srv = Server(str(tmp_path_factory.mktemp("batches")), template_db,
                 GENEROUS + ["--mqtt-url", broker.url, "--mqtt-client-id", client,
                             "--mqtt-max-readings", str(MAX_READINGS),
                             "--mqtt-max-bytes", str(MAX_BYTES)]).start()
    api = Api(srv)
    assert wait_for(lambda: api.get("admin", "/api/v1/sensors/status").json()["connected"])
    yield {"broker": broker, "srv": srv, "api": api}
    srv.check_clean_exit()
    broker.stop()


def status(api):
    return api.get("admin", "/api/v1/sensors/status").json()


def count(api, code, metric, t0, t1):
    dev = device(api, code)
    items = api.get("admin", f"/api/v1/devices/{dev['id']}/readings",
                    params={"metric": metric, "from": iso(t0), "to": iso(t1), "points": 1000}).json()["items"]
    return sum(p["n"] for p in items)


def element(t, metric, value, code=None):
    e = {"time": iso(t), "values": {metric: value}}
    return {"device": code, **e} if code else e


def test_an_array_of_one_devices_readings_is_stored(mqtt):
    api, broker = mqtt["api"], mqtt["broker"]
    t0 = now() - timedelta(minutes=5)
    batch = [element(t0 + timedelta(seconds=i), "depth_cm", 1 + i) for i in range(5)]
    before = status(api)
    broker.publish(TOPIC.format("DEMO-WATER-2"), json.dumps(batch))
    got = lambda: count(api, "DEMO-WATER-2", "depth_cm", t0, t0 + timedelta(minutes=1))
    assert wait_for(lambda: got() == 5), got()
    # Counted once the batch is on the disk, which on SQLite comes a moment after its rows are
    # visible (the writer syncs its log apart: store_writer.h).
    assert wait_for(lambda: status(api)["readings"] - before["readings"] == 5), status(api)
    assert device(api, "DEMO-WATER-2")["online"] is True
    # QoS 1 redelivery of the whole batch: stored once, counted as duplicates.
    broker.publish(TOPIC.format("DEMO-WATER-2"), json.dumps(batch))
    assert wait_for(lambda: status(api)["duplicates"] - before["duplicates"] >= 5)
    assert got() == 5


def test_a_gateways_batch_is_stored_for_each_device_and_a_bad_element_alone_is_rejected(mqtt):
    api, broker = mqtt["api"], mqtt["broker"]
    t0 = now() - timedelta(minutes=4)
    before = status(api)
    batch = [element(t0, "ch4_lel", 2, "DEMO-GAS-1"),
             element(t0, "smoke_obs", 0.5, "DEMO-SMOKE-1"),
             {"device": "DEMO-WQ-1", "time": "yesterday", "values": {"turbidity_ntu": 1}},  # bad time
             {"time": iso(t0), "values": {"turbidity_ntu": 1}},  # no device
             element(t0, "turbidity_ntu", 0.8, "NO-SUCH-DEVICE"),  # unknown: the writer's rejection
             element(t0 + timedelta(seconds=1), "ch4_lel", 3, "DEMO-GAS-1"),
             element(t0, "turbidity_ntu", 0.9, "DEMO-WQ-1")]
    broker.publish(GATEWAY.format("GW-1"), json.dumps(batch))
    end = t0 + timedelta(minutes=1)
    assert wait_for(lambda: count(api, "DEMO-GAS-1", "ch4_lel", t0, end) == 2)
    assert count(api, "DEMO-SMOKE-1", "smoke_obs", t0, end) == 1
    assert count(api, "DEMO-WQ-1", "turbidity_ntu", t0, end) == 1
    after = wait_for(lambda: (lambda s: s if s["rejected"] > before["rejected"] else None)(status(api)))
    assert after["readings"] - before["readings"] == 4
    assert after["malformed"] - before["malformed"] == 2  # the two bad elements, named in the log
    assert after["rejected"] - before["rejected"] == 1
    log = mqtt["srv"].stderr()
    assert "[2].time" in log or "[3].device" in log  # rejections are logged once a second
    assert "NO-SUCH-DEVICE" in log


def test_a_message_over_the_limits_is_refused_whole(mqtt):
    api, broker = mqtt["api"], mqtt["broker"]
    t0 = now() - timedelta(minutes=3)
    before = status(api)
    too_many = [element(t0 + timedelta(seconds=i), "tilt_deg", 1) for i in range(MAX_READINGS + 1)]
    broker.publish(TOPIC.format("DEMO-MANHOLE-2"), json.dumps(too_many))
    broker.publish(GATEWAY.format("GW-1"), json.dumps([]))
    broker.publish(GATEWAY.format("GW-1"), json.dumps(element(t0, "tilt_deg", 1, "DEMO-MANHOLE-2")))
    big = {**element(t0, "tilt_deg", 1), "note": "x" * MAX_BYTES}  # one reading, too many bytes
    broker.publish(TOPIC.format("DEMO-MANHOLE-2"), json.dumps(big))
    assert wait_for(lambda: status(api)["malformed"] - before["malformed"] == 4)
    assert count(api, "DEMO-MANHOLE-2", "tilt_deg", t0, t0 + timedelta(minutes=1)) == 0
    assert status(api)["readings"] == before["readings"]


def test_a_breach_inside_a_batch_opens_exactly_one_case(mqtt):
    api, broker = mqtt["api"], mqtt["broker"]
    t0 = now() - timedelta(seconds=30)
    before = len(sensor_cases(api, "噪声监测点3"))
    batch = [element(t0, "noise_db", 60, "DEMO-NOISE-3"),
             element(t0 + timedelta(seconds=1), "noise_db", 91, "DEMO-NOISE-3"),
             element(t0, "depth_cm", 2, "DEMO-WATER-1"),
             element(t0 + timedelta(seconds=2), "noise_db", 96, "DEMO-NOISE-3"),
             element(t0 + timedelta(seconds=3), "noise_db", 80, "DEMO-NOISE-3")]
    broker.publish(GATEWAY.format("GW-2"), json.dumps(batch))
    assert wait_for(lambda: len(sensor_cases(api, "噪声监测点3")) > before)
    broker.publish(GATEWAY.format("GW-2"), json.dumps(batch))  # redelivered: nothing new
    wait_for(lambda: False, 1.0)
    assert len(sensor_cases(api, "噪声监测点3")) == before + 1
    assert count(api, "DEMO-NOISE-3", "noise_db", t0, t0 + timedelta(minutes=1)) == 4


def test_a_threshold_edited_through_the_api_judges_the_next_batch(mqtt):
    api, broker = mqtt["api"], mqtt["broker"]
    noise1 = device(api, "DEMO-NOISE-1")
    code = unique("BATCH-")
    r = api.post("admin", "/api/v1/devices", json={
        "code": code, "type": "batchprobe", "name": "批量探测点", "lat": noise1["lat"],
        "lon": noise1["lon"], "interval_s": 60})
    assert r.status_code == 201, r.text
    t = {"type": "batchprobe", "metric": "level_x", "label": "探测值", "unit": "", "high": 100,
         "clear": 10}
    assert api.put("admin", "/api/v1/sensor-thresholds", json=t).status_code == 200
    t0 = now() - timedelta(minutes=2)
    broker.publish(TOPIC.format(code), json.dumps([element(t0, "level_x", 50),
                                                    element(t0 + timedelta(seconds=1), "level_x", 60)]))
    assert wait_for(lambda: count(api, code, "level_x", t0, t0 + timedelta(minutes=1)) == 2)
    assert sensor_cases(api, "批量探测点") == []
    assert api.put("admin", "/api/v1/sensor-thresholds", json={**t, "high": 40}).status_code == 200
    broker.publish(TOPIC.format(code), json.dumps([element(t0 + timedelta(seconds=2), "level_x", 55)]))
    assert wait_for(lambda: sensor_cases(api, "批量探测点"))
    assert len(sensor_cases(api, "批量探测点")) == 1


def test_a_device_changed_through_the_api_is_read_again_by_the_writer(mqtt):
    """The writer keeps devices between messages (docs/warning.md section 5): a device switched
    off after its readings were taken has its next ones refused, switched on they are taken, and a
    move is the place of the next case."""
    api, broker = mqtt["api"], mqtt["broker"]
    noise1 = device(api, "DEMO-NOISE-1")
    code = unique("KEPT-")
    r = api.post("admin", "/api/v1/devices", json={
        "code": code, "type": "noise", "name": "缓存探测点", "lat": noise1["lat"], "lon": noise1["lon"],
        "interval_s": 60})
    assert r.status_code == 201, r.text
    dev = r.json()
    t0 = now() - timedelta(minutes=3)
    reading = lambda k, v: {"device": code, "time": iso(t0 + timedelta(seconds=k)), "values": {"noise_db": v}}
    r = api.post("admin", "/api/v1/readings", json={"readings": [reading(0, 50)]})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    broker.publish(TOPIC.format(code), json.dumps([element(t0 + timedelta(seconds=1), "noise_db", 51)]))
    assert wait_for(lambda: count(api, code, "noise_db", t0, t0 + timedelta(minutes=1)) == 2)

    assert api.patch("admin", f"/api/v1/devices/{dev['id']}", json={"active": False}).status_code == 200
    assert_error(api.post("admin", "/api/v1/readings", json={"readings": [reading(2, 52)]}), 409,
                 field="readings[0].device")
    before = status(api)
    broker.publish(TOPIC.format(code), json.dumps([element(t0 + timedelta(seconds=3), "noise_db", 53)]))
    assert wait_for(lambda: status(api)["rejected"] > before["rejected"])
    assert count(api, code, "noise_db", t0, t0 + timedelta(minutes=1)) == 2

    # Switched on and moved: taken again, and a breach's case is at the new place.
    there = device(api, "DEMO-WATER-1")
    assert there["region_id"] != dev["region_id"]
    r = api.patch("admin", f"/api/v1/devices/{dev['id']}",
                  json={"active": True, "lat": there["lat"], "lon": there["lon"]})
    assert r.status_code == 200 and r.json()["region_id"] == there["region_id"], r.text
    r = api.post("admin", "/api/v1/readings", json={"readings": [reading(4, 97)]})
    assert r.status_code == 200 and r.json() == {"stored": 1, "duplicates": 0, "cases": 1}, r.text
    cases = sensor_cases(api, "缓存探测点")
    assert len(cases) == 1 and cases[0]["region_id"] == there["region_id"], cases
