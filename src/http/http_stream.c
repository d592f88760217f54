/*
 * Streaming responses (server-sent events) without a thread per stream.
 *
 * A stream is an MHD response built from a content-reader callback over a queue of
 * messages. MHD 0.9.75 calls the reader from the pool thread that owns the connection
 * whenever it can send; with internal polling a reader that returns 0 is simply called
 * again, which would spin. So when the queue is empty the reader suspends the connection
 * (MHD_suspend_connection, allowed from a content reader) and returns 0: the connection
 * leaves the epoll set and costs no thread and no CPU while idle. http_stream_send() (any
 * thread) queues a message and, if the connection is suspended, resumes it; MHD's
 * inter-thread channel (MHD_USE_ITC) wakes the owning pool thread, which calls the reader
 * again. The 'suspended' flag is only changed under the stream's lock, by the reader (set,
 * just before suspending) and by whoever resumes (cleared, just before resuming), so a
 * connection is resumed exactly once per suspension and never when it is not suspended.
 *
 * A ticker thread per server queues the idle message (an SSE comment) on streams that have
 * sent nothing for idle_seconds: it keeps proxies from closing the connection and, because
 * a suspended connection does not notice a client that went away, it is also how a dead
 * client is found (the write fails, MHD ends the request, the response is freed).
 *
 * The ticker also ends streams past their maximum life (max_life_ms) and marks streams whose
 * check is due. The check itself (the API's: does the session still stand?) runs in the
 * reader, on the connection's pool thread, because it may read the database: a pool thread
 * has its connection, the ticker has none and must not wait on one. Marking wakes a
 * suspended connection; the reader runs the check and suspends again when there is nothing
 * to send.
 *
 * Shutdown: MHD must not be stopped with suspended connections, so http_server_stop()
 * closes every stream first (queued messages are still sent, then the chunked body ends),
 * which resumes the suspended ones, and refuses streams opened after that.
 *
 * Lock order: stream lock before MHD's internal locks (suspend/resume); the registry lock is
 * never held while a stream lock is taken to resume, so a response being freed (which takes
 * the registry lock from inside MHD) cannot deadlock against the ticker.
 */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/http.h"
#include "http/http_internal.h"

enum msg_kind { MSG_DATA, MSG_GAP, MSG_IDLE };

struct msg {
    struct msg *next;
    enum msg_kind kind;
    size_t len;
    char data[];
};

struct http_stream {
    pthread_mutex_t lock;
    _Atomic int refs;
    struct MHD_Connection *conn; /* NULL until queued and once the response is finished */
    struct msg *head, *tail;
    size_t off;   /* bytes of head already handed to MHD */
    size_t ndata; /* MSG_DATA messages queued */
    int suspended;
    int closing; /* end the body once the queue is drained */
    int done;    /* the response is finished: nothing more can be sent */
    int has_gap; /* a MSG_GAP is queued */
    uint64_t last_sent_ns;
    uint64_t opened_ns, last_check_ns;
    _Atomic int check_due; /* the reader runs opt.check before it sends anything more */
    struct http_stream_options opt;
    char *overflow_msg, *idle_msg;
    /* The server's registry (guarded by its lock). */
    struct http_streams *owner;
    struct http_stream *prev, *next;
};

struct http_streams {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct http_stream *head;
    int count;
    int stopping;
    int stop_ticker;
    pthread_t ticker;
    int ticker_running;
};

static struct msg *msg_new(enum msg_kind kind, const char *data, size_t len)
{
    struct msg *m = xmalloc(mem_size_add(sizeof(*m), len));
    m->next = NULL;
    m->kind = kind;
    m->len = len;
    memcpy(m->data, data, len);
    return m;
}

static void queue_clear(struct http_stream *st)
{
    while (st->head) {
        struct msg *m = st->head;
        st->head = m->next;
        free(m);
    }
    st->tail = NULL;
    st->off = 0;
    st->ndata = 0;
    st->has_gap = 0;
}

