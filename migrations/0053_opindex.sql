-- 0053: the city operation index (城市运行指数, issue 16 item 6; docs/warning.md §6): a weighted
-- score of eight areas per region, from cases, warnings and sensors, recomputed by the sweeper,
-- with its history and what moved it. The areas, their weights, the categories (code prefixes,
-- comma-separated) and the device types that feed each are rows an administrator edits.
CREATE TABLE opindex_areas (
    code         TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    weight       REAL    NOT NULL CHECK (weight BETWEEN 0 AND 100),
    categories   TEXT    NOT NULL DEFAULT '',
    device_types TEXT    NOT NULL DEFAULT '',
    position     INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
INSERT INTO opindex_areas(code, name, weight, categories, device_types, position, updated_at) VALUES
    ('public_order', '公共安全', 20, '13', 'smoke,gas', 1, 0),
    ('traffic', '交通出行', 15, '04', '', 2, 0),
    ('environment', '生态环境', 15, '07,03', 'noise,water_quality', 3, 0),
    ('municipal', '市政设施', 15, '02', 'water_level,manhole', 4, 0),
    ('appearance', '市容环境', 10, '01', '', 5, 0),
    ('utilities', '水电气暖', 10, '06', '', 6, 0),
    ('livelihood', '民生服务', 10, '05,09,10,11,12', '', 7, 0),
    ('market', '市场秩序', 5, '08', '', 8, 0);

-- One row per region and computation that moved the score (or hourly): the index, each area's
-- score and what moved it (JSON), for the history chart and "what moved it".
CREATE TABLE opindex_history (
    region_id INTEGER NOT NULL REFERENCES regions(id),
    at        INTEGER NOT NULL,
    score     REAL    NOT NULL,
    areas     TEXT    NOT NULL,
    PRIMARY KEY (region_id, at)
);
