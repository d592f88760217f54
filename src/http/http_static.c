/*
 * Static files from the web directory. Small files are read once into memory together with
 * a gzip copy and served from there; every request still stat()s the file so an edited file
 * is picked up at once. Replaced entries are retired, not freed, because a response may
 * still be sending them; they are freed with the whole cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/err.h"
#include "core/mem.h"
#include "http/http.h"

#define CACHE_MAX_FILE (8u << 20)
#define BUCKETS 256

struct entry {
    char *path; /* relative path, the cache key */
    struct timespec mtime;
    off_t size;
    char etag[48];
    char etag_gz[52];
    const char *mime;
    int compressible;
    char *data;
    char *gz; /* NULL if not worth compressing */
    size_t gz_len;
    struct entry *next; /* bucket chain, or retired list */
};

struct http_static {
    char *root;
    pthread_mutex_t lock;
    struct entry *buckets[BUCKETS];
    struct entry *retired;
};

static const struct {
    const char *ext;
    const char *mime;
    int compressible;
} mime_types[] = {
    {"html", "text/html; charset=utf-8", 1},
    {"htm", "text/html; charset=utf-8", 1},
    {"css", "text/css; charset=utf-8", 1},
    {"js", "text/javascript; charset=utf-8", 1},
    {"mjs", "text/javascript; charset=utf-8", 1},
    {"json", "application/json", 1},
    {"geojson", "application/geo+json", 1},
    {"map", "application/json", 1},
    {"svg", "image/svg+xml", 1},
    {"txt", "text/plain; charset=utf-8", 1},
    {"xml", "application/xml", 1},
    {"webmanifest", "application/manifest+json", 1},
    {"wasm", "application/wasm", 1},
    {"png", "image/png", 0},
    {"jpg", "image/jpeg", 0},
    {"jpeg", "image/jpeg", 0},
    {"gif", "image/gif", 0},
    {"webp", "image/webp", 0},
    {"ico", "image/x-icon", 0},
    {"woff", "font/woff", 0},
    {"woff2", "font/woff2", 0},
    {"ttf", "font/ttf", 1},
    {"pdf", "application/pdf", 0},
};

static void mime_of(const char *path, const char **mime, int *compressible)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    *mime = "application/octet-stream";
    *compressible = 0;
    if (!dot || (slash && dot < slash))
        return;
    for (size_t i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++) {
        if (strcasecmp(dot + 1, mime_types[i].ext) == 0) {
            *mime = mime_types[i].mime;
            *compressible = mime_types[i].compressible;
            return;
        }
    }
}

int http_static_new(struct http_static **out, const char *root, struct err *err)
{
    struct stat st;
    if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
        return err_field(err, ERR_IO, "web", "web directory '%s' is not a directory", root);
    struct http_static *s = xcalloc(1, sizeof(*s));
    s->root = xstrdup(root);
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return 0;
}

static void free_entry(struct entry *e)
{
    free(e->path);
    free(e->data);
    free(e->gz);
    free(e);
}

void http_static_free(struct http_static *s)
{
    if (!s)
        return;
    for (int i = 0; i < BUCKETS; i++) {
        for (struct entry *e = s->buckets[i], *n; e; e = n) {
            n = e->next;
            free_entry(e);
        }
    }
    for (struct entry *e = s->retired, *n; e; e = n) {
        n = e->next;
        free_entry(e);
    }
    pthread_mutex_destroy(&s->lock);
    free(s->root);
    free(s);
}

/* Reject anything that could step outside the root or reveal dot-files. */
static int safe_path(const char *p)
{
    if (p[0] != '/')
        return 0;
    for (const char *seg = p + 1; *seg;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n > 0 && seg[0] == '.')
            return 0;
        if (memchr(seg, '\\', n))
            return 0;
        seg += n;
        if (*seg == '/')
            seg++;
    }
    return 1;
}

char *http_gzip(const char *data, size_t len, size_t *out_len)
{
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, len);
    char *out = xmalloc(cap);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    deflateEnd(&z);
    if (rc != Z_STREAM_END || z.total_out >= len) {
        free(out);
        return NULL;
    }
    *out_len = z.total_out;
    return out;
}

static unsigned hash_path(const char *s)
{
    unsigned h = 5381;
    for (; *s; s++)
        h = h * 33 ^ (unsigned char)*s;
    return h % BUCKETS;
}