static void fix_tail(struct http_stream *st)
{
    st->tail = st->head;
    while (st->tail && st->tail->next)
        st->tail = st->tail->next;
}

static void push(struct http_stream *st, struct msg *m)
{
    if (st->tail)
        st->tail->next = m;
    else
        st->head = m;
    st->tail = m;
    if (m->kind == MSG_DATA)
        st->ndata++;
}

/* Drop the oldest whole data message and make sure a gap marker stands where it was, so the
 * client learns it missed something. A message partly handed to MHD is never cut. */
static void drop_oldest(struct http_stream *st)
{
    struct msg **pp = &st->head;
    if (st->off > 0 && *pp)
        pp = &(*pp)->next;
    struct msg **gap_at = pp;
    while (*pp && (*pp)->kind != MSG_DATA)
        pp = &(*pp)->next;
    struct msg *victim = *pp;
    if (!victim)
        return;
    *pp = victim->next;
    free(victim);
    st->ndata--;
    if (!st->has_gap && st->overflow_msg) {
        struct msg *g = msg_new(MSG_GAP, st->overflow_msg, strlen(st->overflow_msg));
        g->next = *gap_at;
        *gap_at = g;
        st->has_gap = 1;
    }
    fix_tail(st);
}

/* Drop every queued message the reader has not started (a started one is finished, so the
 * client never sees half an event). Called with the stream's lock held. */
static void drop_unstarted(struct http_stream *st)
{
    struct msg *m = st->head;
    if (st->off > 0 && m) {
        struct msg *rest = m->next;
        m->next = NULL;
        m = rest;
    } else {
        st->head = NULL;
        st->off = 0;
    }
    while (m) {
        struct msg *next = m->next;
        free(m);
        m = next;
    }
    st->tail = st->head;
    st->ndata = st->head && st->head->kind == MSG_DATA;
    st->has_gap = st->head && st->head->kind == MSG_GAP;
}

