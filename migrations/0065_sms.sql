-- Issue 18 item 2: SMS through a gateway (Kannel). The texts are a table the admin edits; each
-- message to send is a row of the SMS outbox, queued in the same transaction as the event it
-- announces and delivered by the notification worker with retries; Kannel's delivery reports
-- come back to GET /api/v1/sms/dlr and are kept per message.
CREATE TABLE sms_templates (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,        -- receipt | evaluate | code | policy
    name        TEXT    NOT NULL,
    body        TEXT    NOT NULL,               -- {number} {check_code} {code} {text} {minutes}
    updated_at  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sms_templates (code, name, body) VALUES ('receipt', '受理回执',
    '【12345】您反映的问题已受理，工单号{number}，查询码{check_code}。可凭工单号和查询码查询办理进度。');
INSERT INTO sms_templates (code, name, body) VALUES ('evaluate', '办结请评价',
    '【12345】您反映的问题（工单号{number}）已办结，请对办理结果进行评价。');
INSERT INTO sms_templates (code, name, body) VALUES ('code', '验证码',
    '【12345】您的验证码为{code}，{minutes}分钟内有效，请勿告知他人。');
INSERT INTO sms_templates (code, name, body) VALUES ('policy', '政策提醒',
    '【12345】{text}');

CREATE TABLE sms_messages (
    id              INTEGER PRIMARY KEY,
    template_id     INTEGER NOT NULL REFERENCES sms_templates(id),
    case_id         INTEGER REFERENCES cases(id),
    phone_enc       TEXT    NOT NULL,           -- sealed as case phones are (auth_phone_seal)
    phone_mask      TEXT    NOT NULL,
    phone_hash      TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed', 'delivered', 'undelivered')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    dlr_token       TEXT    NOT NULL,           -- what the delivery report must carry
    secret_enc      TEXT    NOT NULL DEFAULT '', -- a sign-in code, sealed; {code} stays in text, cleared once sent
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    report_at       INTEGER
);
CREATE INDEX sms_messages_due ON sms_messages(status, next_attempt_at);
CREATE INDEX sms_messages_phone ON sms_messages(phone_hash, id);
CREATE INDEX sms_messages_case ON sms_messages(case_id);

CREATE TABLE sms_reports (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES sms_messages(id),
    type        INTEGER NOT NULL,               -- Kannel's %d: 1 delivered, 2 failed, 4 buffered, 8 smsc ack, 16 smsc reject
    status      TEXT    NOT NULL DEFAULT '',    -- Kannel's %A: the SMSC's answer
    at          INTEGER NOT NULL
);
CREATE INDEX sms_reports_message ON sms_reports(message_id, id);

-- Sign-up and sign-in by SMS code (docs/citizens.md). A code is kept only as a keyed hash, for
-- 5 minutes and a few attempts; requests are counted per phone (by its keyed hash) and per
-- client address, whether or not the number has an account.
CREATE TABLE sms_codes (
    id          INTEGER PRIMARY KEY,
    phone_hash  TEXT    NOT NULL,
    code_hash   TEXT    NOT NULL,
    ip          TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    used_at     INTEGER
);
CREATE INDEX sms_codes_phone ON sms_codes(phone_hash, created_at);
CREATE INDEX sms_codes_ip ON sms_codes(ip, created_at);

-- The citizen's own profile (docs/citizens.md): what they choose to tell, edited only by them;
-- the ID number sealed like phones. Erased with the account (DELETE /api/v1/me).
CREATE TABLE citizen_profiles (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL UNIQUE REFERENCES users(id),
    name            TEXT    NOT NULL DEFAULT '',
    id_number_enc   TEXT    NOT NULL DEFAULT '',
    id_number_mask  TEXT    NOT NULL DEFAULT '',
    region_id       INTEGER REFERENCES regions(id),
    address         TEXT    NOT NULL DEFAULT '',
    consent_offers  INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL
);
CREATE TABLE citizen_household (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    position    INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    relation    TEXT    NOT NULL
);
CREATE INDEX citizen_household_user ON citizen_household(user_id, position);
