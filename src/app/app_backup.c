/*
 * Backup and restore of a county install (one SQLite file and the two files beside it). The
 * database is copied by store_backup (SQLite's online backup API, safe while serving); the
 * model and the key are plain files, each written to a temporary name and renamed. Every file
 * is listed in the manifest with its size and SHA-256, so a restore can refuse a damaged or
 * altered backup before it writes anything.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "audit/audit.h"
#include "case/case.h"
#include "core/clock.h"
#include "core/conf.h"
#include "core/mem.h"
#include "json/json.h"
#include "store/store.h"

#define MANIFEST_NAME "manifest.json"
#define MANIFEST_FORMAT "gridloop-backup"
#define MANIFEST_MAX_BYTES (64 * 1024)
#define BACKUP_PAGES_PER_STEP 4096 /* 16 MB of 4 KB pages between progress checks */
#define COPY_CHUNK (1 << 20)

static const struct {
    const char *role, *file;
    mode_t mode; /* the key is a secret: owner only */
} roles[APP_BACKUP_ROLES] = {
    [APP_BACKUP_DATABASE] = {"database", "database.sqlite", 0600},
    [APP_BACKUP_TRIAGE_MODEL] = {"triage_model", "triage.model", 0600},
    [APP_BACKUP_DATA_KEY] = {"data_key", "data.key", 0600},
};

const char *app_backup_role_name(enum app_backup_role r)
{
    return roles[r].role;
}

const char *app_backup_file_name(enum app_backup_role r)
{
    return roles[r].file;
}

/* ---------------------------------------------------------------- the manifest */

char *app_backup_manifest_json(const struct app_backup_manifest *m)
{
    struct jw w;
    jw_init(&w);
    jw_obj(&w);
    jw_kstr(&w, "format", MANIFEST_FORMAT);
    jw_kint(&w, "version", m->version);
    jw_ktime(&w, "created_at", m->created_at);
    jw_kstr(&w, "gridloop_version", m->gridloop_version);
    jw_kint(&w, "schema_version", m->schema_version);
    jw_kstr(&w, "source", m->source);
    jw_key(&w, "files");
    jw_arr(&w);
    for (int r = 0; r < APP_BACKUP_ROLES; r++) {
        if (!m->files[r].present)
            continue;
        jw_obj(&w);
        jw_kstr(&w, "role", roles[r].role);
        jw_kstr(&w, "name", roles[r].file);
        jw_kint(&w, "size", m->files[r].size);
        jw_kstr(&w, "sha256", m->files[r].sha256);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "rows");
    jw_obj(&w);
    jw_kint(&w, "cases", m->cases);
    jw_kint(&w, "case_events", m->case_events);
    jw_kint(&w, "audit_log", m->audit_entries);
    jw_obj_end(&w);
    jw_key(&w, "audit_head");
    jw_obj(&w);
    jw_kint(&w, "seq", m->audit_seq);
    jw_kstr(&w, "hash", m->audit_hash);
    jw_obj_end(&w);
    jw_kstr(&w, "data_key_sha256", m->data_key_sha256);
    jw_obj_end(&w);
    buf_putc(&w.b, '\n');
    return buf_detach(&w.b, NULL);
}

#define COUNT_MAX 9.0e15 /* below 2^53: every value is an exact integer in a double */

