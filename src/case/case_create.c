/*
 * Intake: a case is validated, numbered (per local day) and created in state new with its
 * create event, the dispatchers' notification and the audit entry, in one transaction.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cal/cal.h"
#include "case/case.h"
#include "case/case_internal.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mask.h"
#include "core/mem.h"
#include "org/org.h"
#include "notify/notify.h"
#include "store/store.h"

static void local_date(const struct cal *cal, int64_t now, char out[16])
{
    int y, m, d;
    clock_civil_from_days(cal_local_day(cal, now), &y, &m, &d);
    snprintf(out, 16, "%04d%02d%02d", y % 10000, m % 100, d % 100);
}

static int read_created(void *ctx, struct store_stmt *row)
{
    struct case_created *out = ctx;
    out->id = store_col_int(row, 0);
    snprintf(out->number, sizeof(out->number), "%s", store_col_text(row, 1));
    snprintf(out->check_code, sizeof(out->check_code), "%s", store_col_text(row, 2));
    return 0;
}

/* 0 if 'key' may be an idempotency key: 1 to 64 printable ASCII characters without spaces. */
int case_idempotency_key_check(const char *key, const char *field, struct err *err)
{
    size_t n = strlen(key);
    int ok = n >= 1 && n <= CASE_IDEMPOTENCY_KEY_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = key[i] > ' ' && key[i] < 0x7f;
    return ok ? 0
              : err_field(err, ERR_BAD_REQUEST, field,
                          "%s must be 1 to %d printable ASCII characters without spaces", field,
                          CASE_IDEMPOTENCY_KEY_MAX);
}

int case_intake_keys_expire(struct store_conn *c, int64_t before, struct err *err)
{
    int64_t rc = store_run(c, "DELETE FROM intake_keys WHERE created_at < ?",
                           STORE_ARGS(store_i64(before)), err);
    return rc < 0 ? (int)rc : 0;
}

/* own_tx: begin and commit here; else the caller holds the transaction (or a savepoint) and
 * undoes it on failure. */
