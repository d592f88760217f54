/*
 * gridloop init: create (and migrate) a database and its data key; --demo loads the demo
 * organisation, users, model and Open311 client, --demo-cases N cases of the last two weeks,
 * --demo-addresses the size of the demo's address register, --district a real district instead
 * of the synthetic 澜溪区 (docs/grid.md section 8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <sys/stat.h>

#include "app/app.h"
#include "attach/attach.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "demo/demo.h"
#include "open311/open311.h"
#include "store/store.h"

/* The demo's Open311 client: a fixed, published key, like the demo password. */
#define DEMO_OPEN311_CLIENT "demo-fixmystreet"
#define DEMO_OPEN311_KEY "demo-open311-key-lanxi"

static int demo_open311(struct store *st, int64_t now, struct err *err)
{
    struct store_conn *c;
    int rc;
    if ((rc = store_conn(st, &c, err)) < 0 || (rc = store_begin(c, err)) < 0)
        return rc;
    if ((rc = open311_demo_load(c, DEMO_OPEN311_CLIENT, DEMO_OPEN311_KEY, now, err)) < 0 ||
        (rc = cli_audit_append(c, "open311.demo.load", "open311", NULL, err)) < 0) {
        store_rollback(c);
        return rc;
    }
    return store_commit(c, err);
}

/*
 * The data key is created only for a system that has stored nothing yet (an empty audit log:
 * every write is audited). A database that holds data without its key gets the message to
 * restore the key: a new one would leave the stored phone numbers unreadable. The audit
 * signing key is created whenever it is missing (installs from before the anchor), and its
 * public key printed for the auditors, who check heads against it.
 */
static int init_keys(const struct conf *cf, struct store *st, unsigned char key[32],
                     struct err *err)
{
    struct store_conn *c;
    struct audit_head h;
    unsigned char seed[32], pk[32];
    char hex[65];
    int rc = cli_load_data_key(cf, key, 0, err);
    if (rc == ERR_NOT_FOUND) {
        err_clear(err);
        if ((rc = store_conn(st, &c, err)) < 0 || (rc = audit_head(c, &h, err)) < 0)
            return rc;
        if (h.entries > 0) {
            char *path = cli_data_key_path(cf);
            rc = err_set(err, ERR_NOT_FOUND,
                         "data key '%s' is missing but the database holds data (%lld audit "
                         "entries): restore the key from its backup (docs/backup.md)",
                         path, (long long)h.entries);
            free(path);
            return rc;
        }
        rc = cli_load_data_key(cf, key, 1, err);
    }
    if (rc < 0)
        return rc;
    char *apath = cli_audit_key_path(cf);
    struct stat sb;
    int had = stat(apath, &sb) == 0;
    if ((rc = cli_load_audit_key(cf, seed, 1, err)) == 0) {
        audit_anchor_public_key(seed, pk);
        sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
        printf("audit signing key %s%s, public key %s\n", apath, had ? "" : " (new)", hex);
    }
    sodium_memzero(seed, sizeof(seed));
    free(apath);
    return rc;
}

/* --demo-addresses: about how many address points (0: the default). */
static int register_size(const char *n, int *out, struct err *err)
{
    char *end;
    long count = n ? strtol(n, &end, 10) : 0;
    if (n && (*end || end == n || count < 1000 || count > DEMO_REGISTER_MAX))
        return err_set(err, ERR_BAD_REQUEST,
                       "--demo-addresses must be a number from 1000 to %d, not '%s'",
                       DEMO_REGISTER_MAX, n);
    *out = (int)count;
    return 0;
}

/* The demo's address register, about 'count' address points. */
static int init_register(struct store *st, int count, int64_t now, struct err *err)
{
    struct demo_register_report rep;
    int rc = demo_register(st, count, now, &rep, err);
    if (rc == 0)
        printf("demo address register: %d roads, %d water and green areas, %d buildings, %d "
               "addresses, %d places\n",
               rep.roads, rep.areas, rep.buildings, rep.points, rep.places);
    return rc;
}

