/*
 * Reading hot-topic input from a tab-separated file (the Teddy Cup 附件3 export and files like
 * it). Outside input: every failure names the line and the column, and nothing partial is
 * returned.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "triage/triage.h"

#define MAX_TEXT_COLS 8

struct line {
    const char *s;
    size_t len;
};

/* Next line of data from *pos (without the LF and a CR before it); 0 at the end. */
static int next_line(const char *data, size_t len, size_t *pos, struct line *l)
{
    if (*pos >= len)
        return 0;
    const char *s = data + *pos, *nl = memchr(s, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - s) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n > 0 && s[n - 1] == '\r')
        n--;
    l->s = s;
    l->len = n;
    return 1;
}

/* Splits a line at tabs into at most max fields; returns the count (which may exceed max). */
static size_t split(struct line l, struct line *f, size_t max)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= l.len; i++) {
        if (i == l.len || l.s[i] == '\t') {
            if (n < max)
                f[n] = (struct line){l.s + start, i - start};
            n++;
            start = i + 1;
        }
    }
    return n;
}

static int column(const struct line *hdr, size_t nh, const char *name, size_t namelen)
{
    for (size_t i = 0; i < nh; i++)
        if (hdr[i].len == namelen && memcmp(hdr[i].s, name, namelen) == 0)
            return (int)i;
    return -1;
}

