#!/usr/bin/env python3
"""
Bench loader: fill a gridloop database (made by `gridloop init --demo`) with N synthetic cases,
straight into SQLite (not through the API), for the list and assessment benchmarks.

    python3 bench/load_cases.py DB [N=1000000] [--seed 1] [--analyze]

DB is a SQLite file or a postgresql:// URL (then psycopg2, Debian's python3-psycopg2; the
pg_trgm indexes are maintained by PostgreSQL itself and the id sequence is moved past the rows).

The rows follow a plausible year of a district: created over 365 days; 70% closed, the rest
spread over the open states; lead departments, categories and grid regions drawn from the demo
organisation; 1 in 10 dispatched cases with an assisting department; 5% of open cases overdue,
1% of processing ones with a pending extension; closed and replied cases with a reply time. Titles and descriptions are short Chinese
texts built from a small vocabulary, so the trigram index has realistic CJK content. The full-text
index gets every row, as intake would. One transaction per 50,000 rows. The assessment's daily
roll-ups are marked unbuilt at the end: run `gridloop assess rebuild --db DB` (or start the server,
which builds them) before measuring the assessment.
"""
import random
import sqlite3
import sys
import time

WORDS = ["道路", "坑洼", "垃圾", "分类", "噪音", "扰民", "路灯", "不亮", "井盖", "缺失", "违章", "停车", "占道",
         "经营", "绿化", "损坏", "积水", "排水", "油烟", "污染", "施工", "渣土", "广告", "牌匾", "消防", "通道",
         "堵塞", "小区", "物业", "楼道", "堆物", "漏水", "供暖", "不足", "公交", "站台", "共享单车", "乱停"]
STREETS = ["青石路", "梅园街", "西溪路", "文一路", "古墩路", "天目山路", "莫干山路", "学院路"]
STATES = [("closed", 70), ("new", 5), ("dispatched", 5), ("processing", 10), ("returned", 2), ("replied", 5),
          ("rectifying", 2), ("hanging", 1)]
CHANNELS = [("hotline", 60), ("web", 10), ("app", 12), ("wechat", 10), ("grid", 6), ("sensor", 1), ("open311", 1)]
URGENCY = [("normal", 90), ("urgent", 8), ("emergency", 2)]
DAY = 86400


class PgCon:
    """The few sqlite3 calls this loader makes, on psycopg2 ('?' placeholders)."""

    def __init__(self, url):
        import psycopg2
        import psycopg2.extras
        self.extras = psycopg2.extras
        self.con = psycopg2.connect(url)

    @staticmethod
    def _sql(sql):
        return sql.replace("?", "%s")

    def execute(self, sql, args=None):
        cur = self.con.cursor()
        cur.execute(self._sql(sql), args)
        return cur

    def executemany(self, sql, rows):
        head, _, _ = self._sql(sql).partition(" VALUES ")
        self.extras.execute_values(self.con.cursor(), head + " VALUES %s", rows, page_size=5000)

    def commit(self):
        self.con.commit()

    def close(self):
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.con.commit()
        else:
            self.con.rollback()


