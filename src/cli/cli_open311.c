/*
 * gridloop open311 key add|list|revoke: the Open311 clients and their API keys. A key is
 * shown once, when it is issued; the database keeps its hash (auth_token_new).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/mem.h"
#include "open311/open311.h"
#include "store/store.h"

int cli_open311(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts opts = {0};
    const struct cli_opts *o = &opts;
    struct store *st;
    struct store_conn *c;
    struct arena a;
    struct clock clk = clock_real();
    int rc;
    /* "open311 key add": the object and the verb are both words. */
    if (argc < 4 || strcmp(argv[2], "key") != 0)
        return err_set(err, ERR_BAD_REQUEST,
                       "usage: gridloop open311 key add|list|revoke --db FILE ...");
    const char *sub = argv[3];
    if ((rc = cli_parse_opts(argc, argv, 4, &opts, err)) < 0)
        return rc;
    if ((rc = cli_open_store(cf, &st, err)) < 0)
        return rc;
    arena_init(&a, 4096);
    if ((rc = store_conn(st, &c, err)) < 0)
        goto out;
    if (strcmp(sub, "add") == 0) {
        char key[44];
        int64_t id;
        long rate = OPEN311_RATE_DEFAULT;
        char *end = NULL;
        if (!o->name) {
            rc = err_set(err, ERR_BAD_REQUEST, "open311 key add needs --name");
            goto out;
        }
        if (o->rate_limit &&
            ((rate = strtol(o->rate_limit, &end, 10)) < 1 || rate > OPEN311_RATE_MAX || *end)) {
            rc = err_field(err, ERR_BAD_REQUEST, "rate-limit",
                           "--rate-limit is 1 to %d requests per minute", OPEN311_RATE_MAX);
            goto out;
        }
        auth_token_new(key);
        if ((rc = store_begin(c, err)) < 0)
            goto out;
        if ((rc = open311_client_create(c, o->name, (int)rate, key, clock_now(&clk), &id, err)) <
                0 ||
            (rc = cli_audit_append(c, "open311.client.create",
                                   arena_printf(&a, "open311_client/%lld", (long long)id), NULL,
                                   err)) < 0) {
            store_rollback(c);
            goto out;
        }
        if ((rc = store_commit(c, err)) < 0)
            goto out;
        printf(
            "Open311 client %s (id %lld, %ld requests/minute); its api_key, shown only now:\n%s\n",
            o->name, (long long)id, rate, key);
    } else if (strcmp(sub, "list") == 0 || strcmp(sub, "revoke") == 0) {
        struct open311_client *v;
        size_t n;
        int found = 0;
        if ((rc = open311_client_list(c, &a, &v, &n, err)) < 0)
            goto out;
        if (strcmp(sub, "list") == 0)
            printf("%-6s %-24s %-32s %-10s %s\n", "id", "name", "account", "rate/min", "active");
        for (size_t i = 0; i < n; i++) {
            if (strcmp(sub, "list") == 0) {
                printf("%-6lld %-24s %-32s %-10d %s\n", (long long)v[i].id, v[i].name,
                       v[i].user_name, v[i].rate_limit, v[i].revoked_at ? "no" : "yes");
                continue;
            }
            if (!o->name || strcmp(v[i].name, o->name) != 0)
                continue;
            found = 1;
            if ((rc = store_begin(c, err)) < 0)
                goto out;
            if ((rc = open311_client_revoke(c, v[i].id, clock_now(&clk), err)) < 0 ||
                (rc = cli_audit_append(c, "open311.client.revoke",
                                       arena_printf(&a, "open311_client/%lld", (long long)v[i].id),
                                       NULL, err)) < 0) {
                store_rollback(c);
                goto out;
            }
            if ((rc = store_commit(c, err)) < 0)
                goto out;
            printf("Open311 client %s revoked\n", o->name);
        }
        if (strcmp(sub, "revoke") == 0 && !found)
            rc = err_field(err, ERR_NOT_FOUND, "name", "no Open311 client named '%s'",
                           o->name ? o->name : "");
    } else {
        rc = err_set(err, ERR_BAD_REQUEST, "unknown open311 key command '%s' (add, list, revoke)",
                     sub);
    }
out:
    arena_release(&a);
    store_close(st);
    return rc;
}
