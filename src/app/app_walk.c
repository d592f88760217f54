/*
 * The walking graph as running state: one graph per register version, shared by the
 * requests that use it. A reference count lets a reload replace the graph while requests
 * still read the old one; the last of them frees it.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "app/app_internal.h"
#include "core/err.h"
#include "core/mem.h"
#include "walk/walk.h"

struct app_walk {
    struct walk_graph *g;
    int64_t version;
    _Atomic int refs; /* the app's own (while current) + one per request */
};

static void unref(struct app_walk *w)
{
    if (w && atomic_fetch_sub(&w->refs, 1) == 1) {
        walk_graph_free(w->g);
        free(w);
    }
}

int app_walk_acquire(const struct app_ctx *x, struct app_walk **ref, const struct walk_graph **g)
{
    struct app *app = x->app;
    int64_t version;
    int rc = walk_register_version(x->conn, &version, x->err);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&app->walk_lock);
    if (!app->walk || app->walk->version != version) {
        struct walk_graph *fresh;
        /* Loading under the lock: requests arriving meanwhile wait for this graph instead of
         * each building their own. */
        if ((rc = walk_graph_load(x->conn, &fresh, x->err)) < 0) {
            pthread_mutex_unlock(&app->walk_lock);
            return rc;
        }
        struct app_walk *w = xcalloc(1, sizeof(*w));
        w->g = fresh;
        w->version = version;
        atomic_init(&w->refs, 1);
        unref(app->walk);
        app->walk = w;
    }
    atomic_fetch_add(&app->walk->refs, 1);
    *ref = app->walk;
    *g = app->walk->g;
    pthread_mutex_unlock(&app->walk_lock);
    return 0;
}

void app_walk_release(struct app *app, struct app_walk *ref)
{
    (void)app;
    unref(ref);
}

void app_walk_free(struct app *app)
{
    unref(app->walk);
    app->walk = NULL;
}