static int create(const struct case_env *env, const struct case_new *in, struct case_created *out,
                  int own_tx, struct err *err)
{
    struct case_tx t = {env, {0}, err, NULL, 0, 0};
    struct store_conn *c = env->conn;
    char day[16];
    char *enc = "", *hash = "", *mask = "";
    const char *region_code = NULL;
    int64_t seq, id, event_id;
    int rc;
    int urgency = in->urgency;

    arena_init(&t.arena, 2048);
    out->repeats = out->repeats_unsolved = 0;
    out->repeat_root = 0;
    out->repeat_note[0] = '\0';
    if ((unsigned)in->channel >= CASE_CHANNEL_COUNT) {
        rc = err_field(err, ERR_BAD_REQUEST, "channel", "unknown channel");
        goto out;
    }
    if ((unsigned)in->kind >= CASE_KIND_COUNT) {
        rc = err_field(err, ERR_BAD_REQUEST, "kind", "unknown kind of request");
        goto out;
    }
    if ((rc = case_check_text(in->title, "title", 1, CASE_TITLE_MAX, err)) < 0 ||
        (rc = case_check_text(in->description, "description", 1, CASE_DESCRIPTION_MAX, err)) < 0 ||
        (rc = case_check_text(in->address, "address", 0, CASE_ADDRESS_MAX, err)) < 0 ||
        (rc = case_check_text(in->citizen_name, "citizen.name", 0, CASE_CITIZEN_NAME_MAX, err)) < 0)
        goto out;
    if (in->has_location && !(in->lat >= CASE_LAT_MIN && in->lat <= CASE_LAT_MAX &&
                              in->lon >= CASE_LON_MIN && in->lon <= CASE_LON_MAX)) {
        rc = err_field(err, ERR_BAD_REQUEST, "lat",
                       "lat must be in [-90, 90] and lon in [-180, 180]");
        goto out;
    }
    if (in->citizen_phone && *in->citizen_phone &&
        (rc = case_phone_check(in->citizen_phone, "citizen.phone", err)) < 0)
        goto out;
    if (in->category_id) {
        struct org_category k;
        if ((rc = org_category_get(c, in->category_id, &t.arena, &k, err)) < 0) {
            if (rc == ERR_NOT_FOUND)
                rc = err_field(err, ERR_BAD_REQUEST, "category", "category %lld does not exist",
                               (long long)in->category_id);
            goto out;
        }
        if (!k.active) {
            rc = err_field(err, ERR_BAD_REQUEST, "category", "category '%s' is no longer in use",
                           k.name);
            goto out;
        }
        if (urgency < 0)
            urgency = (int)k.urgency;
    }
    if (urgency < 0)
        urgency = CU_NORMAL;
    if (in->region_id) {
        struct org_region r;
        if ((rc = org_region_get(c, in->region_id, &t.arena, &r, err)) < 0) {
            /* A region the caller names that does not exist is bad input, not a missing page. */
            if (rc == ERR_NOT_FOUND)
                rc = err_field(err, ERR_BAD_REQUEST, "region_id", "region %lld does not exist",
                               (long long)in->region_id);
            goto out;
        }
        region_code = r.code;
    }
    if (in->citizen_phone && *in->citizen_phone) {
        if ((rc = case_phone_seal(env->cfg, in->citizen_phone, &t.arena, &enc, &hash, err)) < 0)
            goto out;
        mask = arena_alloc(&t.arena, strlen(in->citizen_phone) + 1);
        mask_phone(in->citizen_phone, mask, strlen(in->citizen_phone) + 1);
    }
    local_date(env->cal, env->now, day);
    /* Two draws of five digits, each uniform: a 32-bit value below the largest multiple of
     * 100,000 (else drawn again), modulo 100,000. One getrandom call for both, not one each:
     * it is a system call on the writer's thread. */
    _Static_assert(CASE_CHECK_CODE_DIGITS == 10, "the code is two draws of five digits");
    uint32_t draw[2];
    const uint32_t below = UINT32_MAX / 100000u * 100000u;
    do
        randombytes_buf(draw, sizeof(draw));
    while (draw[0] >= below || draw[1] >= below);
    snprintf(out->check_code, sizeof(out->check_code), "%05u%05u", (unsigned)(draw[0] % 100000u),
             (unsigned)(draw[1] % 100000u));

    if (own_tx && (rc = store_begin(c, err)) < 0)
        goto out;
    /* A retry of an intake that committed: the case it made, not a second one. Looked up
     * under the write lock, so a retry racing the original (on another node) waits for it. */
    if (in->idempotency_key && env->actor->user_id) {
        rc = store_one(c,
                       "SELECT c.id, c.number, c.check_code FROM intake_keys k"
                       " JOIN cases c ON c.id = k.case_id WHERE k.user_id = ? AND k.key = ?",
                       STORE_ARGS(store_i64(env->actor->user_id), store_text(in->idempotency_key)),
                       read_created, out, err);
        if (rc < 0)
            goto rollback;
        if (rc == 1) {
            out->replayed = 1;
            rc = own_tx ? store_commit(c, err) : 0;
            goto out;
        }
    }
    if ((rc = store_one_i64(
             c,
             "INSERT INTO case_numbers(day, last) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET last = case_numbers.last + 1"
             " RETURNING last",
             STORE_ARGS(store_text(day)), &seq, err)) < 0)
        goto rollback;
    snprintf(out->number, sizeof(out->number), "%s-%06lld", day, (long long)seq);
    /* The earlier cases it repeats, before its row: their chain and a raised urgency are the
     * row's own (recorded after triage's and geocoding's events, below). */
    struct case_repeat_found repeats;
    if ((rc = case_repeat_find(&t, in, hash, urgency, &repeats)) < 0)
        goto rollback;
    rc = store_one_i64(
        c,
        "INSERT INTO cases(number, check_code, channel, title, description, category_id, urgency, lat, lon, address,"
        " region_id, region_code, citizen_name, citizen_phone_enc, citizen_phone_mask, citizen_phone_hash, anonymous,"
        " public_consent, created_by, state, version, created_at, updated_at, triage_category_id, triage_department_id, triage_prob, kind,"
        " repeat_root)"
        " VALUES (?, ?, ?, ?, ?, nullif(?, 0), ?, CASE WHEN ? <> 0 THEN ? END, CASE WHEN ? <> 0 THEN ? END, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?,"
        " ?, nullif(?, 0), 'new', 1, ?, ?, nullif(?, 0), nullif(?, 0), CASE WHEN ? <> 0 THEN ? END, ?,"
        " nullif(?, 0)) RETURNING id",
        STORE_ARGS(store_text(out->number), store_text(out->check_code),
                   store_text(case_channel_name(in->channel)), store_text(in->title),
                   store_text(in->description), store_i64(in->category_id),
                   store_text(case_urgency_name((enum case_urgency)repeats.urgency)),
                   store_i64(in->has_location), store_real(in->lat), store_i64(in->has_location),
                   store_real(in->lon), store_text(in->address ? in->address : ""),
                   store_i64(in->region_id), store_text(region_code),
                   store_text(in->citizen_name ? in->citizen_name : ""), store_text(enc),
                   store_text(mask), store_text(hash), store_i64(in->anonymous ? 1 : 0),
                   store_i64(in->public_consent ? 1 : 0), store_i64(env->actor->user_id),
                   store_i64(env->now), store_i64(env->now), store_i64(in->triage_category_id),
                   store_i64(in->triage_department_id), store_i64(in->triage_payload != NULL),
                   store_real(in->triage_prob), store_text(case_kind_name(in->kind)),
                   store_i64(repeats.root)),
        &id, err);
    if (rc < 0)
        goto rollback;
    char *payload =
        arena_printf(&t.arena, "{\"channel\":\"%s\",\"urgency\":\"%s\",\"kind\":\"%s\"}",
                     case_channel_name(in->channel), case_urgency_name((enum case_urgency)urgency),
                     case_kind_name(in->kind));
    if ((rc = case_tx_event(&t, id, "create", NULL, "new", 0, NULL, payload, &event_id)) < 0 ||
        (rc = case_tx_notify(&t, id, event_id, "dispatchers", 0, "new_case",
                             arena_printf(&t.arena, "新工单 %s：%s", out->number, in->title))) <
            0 ||
        (rc = case_tx_audit(
             &t, "create", id, NULL,
             arena_printf(&t.arena, "{\"number\":\"%s\",\"state\":\"new\"}", out->number))) < 0)
        goto rollback;
    if ((rc = case_task_on_intake(&t, id, in)) < 0)
        goto rollback;
    /* 受理回执: the caller who left a number gets the case number and check code by SMS. */
    if (enc && *enc) {
        struct notify_sms_param p[] = {{"number", out->number}, {"check_code", out->check_code}};
        if ((rc = notify_sms_queue(c, "receipt", enc, mask, hash, id, p, 2, NULL, env->now, NULL,
                                   err)) < 0)
            goto rollback;
    }
    /* The suggestion is the system's, whoever reported: its own event, so the timeline says
     * which model suggested what and why. */
    if (in->triage_payload &&
        store_run(
            c,
            "INSERT INTO case_events(case_id, at, actor_name, actor_role, action, from_state, to_state, payload)"
            " VALUES (?, ?, 'triage', 'system', 'triage', 'new', 'new', ?)",
            STORE_ARGS(store_i64(id), store_i64(env->now), store_text(in->triage_payload)),
            err) < 0) {
        rc = err->code;
        goto rollback;
    }
    if (in->locate_note &&
        store_run(
            c,
            "INSERT INTO case_events(case_id, at, actor_name, actor_role, action, from_state, to_state, note, payload)"
            " VALUES (?, ?, 'geocode', 'system', 'locate', 'new', 'new', ?, ?)",
            STORE_ARGS(store_i64(id), store_i64(env->now), store_text(in->locate_note),
                       store_text(in->locate_payload ? in->locate_payload : "{}")),
            err) < 0) {
        rc = err->code;
        goto rollback;
    }
    /* After triage's and geocoding's events: the timeline reads as intake happened. */
    if ((rc = case_repeat_record(&t, id, &repeats, urgency, out)) < 0)
        goto rollback;
    if (in->idempotency_key && env->actor->user_id &&
        store_run(c,
                  "INSERT INTO intake_keys(user_id, key, case_id, created_at) VALUES (?, ?, ?, ?)",
                  STORE_ARGS(store_i64(env->actor->user_id), store_text(in->idempotency_key),
                             store_i64(id), store_i64(env->now)),
                  err) < 0) {
        rc = err->code;
        goto rollback;
    }
    if (own_tx && (rc = case_index_pending(c, err)) < 0)
        goto rollback;
    if (own_tx && (rc = store_commit(c, err)) < 0)
        goto out;
    out->id = id;
    goto out;
rollback:
    if (own_tx)
        store_rollback(c);
out:
    arena_release(&t.arena);
    return rc;
}

