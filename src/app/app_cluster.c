/*
 * Several nodes: gridloop processes serving one PostgreSQL database behave as one service.
 *
 * What one process keeps in memory and how the others learn that it changed:
 *   - organisation data (calendar, region index, triage's category map, the API's cached
 *     lists): migration 0009's triggers raise the row org_version and NOTIFY 'o <version>' at
 *     commit; a node bumps its own organisation version when the number is newer than the
 *     last it saw. NOTIFY rather than a version check per request: it costs nothing per
 *     request, and a change reaches every node within the notification's latency
 *     (milliseconds). The row covers what a lost listener connection missed: it is read on
 *     every reconnection, and after this node's own writes (whose announcements then come
 *     back as already seen instead of invalidating everything a second time).
 *   - sessions: the triggers NOTIFY 's <token hash>' for a deleted session and 'u <user id>'
 *     for a changed user; the session cache drops them (auth_session.c), and auth's hook
 *     (auth_on_invalidate) ends the event streams of that session, or has the user's streams
 *     check their session again, on this node as on the one that made the change.
 *   - the live event streams: the notification worker runs on one node (below) and publishes
 *     each notification to its own streams; it announces 'n <node> <id>,<id>...' and the other
 *     nodes read those rows and publish them to theirs. Ids, not documents: a payload must
 *     stay under 8000 bytes.
 *   - the duplicate index of open cases: 'c <node> <id>,...' in the transaction of the
 *     group-commit batch that created them (delivered at its commit, never for a rollback);
 *     the other nodes read and index them.
 *   - a write on a node that does not run the notification worker asks the one that does for
 *     a pass: 'w <node>'.
 * Payloads this node sent carry its id and are ignored when they come back.
 *
 * Background jobs (the overdue sweeper with its hourly planner statistics, the notification
 * worker) run on one node at a time: the one holding a session advisory lock on a dedicated
 * connection (store_leader_hold). The others try every LEAD_TRY_MS; when the holder dies its
 * connection closes, the server releases the lock and the next try takes it. Both jobs are
 * safe under the short overlap a lost connection can cause: a sweep's urges are idempotent per
 * level and claiming notifications is a write transaction (serialised, leased rows).
 *
 * On SQLite there is one process: it leads from the start and nothing listens.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "app/app_internal.h"
#include "auth/auth.h"
#include "case/case.h"
#include "core/clock.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/mem.h"
#include "notify/notify.h"
#include "org/org.h"
#include "store/store.h"

/* Key of the leader's session advisory lock ('gl' 'L'); store_pg.c's write lock is 'gl' 'w'. */
#define LEAD_LOCK_KEY 0x676c4cLL
/* How often a node that does not lead tries the lock, and the leader checks it still holds it. */
#define LEAD_TRY_MS 2000
/* How long the listener waits before looking at the lock again; and after a failed connect. */
#define LISTEN_WAIT_MS 500
#define RETRY_MS 1000

void app_cluster_init(struct app *app)
{
    unsigned char r[8];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        /* Unique enough among the processes of one database. */
        uint64_t x = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)app;
        memcpy(r, &x, sizeof(r));
    }
    for (int i = 0; i < 8; i++)
        snprintf(app->node + 2 * i, 3, "%02x", r[i]);
    int pg = store_is_postgresql(store_options(app->d.store)->path);
    app->shared_rates = pg;
    atomic_store(&app->leader, !pg);
    atomic_store(&app->nodes, !pg); /* PostgreSQL: not known until counted */
    app->wake_pipe[0] = app->wake_pipe[1] = -1;
    pthread_mutex_init(&app->jobs_lock, NULL);
    pthread_mutex_init(&app->out_lock, NULL);
}

const char *app_node_id(const struct app *app)
{
    return app->node;
}

int app_alone(struct app *app)
{
    return atomic_load(&app->nodes) == 1;
}

int app_nodes(struct app *app)
{
    return atomic_load(&app->nodes);
}

int app_is_leader(struct app *app)
{
    return atomic_load(&app->leader);
}

/* ---------------------------------------------------------------- the jobs */

