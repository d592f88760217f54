/*
 * GET /api/v1/basemap/{z}/{x}/{y}: the basemap tile of the address register (src/basemap) as
 * compact JSON. Public: the city's map holds no personal data. Every tile is kept serialised
 * (and gzipped) in a direct-mapped cache under the register's version (addr_version), which
 * every register write bumps in its own transaction, so a write on any node makes every
 * node's cached tiles stale. The ETag is the version and the tile, so a browser revalidating
 * a tile it holds gets its 304 without the tile being built.
 *
 * The answer (docs/api.md, docs/maps.md):
 *   {"z","x","y","version","extent","buffer",
 *    "water":[{"name","rings":[[x,y,x,y,...],...]}], "green":[...],
 *    "roads":[{"name","kind","lines":[[x,y,...],...]}],
 *    "buildings":[{"use","number","rings":[...]}],
 *    "places":[{"name","type","x","y"}]}
 * coordinates in tile units (0..extent across the tile, y down; up to 'buffer' beyond it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "basemap/basemap.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/num.h"

#define BASEMAP_TILE_SLOTS 2048
/* Browsers reuse a tile this long before they revalidate it (docs/maps.md: a register edit
 * shows on open maps within a minute). */
#define TILE_CACHE_CONTROL "public, max-age=60"

struct basemap_slot {
    int z, x, y;
    int64_t version;
    struct cached_body *body; /* NULL: empty slot */
    struct cached_body *gz;   /* NULL when small */
};

void api_basemap_init(struct api *api)
{
    pthread_mutex_init(&api->basemap_lock, NULL);
    api->basemap_tiles = xcalloc(BASEMAP_TILE_SLOTS, sizeof(*api->basemap_tiles));
}

void api_basemap_free(struct api *api)
{
    if (!api->basemap_tiles)
        return;
    for (int i = 0; i < BASEMAP_TILE_SLOTS; i++) {
        api_cached_body_unref(api->basemap_tiles[i].body);
        api_cached_body_unref(api->basemap_tiles[i].gz);
    }
    free(api->basemap_tiles);
    api->basemap_tiles = NULL;
    pthread_mutex_destroy(&api->basemap_lock);
}

static int tile_param(struct api_call *call, const char *name, int *out)
{
    const char *v = http_req_param(call->req, name);
    int64_t n;
    if (!v || num_parse_int(v, &n) < 0 || n < 0 || n > INT32_MAX)
        return err_field(&call->err, ERR_BAD_REQUEST, name,
                         "tile '%s' must be a whole number, not '%s'", name, v ? v : "");
    *out = (int)n;
    return 0;
}

static unsigned slot_of(int z, int x, int y)
{
    uint64_t h = ((uint64_t)(unsigned)z * 0x9E3779B97F4A7C15ull) ^
                 ((uint64_t)(unsigned)x * 0xC2B2AE3D27D4EB4Full) ^
                 ((uint64_t)(unsigned)y * 0x165667B19E3779F9ull);
    return (unsigned)((h ^ (h >> 29)) % BASEMAP_TILE_SLOTS);
}

static void write_parts(struct jw *w, const struct basemap_feature *f)
{
    jw_arr(w);
    for (int i = 0, at = 0; i < f->nparts; at += f->part_len[i], i++) {
        jw_arr(w);
        for (int k = 0; k < 2 * f->part_len[i]; k++)
            jw_int(w, f->xy[2 * at + k]);
        jw_arr_end(w);
    }
    jw_arr_end(w);
}

