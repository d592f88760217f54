/*
 * The files of `gridloop store copy`: the data key, the audit signing key, the triage model
 * and the attachments that sit beside the SQLite file go to the paths the server finds them at
 * for a PostgreSQL database (conf_db_sidecar: var/<dbname>.key, .audit-key, .triage, .files/).
 *
 * The data key matters most: without it the citizens' phone numbers in the copy cannot be
 * decrypted. Without the audit key the server on the copy signs no audit head (it warns at
 * start and /healthz/audit fails), and a new one made by `init` would not be the key whose
 * public half the auditors were given. Keys are files like the others here. A target file that exists with other content is never overwritten silently:
 * without --force the copy is refused before any row moves; with --force the old file is
 * kept beside it (PATH.replaced-<unix time>), since a key once lost cannot be rebuilt.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/mem.h"

char *cli_store_redact(const char *url)
{
    size_t len = strlen(url) + 8; /* room for "***" in place of a shorter password */
    char *s = xmalloc(len);
    memcpy(s, url, len - 7);
    char *auth = strstr(s, "://");
    if (!auth)
        return s;
    auth += 3;
    char *at = strchr(auth, '@'), *slash = strchr(auth, '/');
    char *colon = strchr(auth, ':');
    if (at && (!slash || at < slash) && colon && colon < at)
        memmove(colon + 4, at, strlen(at) + 1), memcpy(colon, ":***", 4);
    return s;
}

/* 1 same content, 0 different, < 0 error */
static int same_content(const char *a, const char *b, struct err *err)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int rc = 1;
    if (!fa || !fb) {
        rc = err_set(err, ERR_IO, "cannot read '%s': %s", fa ? b : a, strerror(errno));
        goto out;
    }
    char ba[65536], bb[65536];
    for (;;) {
        size_t na = fread(ba, 1, sizeof(ba), fa), nb = fread(bb, 1, sizeof(bb), fb);
        if (na != nb || memcmp(ba, bb, na) != 0) {
            rc = 0;
            break;
        }
        if (na < sizeof(ba))
            break;
    }
out:
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return rc;
}

static int mkdir_parents(const char *path, struct err *err)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; *s && rc == 0; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0750) != 0 && errno != EEXIST)
            rc = err_set(err, ERR_IO, "cannot create directory '%s': %s", p, strerror(errno));
        *s = '/';
    }
    free(p);
    return rc;
}

/* Written beside the target under a temporary name, synced and renamed into place, so a
 * crash leaves either the whole file or none. */
