/*
 * Geocoding against the address register (docs/maps.md, "Geocoding"):
 *   GET /api/v1/geocode?q=<address>[&limit=5]       candidates, best first, and the status
 *   GET /api/v1/geocode/suggest?q=<typed>[&limit=10] autocomplete
 *   GET /api/v1/geocode/reverse?lat=&lon=            the nearest address point and its grid
 */
#include <math.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/num.h"
#include "core/utf8.h"
#include "geocode/geocode.h"

#define LIMIT_MAX 20

static int query_text(struct api_call *call, const char **out)
{
    const char *q = http_req_query(call->req, "q");
    if (!q)
        return err_field(&call->err, ERR_BAD_REQUEST, "q", "query parameter 'q' is required");
    size_t n = strlen(q);
    if (utf8_invalid_at(q, n) != -1)
        return err_field(&call->err, ERR_BAD_REQUEST, "q", "query parameter 'q' is not UTF-8");
    if (n > GEOCODE_Q_MAX)
        return err_field(&call->err, ERR_BAD_REQUEST, "q",
                         "query parameter 'q' is longer than %d bytes", GEOCODE_Q_MAX);
    size_t i = 0;
    while (q[i] == ' ' || q[i] == '\t')
        i++;
    if (!q[i])
        return err_field(&call->err, ERR_BAD_REQUEST, "q", "query parameter 'q' is empty");
    *out = q;
    return 0;
}

static int query_limit(struct api_call *call, size_t def, size_t *out)
{
    const char *v = http_req_query(call->req, "limit");
    int64_t n;
    if (!v || !*v) {
        *out = def;
        return 0;
    }
    if (num_parse_int(v, &n) < 0 || n < 1 || n > LIMIT_MAX)
        return err_field(&call->err, ERR_BAD_REQUEST, "limit",
                         "query parameter 'limit' must be a whole number from 1 to %d", LIMIT_MAX);
    *out = (size_t)n;
    return 0;
}

static void hit_json(struct jw *w, const struct geocode_hit *h, int reverse)
{
    jw_obj(w);
    jw_kstr(w, "kind", h->kind);
    jw_kint(w, "id", h->id);
    jw_kstr(w, "address", h->address);
    jw_kstr(w, "name", h->name);
    jw_knum(w, "lat", h->lat);
    jw_knum(w, "lon", h->lon);
    jw_kopt(w, "region_id", h->region_id);
    jw_kstr(w, "grid_code", *h->grid_code ? h->grid_code : NULL);
    jw_kstr(w, "grid_name", *h->grid_name ? h->grid_name : NULL);
    jw_knum(w, "score", h->score);
    if (reverse)
        jw_knum(w, "distance_m", h->distance_m);
    else
        jw_kstr(w, "match", geocode_match_name(h->match));
    jw_obj_end(w);
}

static int items_reply(struct api_call *call, const struct geocode_hit *h, size_t n,
                       const char *status)
{
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_key(&w, "items");
    jw_arr(&w);
    for (size_t i = 0; i < n; i++)
        hit_json(&w, &h[i], 0);
    jw_arr_end(&w);
    if (status)
        jw_kstr(&w, "status", status);
    jw_obj_end(&w);
    return api_reply(call, 200, &w);
}

int api_geocode(struct api_call *call)
{
    struct app_ctx x = api_ctx(call);
    const char *q;
    size_t limit, n;
    struct geocode_hit *h;
    enum geocode_status st;
    int rc;
    if ((rc = query_text(call, &q)) < 0 || (rc = query_limit(call, 5, &limit)) < 0 ||
        (rc = app_geocode_search(&x, q, limit, &h, &n, &st)) < 0)
        return rc;
    return items_reply(call, h, n, geocode_status_name(st));
}

int api_geocode_suggest(struct api_call *call)
{
    struct app_ctx x = api_ctx(call);
    const char *q;
    size_t limit, n;
    struct geocode_hit *h;
    int rc;
    if ((rc = query_text(call, &q)) < 0 || (rc = query_limit(call, 10, &limit)) < 0 ||
        (rc = app_geocode_suggest(&x, q, limit, &h, &n)) < 0)
        return rc;
    return items_reply(call, h, n, NULL);
}

int api_geocode_reverse(struct api_call *call)
{
    struct app_ctx x = api_ctx(call);
    double lat, lon;
    int64_t region = 0;
    struct geocode_hit h;
    int found, rc;
    if ((rc = api_query_double(call, "lat", -90, 90, 1, 0, &lat)) < 0 ||
        (rc = api_query_double(call, "lon", -180, 180, 1, 0, &lon)) < 0 ||
        (rc = app_locate_region(&x, lat, lon, &region)) < 0 ||
        (rc = app_geocode_reverse(&x, lat, lon, &h, &found)) < 0)
        return rc;
    if (!found && !region)
        return err_field(&call->err, ERR_BAD_REQUEST, "lat",
                         "the point (%.6f, %.6f) lies outside the district", lat, lon);
    if (!found)
        return err_field(&call->err, ERR_NOT_FOUND, "lat",
                         "no address point lies within %.0f m of (%.6f, %.6f)",
                         GEOCODE_REVERSE_MAX_M, lat, lon);
    struct jw w;
    jw_init(&w);
    hit_json(&w, &h, 1);
    return api_reply(call, 200, &w);
}