static struct entry *load(const char *full, const char *rel, const struct stat *st)
{
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct entry *e = xcalloc(1, sizeof(*e));
    e->data = xmalloc((size_t)st->st_size + 1);
    size_t got = 0;
    while (got < (size_t)st->st_size) {
        ssize_t n = read(fd, e->data + got, (size_t)st->st_size - got);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (got != (size_t)st->st_size) {
        free(e->data);
        free(e);
        return NULL;
    }
    e->path = xstrdup(rel);
    e->mtime = st->st_mtim;
    e->size = st->st_size;
    mime_of(rel, &e->mime, &e->compressible);
    snprintf(e->etag, sizeof(e->etag), "\"%llx-%llx%lx\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec, (unsigned long)st->st_mtim.tv_nsec);
    snprintf(e->etag_gz, sizeof(e->etag_gz), "\"%llx-%llx%lx-gz\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec, (unsigned long)st->st_mtim.tv_nsec);
    if (e->compressible && st->st_size >= 256)
        e->gz = http_gzip(e->data, (size_t)st->st_size, &e->gz_len);
    return e;
}

/* Returns the current entry for 'rel', (re)loading it if the file changed. */
static struct entry *lookup(struct http_static *s, const char *full, const char *rel,
                            const struct stat *st)
{
    unsigned h = hash_path(rel);
    pthread_mutex_lock(&s->lock);
    struct entry **pp = &s->buckets[h], *e;
    for (e = *pp; e; pp = &e->next, e = e->next)
        if (strcmp(e->path, rel) == 0)
            break;
    if (e && e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
        e->mtime.tv_nsec == st->st_mtim.tv_nsec) {
        pthread_mutex_unlock(&s->lock);
        return e;
    }
    struct entry *fresh = load(full, rel, st);
    if (e) {
        *pp = e->next;
        e->next = s->retired;
        s->retired = e;
    }
    if (fresh) {
        fresh->next = s->buckets[h];
        s->buckets[h] = fresh;
    }
    pthread_mutex_unlock(&s->lock);
    return fresh;
}

int http_req_accepts_gzip(const struct http_req *req)
{
    const char *ae = http_req_header(req, "Accept-Encoding");
    /* A q=0 opt-out is rare enough that treating any mention as consent is safe. */
    return ae && strstr(ae, "gzip") && !strstr(ae, "gzip;q=0,") && !strstr(ae, "gzip;q=0\0");
}

static int etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return 0;
    if (strcmp(inm, "*") == 0)
        return 1;
    size_t n = strlen(etag);
    for (const char *p = inm; (p = strstr(p, etag)); p += n)
        return 1;
    return 0;
}

int http_static_serve(struct http_static *s, struct http_req *req, struct http_res *res)
{
    /* MHD has already percent-decoded the path; decoding it again would make "%252e" a '.'
     * and leave files whose names contain '%' unreachable. */
    const char *rel = req->path;
    if (!safe_path(rel)) {
        static const char bad[] =
            "{\"error\":{\"code\":\"bad_request\",\"message\":\"path may not contain '..', dot-files or "
            "backslashes\",\"field\":\"path\"}}";
        http_res_body(res, 400, "application/json", bad, sizeof(bad) - 1, HTTP_BODY_STATIC);
        return 1;
    }
    size_t rl = strlen(rel);
    if (rel[rl - 1] == '/')
        rel = arena_printf(req->arena, "%sindex.html", rel);
    char *full = arena_printf(req->arena, "%s%s", s->root, rel);
    struct stat st;
    if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
        rel = arena_printf(req->arena, "%s/index.html", rel);
        full = arena_printf(req->arena, "%s%s", s->root, rel);
    }
    if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;

    const char *cache =
        strncmp(rel, "/assets/", 8) == 0 ? "public, max-age=31536000, immutable" : "no-cache";
    http_res_header(res, "Cache-Control", cache);
    if ((size_t)st.st_size > CACHE_MAX_FILE) {
        int fd = open(full, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return 0;
        const char *mime;
        int compressible;
        mime_of(rel, &mime, &compressible);
        res->status = 200;
        res->content_type = mime;
        res->fd = fd;
        res->fd_size = (uint64_t)st.st_size;
        return 1;
    }
    struct entry *e = lookup(s, full, rel, &st);
    if (!e)
        return 0;
    int gz = e->gz && http_req_accepts_gzip(req);
    const char *etag = gz ? e->etag_gz : e->etag;
    http_res_header(res, "ETag", etag);
    if (e->compressible)
        http_res_header(res, "Vary", "Accept-Encoding");
    if (etag_matches(http_req_header(req, "If-None-Match"), etag)) {
        http_res_body(res, 304, NULL, "", 0, HTTP_BODY_STATIC);
        return 1;
    }
    if (gz)
        http_res_header(res, "Content-Encoding", "gzip");
    const char *body = gz ? e->gz : e->data;
    size_t len = gz ? e->gz_len : (size_t)e->size;
    /* For HEAD, MHD sends the headers (Content-Length of the full body) and omits the body. */
    http_res_body(res, 200, e->mime, body, len, HTTP_BODY_STATIC);
    return 1;
}