int cli_init(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts o = {0};
    struct store *st;
    int rc;
    unsigned char key[32];
    if ((rc = cli_parse_opts(argc, argv, 2, &o, err)) < 0)
        return rc;
    if ((rc = cli_create_store(cf, &st, err)) < 0)
        return rc;
    if ((rc = init_keys(cf, st, key, err)) < 0) {
        sodium_memzero(key, sizeof(key));
        store_close(st);
        return rc;
    }
    printf("database %s at schema version %d\n", cf->db, store_schema_version(st));
    if (o.demo) {
        struct demo_report rep;
        struct clock clk = clock_real();
        const char *pw = o.demo_password ? o.demo_password : "demo";
        int addresses = 0;
        if ((rc = register_size(o.demo_addresses, &addresses, err)) < 0)
            goto out;
        if ((rc = demo_load_district(st, o.district, pw, key, clock_now(&clk), &rep, err)) < 0)
            goto out;
        printf("demo data: %d regions, %d departments, %d categories, %d calendar days, %d users\n",
               rep.regions, rep.departments, rep.categories, rep.calendar_days, rep.users);
        printf("demo users (password '%s'):\n", pw);
        for (size_t i = 0; i < demo_users_count; i++) {
            char what[128];
            printf("  %-14s %-13s %s\n", demo_users[i].name, demo_users[i].roles,
                   demo_user_what(i, o.district, what, sizeof(what)));
        }
        int workers = 0;
        if ((rc = demo_grid_workers(st, pw, key, clock_now(&clk), &workers, err)) < 0)
            goto out;
        printf("demo grid workers: %d (gw_<grid code>, night duty gw_<grid code>_n)\n", workers);
        if (o.district) { /* the tests' 澜溪区 stays without patrol history */
            int patrols = 0, findings = 0;
            int64_t fixes = 0;
            if ((rc = demo_patrols(st, key, 7, clock_now(&clk), &patrols, &fixes, &findings, err)) <
                0)
                goto out;
            printf("demo patrols: %d over the last 7 days (%lld position fixes, %d findings)\n",
                   patrols, (long long)fixes, findings);
        }
        char *model = app_triage_model_path(cf);
        rc = demo_triage_train(st, model, clock_now(&clk), err);
        if (rc == 0)
            printf("demo triage model: %s\n", model);
        free(model);
        if (rc < 0)
            goto out;
        if ((rc = demo_open311(st, clock_now(&clk), err)) < 0)
            goto out;
        if ((rc = init_register(st, addresses, clock_now(&clk), err)) < 0)
            goto out;
        printf("demo Open311 client '%s', api_key %s (docs/open311.md)\n", DEMO_OPEN311_CLIENT,
               DEMO_OPEN311_KEY);
        if (o.demo_cases) {
            char *end;
            long n = strtol(o.demo_cases, &end, 10);
            if (*end || n < 0 || n > 100000) {
                rc = err_set(err, ERR_BAD_REQUEST,
                             "--demo-cases must be a number from 0 to 100000, not '%s'",
                             o.demo_cases);
                goto out;
            }
            if ((rc = demo_cases(st, key, (int)n, clock_now(&clk), err)) < 0)
                goto out;
            printf("demo cases: %ld over the last two weeks\n", n);
        }
        if (o.district) {
            int laddered = 0, escalated = 0;
            if ((rc = demo_ladder(st, key, clock_now(&clk), &laddered, &escalated, err)) < 0)
                goto out;
            printf("demo ladder: %d cases forwarded district -> street -> community, %d patrol"
                   " findings escalated to their community\n",
                   laddered, escalated);
            struct attach_store *files = NULL;
            int selfs = 0;
            if ((rc = cli_open_attachments(cf, &files, err)) == 0)
                rc = demo_self_handled(st, files, key, &selfs, err);
            attach_store_free(files);
            if (rc < 0)
                goto out;
            printf("demo self-handled: %d cases (自行处置 on patrol, with photos)\n", selfs);
        }
    } else if (o.demo_cases || o.demo_addresses || o.district) {
        rc = err_set(err, ERR_BAD_REQUEST, "%s needs --demo",
                     o.demo_cases       ? "--demo-cases"
                     : o.demo_addresses ? "--demo-addresses"
                                        : "--district");
    }
out:
    sodium_memzero(key, sizeof(key));
    store_close(st);
    return rc;
}