def weighted(table):
    names, weights = zip(*table)
    return names, weights


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    db, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("-") else 1000000
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
    rnd = random.Random(seed)
    pg = db.startswith("postgres")
    if pg:
        con = PgCon(db)
    else:
        con = sqlite3.connect(db)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=OFF")
    regions = con.execute("SELECT id, code FROM regions WHERE level = 'grid'").fetchall()
    depts = [r[0] for r in con.execute("SELECT id FROM departments WHERE active = 1")]
    cats = [r[0] for r in con.execute("SELECT id FROM categories WHERE active = 1 AND level >= 2")] or \
        [r[0] for r in con.execute("SELECT id FROM categories WHERE active = 1")]
    users = [r[0] for r in con.execute("SELECT id FROM users")]
    start_id = con.execute("SELECT coalesce(max(id), 0) FROM cases").fetchone()[0] + 1
    now = int(time.time())
    t0 = now - 365 * DAY
    states, sw = weighted(STATES)
    channels, cw = weighted(CHANNELS)
    urgencies, uw = weighted(URGENCY)
    began = time.monotonic()
    batch = 50000
    seq = {}
    for base in range(0, n, batch):
        rows, depts_rows = [], []
        for k in range(base, min(n, base + batch)):
            cid = start_id + k
            created = t0 + (k * 365 * DAY) // n + rnd.randrange(0, 60)
            day = time.strftime("%Y%m%d", time.gmtime(created + 8 * 3600))
            seq[day] = seq.get(day, 0) + 1
            number = f"{day}-{seq[day]:06d}"
            state = rnd.choices(states, sw)[0]
            channel = rnd.choices(channels, cw)[0]
            urgency = rnd.choices(urgencies, uw)[0]
            rid, rcode = rnd.choice(regions)
            w = rnd.sample(WORDS, 4)
            title = f"{rnd.choice(STREETS)}{w[0]}{w[1]}"
            desc = f"市民反映{rnd.choice(STREETS)}{rnd.randrange(1, 300)}号附近{w[0]}{w[1]}，{w[2]}{w[3]}问题持续多日，请尽快处理。"
            lead = None if state == "new" else rnd.choice(depts)
            deadline = None if lead is None else created + rnd.randrange(1, 15) * DAY
            final = state == "closed"
            overdue = int(not final and lead is not None and rnd.random() < 0.05)
            pending = "extend" if state == "processing" and rnd.random() < 0.01 else None
            updated = created + (rnd.randrange(0, 10 * DAY) if lead else 0)
            # Closed and replied cases were replied (an hour before the last update): the
            # assessment's unreplied cases and backlog are then the open ones, as in service.
            replied = updated - 3600 if state in ("closed", "replied") and lead else None
            rows.append((cid, number, f"{rnd.randrange(10**6):06d}", channel, title, desc, rnd.choice(cats), urgency,
                         rid, rcode, rnd.choice(users), state, lead, created if lead else None, deadline, overdue,
                         pending, updated if final else None, replied, created, updated))
            if lead:
                depts_rows.append((cid, lead, "lead"))
                if rnd.random() < 0.1:
                    other = rnd.choice(depts)
                    if other != lead:
                        depts_rows.append((cid, other, "assist"))
        with con:
            con.executemany(
                "INSERT INTO cases(id, number, check_code, channel, title, description, category_id, urgency,"
                " region_id, region_code, created_by, state, lead_department_id, dispatched_at, resolve_deadline,"
                " overdue, pending_request, closed_at, replied_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            con.executemany("INSERT INTO case_departments(case_id, department_id, role) VALUES (?, ?, ?)", depts_rows)
        done = min(n, base + batch)
        print(f"{done} cases, {time.monotonic() - began:.0f} s", file=sys.stderr)
    # Since 0005 new cases enter the full-text index in bulk above a watermark (no per-row
    # trigger): index what was loaded the same way.
    if not pg and con.execute("SELECT 1 FROM sqlite_master WHERE name = 'case_fts_watermark'").fetchone():
        with con:
            con.execute("INSERT INTO cases_fts(rowid, title, description, address) SELECT id, title, description, address FROM cases"
                        " WHERE id > (SELECT last_case_id FROM case_fts_watermark WHERE id = 1)")
            con.execute("UPDATE case_fts_watermark SET last_case_id = (SELECT max(id) FROM cases) WHERE id = 1")
        print(f"full-text index, {time.monotonic() - began:.0f} s", file=sys.stderr)
    for day, last in seq.items():
        con.execute("INSERT INTO case_numbers(day, last) VALUES (?, ?)"
                    " ON CONFLICT(day) DO UPDATE SET last = max(case_numbers.last, excluded.last)", (day, last))
    if pg:
        con.execute("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))")
    # The rows went in around the case module, so the assessment's daily roll-ups (0016) do not
    # hold them: mark them unbuilt (the assessment reads raw facts) until `gridloop assess
    # rebuild --db DB` or the next `gridloop serve` computes them again.
    has_rollups = con.execute("SELECT to_regclass('assess_rollup_state') IS NOT NULL").fetchone()[0] if pg else \
        con.execute("SELECT 1 FROM sqlite_master WHERE name = 'assess_rollup_state'").fetchone()
    if has_rollups:
        con.execute("UPDATE assess_rollup_state SET built = 0")
    con.commit()
    if "--analyze" in sys.argv:
        con.execute("ANALYZE")
        con.commit()
    con.close()
    print(f"loaded {n} cases in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
