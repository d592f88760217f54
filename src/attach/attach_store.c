/*
 * Files on disk by content hash. A file is written under a temporary name in its final
 * directory, fsynced, renamed into place and the directory fsynced, so after a crash a name
 * either holds the whole file or does not exist. Identical content maps to the same name,
 * which makes storing idempotent and concurrent uploads of the same photo harmless (the
 * last rename wins with identical bytes).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach/attach.h"
#include "core/err.h"
#include "core/mem.h"

struct attach_store {
    char *dir; /* without a trailing slash */
    struct attach_limits lim;
    pthread_mutex_t lock; /* guards 'busy' */
    pthread_cond_t freed;
    int busy; /* decodes running */
};

static int mkdir_p(char *path, struct err *err)
{
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = '\0';
        int bad = mkdir(path, 0750) != 0 && errno != EEXIST;
        *p = c;
        if (bad)
            return err_set(err, ERR_IO, "cannot create directory '%s': %s", path, strerror(errno));
        if (!c)
            return 0;
    }
}

int attach_store_open(struct attach_store **out, const char *dir, const struct attach_limits *lim,
                      struct err *err)
{
    struct stat sb;
    int rc;
    if (!dir || !*dir)
        return err_field(err, ERR_BAD_REQUEST, "attach_dir", "setting 'attach_dir' is empty");
    if (sodium_init() < 0)
        return err_set(err, ERR_INTERNAL, "libsodium does not initialise");
    struct attach_store *st = xcalloc(1, sizeof(*st));
    st->dir = xstrdup(dir);
    for (size_t n = strlen(st->dir); n > 1 && st->dir[n - 1] == '/'; n--)
        st->dir[n - 1] = '\0';
    st->lim = *lim;
    if (st->lim.decode_slots <= 0)
        st->lim.decode_slots = 2;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->freed, NULL);
    if ((rc = mkdir_p(st->dir, err)) < 0)
        goto fail;
    if (stat(st->dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        rc = err_field(err, ERR_IO, "attach_dir", "attachment directory '%s' is not a directory",
                       st->dir);
        goto fail;
    }
    *out = st;
    return 0;
fail:
    attach_store_free(st);
    return rc;
}

void attach_store_free(struct attach_store *st)
{
    if (!st)
        return;
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->freed);
    free(st->dir);
    free(st);
}

static int hash_ok(const char *h)
{
    size_t i;
    for (i = 0; h[i]; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return 0;
    return i == 64;
}

int attach_store_path(const struct attach_store *st, const char *sha256, int thumbnail, char *out,
                      size_t n, struct err *err)
{
    if (!sha256 || !hash_ok(sha256))
        return err_set(err, ERR_BAD_REQUEST, "'%.70s' is not a SHA-256 in lowercase hex",
                       sha256 ? sha256 : "");
    int w = snprintf(out, n, "%s/%.2s/%.2s/%s%s", st->dir, sha256, sha256 + 2, sha256,
                     thumbnail ? ".thumb.jpg" : "");
    if (w < 0 || (size_t)w >= n)
        return err_set(err, ERR_IO, "attachment path under '%s' is too long", st->dir);
    return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 1 if 'path' is a regular file of 'size' bytes (any size when size is 0). */
static int present(const char *path, size_t size)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
           (!size || (size_t)sb.st_size == size);
}

static int write_atomic(const char *path, const void *data, size_t len, struct err *err)
{
    char tmp[4096], dir[4096];
    int fd, rc = 0;
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp))
        return err_set(err, ERR_IO, "attachment path '%s' is too long", path);
    if ((rc = mkdir_p(dir, err)) < 0)
        return rc;
    if ((fd = mkstemp(tmp)) < 0)
        return err_set(err, ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        rc = err_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
        close(fd);
        goto fail;
    }
    if (close(fd) != 0) {
        rc = err_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        rc = err_set(err, ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        goto fail;
    }
    /* The rename is durable once the directory entry is. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
fail:
    unlink(tmp);
    return rc;
}

static void slot_take(struct attach_store *st)
{
    pthread_mutex_lock(&st->lock);
    while (st->busy >= st->lim.decode_slots)
        pthread_cond_wait(&st->freed, &st->lock);
    st->busy++;
    pthread_mutex_unlock(&st->lock);
}

static void slot_give(struct attach_store *st)
{
    pthread_mutex_lock(&st->lock);
    st->busy--;
    pthread_cond_signal(&st->freed);
    pthread_mutex_unlock(&st->lock);
}

int attach_store_put(struct attach_store *st, const void *data, size_t len, struct attach_file *out,
                     struct err *err)
{
    struct attach_info info;
    struct attach_thumb thumb;
    unsigned char h[crypto_hash_sha256_BYTES];
    char path[4096], tpath[4096];
    int rc;
    memset(out, 0, sizeof(*out));
    if (!len)
        return err_set(err, ERR_BAD_REQUEST, "the file is empty");
    if (len > st->lim.max_bytes)
        return err_set(err, ERR_TOO_LARGE, "the file is %zu bytes; at most %zu are accepted", len,
                       st->lim.max_bytes);
    /* Cheap refusals (type, truncated header, too many pixels) come before waiting for a slot. */
    if ((rc = attach_sniff(data, len, &info, err)) < 0)
        return rc;
    if ((int64_t)info.width * info.height > st->lim.max_pixels)
        return attach_decode(data, len, &st->lim, &info, &thumb, err);
    slot_take(st);
    rc = attach_decode(data, len, &st->lim, &info, &thumb, err);
    slot_give(st);
    if (rc < 0)
        return rc;
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out->sha256, sizeof(out->sha256), h, sizeof(h));
    out->mime = info.mime;
    out->size = len;
    attach_display_size(&info, &out->width, &out->height);
    if ((rc = attach_store_path(st, out->sha256, 0, path, sizeof(path), err)) == 0 &&
        (rc = attach_store_path(st, out->sha256, 1, tpath, sizeof(tpath), err)) == 0) {
        /* The thumbnail first: once the original is in place, both are. */
        int have_thumb = present(tpath, 0), have = present(path, len);
        out->existed = have_thumb && have;
        if (!have_thumb)
            rc = write_atomic(tpath, thumb.data, thumb.len, err);
        if (rc == 0 && !have)
            rc = write_atomic(path, data, len, err);
    }
    attach_thumb_release(&thumb);
    return rc;
}

int attach_store_open_file(const struct attach_store *st, const char *sha256, int thumbnail,
                           int *fd, uint64_t *size, struct err *err)
{
    char path[4096];
    struct stat sb;
    int rc;
    if ((rc = attach_store_path(st, sha256, thumbnail, path, sizeof(path), err)) < 0)
        return rc;
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return err_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, "cannot open '%s': %s", path,
                       strerror(errno));
    if (fstat(f, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(f);
        return err_set(err, ERR_IO, "'%s' is not a regular file", path);
    }
    *fd = f;
    *size = (uint64_t)sb.st_size;
    return 0;
}
