/*
 * Shared helpers of the org module: text checks, one record and lists read through the
 * files' own row readers.
 */
#include "org/org_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "org/org.h"
#include "store/store.h"

int org_check_text(const char *s, const char *field, size_t max_cp, int required, struct err *err)
{
    size_t n;
    int blank = 1;

    if (!s)
        s = "";
    n = strlen(s);
    if (utf8_invalid_at(s, n) >= 0)
        return err_field(err, ERR_BAD_REQUEST, field, "%s is not valid UTF-8", field);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        /* Tabs and newlines too: these are one-line labels shown in lists and exports. */
        if (ch < 0x20 || ch == 0x7f)
            return err_field(err, ERR_BAD_REQUEST, field, "%s contains a control character", field);
        if (ch != ' ')
            blank = 0;
    }
    if (required && blank)
        return err_field(err, ERR_BAD_REQUEST, field, "%s is required", field);
    if (utf8_len(s) > max_cp)
        return err_field(err, ERR_BAD_REQUEST, field, "%s is longer than %zu characters", field,
                         max_cp);
    return 0;
}

int org_conflict(int rc, struct err *err, const char *what)
{
    if (rc == ERR_CONFLICT)
        return err_set(err, ERR_CONFLICT, "%s", what);
    return rc;
}

struct read_ctx {
    org_read_fn *read;
    struct arena *a;
    size_t size;
    unsigned char *p; /* org_read_one: the record; org_read_all: the records so far (heap) */
    size_t n, cap;
};

static int one_row(void *ctx, struct store_stmt *row)
{
    struct read_ctx *x = ctx;
    memset(x->p, 0, x->size);
    x->read(row, x->a, x->p);
    return 0;
}

int org_read_one(struct store_conn *c, const char *sql, struct store_args args, size_t size,
                 org_read_fn *read, struct arena *a, void *out, const char *what, int64_t id,
                 const char *code, struct err *err)
{
    struct read_ctx x = {read, a, size, out, 0, 0};
    int rc = store_one(c, sql, args, one_row, &x, err);
    if (rc == 0)
        return code ? err_set(err, ERR_NOT_FOUND, "%s '%.40s' not found", what, code)
                    : err_set(err, ERR_NOT_FOUND, "%s %lld not found", what, (long long)id);
    return rc < 0 ? rc : 0;
}

static int all_row(void *ctx, struct store_stmt *row)
{
    struct read_ctx *x = ctx;
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 16;
        x->p = xrealloc(x->p, mem_size_mul(x->cap, x->size));
    }
    unsigned char *slot = x->p + x->n * x->size;
    memset(slot, 0, x->size);
    x->read(row, x->a, slot);
    x->n++;
    return 0;
}

int org_read_all(struct store_conn *c, const char *sql, struct store_args args, size_t size,
                 org_read_fn *read, struct arena *a, void **out, size_t *n, struct err *err)
{
    struct read_ctx x = {read, a, size, NULL, 0, 0};
    int64_t rc = store_all(c, sql, args, all_row, &x, err);
    if (rc >= 0) {
        *out = x.n ? arena_alloc(a, x.n * size) : NULL;
        if (x.n)
            memcpy(*out, x.p, x.n * size);
        *n = x.n;
    }
    free(x.p);
    return rc < 0 ? (int)rc : 0;
}

int org_version_read(struct store_conn *c, int64_t *version, struct err *err)
{
    int rc = store_one_i64(c, "SELECT version FROM org_version", STORE_NO_ARGS, version, err);
    if (rc == 0)
        return err_set(err, ERR_INTERNAL, "the organisation version row is missing");
    return rc < 0 ? rc : 0;
}
