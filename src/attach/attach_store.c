/*
 * Files on disk by content hash, and the decoding threads. A file is written under a
 * temporary name in its final directory and fsynced (staged); inside the transaction of the
 * row referencing it, just before the commit, it is renamed into place and the directory
 * fsynced. So a name either holds the whole file or does not exist, a committed row finds its
 * file (also after a crash), and a refused upload leaves nothing (the checks come first).
 * Identical content maps to the same name, which makes storing idempotent and concurrent
 * uploads of the same photo harmless (the last rename wins with identical bytes).
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
    pthread_mutex_t lock; /* guards what follows */
    pthread_cond_t work;  /* a job was queued, or stopping */
    struct attach_job *head, *tail;
    int queued;
    struct attach_job **running; /* decode_slots entries, NULL when idle */
    pthread_t *threads;
    int nthreads; /* started */
    int stopping;
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
    if (st->lim.queue_max <= 0)
        st->lim.queue_max = 16;
    st->running = xcalloc((size_t)st->lim.decode_slots, sizeof(*st->running));
    st->threads = xcalloc((size_t)st->lim.decode_slots, sizeof(*st->threads));
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->work, NULL);
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

const char *attach_store_dir(const struct attach_store *st)
{
    return st->dir;
}

void attach_store_free(struct attach_store *st)
{
    if (!st)
        return;
    attach_store_stop(st);
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->work);
    free(st->running);
    free(st->threads);
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

/* Write 'data' to a new temporary beside 'path' (created with its directories) and fsync
 * it; its name goes to 'tmp'. */