static const struct json_field file_fields[] = {
    {"role", JT_STRING, JF_REQUIRED, 1, 32, NULL},
    {"name", JT_STRING, JF_REQUIRED, 1, 64, NULL},
    {"size", JT_INT, JF_REQUIRED, 0, COUNT_MAX, NULL},
    {"sha256", JT_STRING, JF_REQUIRED, 64, 64, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field rows_fields[] = {
    {"cases", JT_INT, JF_REQUIRED, 0, COUNT_MAX, NULL},
    {"case_events", JT_INT, JF_REQUIRED, 0, COUNT_MAX, NULL},
    {"audit_log", JT_INT, JF_REQUIRED, 0, COUNT_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field head_fields[] = {
    {"seq", JT_INT, JF_REQUIRED, 0, COUNT_MAX, NULL},
    {"hash", JT_STRING, JF_REQUIRED, 0, 64, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};
static const struct json_field manifest_fields[] = {
    {"format", JT_STRING, JF_REQUIRED, 1, 64, NULL},
    {"version", JT_INT, JF_REQUIRED, 1, 1000000, NULL},
    {"created_at", JT_STRING, JF_REQUIRED, 1, 40, NULL},
    {"gridloop_version", JT_STRING, JF_REQUIRED, 1, 40, NULL},
    {"schema_version", JT_INT, JF_REQUIRED, 1, 1000000, NULL},
    {"source", JT_STRING, JF_REQUIRED, 1, 4096, NULL},
    {"files", JT_ARRAY_OBJECT, JF_REQUIRED, 1, APP_BACKUP_ROLES, file_fields},
    {"rows", JT_OBJECT, JF_REQUIRED, 0, 0, rows_fields},
    {"audit_head", JT_OBJECT, JF_REQUIRED, 0, 0, head_fields},
    {"data_key_sha256", JT_STRING, JF_REQUIRED, 0, 64, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static int is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

static int role_of(const char *name)
{
    for (int r = 0; r < APP_BACKUP_ROLES; r++)
        if (strcmp(roles[r].role, name) == 0)
            return r;
    return -1;
}

static int parse_files(const json_t *files, struct app_backup_manifest *m, struct err *err)
{
    for (int i = 0; i < json_array_size(files); i++) {
        const json_t *f = json_array_item(files, i);
        const char *role = json_get_str(f, "role"), *name = json_get_str(f, "name");
        const char *sha = json_get_str(f, "sha256");
        int r = role_of(role);
        if (r < 0)
            return err_field(err, ERR_BAD_REQUEST, "files", "unknown file role '%s'", role);
        if (m->files[r].present)
            return err_field(err, ERR_BAD_REQUEST, "files", "file role '%s' listed twice", role);
        if (strcmp(name, roles[r].file) != 0)
            return err_field(err, ERR_BAD_REQUEST, "files", "the %s file must be named '%s'", role,
                             roles[r].file);
        if (!is_hex64(sha))
            return err_field(err, ERR_BAD_REQUEST, "files",
                             "sha256 of '%s' must be 64 lowercase hex digits", name);
        m->files[r].present = 1;
        m->files[r].size = json_get_int(f, "size", 0);
        memcpy(m->files[r].sha256, sha, 65);
    }
    if (!m->files[APP_BACKUP_DATABASE].present)
        return err_field(err, ERR_BAD_REQUEST, "files", "the manifest lists no database file");
    return 0;
}

int app_backup_manifest_parse(const char *text, size_t len, struct arena *a,
                              struct app_backup_manifest *out, struct err *err)
{
    json_t *j = NULL;
    int rc;
    memset(out, 0, sizeof(*out));
    if ((rc = json_parse(text, len, &j, err)) < 0)
        return rc;
    const char *format = json_get_str(j, "format");
    int64_t version = json_get_int(j, "version", 0);
    /* The format and version first: a newer gridloop's manifest may well have other fields,
     * and "made by a newer gridloop" says more than "unknown field". */
    if (!format || strcmp(format, MANIFEST_FORMAT) != 0) {
        rc = err_field(err, ERR_BAD_REQUEST, "format", "not a gridloop backup manifest");
        goto out;
    }
    if (version != APP_BACKUP_FORMAT_VERSION) {
        rc = err_field(err, ERR_BAD_REQUEST, "version",
                       "manifest format version %lld is not %d: restore it with the gridloop "
                       "that made it",
                       (long long)version, APP_BACKUP_FORMAT_VERSION);
        goto out;
    }
    if ((rc = json_check(j, manifest_fields, err)) < 0)
        goto out;
    out->version = (int)version;
    if (clock_parse_rfc3339(json_get_str(j, "created_at"), &out->created_at) < 0 ||
        out->created_at <= 0) {
        rc = err_field(err, ERR_BAD_REQUEST, "created_at", "created_at is not an RFC 3339 time");
        goto out;
    }
    out->gridloop_version = arena_strdup(a, json_get_str(j, "gridloop_version"));
    out->schema_version = (int)json_get_int(j, "schema_version", 0);
    out->source = arena_strdup(a, json_get_str(j, "source"));
    if ((rc = parse_files(json_get(j, "files"), out, err)) < 0)
        goto out;
    const json_t *rows = json_get(j, "rows"), *head = json_get(j, "audit_head");
    out->cases = json_get_int(rows, "cases", 0);
    out->case_events = json_get_int(rows, "case_events", 0);
    out->audit_entries = json_get_int(rows, "audit_log", 0);
    out->audit_seq = json_get_int(head, "seq", 0);
    const char *hash = json_get_str(head, "hash");
    if (out->audit_seq ? !is_hex64(hash) : hash[0] != '\0') {
        rc = err_field(err, ERR_BAD_REQUEST, "audit_head.hash",
                       "audit_head.hash must be 64 lowercase hex digits (\"\" when seq is 0)");
        goto out;
    }
    snprintf(out->audit_hash, sizeof(out->audit_hash), "%s", hash);
    const char *key = json_get_str(j, "data_key_sha256");
    if (key[0] && !is_hex64(key)) {
        rc = err_field(err, ERR_BAD_REQUEST, "data_key_sha256",
                       "data_key_sha256 must be 64 lowercase hex digits (\"\" when no key)");
        goto out;
    }
    if (out->files[APP_BACKUP_DATA_KEY].present &&
        strcmp(out->files[APP_BACKUP_DATA_KEY].sha256, key) != 0) {
        rc = err_field(err, ERR_BAD_REQUEST, "data_key_sha256",
                       "the data key file's sha256 is not data_key_sha256");
        goto out;
    }
    snprintf(out->data_key_sha256, sizeof(out->data_key_sha256), "%s", key);
out:
    json_free(j);
    return rc;
}

/* ---------------------------------------------------------------- files */

/* Where every command finds the data key (cli_load_data_key). */
static char *key_path(const struct conf *cf)
{
    return cf->data_key_file[0] ? xstrdup(cf->data_key_file) : conf_db_sidecar(cf, ".key");
}

/* The source path of each role's file for the settings (malloc'd). */
static char *role_path(const struct conf *cf, enum app_backup_role r)
{
    switch (r) {
    case APP_BACKUP_DATABASE: return xstrdup(cf->db);
    case APP_BACKUP_TRIAGE_MODEL: return app_triage_model_path(cf);
    case APP_BACKUP_DATA_KEY: return key_path(cf);
    }
    BUG("backup role %d", (int)r);
}

static int fsync_dir_of(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/*
 * Read 'from' and, when 'to' is not NULL, copy it to 'to' (a new file: O_EXCL, fsynced), with
 * its size and SHA-256. ENOENT on 'from' is ERR_NOT_FOUND, for the optional files.
 */
static int copy_hash(const char *from, const char *to, mode_t mode, int64_t *size, char hex[65],
                     struct err *err)
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
    if (in < 0)
        return err_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, "cannot read '%s': %s", from,
                       strerror(errno));
    if (to && (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0) {
        close(in);
        return err_set(err, ERR_IO, "cannot create '%s': %s", to, strerror(errno));
    }
    unsigned char *chunk = xmalloc(COPY_CHUNK);
    crypto_hash_sha256_init(&st);
    *size = 0;
    for (;;) {
        ssize_t n = read(in, chunk, COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = err_set(err, ERR_IO, "cannot read '%s': %s", from, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        crypto_hash_sha256_update(&st, chunk, (unsigned long long)n);
        *size += n;
        for (ssize_t done = 0; out >= 0 && done < n;) {
            ssize_t w = write(out, chunk + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = err_set(err, ERR_IO, "cannot write '%s': %s", to, strerror(errno));
                goto done;
            }
            done += w;
        }
    }
done:
    free(chunk);
    close(in);
    if (out >= 0) {
        if (rc == 0 && fsync(out) != 0)
            rc = err_set(err, ERR_IO, "cannot sync '%s': %s", to, strerror(errno));
        close(out);
    }
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, 65, h, sizeof(h));
    return rc;
}

/* 1 when 'path' is a directory holding nothing, 0 when it is absent; an error otherwise. */
static int check_out_dir(const char *path, struct err *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return 0;
        return err_set(err, ERR_IO, "cannot use backup directory '%s': %s", path, strerror(errno));
    }
    if (!S_ISDIR(sb.st_mode))
        return err_set(err, ERR_CONFLICT, "'%s' exists and is not a directory", path);
    DIR *d = opendir(path);
    if (!d)
        return err_set(err, ERR_IO, "cannot read backup directory '%s': %s", path, strerror(errno));
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    if (!empty)
        return err_set(err, ERR_CONFLICT,
                       "backup directory '%s' is not empty: give a new or empty directory", path);
    return 1;
}

static char *join(struct arena *a, const char *dir, const char *name)
{
    return arena_printf(a, "%s/%s", dir, name);
}

static double secs_since(uint64_t t0)
{
    return (double)(clock_mono_ns() - t0) / 1e9;
}

/* Open a database copy as it is (no migration) and read what the manifest records of it. */
static int read_copy(const char *path, struct app_backup_manifest *m, struct audit_report *verify,
                     struct err *err)
{
    struct store_options so = {.path = path, .busy_timeout_ms = 5000, .no_migrate = 1};
    struct store *st;
    struct store_conn *c;
    struct audit_head head;
    int rc = store_open(&st, &so, err);
    if (rc < 0)
        return rc;
    if ((rc = store_conn(st, &c, err)) == 0 &&
        (rc = case_count_rows(c, &m->cases, &m->case_events, err)) == 0 &&
        (rc = audit_head(c, &head, err)) == 0 && verify)
        rc = audit_verify(c, verify, err);
    m->schema_version = store_schema_version(st);
    store_close(st);
    if (rc < 0)
        return rc;
    m->audit_entries = head.entries;
    m->audit_seq = head.seq;
    memcpy(m->audit_hash, head.hash, sizeof(head.hash));
    return 0;
}

/* ---------------------------------------------------------------- backup */

int app_backup(const struct conf *cf, const char *dir, int with_key, struct arena *a,
               struct app_backup_report *rep, struct err *err)
{
    struct app_backup_manifest *m = &rep->m;
    struct store_backup_report sr;
    struct stat sb;
    const char *written[APP_BACKUP_ROLES + 1] = {0};
    int nwritten = 0, made_dir = 0, rc;
    uint64_t t0 = clock_mono_ns();
    memset(rep, 0, sizeof(*rep));

    if (stat(cf->db, &sb) != 0)
        return err_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO,
                       "cannot back up database '%s': %s", cf->db, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return err_set(err, ERR_BAD_REQUEST, "database '%s' is not a file", cf->db);
    if ((rc = check_out_dir(dir, err)) < 0)
        return rc;
    if (rc == 0) {
        if (mkdir(dir, 0700) != 0)
            return err_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO,
                           "cannot create backup directory '%s': %s", dir, strerror(errno));
        made_dir = 1;
    }

    const char *db_copy = join(a, dir, roles[APP_BACKUP_DATABASE].file);
    written[nwritten++] = db_copy;
    if ((rc = store_backup(cf->db, db_copy, BACKUP_PAGES_PER_STEP, &sr, err)) < 0 ||
        (rc = read_copy(db_copy, m, NULL, err)) < 0)
        goto fail;
    rep->pages = sr.pages;
    rep->steps = sr.steps;
    rep->restarts = sr.restarts;
    for (int r = 0; r < APP_BACKUP_ROLES; r++) {
        char *from = r == APP_BACKUP_DATABASE ? NULL : role_path(cf, (enum app_backup_role)r);
        /* The key without --with-key: read for its fingerprint, not copied. */
        int copy = r != APP_BACKUP_DATA_KEY || with_key;
        const char *to = copy ? join(a, dir, roles[r].file) : NULL;
        if (from && to)
            written[nwritten++] = to;
        rc = from ? copy_hash(from, to, roles[r].mode, &m->files[r].size, m->files[r].sha256, err)
                  : copy_hash(db_copy, NULL, 0, &m->files[r].size, m->files[r].sha256, err);
        free(from);
        if (rc == ERR_NOT_FOUND && r != APP_BACKUP_DATABASE) {
            nwritten -= to != NULL; /* an install without a model (or key) yet */
            err_clear(err);
            rc = 0;
            continue;
        }
        if (rc < 0)
            goto fail;
        if (r == APP_BACKUP_DATA_KEY)
            memcpy(m->data_key_sha256, m->files[r].sha256, sizeof(m->data_key_sha256));
        m->files[r].present = copy;
    }

    struct clock clk = clock_real();
    char *abs = realpath(cf->db, NULL);
    m->version = APP_BACKUP_FORMAT_VERSION;
    m->created_at = clock_now(&clk);
    m->gridloop_version = GRIDLOOP_VERSION;
    m->source = arena_strdup(a, abs ? abs : cf->db);
    free(abs);
    char *json = app_backup_manifest_json(m);
    const char *tmp = join(a, dir, MANIFEST_NAME ".tmp");
    const char *final = join(a, dir, MANIFEST_NAME);
    FILE *f = fopen(tmp, "wx");
    written[nwritten++] = tmp;
    int ok = f && fputs(json, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0)
        ok = 0;
    free(json);
    /* The manifest last, renamed into place: a backup directory without one is unfinished. */
    if (!ok || rename(tmp, final) != 0 || fsync_dir_of(final) != 0) {
        rc = err_set(err, ERR_IO, "cannot write '%s': %s", final, strerror(errno));
        goto fail;
    }
    rep->seconds = secs_since(t0);
    return 0;
fail:
    for (int i = 0; i < nwritten; i++)
        unlink(written[i]);
    unlink(arena_printf(a, "%s-wal", db_copy));
    unlink(arena_printf(a, "%s-shm", db_copy));
    if (made_dir)
        rmdir(dir);
    return rc;
}

/* ---------------------------------------------------------------- restore */

static int read_manifest(const char *dir, struct arena *a, struct app_backup_manifest *m,
                         struct err *err)
{
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return err_set(err, ERR_NOT_FOUND, "backup directory '%s' does not exist", dir);
    const char *path = join(a, dir, MANIFEST_NAME);
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_set(err, ERR_NOT_FOUND,
                       "'%s' is not a gridloop backup: it has no %s (or the backup did not "
                       "finish)",
                       dir, MANIFEST_NAME);
    char *text = arena_alloc(a, MANIFEST_MAX_BYTES + 1);
    size_t n = fread(text, 1, MANIFEST_MAX_BYTES + 1, f);
    fclose(f);
    if (n > MANIFEST_MAX_BYTES)
        return err_set(err, ERR_INTEGRITY, "%s is larger than %d bytes: not a gridloop manifest",
                       path, MANIFEST_MAX_BYTES);
    int rc = app_backup_manifest_parse(text, n, a, m, err);
    if (rc < 0) {
        char why[ERR_MSG_MAX];
        snprintf(why, sizeof(why), "%s", err->msg);
        return err_set(err, ERR_INTEGRITY, "not a valid backup manifest: %s (%s)", why, path);
    }
    return 0;
}

/* A file of the backup against its manifest entry; copies it to 'to' when not NULL. */
static int check_file(const struct app_backup_manifest *m, enum app_backup_role r, const char *dir,
                      const char *to, struct arena *a, struct err *err)
{
    const char *path = join(a, dir, roles[r].file);
    int64_t size;
    char hex[65];
    int rc = copy_hash(path, to, roles[r].mode, &size, hex, err);
    if (rc == ERR_NOT_FOUND)
        return err_set(err, ERR_INTEGRITY, "backup incomplete, nothing restored: '%s' is missing",
                       path);
    if (rc < 0)
        return rc;
    if (size != m->files[r].size)
        return err_set(err, ERR_INTEGRITY,
                       "backup truncated or altered, nothing restored: %lld bytes, the manifest "
                       "says %lld: '%s'",
                       (long long)size, (long long)m->files[r].size, path);
    if (strcmp(hex, m->files[r].sha256) != 0)
        return err_set(err, ERR_INTEGRITY,
                       "backup damaged or altered, nothing restored: '%s' does not match its "
                       "SHA-256 in the manifest",
                       path);
    return 0;
}

/* 1 when a database is at 'path' (a non-empty file, or a WAL beside it), else 0. */
static int db_present(const char *path, struct arena *a)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && sb.st_size > 0)
        return 1;
    return stat(arena_printf(a, "%s-wal", path), &sb) == 0 && sb.st_size > 0;
}

/* Does the file at 'path' hold exactly the bytes with this digest? -1 when absent. */
static int same_file(const char *path, const char *sha256)
{
    struct err ignored = ERR_INIT;
    int64_t size;
    char hex[65];
    if (copy_hash(path, NULL, 0, &size, hex, &ignored) < 0)
        return -1;
    return strcmp(hex, sha256) == 0;
}

/* A free temporary name beside 'path' (same directory, so the rename is atomic). mkstemp
 * picks it; the copy creates the file again with O_EXCL. */
static char *temp_beside(const char *path, struct arena *a, struct err *err)
{
    char *tmp = arena_printf(a, "%s.restore-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        err_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO,
                "cannot write beside '%s' (does its directory exist?): %s", path, strerror(errno));
        return NULL;
    }
    close(fd);
    unlink(tmp);
    return tmp;
}

/* The data key at the target against the one the backup was made with: phone numbers
 * sealed under another key would not decrypt, and nothing would say so until someone asks. */
static int check_key(const struct conf *cf, const struct app_backup_manifest *m, int force,
                     struct err *err)
{
    if (!m->data_key_sha256[0] || force)
        return 0;
    char *path = key_path(cf);
    int same = same_file(path, m->data_key_sha256), rc = 0;
    if (same == 0)
        rc = err_set(err, ERR_CONFLICT,
                     "wrong data key, nothing restored (phone numbers would not decrypt; --force "
                     "overrides): '%s' is not the one this backup was made with",
                     path);
    else if (same < 0 && !m->files[APP_BACKUP_DATA_KEY].present)
        rc = err_set(err, ERR_CONFLICT,
                     "data key needed, nothing restored: the backup was made without --with-key; "
                     "copy the key kept apart (sha256 %.16s...) to '%s', or --force to go "
                     "without it",
                     m->data_key_sha256, path);
    free(path);
    return rc;
}

struct staged {
    const char *tmp, *target;
};

int app_restore(const struct conf *cf, const char *dir, int force, struct arena *a,
                struct app_restore_report *rep, struct err *err)
{
    struct app_backup_manifest *m = &rep->m;
    struct staged staged[APP_BACKUP_ROLES] = {0};
    int rc;
    uint64_t t0 = clock_mono_ns();
    memset(rep, 0, sizeof(*rep));

    /* 1. The backup, whole, before anything is written. */
    if ((rc = read_manifest(dir, a, m, err)) < 0)
        return rc;
    for (int r = 0; r < APP_BACKUP_ROLES; r++)
        if (m->files[r].present &&
            (rc = check_file(m, (enum app_backup_role)r, dir, NULL, a, err)) < 0)
            return rc;

    /* 2. The target: not in use (not even with --force: a server would go on writing to the
     * replaced file, and what it acknowledged would be lost), nothing there to lose unless
     * forced. */
    long pid = 0;
    if (store_in_use(cf->db, &pid))
        return err_set(err, ERR_CONFLICT,
                       "nothing restored: database '%s' is in use by process %ld (stop gridloop "
                       "serve on it first)",
                       cf->db, pid);
    rep->replaced = db_present(cf->db, a);
    if (rep->replaced && !force)
        return err_set(err, ERR_CONFLICT,
                       "nothing restored: add --force to replace it (stop gridloop serve first) "
                       "or restore to a new path; database '%s' exists and is not empty",
                       cf->db);
    for (int r = 0; r < APP_BACKUP_ROLES; r++) {
        if (r == APP_BACKUP_DATABASE || !m->files[r].present)
            continue;
        char *target = role_path(cf, (enum app_backup_role)r);
        staged[r].target = arena_strdup(a, target);
        free(target);
    }
    if ((rc = check_key(cf, m, force, err)) < 0)
        return rc;

    /* 3. Every file to a temporary name beside its target, checked again as it is copied. */
    staged[APP_BACKUP_DATABASE].target = cf->db;
    for (int r = 0; r < APP_BACKUP_ROLES; r++) {
        if (!m->files[r].present)
            continue;
        const char *tmp = temp_beside(staged[r].target, a, err);
        if (!tmp) {
            rc = err->code;
            goto fail;
        }
        staged[r].tmp = tmp;
        if ((rc = check_file(m, (enum app_backup_role)r, dir, tmp, a, err)) < 0)
            goto fail;
    }

    /* 4. The database as `gridloop audit verify` sees it, and as the manifest describes it. */
    struct app_backup_manifest got = {0};
    struct audit_report ar;
    const char *db_tmp = staged[APP_BACKUP_DATABASE].tmp;
    if ((rc = read_copy(db_tmp, &got, &ar, err)) < 0)
        goto fail;
    rep->audit_entries_verified = ar.entries;
    if (ar.first_bad_seq) {
        rc = err_set(err, ERR_INTEGRITY,
                     "the restored database fails audit verify, nothing restored: audit chain "
                     "BROKEN at entry %lld: %s",
                     (long long)ar.first_bad_seq, ar.reason);
        goto fail;
    }
    if (got.cases != m->cases || got.case_events != m->case_events ||
        got.audit_entries != m->audit_entries || got.audit_seq != m->audit_seq ||
        strcmp(got.audit_hash, m->audit_hash) != 0) {
        rc = err_set(err, ERR_INTEGRITY,
                     "the restored database is not what the manifest says, nothing restored: "
                     "%lld cases, %lld events, %lld audit entries (head %lld); the manifest says "
                     "%lld, %lld, %lld (head %lld)",
                     (long long)got.cases, (long long)got.case_events, (long long)got.audit_entries,
                     (long long)got.audit_seq, (long long)m->cases, (long long)m->case_events,
                     (long long)m->audit_entries, (long long)m->audit_seq);
        goto fail;
    }
    struct stat sb;
    if (stat(arena_printf(a, "%s-wal", db_tmp), &sb) == 0) {
        rc = err_set(err, ERR_INTERNAL, "'%s-wal' was left behind by the check", db_tmp);
        goto fail;
    }

    /* 5. Into place. The old database's WAL and shared memory go first: left beside the new
     * file, SQLite would replay the old WAL into it. */
    if (rep->replaced || force) {
        const char *side[] = {"-wal", "-shm"};
        for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
            const char *p = arena_printf(a, "%s%s", cf->db, side[i]);
            if (unlink(p) != 0 && errno != ENOENT) {
                rc = err_set(err, ERR_IO, "cannot remove '%s': %s", p, strerror(errno));
                goto fail;
            }
        }
    }
    for (int r = 0; r < APP_BACKUP_ROLES; r++) {
        if (!staged[r].tmp)
            continue;
        if (rename(staged[r].tmp, staged[r].target) != 0 || fsync_dir_of(staged[r].target) != 0) {
            rc = err_set(err, ERR_IO, "cannot move the restored file to '%s': %s", staged[r].target,
                         strerror(errno));
            goto fail;
        }
        staged[r].tmp = NULL;
    }
    rep->seconds = secs_since(t0);
    return 0;
fail:
    for (int r = 0; r < APP_BACKUP_ROLES; r++) {
        if (!staged[r].tmp)
            continue;
        unlink(staged[r].tmp);
        unlink(arena_printf(a, "%s-wal", staged[r].tmp));
        unlink(arena_printf(a, "%s-shm", staged[r].tmp));
    }
    return rc;
}
