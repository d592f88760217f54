"""The city operation index (城市运行指数, issue 16 item 6; docs/warning.md section 6): eight areas
per region from cases, warnings and sensors, with configurable weights, its history and what moved
it."""
import time
from datetime import datetime, timezone

from conftest import GENEROUS, assert_error


def iso(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_breach_and_a_burst_of_cases_move_the_index_and_say_why(server_factory, demo):
    api = server_factory(GENEROUS + ["--sweep-interval", "86400"])
    dev = next(d for d in api.items("admin", "/api/v1/devices") if d["code"] == "DEMO-NOISE-1")
    grid = api.get("admin", f"/api/v1/regions/{dev['region_id']}").json()
    street = demo["regions"][grid["code"][:9]]
    r = api.post("supervisor", "/api/v1/city-index/compute")
    assert r.status_code == 200 and r.json()["kept"] >= 2, r.text
    first = api.get("supervisor", "/api/v1/city-index", params={"region": street["id"]}).json()
    assert first["region"]["id"] == street["id"] and len(first["areas"]) == 8
    assert {a["name"] for a in first["areas"]} >= {"公共安全", "交通出行", "生态环境", "市政设施"}
    env0 = next(a for a in first["areas"] if a["code"] == "environment")
    # A noise sensor in the street breaches, and twelve noise complaints arrive.
    t = datetime.now(timezone.utc).replace(microsecond=0)
    r = api.post("data_officer", "/api/v1/readings", json={"readings": [
        {"device": "DEMO-NOISE-1", "time": iso(t), "values": {"noise_db": 96}}]})
    assert r.status_code == 200 and r.json()["cases"] == 1, r.text
    cat = next(c for c in api.items("admin", "/api/v1/categories") if c["code"] == "070103")
    for i in range(12):
        r = api.post("operator", "/api/v1/cases", json={"title": f"噪声扰民{i}", "description": "夜间噪声",
                                                        "channel": "hotline", "category": cat["id"],
                                                        "region_id": dev["region_id"]})
        assert r.status_code == 201, r.text
    time.sleep(1.1)  # a history row per second at most
    kept = api.post("supervisor", "/api/v1/city-index/compute").json()["kept"]
    assert kept >= 1, [a for a in api.get("supervisor", "/api/v1/city-index", params={"region": street["id"]}).json()["areas"] if a["code"] == "environment"]
    now = api.get("supervisor", "/api/v1/city-index", params={"region": street["id"]}).json()
    env = next(a for a in now["areas"] if a["code"] == "environment")
    assert env["breached"] == 1 and env["recent"] >= env0["recent"] + 13 and env["score"] < env0["score"]
    assert now["score"] < first["score"] and len(now["history"]) >= 2
    moved = [m for m in now["moved"] if m["code"] == "environment"]
    assert moved and moved[0]["score"] < moved[0]["before"] and "超标设备 1 台" in moved[0]["why"]
    # The weights are the administrator's.
    assert_error(api.put("admin", "/api/v1/city-index/areas", json={"code": "environment", "weight": 500,
                                                                     "categories": "07", "device_types": ""}),
                 400, field="weight")
    assert_error(api.put("admin", "/api/v1/city-index/areas", json={"code": "nowhere", "weight": 5,
                                                                     "categories": "07", "device_types": ""}),
                 404, field="code")
    assert_error(api.put("admin", "/api/v1/city-index/areas", json={"code": "environment", "weight": 5,
                                                                     "categories": "07,,03", "device_types": ""}),
                 400, field="categories")
    r = api.put("admin", "/api/v1/city-index/areas", json={"code": "environment", "weight": 0,
                                                            "categories": "07,03", "device_types": "noise"})
    assert r.status_code == 200, r.text
    assert next(a for a in r.json()["items"] if a["code"] == "environment")["weight"] == 0
    time.sleep(1.1)
    api.post("supervisor", "/api/v1/city-index/compute")
    after = api.get("supervisor", "/api/v1/city-index", params={"region": street["id"]}).json()
    assert after["score"] > now["score"]  # the troubled area no longer weighs
    # A region-bound reader sees their region by default and not another's.
    assert_error(api.get("community_official", "/api/v1/city-index", params={"region": demo["street2"]
                                                                             if street["id"] != demo["street2"]
                                                                             else demo["street1"]}),
                 403, field="region")