static int copy_file(const char *from, const char *to, mode_t mode, struct err *err)
{
    size_t n = strlen(to) + 32;
    char *tmp = xmalloc(n);
    char buf[65536];
    int rc = mkdir_parents(to, err), in = -1, out = -1;
    snprintf(tmp, n, "%s.tmp.%ld", to, (long)getpid());
    if (rc < 0)
        goto done;
    if ((in = open(from, O_RDONLY)) < 0) {
        rc = err_set(err, ERR_IO, "cannot read '%s': %s", from, strerror(errno));
        goto done;
    }
    if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode)) < 0) {
        rc = err_set(err, ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        goto done;
    }
    for (;;) {
        ssize_t r = read(in, buf, sizeof(buf));
        if (r == 0)
            break;
        if (r < 0 || write(out, buf, (size_t)r) != r) {
            rc = err_set(err, ERR_IO, "cannot copy '%s' to '%s': %s", from, tmp, strerror(errno));
            goto done;
        }
    }
    if (fsync(out) != 0 || rename(tmp, to) != 0)
        rc = err_set(err, ERR_IO, "cannot write '%s': %s", to, strerror(errno));
done:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

static char *side_path(const struct conf *cf, const char *db, const char *setting,
                       const char *suffix)
{
    if (setting && *setting)
        return xstrdup(setting);
    struct conf c = *cf;
    c.db = (char *)db;
    return conf_db_sidecar(&c, suffix);
}

/* What to do with one file: nothing (absent, or already there), copy it, or refuse. */
static int plan_file(struct cli_store_file *f, const char *what, int force, struct err *err)
{
    struct stat sb;
    f->action = CLI_STORE_SKIP;
    if (strcmp(f->from, f->to) == 0 || stat(f->from, &sb) != 0)
        return 0; /* configured to one path for both, or the source has none */
    if (stat(f->to, &sb) != 0) {
        f->action = CLI_STORE_COPY;
        return 0;
    }
    int same = same_content(f->from, f->to, err);
    if (same < 0)
        return same;
    if (same)
        return 0;
    if (!force)
        return err_set(err, ERR_CONFLICT,
                       "the target's %s %s differs from the source's %s; pass --force to replace "
                       "it (the old one is kept beside it)",
                       what, f->to, f->from);
    f->action = CLI_STORE_REPLACE;
    return 0;
}

int cli_store_files_plan(const struct conf *cf, const char *from, const char *to, int force,
                         struct cli_store_files *f, struct err *err)
{
    int rc;
    f->key.from = side_path(cf, from, cf->data_key_file, ".key");
    f->key.to = side_path(cf, to, cf->data_key_file, ".key");
    f->audit_key.from = side_path(cf, from, cf->audit_key_file, ".audit-key");
    f->audit_key.to = side_path(cf, to, cf->audit_key_file, ".audit-key");
    f->triage.from = side_path(cf, from, cf->triage_model, ".triage");
    f->triage.to = side_path(cf, to, cf->triage_model, ".triage");
    f->dir_from = side_path(cf, from, cf->attach_dir, ".files");
    f->dir_to = side_path(cf, to, cf->attach_dir, ".files");
    struct stat sb;
    if (strcmp(f->key.from, f->key.to) != 0 && stat(f->key.from, &sb) != 0)
        fprintf(stderr,
                "warning: no data key at %s: if the county runs with a data_key_file setting, "
                "give the same one to this copy and to the server on PostgreSQL, or the phone "
                "numbers will not decrypt\n",
                f->key.from);
    if ((rc = plan_file(&f->key, "data key", force, err)) < 0 ||
        (rc = plan_file(&f->audit_key, "audit signing key", force, err)) < 0 ||
        (rc = plan_file(&f->triage, "triage model", force, err)) < 0)
        return rc;
    return 0;
}

static int place(const struct cli_store_file *f, const char *what, mode_t mode, struct err *err)
{
    if (f->action == CLI_STORE_SKIP)
        return 0;
    if (f->action == CLI_STORE_REPLACE) {
        char old[4096];
        snprintf(old, sizeof(old), "%s.replaced-%lld", f->to, (long long)time(NULL));
        if (rename(f->to, old) != 0)
            return err_set(err, ERR_IO, "cannot move '%s' aside: %s", f->to, strerror(errno));
        printf("%s: the target's old file is kept as %s\n", what, old);
    }
    int rc = copy_file(f->from, f->to, mode, err);
    if (rc == 0)
        printf("%s: %s -> %s\n", what, f->from, f->to);
    return rc;
}

struct tree_count {
    long copied, present;
};

/* Attachments are named by their content's hash: a name already present holds the same
 * bytes unless one of the files is damaged, which stops the copy. */
static int copy_tree(const char *from, const char *to, struct tree_count *n, struct err *err)
{
    DIR *d = opendir(from);
    int rc = 0;
    if (!d)
        return errno == ENOENT
                   ? 0
                   : err_set(err, ERR_IO, "cannot read '%s': %s", from, strerror(errno));
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp."))
            continue; /* ., .., and files the server is still writing */
        size_t ns = strlen(from) + strlen(e->d_name) + 2, nt = strlen(to) + strlen(e->d_name) + 2;
        char *sf = xmalloc(ns), *tf = xmalloc(nt);
        struct stat sb;
        snprintf(sf, ns, "%s/%s", from, e->d_name);
        snprintf(tf, nt, "%s/%s", to, e->d_name);
        if (lstat(sf, &sb) != 0)
            rc = errno == ENOENT ? 0 : err_set(err, ERR_IO, "cannot read '%s'", sf);
        else if (S_ISDIR(sb.st_mode))
            rc = copy_tree(sf, tf, n, err);
        else if (S_ISREG(sb.st_mode) && access(tf, F_OK) == 0) {
            rc = same_content(sf, tf, err);
            if (rc == 0)
                rc = err_set(err, ERR_CONFLICT, "attachment %s differs from %s: one is damaged", tf,
                             sf);
            else if (rc > 0) {
                n->present++;
                rc = 0;
            }
        } else if (S_ISREG(sb.st_mode)) {
            rc = copy_file(sf, tf, 0640, err);
            n->copied += rc == 0;
        }
        free(sf);
        free(tf);
    }
    closedir(d);
    return rc;
}

int cli_store_files_copy(struct cli_store_files *f, struct err *err)
{
    struct tree_count n = {0, 0};
    int rc;
    if ((rc = place(&f->key, "data key", 0600, err)) < 0 ||
        (rc = place(&f->audit_key, "audit signing key", 0600, err)) < 0 ||
        (rc = place(&f->triage, "triage model", 0640, err)) < 0)
        return rc;
    if (strcmp(f->dir_from, f->dir_to) == 0)
        return 0;
    if ((rc = copy_tree(f->dir_from, f->dir_to, &n, err)) < 0)
        return rc;
    printf("attachments: %ld files copied to %s/, %ld already there\n", n.copied, f->dir_to,
           n.present);
    return 0;
}

void cli_store_files_release(struct cli_store_files *f)
{
    free(f->key.from);
    free(f->key.to);
    free(f->audit_key.from);
    free(f->audit_key.to);
    free(f->triage.from);
    free(f->triage.to);
    free(f->dir_from);
    free(f->dir_to);
}
