/*
 * What the commands share: setting up (settings, log level, libsodium), reporting a failure,
 * reading command options, and opening the database, the data key and the attachment store
 * the way every command finds them.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>

#include "attach/attach.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

int cli_setup(struct conf *cf, int *argc, char **argv, struct err *err)
{
    int rc;
    conf_defaults(cf);
    if ((rc = conf_load(cf, argc, argv, err)) < 0)
        return rc;
    int level = log_level_from_name(cf->log_level);
    if (level < 0)
        return err_field(err, ERR_BAD_REQUEST, "log_level",
                         "log_level must be debug, info, warn, error or off");
    log_set_level((enum log_level)level);
    if (sodium_init() < 0)
        return err_set(err, ERR_INTERNAL, "cannot initialise libsodium");
    return 0;
}

int cli_fail(const struct err *err)
{
    fprintf(stderr, "gridloop: %s\n", err->msg[0] ? err->msg : err_default_message(err->code));
    return err->code == ERR_BAD_REQUEST ? 2 : 1;
}

int cli_parse_opts(int argc, char **argv, int first, struct cli_opts *o, struct err *err)
{
    static const struct {
        const char *flag;
        size_t offset;
    } valued[] = {
        {"--name", offsetof(struct cli_opts, name)},
        {"--password", offsetof(struct cli_opts, password)},
        {"--role", offsetof(struct cli_opts, role)},
        {"--roles", offsetof(struct cli_opts, role)},
        {"--department", offsetof(struct cli_opts, department)},
        {"--region", offsetof(struct cli_opts, region)},
        {"--display-name", offsetof(struct cli_opts, display_name)},
        {"--phone", offsetof(struct cli_opts, phone)},
        {"--demo-password", offsetof(struct cli_opts, demo_password)},
        {"--demo-cases", offsetof(struct cli_opts, demo_cases)},
        {"--demo-addresses", offsetof(struct cli_opts, demo_addresses)},
        {"--district", offsetof(struct cli_opts, district)},
        {"--rate-limit", offsetof(struct cli_opts, rate_limit)},
        {"--out", offsetof(struct cli_opts, out)},
        {"--from", offsetof(struct cli_opts, from)},
        {"--head", offsetof(struct cli_opts, head)},
        {"--public-key", offsetof(struct cli_opts, public_key)},
        {"--format", offsetof(struct cli_opts, format)},
        {"--geojson", offsetof(struct cli_opts, geojson)},
    };
    static const struct {
        const char *flag;
        size_t offset;
    } switches[] = {
        {"--demo", offsetof(struct cli_opts, demo)},
        {"--force", offsetof(struct cli_opts, force)},
        {"--with-key", offsetof(struct cli_opts, with_key)},
    };
    for (int i = first; i < argc; i++) {
        size_t k;
        for (k = 0; k < sizeof(switches) / sizeof(switches[0]); k++)
            if (strcmp(argv[i], switches[k].flag) == 0) {
                *(int *)((char *)o + switches[k].offset) = 1;
                break;
            }
        if (k < sizeof(switches) / sizeof(switches[0]))
            continue;
        for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
            size_t fl = strlen(valued[k].flag);
            if (strncmp(argv[i], valued[k].flag, fl) != 0)
                continue;
            const char **slot = (const char **)((char *)o + valued[k].offset);
            if (argv[i][fl] == '=') {
                *slot = argv[i] + fl + 1;
                break;
            }
            if (argv[i][fl] == '\0') {
                if (i + 1 >= argc)
                    return err_set(err, ERR_BAD_REQUEST, "option '%s' needs a value",
                                   valued[k].flag);
                *slot = argv[++i];
                break;
            }
        }
        if (k == sizeof(valued) / sizeof(valued[0]))
            return err_set(err, ERR_BAD_REQUEST,
                           "unknown option or argument '%s' (see gridloop --help)", argv[i]);
    }
    return 0;
}

static void ensure_parent_dir(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0755);
    }
    free(dir);
}

int cli_write_out(const char *path, const char *p, size_t n, struct err *err)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f)
        return err_set(err, ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    int bad = fwrite(p ? p : "", 1, n, f) != n;
    bad |= path ? fclose(f) != 0 : fflush(f) != 0;
    if (bad)
        return err_set(err, ERR_IO, "cannot write '%s'", path ? path : "standard output");
    return 0;
}

int cli_open_store(const struct conf *cf, struct store **st, struct err *err)
{
    struct store_options so = {.path = cf->db, .busy_timeout_ms = 5000, .must_exist = 1};
    return store_open(st, &so, err);
}

int cli_create_store(const struct conf *cf, struct store **st, struct err *err)
{
    struct store_options so = {.path = cf->db, .busy_timeout_ms = 5000};
    if (!store_is_postgresql(cf->db))
        ensure_parent_dir(cf->db);
    return store_open(st, &so, err);
}

static int read_key(const char *path, FILE *f, unsigned char key[32], struct err *err)
{
    int rc = 0;
    if (fread(key, 1, 32, f) != 32 || fgetc(f) != EOF)
        rc = err_set(err, ERR_INTEGRITY, "key file '%s' must hold exactly 32 bytes", path);
    fclose(f);
    return rc;
}

/*
 * A 32-byte key file. Missing: ERR_NOT_FOUND, unless 'create' (init only), which writes new
 * random bytes to a temporary file and links it into place, so two inits at once against one
 * new database agree on one key (the loser of the link reads the winner's). *created says
 * which happened.
 */
