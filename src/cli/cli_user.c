/*
 * gridloop user add|passwd|list: accounts from the command line (the first admin among
 * them). Each change is audited as "gridloop cli" in its own transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/mem.h"
#include "store/store.h"

static int parse_ids(const char *list, int64_t *out, int max, int *n, struct err *err)
{
    *n = 0;
    for (const char *p = list; *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v <= 0 || (*end && *end != ','))
            return err_field(err, ERR_BAD_REQUEST, "department",
                             "--department wants ids like 3,7, got '%s'", list);
        if (*n == max)
            return err_field(err, ERR_BAD_REQUEST, "department", "at most %d departments", max);
        out[(*n)++] = v;
        p = *end ? end + 1 : end;
    }
    return 0;
}

int cli_user(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts opts = {0};
    const struct cli_opts *o = &opts;
    struct store *st;
    struct store_conn *c;
    struct arena a;
    int rc;
    if (argc < 3)
        return err_set(err, ERR_BAD_REQUEST, "'%s' needs a subcommand (see gridloop --help)",
                       argv[1]);
    const char *sub = argv[2];
    if ((rc = cli_parse_opts(argc, argv, 3, &opts, err)) < 0)
        return rc;
    if ((rc = cli_open_store(cf, &st, err)) < 0)
        return rc;
    arena_init(&a, 4096);
    if ((rc = store_conn(st, &c, err)) < 0)
        goto out;
    struct clock clk = clock_real();
    if (strcmp(sub, "add") == 0) {
        struct auth_user_input in = {0};
        int64_t depts[AUTH_MAX_DEPTS], id;
        if (!o->name || !o->password || !o->role) {
            rc = err_set(err, ERR_BAD_REQUEST, "user add needs --name, --password and --role");
            goto out;
        }
        in.name = o->name;
        in.password = o->password;
        in.region_code = o->region;
        in.display_name = o->display_name;
        in.phone = o->phone;
        /* A phone is sealed under the data key, like case phones. */
        unsigned char key[32];
        if (o->phone && (rc = cli_load_data_key(cf, key, 0, err)) < 0)
            goto out;
        in.data_key = o->phone ? key : NULL;
        if ((rc = auth_roles_parse(o->role, &in.roles, err)) < 0 ||
            (o->department &&
             (rc = parse_ids(o->department, depts, AUTH_MAX_DEPTS, &in.ndepts, err)) < 0))
            goto out;
        in.depts = depts;
        if ((rc = store_begin(c, err)) < 0)
            goto out;
        if ((rc = auth_user_create(c, &in, clock_now(&clk), &id, err)) < 0 ||
            (rc = cli_audit_append(c, "user.create", arena_printf(&a, "user/%lld", (long long)id),
                                   o->role, err)) < 0) {
            store_rollback(c);
            goto out;
        }
        if ((rc = store_commit(c, err)) < 0)
            goto out;
        printf("user %s created with id %lld\n", o->name, (long long)id);
    } else if (strcmp(sub, "passwd") == 0) {
        struct auth_user u;
        if (!o->name || !o->password) {
            rc = err_set(err, ERR_BAD_REQUEST, "user passwd needs --name and --password");
            goto out;
        }
        if ((rc = auth_user_get_by_name(c, o->name, &a, &u, err)) < 0 ||
            (rc = store_begin(c, err)) < 0)
            goto out;
        if ((rc = auth_user_set_password(c, u.id, o->password, clock_now(&clk), err)) < 0 ||
            (rc = cli_audit_append(c, "user.passwd", arena_printf(&a, "user/%lld", (long long)u.id),
                                   NULL, err)) < 0) {
            store_rollback(c);
            goto out;
        }
        if ((rc = store_commit(c, err)) < 0)
            goto out;
        printf("password of %s changed; their sessions were ended\n", o->name);
    } else if (strcmp(sub, "list") == 0) {
        struct auth_user *v;
        size_t n;
        if ((rc = auth_user_list(c, &a, &v, &n, err)) < 0)
            goto out;
        printf("%-6s %-20s %-36s %-16s %s\n", "id", "name", "roles", "region", "active");
        for (size_t i = 0; i < n; i++) {
            char roles[128];
            auth_roles_format(v[i].roles, roles, sizeof(roles));
            printf("%-6lld %-20s %-36s %-16s %s\n", (long long)v[i].id, v[i].name, roles,
                   v[i].region_code ? v[i].region_code : "-", v[i].active ? "yes" : "no");
        }
    } else {
        rc = err_set(err, ERR_BAD_REQUEST, "unknown user command '%s' (add, passwd, list)", sub);
    }
out:
    arena_release(&a);
    store_close(st);
    return rc;
}
