-- 0054: data sharing with privacy (issue 17; docs/data-sharing.md). A catalogue of datasets
-- (政务数据资源目录) with their fields, grading and sharing class; imported tables kept as rows
-- of their dataset; requests, grants and the privacy budget each grant spends; quality runs and
-- the problems sent back to the owning department. The three lists (需求清单, 责任清单, 负面清单)
-- are queries over these tables, not tables of their own.
CREATE TABLE datasets (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,            -- catalogue number, e.g. DS-2026-0001
    name          TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    department_id INTEGER NOT NULL REFERENCES departments(id),   -- the owner (责任部门)
    grade         TEXT    NOT NULL CHECK (grade IN ('general', 'important', 'core')),  -- 一般/重要/核心
    pi_level      TEXT    NOT NULL DEFAULT 'none'
                  CHECK (pi_level IN ('none', 'personal', 'sensitive')),   -- 个人信息 / 敏感个人信息
    share_class   TEXT    NOT NULL
                  CHECK (share_class IN ('unconditional', 'conditional', 'none')),  -- 无条件/有条件/不予共享
    open_class    TEXT    NOT NULL DEFAULT 'closed'
                  CHECK (open_class IN ('open', 'conditional', 'closed')),
    update_freq   TEXT    NOT NULL DEFAULT 'irregular'
                  CHECK (update_freq IN ('realtime', 'daily', 'weekly', 'monthly', 'quarterly',
                                         'yearly', 'irregular')),
    source        TEXT    NOT NULL DEFAULT 'import',  -- 'import' or a gridloop source ('cases', ...)
    k_min         INTEGER NOT NULL DEFAULT 5 CHECK (k_min >= 2),   -- smallest cell an aggregate shows
    row_count     INTEGER NOT NULL DEFAULT 0,
    loaded_at     INTEGER,                            -- last import (timeliness)
    created_by    INTEGER REFERENCES users(id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX datasets_department ON datasets(department_id);

-- The declared schema. type decides the validator (id_card, credit_code, mobile, phone, date,
-- integer, number, text, name, address, region); mask decides what a grantee sees.
CREATE TABLE dataset_fields (
    dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    name        TEXT    NOT NULL,                     -- column key (ASCII)
    label       TEXT    NOT NULL,                     -- meaning, in Chinese
    type        TEXT    NOT NULL,
    sensitivity INTEGER NOT NULL DEFAULT 1 CHECK (sensitivity BETWEEN 1 AND 4),
    mask        TEXT    NOT NULL DEFAULT 'none',
    required    INTEGER NOT NULL DEFAULT 0,
    is_key      INTEGER NOT NULL DEFAULT 0,           -- part of the uniqueness key
    lo          REAL,                                 -- bounds of a number (clamped for noisy sums)
    hi          REAL,
    PRIMARY KEY (dataset_id, name)
);

-- An imported table's rows: the values in field order, joined by U+001F (unit separator), so a
-- scan splits them without a JSON parser. region_id is the row's place for row-scoped grants.
CREATE TABLE dataset_rows (
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    row_no     INTEGER NOT NULL,
    region_id  INTEGER REFERENCES regions(id),
    data       TEXT    NOT NULL,
    import_id  INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, row_no)
);

CREATE TABLE dataset_imports (
    id          INTEGER PRIMARY KEY,
    dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    filename    TEXT    NOT NULL,
    format      TEXT    NOT NULL CHECK (format IN ('csv', 'xlsx')),
    encoding    TEXT    NOT NULL,                     -- utf-8 or gb18030, as detected
    mode        TEXT    NOT NULL DEFAULT 'replace' CHECK (mode IN ('replace', 'append')),
    rows_loaded INTEGER NOT NULL,
    created_by  INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL
);

-- 需求清单 entries: a request for a dataset (fields, purpose, legal basis, period, mode).
CREATE TABLE data_requests (
    id              INTEGER PRIMARY KEY,
    dataset_id      INTEGER NOT NULL REFERENCES datasets(id),
    department_id   INTEGER NOT NULL REFERENCES departments(id),   -- who asks
    fields          TEXT    NOT NULL,                 -- comma-separated field names
    mode            TEXT    NOT NULL CHECK (mode IN ('rows', 'aggregate')),
    purpose         TEXT    NOT NULL,
    legal_basis     TEXT    NOT NULL,
    period_days     INTEGER NOT NULL CHECK (period_days BETWEEN 1 AND 3660),
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'narrowed', 'refused', 'withdrawn')),
    reason          TEXT    NOT NULL DEFAULT '',      -- why refused or narrowed
    grant_id        INTEGER,
    created_by      INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    decided_by      INTEGER REFERENCES users(id),
    decided_at      INTEGER
);
CREATE INDEX data_requests_dataset ON data_requests(dataset_id, status);
CREATE INDEX data_requests_department ON data_requests(department_id, status);

