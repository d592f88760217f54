/*
 * Geocoding as running state (docs/maps.md, "Geocoding"): one index per register version,
 * shared by the requests that read it. The version is read from the database at most every
 * GEOCODE_CHECK_NS (and at once after this process's own register writes, app_geocode_stale),
 * so every node of a cluster follows the register within a few seconds without a read per
 * keystroke. A reference count lets a rebuild replace the index while requests still read the
 * old one; the last of them frees it.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_internal.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "geocode/geocode.h"

#define GEOCODE_CHECK_NS (3ull * 1000000000ull)

struct app_geocode_ref {
    struct geocode_index *ix;
    _Atomic int refs; /* the app's own (while current) + one per request */
};

struct app_geocode {
    pthread_mutex_t lock;  /* guards cur and checked_at */
    pthread_mutex_t build; /* one rebuild at a time; readers keep the old index meanwhile */
    struct app_geocode_ref *cur;
    uint64_t checked_at; /* monotonic ns of the last version read, 0: read at next use */
};

static void unref(struct app_geocode_ref *r)
{
    if (r && atomic_fetch_sub(&r->refs, 1) == 1) {
        geocode_index_free(r->ix);
        free(r);
    }
}

void app_geocode_init(struct app *app)
{
    struct app_geocode *g = xcalloc(1, sizeof(*g));
    pthread_mutex_init(&g->lock, NULL);
    pthread_mutex_init(&g->build, NULL);
    app->geocode = g;
}

void app_geocode_free(struct app *app)
{
    struct app_geocode *g = app->geocode;
    if (!g)
        return;
    unref(g->cur);
    pthread_mutex_destroy(&g->lock);
    pthread_mutex_destroy(&g->build);
    free(g);
    app->geocode = NULL;
}

void app_geocode_stale(struct app *app)
{
    struct app_geocode *g = app->geocode;
    pthread_mutex_lock(&g->lock);
    g->checked_at = 0;
    pthread_mutex_unlock(&g->lock);
}

static struct app_geocode_ref *take(struct app_geocode *g)
{
    pthread_mutex_lock(&g->lock);
    struct app_geocode_ref *r = g->cur;
    if (r)
        atomic_fetch_add(&r->refs, 1);
    pthread_mutex_unlock(&g->lock);
    return r;
}

/* The current index, a reference the caller drops with unref(). */
static int acquire(const struct app_ctx *x, struct app_geocode_ref **out)
{
    struct app_geocode *g = x->app->geocode;
    uint64_t now = clock_mono_ns();
    pthread_mutex_lock(&g->lock);
    int due = !g->cur || g->checked_at == 0 || now - g->checked_at >= GEOCODE_CHECK_NS;
    pthread_mutex_unlock(&g->lock);
    if (!due) {
        *out = take(g);
        return 0;
    }
    int rc;
    int64_t version;
    if ((rc = geocode_version_read(x->conn, &version, x->err)) < 0)
        return rc;
    pthread_mutex_lock(&g->build);
    pthread_mutex_lock(&g->lock);
    int fresh = g->cur && geocode_index_version(g->cur->ix) == version;
    if (fresh)
        g->checked_at = now;
    pthread_mutex_unlock(&g->lock);
    if (!fresh) {
        struct geocode_index *ix;
        if ((rc = geocode_index_load(x->conn, &ix, x->err)) < 0) {
            pthread_mutex_unlock(&g->build);
            return rc;
        }
        struct app_geocode_ref *r = xcalloc(1, sizeof(*r));
        r->ix = ix;
        atomic_init(&r->refs, 1);
        pthread_mutex_lock(&g->lock);
        struct app_geocode_ref *old = g->cur;
        g->cur = r;
        g->checked_at = now;
        pthread_mutex_unlock(&g->lock);
        unref(old);
    }
    pthread_mutex_unlock(&g->build);
    *out = take(g);
    return 0;
}

int app_geocode_search(const struct app_ctx *x, const char *q, size_t limit,
                       struct geocode_hit **items, size_t *n, enum geocode_status *status)
{
    struct app_geocode_ref *r;
    int rc = acquire(x, &r);
    if (rc < 0)
        return rc;
    geocode_search(r->ix, q, limit, x->arena, items, n, status);
    unref(r);
    return 0;
}

int app_geocode_suggest(const struct app_ctx *x, const char *q, size_t limit,
                        struct geocode_hit **items, size_t *n)
{
    struct app_geocode_ref *r;
    int rc = acquire(x, &r);
    if (rc < 0)
        return rc;
    geocode_suggest(r->ix, q, limit, x->arena, items, n);
    unref(r);
    return 0;
}

int app_geocode_reverse(const struct app_ctx *x, double lat, double lon, struct geocode_hit *out,
                        int *found)
{
    struct app_geocode_ref *r;
    int rc = acquire(x, &r);
    if (rc < 0)
        return rc;
    *found = geocode_reverse(r->ix, lat, lon, x->arena, out);
    unref(r);
    return 0;
}

int app_geocode_size(const struct app_ctx *x, size_t *n)
{
    struct app_geocode_ref *r;
    int rc = acquire(x, &r);
    if (rc < 0)
        return rc;
    *n = geocode_index_size(r->ix);
    unref(r);
    return 0;
}
