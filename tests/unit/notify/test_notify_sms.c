/*
 * SMS outbox (notify_sms.c): a template's placeholders are checked on save, a queued text is the
 * template filled in, a delivery report counts only with the message's token and a final one
 * sets the status, the claim leases a message. A real SQLite store.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "notify/notify.h"
#include "store/store.h"
#include "test.h"

#define T0 1790236800

static const unsigned char key[32] = {1, 2, 3, 4, 5, 6, 7, 8};

static struct store *open_store(const char *name, struct store_conn **c)
{
    char path[512];
    struct err e = ERR_INIT;
    struct store *st;
    log_set_level(LOG_OFF);
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&st, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(st, c, &e), 0, "conn: %s", e.msg);
    return st;
}

static int64_t template_id(struct store_conn *c, const char *code)
{
    struct err e = ERR_INIT;
    int64_t id = 0;
    CHECK_INT_EQ(store_one_i64(c, "SELECT id FROM sms_templates WHERE code = ?",
                               STORE_ARGS(store_text(code)), &id, &e),
                 1, "template %s", code);
    return id;
}

TEST(notify_sms_template_placeholders_checked)
{
    struct store_conn *c;
    struct store *st = open_store("sms_tpl.db", &c);
    struct err e = ERR_INIT;
    int64_t receipt = template_id(c, "receipt"), code = template_id(c, "code");
    const char *bad[] = {"工单{number}{code}", "工单{number", "工单number}", "", "{}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err_clear(&e);
        CHECK_INT_EQ(notify_sms_template_set(c, receipt, bad[i], T0, &e), ERR_BAD_REQUEST, "'%s'",
                     bad[i]);
        CHECK_STR_EQ(e.field, "body", "field of '%s'", bad[i]);
    }
    err_clear(&e);
    CHECK_INT_EQ(notify_sms_template_set(c, code, "码{code}，{minutes}分钟", T0, &e), 0, "%s",
                 e.msg);
    CHECK_INT_EQ(notify_sms_template_set(c, 9999, "x", T0, &e), ERR_NOT_FOUND, "missing template");
    store_close(st);
}

TEST(notify_sms_queue_report_and_claim)
{
    struct store_conn *c;
    struct store *st = open_store("sms_queue.db", &c);
    struct err e = ERR_INIT;
    struct arena a;
    char *enc, *mask, *hash;
    arena_init(&a, 4096);
    CHECK_INT_EQ(auth_phone_seal(key, "13812348000", &a, &enc, &mask, &hash, &e), 0, "%s", e.msg);
    struct notify_sms_param p[] = {{"number", "20261205-000001"}, {"check_code", "0123456789"}};
    int64_t id = 0;
    CHECK_INT_EQ(notify_sms_queue(c, "receipt", enc, mask, hash, 0, p, 2, NULL, T0, &id, &e), 0,
                 "%s", e.msg);
    struct notify_sms_msg *m;
    CHECK_INT_EQ(notify_sms_claim(c, T0, 60, 10, &a, &m, &e), 1, "claimed");
    CHECK(strstr(m[0].text, "工单号20261205-000001，查询码0123456789。") != NULL, "%s", m[0].text);
    CHECK(strstr(m[0].text, "{") == NULL, "no placeholder left: %s", m[0].text);
    CHECK_INT_EQ(m[0].attempts, 1, "attempts");
    CHECK_INT_EQ((int)strlen(m[0].dlr_token), NOTIFY_SMS_TOKEN_LEN, "token");
    struct notify_sms_msg *again;
    CHECK_INT_EQ(notify_sms_claim(c, T0 + 59, 60, 10, &a, &again, &e), 0, "leased");
    CHECK_INT_EQ(notify_sms_mark_sent(c, id, T0 + 1, &e), 0, "%s", e.msg);

    int64_t case_id;
    CHECK_INT_EQ(
        notify_sms_report(c, id, "00000000000000000000000000000000", 1, "", T0, &case_id, &e),
        ERR_NOT_FOUND, "a wrong token is no message");
    CHECK_INT_EQ(notify_sms_report(c, id + 1, m[0].dlr_token, 1, "", T0, &case_id, &e),
                 ERR_NOT_FOUND, "another id");
    err_clear(&e);
    CHECK_INT_EQ(notify_sms_report(c, id, m[0].dlr_token, 8, "ACK/", T0 + 2, &case_id, &e), 0, "%s",
                 e.msg);
    struct notify_sms_msg *l;
    CHECK_INT_EQ(notify_sms_list(c, 0, 0, 10, &a, &l, &e), 1, "list");
    CHECK_STR_EQ(l[0].status, "sent", "an ack is not final");
    CHECK_INT_EQ(notify_sms_report(c, id, m[0].dlr_token, 1, "", T0 + 3, &case_id, &e), 0, "%s",
                 e.msg);
    CHECK_INT_EQ(notify_sms_list_phone(c, hash, 10, &a, &l, &e), 1, "by phone");
    CHECK_STR_EQ(l[0].status, "delivered", "delivered");
    CHECK_INT_EQ(l[0].last_report, 1, "last report");
    CHECK_STR_EQ(l[0].phone_mask, mask, "mask");
    arena_release(&a);
    store_close(st);
}