static void jobs_lead(struct app *app, int held)
{
    struct err err = ERR_INIT;
    pthread_mutex_lock(&app->jobs_lock);
    if (held && !atomic_load(&app->leader)) {
        atomic_store(&app->leader, 1);
        log_msg(LOG_INFO, "cluster: node %s now runs the background jobs", app->node);
        if (app->want_sweeper && app_sweeper_run(app, &err) < 0)
            log_msg(LOG_ERROR, "cluster: %s", err.msg);
        if (app->want_notifier && app_notifier_run(app, &err) < 0)
            log_msg(LOG_ERROR, "cluster: %s", err.msg);
    } else if (!held && atomic_load(&app->leader)) {
        atomic_store(&app->leader, 0);
        log_msg(LOG_WARN, "cluster: node %s lost the lock; its background jobs stop", app->node);
        app_sweeper_stop(app);
        app_notifier_stop(app);
    }
    pthread_mutex_unlock(&app->jobs_lock);
}

int app_start_sweeper(struct app *app, struct err *err)
{
    int rc = 0;
    pthread_mutex_lock(&app->jobs_lock);
    app->want_sweeper = 1;
    if (atomic_load(&app->leader))
        rc = app_sweeper_run(app, err);
    pthread_mutex_unlock(&app->jobs_lock);
    return rc;
}

int app_start_notifier(struct app *app, app_publish_fn *fn, void *fn_ctx, struct err *err)
{
    int rc = 0;
    pthread_mutex_lock(&app->jobs_lock);
    app->publish = fn;
    app->publish_ctx = fn_ctx;
    app->want_notifier = 1;
    if (atomic_load(&app->leader)) {
        rc = app_notifier_run(app, err);
    } else {
        /* Refuse a bad channel setting at start, not when this node first leads. */
        struct notify_channel *ch;
        const struct conf *cf = app->d.conf;
        if ((rc = notify_channel_new(&ch, cf->notify_channel, cf->notify_webhook_url,
                                     cf->notify_webhook_timeout * 1000, err)) == 0) {
            struct notify_sms_channel *sms;
            notify_channel_free(ch);
            if ((rc = app_sms_channel_new(app, &sms, err)) == 0)
                notify_sms_channel_free(sms);
        }
    }
    pthread_mutex_unlock(&app->jobs_lock);
    return rc;
}

void app_on_gap(struct app *app, app_gap_fn *fn, void *ctx)
{
    app->gap = fn;
    app->gap_ctx = ctx;
}

void app_notify_wake(struct app *app)
{
    if (!atomic_load(&app->leader)) {
        app_cluster_wake_leader(app);
        return;
    }
    /* The worker may be stopping (this node losing the lock): then there is nothing to wake,
     * and a request must not wait for it to finish. */
    if (pthread_mutex_trylock(&app->jobs_lock) == 0) {
        notify_worker_wake(app->notifier);
        pthread_mutex_unlock(&app->jobs_lock);
    }
}

/* ---------------------------------------------------------------- announcing */

static void poke(struct app *app)
{
    if (app->wake_pipe[1] >= 0) {
        ssize_t n = write(app->wake_pipe[1], "x", 1);
        (void)n; /* a full pipe already wakes the thread */
    }
}

void app_cluster_published(struct app *app, int64_t id)
{
    if (!app->cluster_running)
        return;
    pthread_mutex_lock(&app->out_lock);
    if (app->nout == app->capout) {
        app->capout = app->capout ? app->capout * 2 : 64;
        app->out_ids = xrealloc(app->out_ids, app->capout * sizeof(*app->out_ids));
    }
    app->out_ids[app->nout++] = id;
    pthread_mutex_unlock(&app->out_lock);
    poke(app);
}

void app_cluster_wake_leader(struct app *app)
{
    if (!app->cluster_running)
        return;
    pthread_mutex_lock(&app->out_lock);
    int was = app->out_wake;
    app->out_wake = 1;
    pthread_mutex_unlock(&app->out_lock);
    if (!was)
        poke(app);
}

void app_cluster_case_created(struct app *app, int64_t case_id)
{
    if (!app->shared_rates) /* SQLite: one process, nobody to tell */
        return;
    if (app->nbatch == app->capbatch) {
        app->capbatch = app->capbatch ? app->capbatch * 2 : 64;
        app->batch_cases = xrealloc(app->batch_cases, app->capbatch * sizeof(*app->batch_cases));
    }
    app->batch_cases[app->nbatch++] = case_id;
}

/* "k node id,id,..." in payloads under STORE_NOTIFY_MAX; 'send' gets each. Returns the first
 * error of 'send'. */