/* Called with the stream's lock held. */
static void wake(struct http_stream *st)
{
    if (st->suspended && st->conn) {
        st->suspended = 0;
        MHD_resume_connection(st->conn);
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct http_stream *st = cls;
    size_t n = 0;
    (void)pos;
    /* Only this connection's thread reads, so the check runs once per mark, unlocked (it may
     * wait on the database). */
    if (atomic_exchange(&st->check_due, 0) && st->opt.check && st->opt.check(st->opt.check_arg) < 0)
        http_stream_end(st);
    pthread_mutex_lock(&st->lock);
    while (st->head && n < max) {
        struct msg *m = st->head;
        size_t k = m->len - st->off;
        if (k > max - n)
            k = max - n;
        memcpy(out + n, m->data + st->off, k);
        n += k;
        st->off += k;
        if (st->off == m->len) {
            st->head = m->next;
            if (!st->head)
                st->tail = NULL;
            if (m->kind == MSG_DATA)
                st->ndata--;
            else if (m->kind == MSG_GAP)
                st->has_gap = 0;
            st->off = 0;
            free(m);
        }
    }
    ssize_t ret;
    if (n) {
        st->last_sent_ns = clock_mono_ns();
        ret = (ssize_t)n;
    } else if (st->closing || st->done) {
        ret = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        /* Nothing to send: park the connection instead of being polled again at once. */
        st->suspended = 1;
        MHD_suspend_connection(st->conn);
        ret = 0;
    }
    pthread_mutex_unlock(&st->lock);
    return ret;
}

static void stream_unref(struct http_stream *st)
{
    if (st && atomic_fetch_sub(&st->refs, 1) == 1) {
        queue_clear(st);
        pthread_mutex_destroy(&st->lock);
        free(st->overflow_msg);
        free(st->idle_msg);
        free(st->opt.check_arg);
        free(st);
    }
}

static void unregister(struct http_stream *st)
{
    struct http_streams *ss = st->owner;
    if (!ss)
        return;
    pthread_mutex_lock(&ss->lock);
    if (st->prev)
        st->prev->next = st->next;
    else if (ss->head == st)
        ss->head = st->next;
    if (st->next)
        st->next->prev = st->prev;
    st->prev = st->next = NULL;
    st->owner = NULL;
    ss->count--;
    pthread_mutex_unlock(&ss->lock);
}

/* MHD is done with the response: the request finished, the client went away, or the server
 * is stopping. */
static void stream_finished(void *cls)
{
    struct http_stream *st = cls;
    unregister(st);
    pthread_mutex_lock(&st->lock);
    st->done = 1;
    st->conn = NULL;
    st->suspended = 0;
    queue_clear(st);
    pthread_mutex_unlock(&st->lock);
    stream_unref(st);
}

struct http_stream *http_res_stream(struct http_res *res, const struct http_stream_options *o)
{
    struct http_stream *st = xcalloc(1, sizeof(*st));
    pthread_mutex_init(&st->lock, NULL);
    atomic_init(&st->refs, 2); /* the caller's and the response's */
    st->opt = *o;
    if (!st->opt.max_messages)
        st->opt.max_messages = 256;
    st->overflow_msg = o->overflow_msg ? xstrdup(o->overflow_msg) : NULL;
    st->idle_msg = o->idle_msg ? xstrdup(o->idle_msg) : NULL;
    st->last_sent_ns = st->opened_ns = st->last_check_ns = clock_mono_ns();
    atomic_init(&st->check_due, o->check != NULL);
    if (res->stream)
        http_stream_abandon(res->stream);
    http_res_body(res, 200, o->content_type, "", 0, HTTP_BODY_STATIC);
    res->stream = st;
    return st;
}

int http_stream_send(struct http_stream *st, const char *data, size_t len)
{
    int rc = 0;
    pthread_mutex_lock(&st->lock);
    if (st->done || st->closing) {
        rc = ERR_UNAVAILABLE;
    } else {
        push(st, msg_new(MSG_DATA, data, len));
        while (st->ndata > st->opt.max_messages)
            drop_oldest(st);
        wake(st);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int http_stream_is_open(struct http_stream *st)
{
    pthread_mutex_lock(&st->lock);
    int open = !st->done && !st->closing;
    pthread_mutex_unlock(&st->lock);
    return open;
}

void http_stream_close(struct http_stream *st)
{
    pthread_mutex_lock(&st->lock);
    st->closing = 1;
    wake(st);
    pthread_mutex_unlock(&st->lock);
}

void http_stream_end(struct http_stream *st)
{
    pthread_mutex_lock(&st->lock);
    drop_unstarted(st);
    st->closing = 1;
    wake(st);
    pthread_mutex_unlock(&st->lock);
}

void http_stream_check_soon(struct http_stream *st)
{
    atomic_store(&st->check_due, 1);
    pthread_mutex_lock(&st->lock);
    wake(st);
    pthread_mutex_unlock(&st->lock);
}

void http_stream_unref(struct http_stream *st)
{
    stream_unref(st);
}

void http_stream_abandon(struct http_stream *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->lock);
    st->done = 1;
    queue_clear(st);
    pthread_mutex_unlock(&st->lock);
    stream_unref(st);
}

/* ---------------------------------------------------------------- registry and ticker */

/* References to every registered stream, so they can be worked on without the registry lock.
 * Returns the count; *out is malloc'd (caller frees and unrefs each). */
static int snapshot(struct http_streams *ss, struct http_stream ***out)
{
    pthread_mutex_lock(&ss->lock);
    int n = ss->count;
    struct http_stream **v = xmalloc(mem_size_mul((size_t)(n > 0 ? n : 1), sizeof(*v)));
    int i = 0;
    for (struct http_stream *st = ss->head; st && i < n; st = st->next) {
        atomic_fetch_add(&st->refs, 1);
        v[i++] = st;
    }
    pthread_mutex_unlock(&ss->lock);
    *out = v;
    return i;
}

static void *ticker_main(void *arg)
{
    struct http_streams *ss = arg;
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_mutex_lock(&ss->lock);
        while (!ss->stop_ticker &&
               pthread_cond_timedwait(&ss->cond, &ss->lock, &until) != ETIMEDOUT)
            ;
        int stop = ss->stop_ticker;
        pthread_mutex_unlock(&ss->lock);
        if (stop)
            break;
        struct http_stream **v;
        int n = snapshot(ss, &v);
        uint64_t now = clock_mono_ns();
        for (int i = 0; i < n; i++) {
            struct http_stream *st = v[i];
            pthread_mutex_lock(&st->lock);
            if (!st->done && !st->closing && st->opt.max_life_ms > 0 &&
                now - st->opened_ns >= (uint64_t)st->opt.max_life_ms * 1000000u) {
                /* Sent what is queued, then the body ends; the client reconnects. */
                st->closing = 1;
                wake(st);
            }
            if (!st->done && !st->closing && st->opt.check && st->opt.check_seconds > 0 &&
                now - st->last_check_ns >= (uint64_t)st->opt.check_seconds * 1000000000u) {
                st->last_check_ns = now;
                atomic_store(&st->check_due, 1);
                wake(st);
            }
            if (!st->done && !st->closing && !st->head && st->idle_msg &&
                st->opt.idle_seconds > 0 &&
                now - st->last_sent_ns >= (uint64_t)st->opt.idle_seconds * 1000000000u) {
                push(st, msg_new(MSG_IDLE, st->idle_msg, strlen(st->idle_msg)));
                st->last_sent_ns = now;
                wake(st);
            }
            pthread_mutex_unlock(&st->lock);
            stream_unref(st);
        }
        free(v);
    }
    return NULL;
}

struct http_streams *http_streams_new(void)
{
    struct http_streams *ss = xcalloc(1, sizeof(*ss));
    pthread_mutex_init(&ss->lock, NULL);
    pthread_cond_init(&ss->cond, NULL);
    if (pthread_create(&ss->ticker, NULL, ticker_main, ss) == 0)
        ss->ticker_running = 1;
    else
        log_msg(LOG_WARN, "http: cannot start the stream ticker; idle streams get no keep-alive");
    return ss;
}

struct MHD_Response *http_streams_response(struct http_streams *ss, struct http_stream *st,
                                           struct MHD_Connection *c)
{
    pthread_mutex_lock(&ss->lock);
    st->owner = ss;
    st->next = ss->head;
    if (ss->head)
        ss->head->prev = st;
    ss->head = st;
    ss->count++;
    int stopping = ss->stopping;
    pthread_mutex_unlock(&ss->lock);
    pthread_mutex_lock(&st->lock);
    st->conn = c;
    if (stopping)
        st->closing = 1;
    pthread_mutex_unlock(&st->lock);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st, stream_finished);
    if (!r)
        stream_finished(st);
    return r;
}

int http_streams_count(struct http_streams *ss)
{
    pthread_mutex_lock(&ss->lock);
    int n = ss->count;
    pthread_mutex_unlock(&ss->lock);
    return n;
}

void http_streams_close_all(struct http_streams *ss)
{
    pthread_mutex_lock(&ss->lock);
    ss->stopping = 1;
    ss->stop_ticker = 1;
    pthread_cond_signal(&ss->cond);
    pthread_mutex_unlock(&ss->lock);
    if (ss->ticker_running) {
        pthread_join(ss->ticker, NULL);
        ss->ticker_running = 0;
    }
    struct http_stream **v;
    int n = snapshot(ss, &v);
    for (int i = 0; i < n; i++) {
        http_stream_close(v[i]);
        stream_unref(v[i]);
    }
    free(v);
}

void http_streams_free(struct http_streams *ss)
{
    if (!ss)
        return;
    http_streams_close_all(ss);
    pthread_cond_destroy(&ss->cond);
    pthread_mutex_destroy(&ss->lock);
    free(ss);
}
