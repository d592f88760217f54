/* app_backup: the manifest written and read back, and what the reader refuses (it reads a
 * file anyone with access to the backup directory may have edited). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/err.h"
#include "core/mem.h"
#include "test.h"

#define H1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static struct app_backup_manifest sample(void)
{
    struct app_backup_manifest m = {0};
    m.version = APP_BACKUP_FORMAT_VERSION;
    m.created_at = 1796198400; /* 2026-12-02T08:00:00Z */
    m.gridloop_version = "0.1.0";
    m.schema_version = 8;
    m.source = "/srv/gridloop/县城.db";
    m.files[APP_BACKUP_DATABASE].present = 1;
    m.files[APP_BACKUP_DATABASE].size = 752738304;
    memcpy(m.files[APP_BACKUP_DATABASE].sha256, H1, 65);
    m.files[APP_BACKUP_DATA_KEY].present = 1;
    m.files[APP_BACKUP_DATA_KEY].size = 32;
    memcpy(m.files[APP_BACKUP_DATA_KEY].sha256, H2, 65);
    m.cases = 1000000;
    m.case_events = 3500000;
    m.audit_entries = 4200000;
    m.audit_seq = 4200000;
    memcpy(m.audit_hash, H2, 65);
    memcpy(m.data_key_sha256, H2, 65);
    return m;
}

TEST(app_backup_manifest_round_trip)
{
    struct app_backup_manifest m = sample(), got;
    struct arena a;
    struct err e = ERR_INIT;
    arena_init(&a, 1024);
    char *json = app_backup_manifest_json(&m);
    CHECK_INT_EQ(app_backup_manifest_parse(json, strlen(json), &a, &got, &e), 0, "%s\n%s", e.msg,
                 json);
    CHECK_INT_EQ(got.version, 1, "version");
    CHECK_INT_EQ(got.created_at, m.created_at, "created_at");
    CHECK_STR_EQ(got.gridloop_version, "0.1.0", "gridloop_version");
    CHECK_INT_EQ(got.schema_version, 8, "schema_version");
    CHECK_STR_EQ(got.source, m.source, "source");
    for (int r = 0; r < APP_BACKUP_ROLES; r++) {
        CHECK_INT_EQ(got.files[r].present, m.files[r].present, "role %d", r);
        CHECK_INT_EQ(got.files[r].size, m.files[r].size, "role %d", r);
        CHECK_STR_EQ(got.files[r].sha256, m.files[r].sha256, "role %d", r);
    }
    CHECK_INT_EQ(got.cases, m.cases, "cases");
    CHECK_INT_EQ(got.case_events, m.case_events, "events");
    CHECK_INT_EQ(got.audit_entries, m.audit_entries, "audit");
    CHECK_INT_EQ(got.audit_seq, m.audit_seq, "seq");
    CHECK_STR_EQ(got.audit_hash, H2, "hash");
    CHECK_STR_EQ(got.data_key_sha256, H2, "key fingerprint");
    free(json);

    /* The key kept apart: no file, its fingerprint only. */
    m.files[APP_BACKUP_DATA_KEY].present = 0;
    json = app_backup_manifest_json(&m);
    CHECK_INT_EQ(app_backup_manifest_parse(json, strlen(json), &a, &got, &e), 0, "%s", e.msg);
    CHECK(!got.files[APP_BACKUP_DATA_KEY].present, "no key file");
    CHECK_STR_EQ(got.data_key_sha256, H2, "key fingerprint");
    free(json);

    /* An empty audit log: seq 0 and no hash. */
    m.audit_seq = m.audit_entries = 0;
    m.audit_hash[0] = '\0';
    json = app_backup_manifest_json(&m);
    CHECK_INT_EQ(app_backup_manifest_parse(json, strlen(json), &a, &got, &e), 0, "%s", e.msg);
    CHECK(got.audit_seq == 0 && got.audit_hash[0] == '\0', "empty head");
    free(json);
    arena_release(&a);
}

/* Replace the first occurrence of 'from' in the sample's JSON with 'to'. */
static char *edited(const char *from, const char *to)
{
    struct app_backup_manifest m = sample();
    char *json = app_backup_manifest_json(&m);
    char *at = strstr(json, from);
    CHECK(at != NULL, "'%s' in %s", from, json);
    if (!at)
        return json;
    size_t n = strlen(json) - strlen(from) + strlen(to) + 1;
    char *out = xmalloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - json), json, to, at + strlen(from));
    free(json);
    return out;
}

TEST(app_backup_manifest_refusals)
{
    static const struct {
        const char *from, *to, *why;
    } cases[] = {
        {"\"format\":\"gridloop-backup\"", "\"format\":\"other\"", "not a gridloop backup"},
        {"\"version\":1", "\"version\":2", "format version 2"},
        {"\"version\":1", "\"version\":\"1\"", "format version 0"},
        {"\"schema_version\":8", "\"schema_version\":0", "schema_version"},
        {"\"name\":\"database.sqlite\"", "\"name\":\"../../etc/passwd\"", "must be named"},
        {"\"role\":\"database\"", "\"role\":\"config\"", "unknown file role"},
        {"\"role\":\"data_key\"", "\"role\":\"database\"", "listed twice"},
        {"\"role\":\"database\",\"name\":\"database.sqlite\"",
         "\"role\":\"triage_model\",\"name\":\"triage.model\"", "lists no database"},
        {H1, "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "lowercase hex"},
        {"\"size\":32", "\"size\":-1", "size"},
        {"\"size\":32", "\"size\":1e300", "size"},
        {"\"cases\":1000000", "\"cases\":1.5", "cases"},
        {"\"created_at\":\"2026-12-02T08:00:00Z\"", "\"created_at\":\"yesterday\"", "RFC 3339"},
        {"\"hash\":\"" H2 "\"", "\"hash\":\"\"", "audit_head.hash"},
        {"\"rows\":{", "\"extra\":1,\"rows\":{", "extra"},
        {"\"data_key_sha256\":\"" H2, "\"data_key_sha256\":\"" H1, "not data_key_sha256"},
        {"\"data_key_sha256\":\"" H2 "\"", "\"data_key_sha256\":\"key\"", "data_key_sha256"},
        {",\"data_key_sha256\":\"" H2 "\"", "", "data_key_sha256"},
        {"{\"format\"", "[{\"format\"", "malformed JSON"},
        {"}\n", "", "malformed JSON"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct app_backup_manifest got;
        struct arena a;
        struct err e = ERR_INIT;
        arena_init(&a, 1024);
        char *json = edited(cases[i].from, cases[i].to);
        int rc = app_backup_manifest_parse(json, strlen(json), &a, &got, &e);
        CHECK_INT_EQ(rc, ERR_BAD_REQUEST, "case %zu accepted: %s", i, json);
        CHECK(strstr(e.msg, cases[i].why) != NULL, "case %zu: '%s' not in '%s'", i, cases[i].why,
              e.msg);
        free(json);
        arena_release(&a);
    }
}