static int key_file(const char *path, const char *what, unsigned char key[32], int create,
                    int *created, struct err *err)
{
    size_t tlen = strlen(path) + 16;
    char *tmp = xmalloc(tlen);
    int rc = 0, fd = -1;
    *created = 0;
    snprintf(tmp, tlen, "%s.new.%ld", path, (long)getpid());
    FILE *f = fopen(path, "rb");
    if (f) {
        rc = read_key(path, f, key, err);
        goto out;
    }
    if (errno != ENOENT) {
        rc = err_set(err, ERR_IO, "cannot read %s '%s': %s", what, path, strerror(errno));
        goto out;
    }
    if (!create) {
        rc = err_set(err, ERR_NOT_FOUND, "%s '%s' is missing", what, path);
        goto out;
    }
    ensure_parent_dir(path);
    randombytes_buf(key, 32);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, key, 32) != 32 || fsync(fd) != 0) {
        rc = err_set(err, ERR_IO, "cannot create %s '%s': %s", what, path, strerror(errno));
        goto out;
    }
    if (link(tmp, path) != 0) {
        if (errno == EEXIST && (f = fopen(path, "rb")) != NULL) {
            rc = read_key(path, f, key, err);
            goto out;
        }
        rc = err_set(err, ERR_IO, "cannot create %s '%s': %s", what, path, strerror(errno));
        goto out;
    }
    *created = 1;
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

char *cli_data_key_path(const struct conf *cf)
{
    return cf->data_key_file[0] ? xstrdup(cf->data_key_file) : conf_db_sidecar(cf, ".key");
}

char *cli_audit_key_path(const struct conf *cf)
{
    return cf->audit_key_file[0] ? xstrdup(cf->audit_key_file) : conf_db_sidecar(cf, ".audit-key");
}

/* A missing data key is never replaced outside init: a new key would leave every phone
 * number stored under the old one unreadable, and write new ones under another key. */
int cli_load_data_key(const struct conf *cf, unsigned char key[32], int create, struct err *err)
{
    char *path = cli_data_key_path(cf);
    int created;
    int rc = key_file(path, "data key", key, create, &created, err);
    if (rc == ERR_NOT_FOUND)
        rc = err_set(err, ERR_NOT_FOUND,
                     "data key '%s' is missing: restore it from where it was backed up "
                     "(docs/backup.md); only `gridloop init` creates one, for a new system",
                     path);
    else if (created)
        log_msg(LOG_INFO, "created data key %s (keep it with the database backups)", path);
    free(path);
    return rc;
}

int cli_load_audit_key(const struct conf *cf, unsigned char seed[32], int create, struct err *err)
{
    char *path = cli_audit_key_path(cf);
    int created;
    int rc = key_file(path, "audit signing key", seed, create, &created, err);
    if (created)
        log_msg(LOG_INFO, "created audit signing key %s", path);
    free(path);
    return rc;
}

int cli_open_attachments(const struct conf *cf, struct attach_store **out, struct err *err)
{
    struct attach_limits lim = {(size_t)cf->max_upload_bytes, cf->attach_max_pixels,
                                cf->attach_decode_slots, cf->attach_decode_queue};
    char *dir = cf->attach_dir[0] ? xstrdup(cf->attach_dir) : NULL;
    if (!dir)
        dir = conf_db_sidecar(cf, ".files/");
    int rc = attach_store_open(out, dir, &lim, err);
    free(dir);
    return rc;
}

int cli_audit_append(struct store_conn *c, const char *action, const char *target,
                     const char *after, struct err *err)
{
    struct clock clk = clock_real();
    struct audit_entry e = {0, "gridloop cli", action, target, NULL, after};
    return audit_append(c, &e, clock_now(&clk), err);
}

int cli_read_file(const char *path, const char *field, size_t max, struct buf *b, struct err *err)
{
    struct stat sb;
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_field(err, ERR_BAD_REQUEST, field, "cannot open '%s': %s", path,
                         strerror(errno));
    if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return err_field(err, ERR_BAD_REQUEST, field, "'%s' is not a file", path);
    }
    if ((uint64_t)sb.st_size > max) {
        fclose(f);
        return err_set(err, ERR_TOO_LARGE, "'%s' is larger than %zu MiB", path, max >> 20);
    }
    buf_grow(b, (size_t)sb.st_size + 1);
    size_t n = fread(b->p, 1, (size_t)sb.st_size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n != (size_t)sb.st_size)
        return err_set(err, ERR_IO, "cannot read '%s'", path);
    b->len = n;
    b->p[n] = '\0';
    return 0;
}
