/*
 * Request metrics: a fixed table of (route, status) counters updated with relaxed atomics
 * on the request path, plus one latency histogram. New (route, status) pairs are inserted
 * under a mutex; lookups never lock, because slots are filled once and never removed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/http_internal.h"

#define SLOTS 1024

static const double bucket_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS (sizeof(bucket_le) / sizeof(bucket_le[0]))

struct slot {
    _Atomic(const char *) route; /* published after status is set */
    int status;
    _Atomic uint64_t count;
};

struct http_metrics {
    pthread_mutex_t lock;
    struct slot slots[SLOTS];
    _Atomic uint64_t buckets[NBUCKETS + 1];
    _Atomic uint64_t sum_us;
    _Atomic uint64_t total;
    _Atomic uint64_t dropped; /* observations that found no free slot */
};

struct http_metrics *http_metrics_new(void)
{
    struct http_metrics *m = xcalloc(1, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void http_metrics_free(struct http_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static unsigned slot_hash(const char *route, int status)
{
    uintptr_t h = (uintptr_t)route;
    h ^= h >> 17;
    return (unsigned)((h * 2654435761u) ^ (unsigned)status * 40503u) % SLOTS;
}

static struct slot *find(struct http_metrics *m, const char *route, int status, int create)
{
    unsigned h = slot_hash(route, status);
    for (unsigned i = 0; i < SLOTS; i++) {
        struct slot *s = &m->slots[(h + i) % SLOTS];
        const char *r = atomic_load_explicit(&s->route, memory_order_acquire);
        if (r == route && s->status == status)
            return s;
        if (!r) {
            if (!create)
                return NULL;
            pthread_mutex_lock(&m->lock);
            r = atomic_load_explicit(&s->route, memory_order_acquire);
            if (!r) {
                s->status = status;
                atomic_store_explicit(&s->route, route, memory_order_release);
                pthread_mutex_unlock(&m->lock);
                return s;
            }
            pthread_mutex_unlock(&m->lock);
            if (r == route && s->status == status)
                return s;
        }
    }
    return NULL;
}

void http_metrics_observe(struct http_metrics *m, const char *route, int status, uint64_t ns)
{
    struct slot *s = find(m, route ? route : "unmatched", status, 1);
    if (s)
        atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
    double sec = (double)ns / 1e9;
    size_t b = 0;
    while (b < NBUCKETS && sec > bucket_le[b])
        b++;
    atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_us, ns / 1000, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->total, 1, memory_order_relaxed);
}

static void label_escape(struct buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            buf_putc(out, '\\');
        if (*s == '\n') {
            buf_puts(out, "\\n");
            continue;
        }
        buf_putc(out, *s);
    }
}

void http_metrics_render(struct http_metrics *m, struct buf *out)
{
    buf_puts(out, "# HELP gridloop_http_requests_total HTTP requests by route and status.\n"
                  "# TYPE gridloop_http_requests_total counter\n");
    for (unsigned i = 0; i < SLOTS; i++) {
        const char *r = atomic_load_explicit(&m->slots[i].route, memory_order_acquire);
        if (!r)
            continue;
        buf_puts(out, "gridloop_http_requests_total{route=\"");
        label_escape(out, r);
        buf_printf(out, "\",status=\"%d\"} %llu\n", m->slots[i].status,
                   (unsigned long long)atomic_load(&m->slots[i].count));
    }
    buf_puts(
        out,
        "# HELP gridloop_http_request_duration_seconds Time from request start to response queued.\n"
        "# TYPE gridloop_http_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        cum += atomic_load(&m->buckets[b]);
        buf_printf(out, "gridloop_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                   bucket_le[b], (unsigned long long)cum);
    }
    cum += atomic_load(&m->buckets[NBUCKETS]);
    buf_printf(out, "gridloop_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
               (unsigned long long)cum);
    buf_printf(out, "gridloop_http_request_duration_seconds_sum %.6f\n",
               (double)atomic_load(&m->sum_us) / 1e6);
    buf_printf(out, "gridloop_http_request_duration_seconds_count %llu\n",
               (unsigned long long)atomic_load(&m->total));
}