static int digits(const char **p, int maxd, int *out)
{
    int n = 0, v = 0;
    while (n < maxd && **p >= '0' && **p <= '9') {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n;
}

/* "2019-02-28 11:25:05", "2019/2/28 11:25:05", "2019/2/28 11:25", "2019-02-28", or RFC 3339. */
static int parse_time(const char *s, int64_t *out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (clock_parse_rfc3339(s, out) == 0)
        return 0;
    if (digits(&p, 4, &y) != 4 || (*p != '-' && *p != '/'))
        return -1;
    char sep = *p++;
    if (digits(&p, 2, &mo) < 1 || *p++ != sep || digits(&p, 2, &d) < 1)
        return -1;
    if (*p == ' ' || *p == 'T') {
        p++;
        if (digits(&p, 2, &h) < 1 || *p++ != ':' || digits(&p, 2, &mi) != 2)
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &se) != 2)
                return -1;
        }
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    int dim[] = {
        31, 28 + (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)), 31, 30, 31, 30, 31, 31, 30, 31, 30,
        31};
    if (d > dim[mo - 1])
        return -1;
    *out = clock_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
        return -1;
    long long v = strtoll(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int triage_hot_read_tsv(const char *data, size_t len, const struct triage_hot_columns *cols,
                        struct arena *a, struct triage_hot_msg **out, size_t *nout, struct err *err)
{
    struct line l, *hdr = NULL, *f = NULL;
    size_t pos = 0, nh, nmsg = 0, cap = 0, lineno = 1;
    int text_col[MAX_TEXT_COLS], ntext = 0;
    int title_col = -1, time_col, author_col = -1, likes_col = -1, id_col = -1;
    struct triage_hot_msg *msgs = NULL;
    int rc = 0;
    static const struct triage_hot_columns defaults = {"detail",  "title", "message_time_iso",
                                                       "user_id", "likes", "message_id"};

    if (!cols)
        cols = &defaults;
    *out = NULL;
    *nout = 0;
    long bad = utf8_invalid_at(data, len);
    if (bad >= 0) {
        size_t ln = 1;
        for (long i = 0; i < bad; i++)
            ln += data[i] == '\n';
        return err_field(err, ERR_BAD_REQUEST, "data", "line %zu is not valid UTF-8", ln);
    }
    if (memchr(data, '\0', len))
        return err_field(err, ERR_BAD_REQUEST, "data", "the file contains a NUL byte");
    if (!next_line(data, len, &pos, &l) || l.len == 0)
        return err_field(err, ERR_BAD_REQUEST, "data", "the file has no header row");
    nh = split(l, NULL, 0);
    hdr = xmalloc(mem_size_mul(nh, sizeof(*hdr)));
    f = xmalloc(mem_size_mul(nh, sizeof(*f)));
    split(l, hdr, nh);

    /* Columns. */
    const char *tl = cols && cols->text ? cols->text : "";
    while (*tl) {
        const char *comma = strchr(tl, ',');
        size_t n = comma ? (size_t)(comma - tl) : strlen(tl);
        if (ntext == MAX_TEXT_COLS) {
            rc = err_field(err, ERR_BAD_REQUEST, "text", "at most %d text columns", MAX_TEXT_COLS);
            goto out;
        }
        if ((text_col[ntext++] = column(hdr, nh, tl, n)) < 0) {
            rc = err_field(err, ERR_BAD_REQUEST, "text", "no column '%.*s' in the header", (int)n,
                           tl);
            goto out;
        }
        tl += n + (comma ? 1 : 0);
    }
    if (ntext == 0) {
        rc = err_field(err, ERR_BAD_REQUEST, "text", "name at least one text column");
        goto out;
    }
    struct {
        const char *name, *field;
        int *col;
    } opt[] = {
        {cols->title, "title", &title_col}, {cols->author, "author", &author_col},
        {cols->likes, "likes", &likes_col}, {cols->id, "id", &id_col},
        {cols->time, "time", &time_col},
    };
    for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
        if (!opt[i].name || !*opt[i].name) {
            if (opt[i].col == &time_col) {
                rc = err_field(err, ERR_BAD_REQUEST, "time", "a time column is required");
                goto out;
            }
            continue;
        }
        if ((*opt[i].col = column(hdr, nh, opt[i].name, strlen(opt[i].name))) < 0) {
            rc = err_field(err, ERR_BAD_REQUEST, opt[i].field, "no column '%s' in the header",
                           opt[i].name);
            goto out;
        }
    }

    /* Rows. */
    while (next_line(data, len, &pos, &l)) {
        lineno++;
        if (l.len == 0)
            continue;
        size_t nf = split(l, f, nh);
        if (nf != nh) {
            rc = err_field(err, ERR_BAD_REQUEST, "data",
                           "line %zu has %zu fields, the header has %zu", lineno, nf, nh);
            goto out;
        }
        if (nmsg == cap) {
            cap = cap ? cap * 2 : 1024;
            msgs = xrealloc(msgs, mem_size_mul(cap, sizeof(*msgs)));
        }
        struct triage_hot_msg *m = &msgs[nmsg];
        memset(m, 0, sizeof(*m));
        char *tm = arena_strndup(a, f[time_col].s, f[time_col].len);
        if (parse_time(tm, &m->at) < 0) {
            rc = err_field(err, ERR_BAD_REQUEST, "time",
                           "line %zu: time '%.40s' is not YYYY-MM-DD HH:MM:SS", lineno, tm);
            goto out;
        }
        m->id = (int64_t)lineno;
        if (id_col >= 0) {
            char *s = arena_strndup(a, f[id_col].s, f[id_col].len);
            if (parse_int(s, INT64_MIN + 1, INT64_MAX, &m->id) < 0) {
                rc = err_field(err, ERR_BAD_REQUEST, "id", "line %zu: id '%.40s' is not an integer",
                               lineno, s);
                goto out;
            }
        }
        if (likes_col >= 0 && f[likes_col].len > 0) {
            char *s = arena_strndup(a, f[likes_col].s, f[likes_col].len);
            int64_t v;
            if (parse_int(s, 0, 1000000000, &v) < 0) {
                rc = err_field(err, ERR_BAD_REQUEST, "likes",
                               "line %zu: likes '%.40s' is not a count", lineno, s);
                goto out;
            }
            m->likes = (int)v;
        }
        if (author_col >= 0)
            m->author = arena_strndup(a, f[author_col].s, f[author_col].len);
        if (title_col >= 0)
            m->title = arena_strndup(a, f[title_col].s, f[title_col].len);
        size_t tlen = 0;
        for (int i = 0; i < ntext; i++)
            tlen = mem_size_add(tlen, f[text_col[i]].len + 1);
        char *text = arena_alloc(a, tlen + 1), *p = text;
        for (int i = 0; i < ntext; i++) {
            if (i > 0)
                *p++ = ' ';
            memcpy(p, f[text_col[i]].s, f[text_col[i]].len);
            p += f[text_col[i]].len;
        }
        *p = '\0';
        m->text = text;
        nmsg++;
    }
    if (nmsg) {
        *out = arena_alloc(a, mem_size_mul(nmsg, sizeof(*msgs)));
        memcpy(*out, msgs, nmsg * sizeof(*msgs));
    }
    *nout = nmsg;
out:
    free(msgs);
    free(hdr);
    free(f);
    return rc;
}