-- A grant: what a department may read of a dataset, until when, over which rows, masked how,
-- and how much privacy budget (epsilon) its noisy aggregates may still spend.
CREATE TABLE data_grants (
    id              INTEGER PRIMARY KEY,
    dataset_id      INTEGER NOT NULL REFERENCES datasets(id),
    department_id   INTEGER NOT NULL REFERENCES departments(id),
    request_id      INTEGER REFERENCES data_requests(id),         -- NULL: unconditional sharing
    fields          TEXT    NOT NULL,                 -- comma-separated field names
    unmasked        TEXT    NOT NULL DEFAULT '',      -- fields shown in clear (a narrower list)
    mode            TEXT    NOT NULL CHECK (mode IN ('rows', 'aggregate')),
    region_id       INTEGER REFERENCES regions(id),   -- row scope: only rows in this region tree
    k_min           INTEGER NOT NULL DEFAULT 5 CHECK (k_min >= 2),
    epsilon_total   REAL    NOT NULL DEFAULT 0 CHECK (epsilon_total >= 0),   -- 0: no noise asked
    epsilon_spent   REAL    NOT NULL DEFAULT 0,
    watermark_key   TEXT    NOT NULL,                 -- hex secret marking this grant's exports
    expires_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    revoke_reason   TEXT    NOT NULL DEFAULT '',
    created_by      INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX data_grants_department ON data_grants(department_id, expires_at);
CREATE INDEX data_grants_dataset ON data_grants(dataset_id);

-- Quality runs (per dataset) and the problems found, sent back to the owner.
CREATE TABLE data_quality_runs (
    id            INTEGER PRIMARY KEY,
    dataset_id    INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    rows_checked  INTEGER NOT NULL,
    rows_bad      INTEGER NOT NULL,
    completeness  REAL    NOT NULL,                   -- share of required values present
    validity      REAL    NOT NULL,                   -- share of present values that pass
    uniqueness    REAL    NOT NULL,                   -- share of rows whose key is unique
    timeliness    REAL    NOT NULL,                   -- 1 when loaded within its update period
    accuracy      REAL    NOT NULL,                   -- share of rows with no problem at all
    per_field     TEXT    NOT NULL,                   -- JSON: per field completeness/validity
    case_id       INTEGER REFERENCES cases(id)        -- the task sent back to the owner
);
CREATE INDEX data_quality_runs_dataset ON data_quality_runs(dataset_id, at);

CREATE TABLE data_quality_problems (
    run_id   INTEGER NOT NULL REFERENCES data_quality_runs(id) ON DELETE CASCADE,
    row_no   INTEGER NOT NULL,
    field    TEXT    NOT NULL,
    rule     TEXT    NOT NULL,                        -- missing, invalid, duplicate
    reason   TEXT    NOT NULL,                        -- in Chinese, e.g. 校验码错误
    PRIMARY KEY (run_id, row_no, field)
);