static int write_temp(const char *path, const void *data, size_t len, char *tmp, size_t tmpn,
                      struct err *err)
{
    char dir[ATTACH_PATH_MAX];
    int fd, rc = 0;
    tmp[0] = '\0';
    if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir) ||
        (size_t)snprintf(tmp, tmpn, "%s.tmp.XXXXXX", path) >= tmpn) {
        tmp[0] = '\0';
        return err_set(err, ERR_IO, "attachment path '%s' is too long", path);
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if ((rc = mkdir_p(dir, err)) < 0 || (fd = mkstemp(tmp)) < 0) {
        if (rc == 0)
            rc = err_set(err, ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        tmp[0] = '\0';
        return rc;
    }
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        rc = err_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
        close(fd);
        goto fail;
    }
    if (close(fd) != 0) {
        rc = err_set(err, ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
        goto fail;
    }
    return 0;
fail:
    unlink(tmp);
    tmp[0] = '\0';
    return rc;
}

/* Rename a staged temporary to its name and make the rename durable. */
static int place(const char *tmp, const char *path, struct err *err)
{
    char dir[ATTACH_PATH_MAX];
    if (rename(tmp, path) != 0) {
        int rc = err_set(err, ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        unlink(tmp);
        return rc;
    }
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int attach_check(const struct attach_store *st, const void *data, size_t len,
                 struct attach_file *out, struct err *err)
{
    struct attach_info info;
    unsigned char h[crypto_hash_sha256_BYTES];
    int rc;
    memset(out, 0, sizeof(*out));
    if (!len)
        return err_field(err, ERR_BAD_REQUEST, "file", "the file is empty");
    if (len > st->lim.max_bytes)
        return err_field(err, ERR_TOO_LARGE, "file",
                         "the file is %zu bytes; at most %zu are accepted", len, st->lim.max_bytes);
    if ((rc = attach_sniff(data, len, &info, err)) < 0)
        goto out;
    if ((int64_t)info.width * info.height > st->lim.max_pixels) {
        rc = err_field(
            err, ERR_TOO_LARGE, "file",
            "the image claims %dx%d pixels; at most %lld pixels (%.0f megapixels) are accepted",
            info.width, info.height, (long long)st->lim.max_pixels,
            (double)st->lim.max_pixels / 1e6);
        goto out;
    }
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out->sha256, sizeof(out->sha256), h, sizeof(h));
    out->mime = info.mime;
    out->size = len;
    attach_display_size(&info, &out->width, &out->height);
out:
    if (rc < 0 && !err->field[0])
        snprintf(err->field, sizeof(err->field), "file");
    return rc;
}

int attach_store_has(const struct attach_store *st, const char *sha256, size_t size)
{
    char path[ATTACH_PATH_MAX], tpath[ATTACH_PATH_MAX];
    struct err e = ERR_INIT;
    return attach_store_path(st, sha256, 0, path, sizeof(path), &e) == 0 &&
           attach_store_path(st, sha256, 1, tpath, sizeof(tpath), &e) == 0 && present(path, size) &&
           present(tpath, 0);
}

int attach_stage(struct attach_store *st, struct attach_job *job, struct err *err)
{
    struct attach_info info;
    struct attach_thumb thumb = {0};
    char path[ATTACH_PATH_MAX], tpath[ATTACH_PATH_MAX];
    const struct attach_file *f = &job->file;
    int rc;
    job->tmp[0] = job->thumb_tmp[0] = '\0';
    if ((rc = attach_store_path(st, f->sha256, 0, path, sizeof(path), err)) < 0 ||
        (rc = attach_store_path(st, f->sha256, 1, tpath, sizeof(tpath), err)) < 0)
        return rc;
    /* A file found in place is touched: the sweeper leaves young files alone, so one it
     * found unreferenced (a crash's leftover) stays while this upload commits its row. */
    int have = present(path, job->len) && utimensat(AT_FDCWD, path, NULL, 0) == 0;
    int have_thumb = present(tpath, 0) && utimensat(AT_FDCWD, tpath, NULL, 0) == 0;
    job->file.existed = have && have_thumb;
    /* Both in place: this content was decoded and accepted before (a file reaches its name
     * only after that), so it is not decoded again. */
    if (job->file.existed)
        return 0;
    if ((rc = attach_decode(job->data, job->len, &st->lim, &info, &thumb, err)) < 0)
        return rc;
    if (!have_thumb)
        rc = write_temp(tpath, thumb.data, thumb.len, job->thumb_tmp, sizeof(job->thumb_tmp), err);
    if (rc == 0 && !have)
        rc = write_temp(path, job->data, job->len, job->tmp, sizeof(job->tmp), err);
    attach_thumb_release(&thumb);
    if (rc < 0)
        attach_job_discard(st, job);
    return rc;
}

int attach_job_place(struct attach_store *st, struct attach_job *job, struct err *err)
{
    char path[ATTACH_PATH_MAX];
    int rc = 0;
    /* The thumbnail first: once the original is in place, both are (attach_store_has). */
    if (job->thumb_tmp[0] &&
        (rc = attach_store_path(st, job->file.sha256, 1, path, sizeof(path), err)) == 0)
        rc = place(job->thumb_tmp, path, err);
    job->thumb_tmp[0] = '\0';
    if (rc == 0 && job->tmp[0] &&
        (rc = attach_store_path(st, job->file.sha256, 0, path, sizeof(path), err)) == 0)
        rc = place(job->tmp, path, err);
    if (rc == 0)
        job->tmp[0] = '\0';
    attach_job_discard(st, job);
    return rc;
}

void attach_job_discard(struct attach_store *st, struct attach_job *job)
{
    (void)st;
    if (job->thumb_tmp[0])
        unlink(job->thumb_tmp);
    if (job->tmp[0])
        unlink(job->tmp);
    job->tmp[0] = job->thumb_tmp[0] = '\0';
}

int attach_store_put(struct attach_store *st, const void *data, size_t len, struct attach_file *out,
                     struct err *err)
{
    struct attach_job job;
    int rc;
    memset(&job, 0, sizeof(job));
    job.data = data;
    job.len = len;
    if ((rc = attach_check(st, data, len, &job.file, err)) < 0 ||
        (rc = attach_stage(st, &job, err)) < 0 || (rc = attach_job_place(st, &job, err)) < 0) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    *out = job.file;
    return 0;
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

/* ---- the decoding threads ---- */

static void *decoder_main(void *arg)
{
    struct attach_store *st = arg;
    int slot = 0;
    /* attach_submit holds the lock while it creates this thread, so threads[] is set. */
    pthread_mutex_lock(&st->lock);
    while (slot < st->nthreads - 1 && !pthread_equal(st->threads[slot], pthread_self()))
        slot++;
    for (;;) {
        while (!st->head && !st->stopping)
            pthread_cond_wait(&st->work, &st->lock);
        struct attach_job *job = st->head;
        if (!job)
            break; /* stopping, and nothing is left */
        if (!(st->head = job->next))
            st->tail = NULL;
        st->queued--;
        st->running[slot] = job;
        pthread_mutex_unlock(&st->lock);
        err_clear(&job->err);
        job->rc = attach_stage(st, job, &job->err);
        pthread_mutex_lock(&st->lock);
        st->running[slot] = NULL;
        pthread_mutex_unlock(&st->lock);
        /* After the job has left the owner's count: done() may answer the client, who may
         * send the next photo at once. The job is the caller's from here on. */
        job->done(job);
        pthread_mutex_lock(&st->lock);
    }
    pthread_mutex_unlock(&st->lock);
    return NULL;
}

/* Jobs of 'owner' queued or decoding. Under the lock. */
static int owner_jobs(const struct attach_store *st, int64_t owner)
{
    int n = 0;
    for (const struct attach_job *j = st->head; j; j = j->next)
        n += j->owner == owner;
    for (int i = 0; i < st->nthreads; i++)
        n += st->running[i] && st->running[i]->owner == owner;
    return n;
}

int attach_submit(struct attach_store *st, struct attach_job *job, struct err *err)
{
    int rc = 0;
    job->next = NULL;
    job->rc = 0;
    job->tmp[0] = job->thumb_tmp[0] = '\0';
    pthread_mutex_lock(&st->lock);
    if (st->stopping) {
        rc = err_set(err, ERR_UNAVAILABLE, "the server is stopping; send the file again later");
        goto out;
    }
    if (st->queued >= st->lim.queue_max) {
        rc = err_set(err, ERR_UNAVAILABLE,
                     "all %d image decoders are busy and %d uploads wait; send the file again "
                     "shortly",
                     st->lim.decode_slots, st->queued);
        goto out;
    }
    if (job->owner && owner_jobs(st, job->owner) >= ATTACH_MAX_PER_OWNER) {
        rc = err_set(err, ERR_THROTTLED,
                     "%d of your uploads are still being processed; send the next when one is "
                     "done",
                     ATTACH_MAX_PER_OWNER);
        goto out;
    }
    /* Threads start with the first upload, one more while all that run are busy. */
    if (st->nthreads < st->lim.decode_slots) {
        int busy = 0;
        for (int i = 0; i < st->nthreads; i++)
            busy += st->running[i] != NULL;
        if (busy + st->queued >= st->nthreads) {
            st->nthreads++;
            if (pthread_create(&st->threads[st->nthreads - 1], NULL, decoder_main, st) != 0) {
                st->nthreads--;
                if (!st->nthreads) {
                    rc = err_set(err, ERR_INTERNAL, "cannot start an image decoding thread");
                    goto out;
                }
            }
        }
    }
    if (st->tail)
        st->tail->next = job;
    else
        st->head = job;
    st->tail = job;
    st->queued++;
    pthread_cond_signal(&st->work);
out:
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int attach_queue_room(struct attach_store *st)
{
    pthread_mutex_lock(&st->lock);
    int room = st->stopping ? 0 : st->lim.queue_max - st->queued;
    pthread_mutex_unlock(&st->lock);
    return room;
}

void attach_store_stop(struct attach_store *st)
{
    pthread_mutex_lock(&st->lock);
    st->stopping = 1;
    int n = st->nthreads;
    pthread_cond_broadcast(&st->work);
    pthread_mutex_unlock(&st->lock);
    for (int i = 0; i < n; i++)
        pthread_join(st->threads[i], NULL);
    pthread_mutex_lock(&st->lock);
    st->nthreads = 0;
    pthread_mutex_unlock(&st->lock);
}
