#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct err_row {
    int code;
    int http;
    const char *name;
    const char *msg;
};

static const struct err_row err_rows[] = {
#define X(name, val, http, str, msg) {val, http, str, msg},
    GRIDLOOP_ERR_MAP(X)
#undef X
};

static const struct err_row *find(int code)
{
    for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++)
        if (err_rows[i].code == code)
            return &err_rows[i];
    return NULL;
}

/* Formats into a copy first: callers wrap an error in context by passing its own message
 * ("migration %s failed: %s", err->msg), and vsnprintf into the buffer it is reading from is
 * undefined (seen: "database unavailable: st: server closed the connection"). */
static void vset(struct err *e, int code, const char *field, const char *fmt, va_list ap)
{
    char msg[sizeof(e->msg)], fld[sizeof(e->field)];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    snprintf(fld, sizeof(fld), "%s", field ? field : "");
    e->code = code;
    memcpy(e->msg, msg, sizeof(msg));
    memcpy(e->field, fld, sizeof(fld));
    e->reason = NULL;
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vset(e, code, NULL, fmt, ap);
        va_end(ap);
    }
    return code;
}

int err_field(struct err *e, int code, const char *field, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vset(e, code, field, fmt, ap);
        va_end(ap);
    }
    return code;
}

int err_deny(struct err *e, const char *reason, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vset(e, ERR_FORBIDDEN, NULL, fmt, ap);
        va_end(ap);
        e->reason = reason;
    }
    return ERR_FORBIDDEN;
}

void err_clear(struct err *e)
{
    e->code = 0;
    e->msg[0] = '\0';
    e->field[0] = '\0';
    e->reason = NULL;
}

const char *err_code_name(int code)
{
    const struct err_row *r = find(code);
    return r ? r->name : "internal";
}

int err_http_status(int code)
{
    const struct err_row *r = find(code);
    return r ? r->http : 500;
}

const char *err_default_message(int code)
{
    const struct err_row *r = find(code);
    return r ? r->msg : "internal error";
}

void err_bug(const char *file, int line, const char *fmt, ...)
{
    /* Formatted into one buffer and written by one call, so the line is not interleaved with
     * other threads' output; nothing here allocates (the heap may be what is broken). */
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "BUG: %s:%d: ", file, line);
    if (n < 0 || (size_t)n >= sizeof(msg))
        n = (int)sizeof(msg) - 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", msg);
    abort();
}
