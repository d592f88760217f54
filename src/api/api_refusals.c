/*
 * Refusals counted by route, error code and field (issue 18: code guessing, SMS flooding, vote
 * stuffing, double redemption and bad rules are each refused with a clear error and counted).
 * /metrics shows them as gridloop_refusals_total{route,code,field}: "/api/v1/auth/sms-login",
 * "bad_request", "code" is a wrong SMS code; ".../vote", "conflict", "voted" a second vote.
 *
 * A fixed open-addressed table under a mutex: refusals are the exception on the request path,
 * a lock per refusal costs nothing next to the request, and the table never grows (routes ×
 * codes × fields of a running server fit: the route table test alone makes ~1,800 kinds; the
 * rest is counted as dropped — a client sending made-up
 * field names can fill it, which costs only the detail of later kinds).
 */
#include <stdint.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/buf.h"

void api_refusals_init(struct api *api)
{
    pthread_mutex_init(&api->refusals_lock, NULL);
}

void api_refusals_free(struct api *api)
{
    pthread_mutex_destroy(&api->refusals_lock);
}

static unsigned slot_of(const char *route, int code, const char *field)
{
    /* FNV-1a over the field, mixed with the pattern's address and the code. */
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)route ^ ((uint64_t)code << 32);
    for (const char *c = field; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    return (unsigned)(h % API_REFUSAL_SLOTS);
}

void api_refusal_count(struct api *api, const struct api_route *r, const struct err *e)
{
    int status = err_http_status(e->code);
    if (!r || status < 400 || status >= 500)
        return;
    unsigned h = slot_of(r->pattern, e->code, e->field);
    pthread_mutex_lock(&api->refusals_lock);
    for (unsigned i = 0; i < API_REFUSAL_SLOTS; i++) {
        struct api_refusal *f = &api->refusals[(h + i) % API_REFUSAL_SLOTS];
        if (!f->route) {
            if (api->nrefusals >= API_REFUSAL_SLOTS / 4 * 3)
                break; /* kept three quarters full, so a lookup stays short */
            f->route = r->pattern;
            f->code = e->code;
            memcpy(f->field, e->field, sizeof(f->field));
            api->nrefusals++;
        }
        if (f->route == r->pattern && f->code == e->code && strcmp(f->field, e->field) == 0) {
            f->n++;
            pthread_mutex_unlock(&api->refusals_lock);
            return;
        }
    }
    api->refusals_dropped++;
    pthread_mutex_unlock(&api->refusals_lock);
}

void api_refusals_render(struct api *api, struct buf *out)
{
    buf_puts(out, "# HELP gridloop_refusals_total Requests refused (4xx) by route, error code and"
                  " field.\n# TYPE gridloop_refusals_total counter\n");
    pthread_mutex_lock(&api->refusals_lock);
    for (size_t i = 0; i < API_REFUSAL_SLOTS; i++) {
        const struct api_refusal *f = &api->refusals[i];
        if (!f->route)
            continue;
        buf_printf(out, "gridloop_refusals_total{route=\"%s\",code=\"%s\",field=\"", f->route,
                   err_code_name(f->code));
        /* A field can be the client's own word (an unknown key it sent): escaped as the text
         * format asks. */
        for (const char *c = f->field; *c; c++) {
            if (*c == '\\' || *c == '"')
                buf_putc(out, '\\');
            if (*c == '\n')
                buf_puts(out, "\\n");
            else
                buf_putc(out, *c);
        }
        buf_printf(out, "\"} %llu\n", (unsigned long long)f->n);
    }
    buf_printf(out,
               "# HELP gridloop_refusals_dropped_total Refusals not counted by kind (table full).\n"
               "# TYPE gridloop_refusals_dropped_total counter\ngridloop_refusals_dropped_total "
               "%llu\n",
               (unsigned long long)api->refusals_dropped);
    pthread_mutex_unlock(&api->refusals_lock);
}