int case_create(const struct case_env *env, const struct case_new *in, struct case_created *out,
                struct err *err)
{
    return create(env, in, out, 1, err);
}

int case_index_pending(struct store_conn *c, struct err *err)
{
    /* PostgreSQL's trigram indexes are maintained by the table itself. */
    if (store_dialect(c) == STORE_POSTGRESQL)
        return 0;
    int64_t rc = store_run(
        c,
        "INSERT INTO cases_fts(rowid, title, description, address) SELECT id, title, description,"
        " address FROM cases"
        " WHERE id > (SELECT last_case_id FROM case_fts_watermark WHERE id = 1) ORDER BY id",
        STORE_NO_ARGS, err);
    if (rc >= 0)
        rc = store_run(c,
                       "UPDATE case_fts_watermark SET last_case_id = (SELECT max(id) FROM cases)"
                       " WHERE id = 1 AND last_case_id < (SELECT max(id) FROM cases)",
                       STORE_NO_ARGS, err);
    return rc < 0 ? (int)rc : 0;
}

int case_index_behind(struct store_conn *c, int *behind, struct err *err)
{
    int64_t v = 0;
    *behind = 0;
    if (store_dialect(c) == STORE_POSTGRESQL)
        return 0;
    int rc = store_one_i64(c,
                           "SELECT (SELECT coalesce(max(id), 0) FROM cases) >"
                           " (SELECT last_case_id FROM case_fts_watermark WHERE id = 1)",
                           STORE_NO_ARGS, &v, err);
    *behind = rc == 1 && v;
    return rc < 0 ? rc : 0;
}

int case_create_in_tx(const struct case_env *env, const struct case_new *in,
                      struct case_created *out, struct err *err)
{
    return create(env, in, out, 0, err);
}

int case_note_in_tx(const struct case_env *env, int64_t id, const char *action, const char *note,
                    const char *payload, struct err *err)
{
    struct case_tx t = {env, {0}, err, NULL, 0, 0};
    struct case_rec r;
    int64_t ev;
    int rc;
    arena_init(&t.arena, 1024);
    if ((rc = case_get(env->conn, id, &t.arena, &r, err)) < 0)
        goto out;
    const char *state = case_state_name(r.state);
    if ((rc = case_tx_event(&t, id, action, state, state, r.lead_department_id, note, payload,
                            &ev)) < 0 ||
        (rc = case_tx_audit(&t, action, id, NULL, payload)) < 0)
        goto out;
    rc = case_tx_settle(&t);
out:
    arena_release(&t.arena);
    return rc;
}