static void render(struct jw *w, const struct basemap_tile *t)
{
    jw_obj(w);
    jw_kint(w, "z", t->z);
    jw_kint(w, "x", t->x);
    jw_kint(w, "y", t->y);
    jw_kint(w, "version", t->version);
    jw_kint(w, "extent", BASEMAP_EXTENT);
    jw_kint(w, "buffer", BASEMAP_BUFFER);
    for (int l = 0; l < BASEMAP_LAYER_COUNT; l++) {
        jw_key(w, basemap_layer_name(l));
        jw_arr(w);
        for (size_t i = 0; i < t->n[l]; i++) {
            const struct basemap_feature *f = &t->items[l][i];
            jw_obj(w);
            switch (l) {
            case BASEMAP_WATER:
            case BASEMAP_GREEN:
                jw_kstr(w, "name", f->name);
                jw_key(w, "rings");
                write_parts(w, f);
                break;
            case BASEMAP_ROADS:
                jw_kstr(w, "name", f->name);
                jw_kstr(w, "kind", f->kind);
                jw_key(w, "lines");
                write_parts(w, f);
                break;
            case BASEMAP_BUILDINGS:
                jw_kstr(w, "use", f->kind);
                if (f->name[0])
                    jw_kstr(w, "number", f->name);
                jw_key(w, "rings");
                write_parts(w, f);
                break;
            case BASEMAP_PLACES:
                jw_kstr(w, "name", f->name);
                jw_kstr(w, "type", f->kind);
                jw_kint(w, "x", f->x);
                jw_kint(w, "y", f->y);
                break;
            default: BUG("basemap layer %d", l);
            }
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

static int etag_match(const char *inm, const char *etag)
{
    return inm && (strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL);
}

/* Answer from a slot (called with basemap_lock held). */
static void answer(struct api_call *call, const struct basemap_slot *s, const char *etag,
                   const char *etag_gz)
{
    int gz = s->gz && http_req_accepts_gzip(call->req);
    struct cached_body *body = gz ? s->gz : s->body;
    http_res_header(call->res, "ETag", arena_strdup(call->req->arena, gz ? etag_gz : etag));
    http_res_header(call->res, "Cache-Control", TILE_CACHE_CONTROL);
    http_res_header(call->res, "Vary", "Accept-Encoding");
    if (gz)
        http_res_header(call->res, "Content-Encoding", "gzip");
    atomic_fetch_add(&body->refs, 1);
    http_res_body_shared(call->res, 200, "application/json", body->data, body->len,
                         api_cached_body_unref, body);
}

int api_basemap_tile(struct api_call *call)
{
    struct api *api = call->api;
    int z, x, y, rc;
    int64_t version;
    if ((rc = tile_param(call, "z", &z)) < 0 || (rc = tile_param(call, "x", &x)) < 0 ||
        (rc = tile_param(call, "y", &y)) < 0 ||
        (rc = basemap_check_tile(z, x, y, &call->err)) < 0 ||
        (rc = basemap_version(call->conn, &version, &call->err)) < 0)
        return rc;
    char etag[64], etag_gz[72];
    snprintf(etag, sizeof(etag), "\"b%lld-%d-%d-%d\"", (long long)version, z, x, y);
    snprintf(etag_gz, sizeof(etag_gz), "\"b%lld-%d-%d-%d-gz\"", (long long)version, z, x, y);
    const char *inm = http_req_header(call->req, "If-None-Match");
    if (etag_match(inm, etag) || etag_match(inm, etag_gz)) {
        int gz = http_req_accepts_gzip(call->req) && strstr(inm, "-gz\"");
        http_res_header(call->res, "ETag", arena_strdup(call->req->arena, gz ? etag_gz : etag));
        http_res_header(call->res, "Cache-Control", TILE_CACHE_CONTROL);
        http_res_header(call->res, "Vary", "Accept-Encoding");
        http_res_body(call->res, 304, NULL, "", 0, HTTP_BODY_STATIC);
        return 0;
    }
    struct basemap_slot *s = &api->basemap_tiles[slot_of(z, x, y)];
    pthread_mutex_lock(&api->basemap_lock);
    if (s->body && s->version == version && s->z == z && s->x == x && s->y == y) {
        answer(call, s, etag, etag_gz);
        pthread_mutex_unlock(&api->basemap_lock);
        return 0;
    }
    pthread_mutex_unlock(&api->basemap_lock);

    struct basemap_tile t;
    if ((rc = basemap_tile(call->conn, z, x, y, call->req->arena, &t, &call->err)) < 0)
        return rc;
    if (t.skipped)
        log_msg(LOG_WARN,
                "basemap: tile %d/%d/%d left out %zu stored geometries that are not lines or "
                "rings of degrees (address register rows written past its writers)",
                z, x, y, t.skipped);
    if (t.version != version) {
        /* A register write committed in between: the tile is of the newer version. */
        version = t.version;
        snprintf(etag, sizeof(etag), "\"b%lld-%d-%d-%d\"", (long long)version, z, x, y);
        snprintf(etag_gz, sizeof(etag_gz), "\"b%lld-%d-%d-%d-gz\"", (long long)version, z, x, y);
    }
    struct jw w;
    jw_init(&w);
    render(&w, &t);
    struct cached_body *body = api_cached_body_new(w.b.p, w.b.len), *gzb = NULL;
    size_t gz_len;
    char *gz = w.b.len >= 512 ? http_gzip(w.b.p, w.b.len, &gz_len) : NULL;
    if (gz) {
        gzb = api_cached_body_new(gz, gz_len);
        free(gz);
    }
    jw_release(&w);
    pthread_mutex_lock(&api->basemap_lock);
    api_cached_body_unref(s->body);
    api_cached_body_unref(s->gz);
    *s = (struct basemap_slot){z, x, y, version, body, gzb};
    answer(call, s, etag, etag_gz);
    pthread_mutex_unlock(&api->basemap_lock);
    return 0;
}
