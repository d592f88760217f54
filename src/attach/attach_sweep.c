/*
 * Unreferenced files: what a crash left between staging an upload and placing it after its
 * commit, and the files of uploads refused before uploads were staged. The sweeper calls
 * attach_sweep; nothing younger than the grace period is touched, so an upload in flight
 * (its temporaries are seconds old) is never disturbed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach/attach.h"
#include "core/err.h"
#include "core/log.h"
#include "store/store.h"

static int hex_n(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* The hash a file of the store is named after, or 0 when the name is not the store's;
 * '*temp' says whether it is a temporary. */
static int store_name(const char *name, char *hash, int *temp)
{
    size_t n = strlen(name);
    if (n < 64 || !hex_n(name, 64))
        return 0;
    memcpy(hash, name, 64);
    hash[64] = '\0';
    *temp = strstr(name + 64, ".tmp.") != NULL;
    return *temp || n == 64 || strcmp(name + 64, ".thumb.jpg") == 0;
}

/* 0 and '*n' the rows of 'hash', or a negative ERR_*. */
static int referenced(struct store_conn *c, const char *hash, int64_t *n, struct err *err)
{
    int rc = store_one_i64(c, "SELECT count(*) FROM attachments WHERE sha256 = ?",
                           STORE_ARGS(store_text(hash)), n, err);
    return rc < 0 ? rc : 0;
}

/*
 * Remove one unreferenced file. It is first renamed aside, then looked at again: an upload of
 * the same content may have found it in place since (attach_stage touches it, so it is young
 * again) or committed its row; then the renamed-aside copy is put back (same bytes) if the
 * name is still empty. A crash in between leaves a temporary, which a later sweep removes.
 */
static int remove_unreferenced(struct store_conn *c, const char *path, const char *hash,
                               int64_t before, struct attach_sweep_report *rep, struct err *err)
{
    char aside[ATTACH_PATH_MAX];
    struct stat sb;
    int64_t n = 0;
    if ((size_t)snprintf(aside, sizeof(aside), "%s.tmp.sweep", path) >= sizeof(aside))
        return 0;
    if (rename(path, aside) != 0)
        return errno == ENOENT
                   ? 0
                   : err_set(err, ERR_IO, "cannot move '%s' aside: %s", path, strerror(errno));
    int young = lstat(aside, &sb) != 0 || (int64_t)sb.st_mtime > before;
    int rc = young ? 0 : referenced(c, hash, &n, err);
    if (young || rc < 0 || n > 0) {
        if (link(aside, path) != 0 && errno != EEXIST)
            log_msg(LOG_ERROR, "attachments: cannot restore '%s' from '%s': %s", path, aside,
                    strerror(errno));
        unlink(aside);
        return rc;
    }
    unlink(aside);
    rep->removed++;
    rep->bytes += (int64_t)sb.st_size;
    log_msg(LOG_INFO, "attachments: removed unreferenced file %s (%lld bytes)", path,
            (long long)sb.st_size);
    return 0;
}

static int sweep_leaf(struct store_conn *c, const char *dir, int64_t before,
                      struct attach_sweep_report *rep, struct err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = 0;
    if (!d)
        return errno == ENOENT ? 0
                               : err_set(err, ERR_IO, "cannot read '%s': %s", dir, strerror(errno));
    while (rc == 0 && (e = readdir(d))) {
        char path[ATTACH_PATH_MAX], hash[65];
        struct stat sb;
        int temp;
        int64_t n = 0;
        if (!store_name(e->d_name, hash, &temp) ||
            (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
            lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if ((int64_t)sb.st_mtime > before) {
            rep->young++;
            continue;
        }
        if (temp) {
            if (unlink(path) == 0) {
                rep->removed++;
                rep->bytes += (int64_t)sb.st_size;
                log_msg(LOG_INFO, "attachments: removed stale temporary %s (%lld bytes)", path,
                        (long long)sb.st_size);
            }
            continue;
        }
        if ((rc = referenced(c, hash, &n, err)) == 0 && n == 0)
            rc = remove_unreferenced(c, path, hash, before, rep, err);
    }
    closedir(d);
    return rc;
}

/* The names of the fan-out directories: two lowercase hex digits. */
static int fan_name(const char *name)
{
    return strlen(name) == 2 && hex_n(name, 2);
}

int attach_sweep(struct attach_store *st, struct store_conn *c, int64_t now, int64_t grace,
                 struct attach_sweep_report *rep, struct err *err)
{
    char mid[ATTACH_PATH_MAX];
    const char *top = attach_store_dir(st);
    memset(rep, 0, sizeof(*rep));
    DIR *d1 = opendir(top);
    if (!d1)
        return err_set(err, ERR_IO, "cannot read '%s': %s", top, strerror(errno));
    int rc = 0;
    struct dirent *a;
    while (rc == 0 && (a = readdir(d1))) {
        if (!fan_name(a->d_name) ||
            (size_t)snprintf(mid, sizeof(mid), "%s/%s", top, a->d_name) >= sizeof(mid))
            continue;
        DIR *d2 = opendir(mid);
        struct dirent *b;
        if (!d2)
            continue;
        while (rc == 0 && (b = readdir(d2))) {
            char leaf[ATTACH_PATH_MAX];
            if (fan_name(b->d_name) &&
                (size_t)snprintf(leaf, sizeof(leaf), "%s/%s", mid, b->d_name) < sizeof(leaf))
                rc = sweep_leaf(c, leaf, now - grace, rep, err);
        }
        closedir(d2);
    }
    closedir(d1);
    return rc;
}