typedef int send_fn(void *ctx, const char *payload, struct err *err);
static int send_ids(char kind, const char *node, const int64_t *ids, size_t n, send_fn *send,
                    void *ctx, struct err *err)
{
    char p[STORE_NOTIFY_MAX];
    size_t i = 0;
    while (i < n) {
        int len = snprintf(p, sizeof(p), "%c %s ", kind, node);
        int first = 1;
        /* 20 digits and a comma at most per id: stop well before the limit. */
        while (i < n && (size_t)len + 24 < sizeof(p)) {
            len += snprintf(p + len, sizeof(p) - (size_t)len, "%s%lld", first ? "" : ",",
                            (long long)ids[i++]);
            first = 0;
        }
        int rc = send(ctx, p, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int send_in_tx(void *ctx, const char *payload, struct err *err)
{
    return store_notify(ctx, APP_CHANNEL, payload, err);
}

int app_cluster_before_commit(struct app *app, struct store_conn *c, struct err *err)
{
    if (!app->nbatch)
        return 0;
    size_t n = app->nbatch;
    app->nbatch = 0;
    return send_ids('c', app->node, app->batch_cases, n, send_in_tx, c, err);
}

static int send_listener(void *ctx, const char *payload, struct err *err)
{
    return store_listener_send(ctx, payload, err);
}

/* Cluster thread: send what was queued since the last pass. Lost when the connection is
 * (the streams of the other nodes miss those events; a client reconnecting with
 * Last-Event-ID gets them from the outbox). */
static void flush_out(struct app *app, struct store_listener *l)
{
    char drainbuf[64];
    while (read(app->wake_pipe[0], drainbuf, sizeof(drainbuf)) > 0)
        ;
    pthread_mutex_lock(&app->out_lock);
    int64_t *ids = app->out_ids;
    size_t n = app->nout;
    int wake = app->out_wake;
    app->out_ids = NULL;
    app->nout = app->capout = 0;
    app->out_wake = 0;
    pthread_mutex_unlock(&app->out_lock);
    struct err err = ERR_INIT;
    int rc = 0;
    if (n)
        rc = send_ids('n', app->node, ids, n, send_listener, l, &err);
    if (rc == 0 && wake) {
        char p[32];
        snprintf(p, sizeof(p), "w %s", app->node);
        rc = store_listener_send(l, p, &err);
    }
    if (rc < 0)
        log_msg(LOG_WARN, "cluster: could not tell the other nodes: %s", err.msg);
    free(ids);
}

/* ---------------------------------------------------------------- organisation version */

/* The database's organisation version 'v' was seen: bump this node's when it is newer. */
static void org_seen(struct app *app, int64_t v)
{
    int64_t cur = atomic_load(&app->org_db_seen);
    while (v > cur)
        if (atomic_compare_exchange_weak(&app->org_db_seen, &cur, v)) {
            atomic_fetch_add(&app->org_version, 1);
            return;
        }
}

/* Read the database's version on the calling thread's connection; 0 or a negative ERR_*. */
static int org_read_seen(struct app *app, struct err *err)
{
    struct store_conn *c;
    int64_t v;
    int rc;
    if ((rc = store_conn(app->d.store, &c, err)) < 0 || (rc = org_version_read(c, &v, err)) < 0)
        return rc;
    org_seen(app, v);
    return 0;
}

void app_cluster_org_changed(struct app *app)
{
    struct err err = ERR_INIT;
    if (app->shared_rates && org_read_seen(app, &err) < 0)
        log_msg(LOG_WARN, "cluster: organisation version not read: %s", err.msg);
}

/* ---------------------------------------------------------------- hearing */

/* "digits[,digits...]" up to the end: 1, or 0 for anything else (an empty list included). */
static int id_list_ok(const char *p)
{
    int digits = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (++digits > 18)
                return 0;
        } else if (*p == ',' && digits && p[1]) {
            digits = 0;
        } else {
            return 0;
        }
    }
    return digits > 0;
}

static int hex_ok(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return p[n] == 0 || p[n] == ' ';
}

int app_cluster_msg_parse(const char *p, struct app_cluster_msg *m)
{
    memset(m, 0, sizeof(*m));
    size_t n = strlen(p);
    m->ids = p + n; /* none: the end of the payload */
    if (n < 3 || p[1] != ' ')
        return ERR_BAD_REQUEST;
    const char *rest = p + 2;
    switch (p[0]) {
    case 'o': /* o VERSION (a trigger) */
    case 'u': /* u USER_ID (a trigger) */
        if (!id_list_ok(rest) || strchr(rest, ','))
            return ERR_BAD_REQUEST;
        m->kind = p[0] == 'o' ? APP_MSG_ORG : APP_MSG_USER;
        m->ids = rest;
        return 0;
    case 's': /* s TOKEN_HASH (a trigger) */
        if (n != 2 + 64 || !hex_ok(rest, 64))
            return ERR_BAD_REQUEST;
        m->kind = APP_MSG_SESSION;
        m->ids = rest;
        return 0;
    case 'w': /* w NODE */
    case 'n': /* n NODE IDS */
    case 'c': /* c NODE IDS */
        if (n < 2 + 16 || !hex_ok(rest, 16))
            return ERR_BAD_REQUEST;
        memcpy(m->node, rest, 16);
        m->kind = p[0] == 'w' ? APP_MSG_WAKE : p[0] == 'n' ? APP_MSG_NOTIFICATIONS : APP_MSG_CASES;
        if (m->kind == APP_MSG_WAKE)
            return n == 2 + 16 ? 0 : ERR_BAD_REQUEST;
        if (n < 2 + 16 + 2 || !id_list_ok(rest + 17))
            return ERR_BAD_REQUEST;
        m->ids = rest + 17;
        return 0;
    }
    return ERR_BAD_REQUEST;
}

int app_cluster_msg_next_id(const char **ids, int64_t *id)
{
    const char *p = *ids;
    int64_t v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 18) {
        v = v * 10 + (*p++ - '0');
        digits++;
    }
    if (!digits)
        return 0;
    if (*p == ',')
        p++;
    *ids = p;
    *id = v;
    return 1;
}

