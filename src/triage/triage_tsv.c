/*
 * triage TSV: the labelled training and evaluation files (header row, tab-separated, no
 * quoting, as the Teddy Cup exports and most spreadsheet "save as TSV" produce).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "triage/triage.h"

#define MAX_TEXT_COLS 16

void triage_tsv_free(struct triage_tsv *t)
{
    if (!t)
        return;
    arena_release(t->arena);
    free(t->arena);
    free(t->texts);
    free(t->labels);
    free(t);
}

/* Column index of 'name' among the header fields, or -1. */
static int column(const char *const *fields, int nf, const char *name, size_t namelen)
{
    for (int i = 0; i < nf; i++)
        if (strlen(fields[i]) == namelen && memcmp(fields[i], name, namelen) == 0)
            return i;
    return -1;
}

/* Split one line (NUL-terminated copy in the arena) at tabs, in place. */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line;;) {
        char *tab = strchr(p, '\t');
        if (n == max)
            return max + 1;
        fields[n++] = p;
        if (!tab)
            return n;
        *tab = '\0';
        p = tab + 1;
    }
}

#define MAX_FIELDS 256

int triage_tsv_parse(const char *data, size_t len, const char *text_cols, const char *label_col,
                     struct triage_tsv **out, struct err *err)
{
    struct triage_tsv *t = xcalloc(1, sizeof(*t));
    char *fields[MAX_FIELDS + 1];
    int tcol[MAX_TEXT_COLS], ntcol = 0, lcol = -1, nf = 0, rc = 0;
    size_t cap = 0, lineno = 0;
    struct buf text;

    *out = NULL;
    buf_init(&text);
    t->arena = xmalloc(sizeof(*t->arena));
    arena_init(t->arena, 1 << 20);
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t l = nl ? (size_t)(nl - (data + at)) : len - at;
        char *line = arena_strndup(t->arena, data + at, l);
        at += l + (nl ? 1 : 0);
        lineno++;
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        if (strlen(line) != l) {
            rc = err_field(err, ERR_BAD_REQUEST, "data", "line %zu contains a NUL byte", lineno);
            goto out;
        }
        if (lineno == 1) {
            if ((nf = split(line, fields, MAX_FIELDS)) > MAX_FIELDS) {
                rc = err_field(err, ERR_BAD_REQUEST, "data", "header has more than %d columns",
                               MAX_FIELDS);
                goto out;
            }
            for (const char *p = text_cols;;) {
                const char *comma = strchr(p, ',');
                size_t cl = comma ? (size_t)(comma - p) : strlen(p);
                int c = column((const char *const *)fields, nf, p, cl);
                if (c < 0) {
                    rc = err_field(err, ERR_BAD_REQUEST, "text", "no column '%.*s' in the header",
                                   (int)cl, p);
                    goto out;
                }
                if (ntcol == MAX_TEXT_COLS) {
                    rc = err_field(err, ERR_BAD_REQUEST, "text", "at most %d text columns",
                                   MAX_TEXT_COLS);
                    goto out;
                }
                tcol[ntcol++] = c;
                if (!comma)
                    break;
                p = comma + 1;
            }
            if ((lcol = column((const char *const *)fields, nf, label_col, strlen(label_col))) <
                0) {
                rc = err_field(err, ERR_BAD_REQUEST, "label", "no column '%s' in the header",
                               label_col);
                goto out;
            }
            continue;
        }
        if (l == 0 && !nl)
            break; /* the final newline */
        int got = split(line, fields, MAX_FIELDS);
        if (got != nf) {
            rc = err_field(err, ERR_BAD_REQUEST, "data", "line %zu has %d fields, the header %d",
                           lineno, got, nf);
            goto out;
        }
        const char *label = fields[lcol];
        size_t ll = strlen(label);
        if (ll == 0 || ll >= TRIAGE_LABEL_MAX || utf8_invalid_at(label, ll) >= 0) {
            rc = err_field(err, ERR_BAD_REQUEST, "label",
                           "line %zu: the label must be 1 to %d bytes of UTF-8", lineno,
                           TRIAGE_LABEL_MAX - 1);
            goto out;
        }
        buf_reset(&text);
        for (int i = 0; i < ntcol; i++) {
            if (i)
                buf_putc(&text, ' ');
            buf_puts(&text, fields[tcol[i]]);
        }
        if (t->n == cap) {
            cap = cap ? cap * 2 : 1024;
            t->texts = xrealloc(t->texts, mem_size_mul(cap, sizeof(char *)));
            t->labels = xrealloc(t->labels, mem_size_mul(cap, sizeof(char *)));
        }
        t->texts[t->n] = ntcol == 1 ? fields[tcol[0]] : arena_strndup(t->arena, text.p, text.len);
        t->labels[t->n] = label;
        t->n++;
    }
    if (lineno == 0)
        rc = err_field(err, ERR_BAD_REQUEST, "data", "empty file (a header row is required)");
out:
    buf_release(&text);
    if (rc < 0)
        triage_tsv_free(t);
    else
        *out = t;
    return rc;
}

int triage_tsv_read(const char *path, const char *text_cols, const char *label_col,
                    struct triage_tsv **out, struct err *err)
{
    struct buf b;
    char chunk[65536];
    size_t got;
    int rc;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_field(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, "data",
                         "cannot open '%s': %s", path, strerror(errno));
    buf_init(&b);
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, got);
    if (ferror(f))
        rc = err_field(err, ERR_IO, "data", "cannot read '%s'", path);
    else
        rc = triage_tsv_parse(b.p, b.len, text_cols, label_col, out, err);
    fclose(f);
    buf_release(&b);
    return rc;
}
