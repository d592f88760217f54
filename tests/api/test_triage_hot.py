"""
`gridloop triage hot` end to end: the real binary on a small hand-made file, bad input, and,
when the Teddy Cup 2020 附件3 export is present (../shared/teddy2020/messages_hot.tsv next to
the checkout, or GRIDLOOP_TEDDY_DIR), the real data with sanity checks on the ranking.
"""
import json
import os
import subprocess

import pytest

from conftest import BIN, ROOT, SANITIZER_MARKERS

HEADER = "message_id\tuser_id\ttitle\tmessage_time\tdetail\tdislikes\tlikes\tmessage_time_iso\n"


def teddy_file():
    dirs = [os.environ.get("GRIDLOOP_TEDDY_DIR", ""),
            os.path.join(ROOT, "..", "shared", "teddy2020"),
            os.path.join(ROOT, "..", "..", "shared", "teddy2020")]
    for d in dirs:
        p = os.path.join(d, "messages_hot.tsv") if d else ""
        if p and os.path.exists(p):
            return p
    return None


def run(*args):
    p = subprocess.run([BIN, "triage", "hot", *args], capture_output=True, text=True, timeout=300)
    assert not any(m in p.stderr for m in SANITIZER_MARKERS), p.stderr
    return p


def test_small_file(tmp_path):
    rows = []
    for i in range(6):
        rows.append(f"{i + 1}\tu{i}\t丽发新城小区搅拌站噪音扰民{i}\t-\tA2区丽发新城小区附近的搅拌站日夜施工，"
                    f"噪音灰尘严重影响居民休息，请查处\t0\t{i}\t2019-11-0{i + 1} 10:00:00")
    rows.append("7\tz\t咨询医保\t-\t新生儿医保怎么办理\t0\t0\t2019-11-08 09:00:00")
    f = tmp_path / "m.tsv"
    f.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")

    p = run("--data", str(f), "--json")
    assert p.returncode == 0, p.stderr
    topics = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(topics) == 1
    t = topics[0]
    assert t["count"] == 6 and t["authors"] == 6 and t["likes"] == 15
    assert t["ids"] == [1, 2, 3, 4, 5, 6]
    assert t["first"] == "2019-11-01 10:00:00" and t["last"] == "2019-11-06 10:00:00"
    assert "丽发新城小区" in t["places"] and "A2区" in t["places"]

    p = run("--data", str(f))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("rank") and len(lines) == 2 and "丽发新城小区" in lines[1]


def test_bad_input(tmp_path):
    f = tmp_path / "bad.tsv"
    f.write_text(HEADER + "1\tu\tt\t-\td\t0\t0\tyesterday\n", encoding="utf-8")
    p = run("--data", str(f))
    assert p.returncode == 2 and "line 2" in p.stderr and "(time)" in p.stderr
    p = run("--data", str(f), "--time", "nope")
    assert p.returncode == 2 and "no column 'nope'" in p.stderr
    p = run("--data", str(tmp_path / "missing.tsv"))
    assert p.returncode == 2 and "cannot open" in p.stderr
    p = run("--data", str(f), "--limit", "0")
    assert p.returncode == 2 and "--limit" in p.stderr
    p = run("--bogus", "1")
    assert p.returncode == 2 and "unknown flag" in p.stderr
    p = run()
    assert p.returncode == 2 and "--data" in p.stderr


def test_teddy_hot_topics():
    path = teddy_file()
    if not path:
        print("skipped: messages_hot.tsv not found")
        pytest.skip("messages_hot.tsv not found")
    p = run("--data", path, "--json", "--limit", "10")
    assert p.returncode == 0, p.stderr
    topics = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(topics) == 10
    heats = [t["heat"] for t in topics]
    assert heats == sorted(heats, reverse=True)
    top = topics[0]
    assert top["count"] >= 10 and top["authors"] >= 10, top
    assert top["places"], "the top topic names a place"
    assert top["title"] and top["first"] <= top["last"]
    for t in topics:
        assert t["count"] >= 2 and len(t["ids"]) == t["count"] and t["representative_id"] in t["ids"]
    # The two best-known 附件3 topics are found: the 丽发新城 mixing plant and the 伊景园滨河苑
    # parking-space sale, each as one topic near the top.
    titles = " ".join(t["title"] + " ".join(t["places"]) for t in topics[:3])
    assert "丽发新城" in titles and "滨河苑" in titles, titles