/* The ids of one message, sorted (a few hundred at most: 8000 bytes of "123456,"). */
struct id_set {
    int64_t v[STORE_NOTIFY_MAX / 2];
    size_t n;
};

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int in_set(const struct id_set *s, int64_t id)
{
    return bsearch(&id, s->v, s->n, sizeof(s->v[0]), cmp_id) != NULL;
}

/* One query per message: the ids of a worker's pass or of a writer's batch lie close
 * together; rows in between that the message does not name are left to their own message. */
#define RANGE_MAX 2000

static void heard_notifications(struct app *app, struct store_conn *c, const struct id_set *s)
{
    struct arena a;
    struct notify_item *items;
    struct err err = ERR_INIT;
    int64_t first = s->v[0], span = s->v[s->n - 1] - first + 1;
    if (span > RANGE_MAX)
        span = RANGE_MAX; /* the rest: a gap the clients' Last-Event-ID replay covers */
    arena_init(&a, 4096);
    /* The rows were claimed in a transaction that committed before the announcement. */
    int n = notify_list_after(c, first - 1, (int)span, &a, &items, &err);
    if (n < 0)
        log_msg(LOG_WARN, "cluster: notifications %lld...: %s", (long long)first, err.msg);
    for (int i = 0; i < n && app->publish; i++)
        if (in_set(s, items[i].id))
            app->publish(app->publish_ctx, &items[i]);
    arena_release(&a);
}

struct heard_cases {
    struct app *app;
    const struct id_set *s;
};

static void index_case(void *ctx, const struct case_open *k)
{
    struct heard_cases *h = ctx;
    if (!in_set(h->s, k->id))
        return;
    struct case_new in = {.title = k->title,
                          .description = k->description,
                          .has_location = k->has_location,
                          .lat = k->lat,
                          .lon = k->lon,
                          .address = k->address,
                          .category_id = k->category_id};
    app_triage_indexed(h->app, k->id, k->created_at, &in, NULL);
}

static void heard_cases(struct app *app, struct store_conn *c, const struct id_set *s)
{
    struct heard_cases h = {app, s};
    struct err err = ERR_INIT;
    if (case_scan_open_ids(c, s->v[0], s->v[s->n - 1], index_case, &h, &err) < 0)
        log_msg(LOG_WARN, "cluster: cases %lld...: %s", (long long)s->v[0], err.msg);
}

