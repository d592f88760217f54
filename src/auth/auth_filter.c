/*
 * A user's saved case-list filters: a name and an opaque query text (the API checks and writes
 * it). Everything is per user: one user never reads, replaces or deletes another's.
 */
#include <string.h>

#include "auth/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "store/store.h"

#define FILTER_COLS "id, user_id, name, query, created_at, updated_at"

static void read_filter(struct store_stmt *s, struct arena *a, struct auth_filter *f)
{
    f->id = store_col_int(s, 0);
    f->user_id = store_col_int(s, 1);
    f->name = arena_strdup(a, store_col_text(s, 2));
    f->query = arena_strdup(a, store_col_text(s, 3));
    f->created_at = store_col_int(s, 4);
    f->updated_at = store_col_int(s, 5);
}

typedef VEC(struct auth_filter) filter_vec;

static int push_filter(void *ctx, struct store_stmt *row)
{
    filter_vec *v = ctx;
    read_filter(row, v->arena, vec_push(v));
    return 0;
}

struct one {
    struct arena *a;
    struct auth_filter *out;
};

static int one_filter(void *ctx, struct store_stmt *row)
{
    struct one *o = ctx;
    read_filter(row, o->a, o->out);
    return 0;
}

int auth_filter_get(struct store_conn *c, int64_t user_id, int64_t id, struct arena *a,
                    struct auth_filter *out, struct err *err)
{
    struct one o = {a, out};
    int rc = store_one(c, "SELECT " FILTER_COLS " FROM saved_filters WHERE id = ? AND user_id = ?",
                       STORE_ARGS(store_i64(id), store_i64(user_id)), one_filter, &o, err);
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "saved filter %lld does not exist", (long long)id);
    return rc < 0 ? rc : 0;
}

int auth_filter_list(struct store_conn *c, int64_t user_id, struct arena *a,
                     struct auth_filter **out, size_t *n, struct err *err)
{
    filter_vec v = VEC_IN(a);
    int64_t rc = store_all(
        c, "SELECT " FILTER_COLS " FROM saved_filters WHERE user_id = ? ORDER BY name, id",
        STORE_ARGS(store_i64(user_id)), push_filter, &v, err);
    if (rc < 0)
        return (int)rc;
    *out = v.v;
    *n = v.n;
    return 0;
}

int auth_filter_save(struct store_conn *c, int64_t user_id, const char *name, const char *query,
                     int64_t now, int64_t *id, struct err *err)
{
    size_t chars = name ? utf8_len(name) : 0;
    int64_t count = 0;
    int rc;
    if (!name || utf8_invalid_at(name, strlen(name)) >= 0 || chars < 1 ||
        chars > AUTH_FILTER_NAME_MAX)
        return err_field(err, ERR_BAD_REQUEST, "name",
                         "field 'name' must be 1 to %d characters long", AUTH_FILTER_NAME_MAX);
    if (!query || strlen(query) > AUTH_FILTER_QUERY_MAX)
        return err_field(err, ERR_BAD_REQUEST, "query", "field 'query' must be at most %d bytes",
                         AUTH_FILTER_QUERY_MAX);
    if ((rc = store_one_i64(c, "SELECT count(*) FROM saved_filters WHERE user_id = ? AND name <> ?",
                            STORE_ARGS(store_i64(user_id), store_text(name)), &count, err)) < 0)
        return rc;
    if (count >= AUTH_FILTERS_MAX)
        return err_field(err, ERR_CONFLICT, "name",
                         "a user keeps at most %d saved filters: delete one first",
                         AUTH_FILTERS_MAX);
    /* Saving under a name already used replaces that filter (the same id). */
    rc = store_one_i64(c,
                       "INSERT INTO saved_filters(user_id, name, query, created_at, updated_at)"
                       " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, name) DO UPDATE"
                       " SET query = excluded.query, updated_at = excluded.updated_at RETURNING id",
                       STORE_ARGS(store_i64(user_id), store_text(name), store_text(query),
                                  store_i64(now), store_i64(now)),
                       id, err);
    return rc < 0 ? rc : 0;
}

int auth_filter_delete(struct store_conn *c, int64_t user_id, int64_t id, struct err *err)
{
    int64_t n = store_run(c, "DELETE FROM saved_filters WHERE id = ? AND user_id = ?",
                          STORE_ARGS(store_i64(id), store_i64(user_id)), err);
    if (n < 0)
        return (int)n;
    return n ? 0 : err_set(err, ERR_NOT_FOUND, "saved filter %lld does not exist", (long long)id);
}