static void heard(void *ctx, const char *p)
{
    struct app *app = ctx;
    struct app_cluster_msg m;
    struct store_conn *c = NULL;
    struct err err = ERR_INIT;
    int64_t id;
    if (app_cluster_msg_parse(p, &m) < 0) {
        log_msg(LOG_WARN, "cluster: ignoring a message on channel %s: %.40s", APP_CHANNEL, p);
        return;
    }
    if (m.node[0] && strcmp(m.node, app->node) == 0)
        return; /* this node's own, back */
    switch (m.kind) {
    case APP_MSG_ORG:
        if (app_cluster_msg_next_id(&m.ids, &id))
            org_seen(app, id);
        return;
    case APP_MSG_SESSION: auth_invalidate_session(app->d.auth, m.ids); return;
    case APP_MSG_USER:
        if (app_cluster_msg_next_id(&m.ids, &id) && id > 0)
            auth_invalidate_user(app->d.auth, id);
        return;
    case APP_MSG_WAKE:
        if (atomic_load(&app->leader))
            notify_worker_wake(app->notifier); /* this thread is the one that frees it */
        return;
    case APP_MSG_NOTIFICATIONS:
    case APP_MSG_CASES:
        if (store_conn(app->d.store, &c, &err) < 0)
            return;
        struct id_set *set = xmalloc(sizeof(*set)); /* 32 kB: not on the stack */
        set->n = 0;
        while (set->n < sizeof(set->v) / sizeof(set->v[0]) && app_cluster_msg_next_id(&m.ids, &id))
            set->v[set->n++] = id;
        qsort(set->v, set->n, sizeof(set->v[0]), cmp_id);
        if (m.kind == APP_MSG_NOTIFICATIONS)
            heard_notifications(app, c, set);
        else
            heard_cases(app, c, set);
        free(set);
        return;
    }
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void *cluster_main(void *arg)
{
    struct app *app = arg;
    struct store_listener *l = NULL;
    struct store_leader *lead = NULL;
    struct err err = ERR_INIT;
    store_listener_new(app->d.store, APP_CHANNEL, &l, &err);
    store_leader_new(app->d.store, LEAD_LOCK_KEY, &lead, &err);
    int64_t next_try = 0;
    int connected_once = 0, down_logged = 0;
    while (!atomic_load(&app->cluster_stop)) {
        int64_t now = mono_ms();
        if (now >= next_try) {
            err_clear(&err);
            jobs_lead(app, store_leader_hold(lead, &err) == 1);
            int64_t peers = 0;
            err_clear(&err);
            if (store_leader_peers(lead, &peers, &err) < 0)
                peers = 0; /* unknown: not alone */
            atomic_store(&app->nodes, (int)peers);
            next_try = now + LEAD_TRY_MS;
        }
        err_clear(&err);
        int rc = store_listener_wait(l, LISTEN_WAIT_MS, app->wake_pipe[0], heard, app, &err);
        if (rc < 0) {
            if (!down_logged)
                log_msg(LOG_WARN, "cluster: not hearing the other nodes: %s", err.msg);
            down_logged = 1;
            /* Wait before reconnecting, but keep the lock checks going. */
            clock_sleep_ms(RETRY_MS);
            continue;
        }
        if (rc == 1) {
            /* Deaf until now: what was announced meanwhile is lost. The organisation version
             * says whether the organisation changed; sessions are simply read again. */
            if (org_read_seen(app, &err) < 0)
                atomic_fetch_add(&app->org_version, 1);
            if (connected_once) {
                log_msg(LOG_INFO, "cluster: hearing the other nodes again");
                auth_invalidate_user(app->d.auth, 0);
                if (app->gap)
                    app->gap(app->gap_ctx);
            }
            connected_once = 1;
            down_logged = 0;
        }
        flush_out(app, l);
    }
    store_listener_free(l);
    /* Closing its connection releases the lock at once; the jobs stop in app_free's order. */
    store_leader_free(lead);
    return NULL;
}

int app_start_cluster(struct app *app, struct err *err)
{
    if (!app->shared_rates)
        return 0; /* SQLite: this process leads from the start */
    if (pipe(app->wake_pipe) != 0)
        return err_set(err, ERR_INTERNAL, "pipe: %s", strerror(errno));
    for (int i = 0; i < 2; i++)
        fcntl(app->wake_pipe[i], F_SETFL, fcntl(app->wake_pipe[i], F_GETFL) | O_NONBLOCK);
    app->cluster_running = 1;
    if (pthread_create(&app->cluster, NULL, cluster_main, app) != 0) {
        app->cluster_running = 0;
        return err_set(err, ERR_INTERNAL, "cannot start the cluster thread");
    }
    log_msg(LOG_INFO, "cluster: node %s; background jobs on the node holding the lock", app->node);
    return 0;
}

void app_cluster_stop(struct app *app)
{
    if (!app->cluster_running)
        return;
    atomic_store(&app->cluster_stop, 1);
    poke(app);
    pthread_join(app->cluster, NULL);
    app->cluster_running = 0;
}

void app_cluster_free(struct app *app)
{
    for (int i = 0; i < 2; i++)
        if (app->wake_pipe[i] >= 0)
            close(app->wake_pipe[i]);
    free(app->out_ids);
    free(app->batch_cases);
    pthread_mutex_destroy(&app->out_lock);
    pthread_mutex_destroy(&app->jobs_lock);
}
