/*
 * gridloop: command-line entry point. Parses the command, loads the configuration and wires
 * the modules together; all behaviour lives in the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>

#include "api/api.h"
#include "app/app.h"
#include "attach/attach.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "core/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "demo/demo.h"
#include "http/http.h"
#include "open311/open311.h"
#include "store/store.h"
#include "triage/triage.h"

static const char usage[] =
    "usage: gridloop <command> [options]\n"
    "\n"
    "commands:\n"
    "  init --db FILE [--demo] [--demo-password PW] [--demo-cases N]\n"
    "                                                  create (and migrate) a database; --demo loads demo data,\n"
    "                                                  --demo-cases adds N cases of the last two weeks\n"
    "  serve --db FILE [--listen ADDR] [--web DIR]      serve the API and web UI until SIGINT/SIGTERM\n"
    "  user add --db FILE --name NAME --password PW --role ROLE[,ROLE...]\n"
    "           [--department ID[,ID...]] [--region CODE] [--display-name TEXT] [--phone PHONE]\n"
    "  user passwd --db FILE --name NAME --password PW   set a password (ends the user's sessions)\n"
    "  user list --db FILE                               list users\n"
    "  audit verify --db FILE                            check the audit hash chain\n"
    "  triage train|eval|classify ...                    text classifier (gridloop triage --help)\n"
    "  triage train --from-db --db FILE [--model OUT]   retrain the classifier from closed and classified cases\n"
    "  triage hot --data FILE.tsv [options]              hot topics in a message file (--help for options)\n"
    "  open311 key add --db FILE --name NAME [--rate-limit N]   issue an Open311 API key (shown once)\n"
    "  open311 key list --db FILE                        list Open311 clients\n"
    "  open311 key revoke --db FILE --name NAME          revoke a client's key\n"
    "  --help, --version\n"
    "\n"
    "roles: citizen, operator, dispatcher, handler, grid_worker, supervisor, data_officer, admin\n"
    "\n";

/* Command options that are not settings: --name value pairs and bare switches. */
struct opts {
    const char *name, *password, *role, *department, *region, *display_name, *phone, *demo_password, *rate_limit, *demo_cases;
    int demo;
};

static int parse_opts(int argc, char **argv, int first, struct opts *o, struct err *err)
{
    static const struct {
        const char *flag;
        size_t offset;
    } valued[] = {
        {"--name", offsetof(struct opts, name)},
        {"--password", offsetof(struct opts, password)},
        {"--role", offsetof(struct opts, role)},
        {"--roles", offsetof(struct opts, role)},
        {"--department", offsetof(struct opts, department)},
        {"--region", offsetof(struct opts, region)},
        {"--display-name", offsetof(struct opts, display_name)},
        {"--phone", offsetof(struct opts, phone)},
        {"--demo-password", offsetof(struct opts, demo_password)},
        {"--demo-cases", offsetof(struct opts, demo_cases)},
        {"--rate-limit", offsetof(struct opts, rate_limit)},
    };
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--demo") == 0) {
            o->demo = 1;
            continue;
        }
        size_t k;
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
                    return err_set(err, ERR_BAD_REQUEST, "option '%s' needs a value", valued[k].flag);
                *slot = argv[++i];
                break;
            }
        }
        if (k == sizeof(valued) / sizeof(valued[0]))
            return err_set(err, ERR_BAD_REQUEST, "unknown option or argument '%s' (see gridloop --help)", argv[i]);
    }
    return 0;
}

static int fail(const struct err *err)
{
    fprintf(stderr, "gridloop: %s\n", err->msg[0] ? err->msg : err_default_message(err->code));
    return err->code == ERR_BAD_REQUEST ? 2 : 1;
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

static int open_store(const struct conf *cf, struct store **st, struct err *err)
{
    struct store_options so = {.path = cf->db, .busy_timeout_ms = 5000};
    ensure_parent_dir(cf->db);
    return store_open(st, &so, err);
}

/* The data key: 32 random bytes in a file readable by the owner only, created on first use. */
static int load_data_key(const struct conf *cf, unsigned char key[32], struct err *err)
{
    char *path = cf->data_key_file[0] ? xstrdup(cf->data_key_file) : NULL;
    int rc = 0;
    if (!path) {
        path = xmalloc(strlen(cf->db) + 5);
        snprintf(path, strlen(cf->db) + 5, "%s.key", cf->db);
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno != ENOENT) {
            rc = err_set(err, ERR_IO, "cannot read data key '%s': %s", path, strerror(errno));
            goto out;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        randombytes_buf(key, 32);
        if (fd < 0 || write(fd, key, 32) != 32 || fsync(fd) != 0) {
            rc = err_set(err, ERR_IO, "cannot create data key '%s': %s", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            goto out;
        }
        close(fd);
        log_msg(LOG_INFO, "created data key %s (keep it with the database backups)", path);
        goto out;
    }
    if (fread(key, 1, 32, f) != 32 || fgetc(f) != EOF)
        rc = err_set(err, ERR_INTEGRITY, "data key '%s' must hold exactly 32 bytes", path);
    fclose(f);
out:
    free(path);
    return rc;
}

/* Attachment files: attach_dir, or beside the database (its path + ".files"). */
static int open_attachments(const struct conf *cf, struct attach_store **out, struct err *err)
{
    struct attach_limits lim = {(size_t)cf->max_upload_bytes, cf->attach_max_pixels, 0};
    char *dir = cf->attach_dir[0] ? xstrdup(cf->attach_dir) : NULL;
    if (!dir) {
        dir = xmalloc(strlen(cf->db) + 8);
        snprintf(dir, strlen(cf->db) + 8, "%s.files/", cf->db);
    }
    int rc = attach_store_open(out, dir, &lim, err);
    free(dir);
    return rc;
}

/* The demo's Open311 client: a fixed, published key, like the demo password. */
#define DEMO_OPEN311_CLIENT "demo-fixmystreet"
#define DEMO_OPEN311_KEY "demo-open311-key-lanxi"

static int cli_audit(struct store_conn *c, const char *action, const char *target, const char *after,
                     struct err *err);

static int demo_open311(struct store *st, int64_t now, struct err *err)
{
    struct store_conn *c;
    int rc;
    if ((rc = store_conn(st, &c, err)) < 0 || (rc = store_begin(c, err)) < 0)
        return rc;
    if ((rc = open311_demo_load(c, DEMO_OPEN311_CLIENT, DEMO_OPEN311_KEY, now, err)) < 0 ||
        (rc = cli_audit(c, "open311.demo.load", "open311", NULL, err)) < 0) {
        store_rollback(c);
        return rc;
    }
    return store_commit(c, err);
}

static int cmd_init(const struct conf *cf, const struct opts *o, struct err *err)
{
    struct store *st;
    int rc;
    unsigned char key[32];
    if ((rc = open_store(cf, &st, err)) < 0)
        return rc;
    if ((rc = load_data_key(cf, key, err)) < 0) {
        store_close(st);
        return rc;
    }
    printf("database %s at schema version %d\n", cf->db, store_schema_version(st));
    if (o->demo) {
        struct demo_report rep;
        struct clock clk = clock_real();
        const char *pw = o->demo_password ? o->demo_password : "demo";
        if ((rc = demo_load(st, pw, clock_now(&clk), &rep, err)) < 0)
            goto out;
        printf("demo data: %d regions, %d departments, %d categories, %d calendar days, %d users\n", rep.regions,
               rep.departments, rep.categories, rep.calendar_days, rep.users);
        printf("demo users (password '%s'):\n", pw);
        for (size_t i = 0; i < demo_users_count; i++)
            printf("  %-14s %-13s %s\n", demo_users[i].name, demo_users[i].roles, demo_users[i].what);
        char *model = app_triage_model_path(cf);
        rc = demo_triage_train(st, model, clock_now(&clk), err);
        if (rc == 0)
            printf("demo triage model: %s\n", model);
        free(model);
        if (rc < 0)
            goto out;
        if ((rc = demo_open311(st, clock_now(&clk), err)) < 0)
            goto out;
        printf("demo Open311 client '%s', api_key %s (docs/open311.md)\n", DEMO_OPEN311_CLIENT, DEMO_OPEN311_KEY);
        if (o->demo_cases) {
            char *end;
            long n = strtol(o->demo_cases, &end, 10);
            if (*end || n < 0 || n > 100000) {
                rc = err_set(err, ERR_BAD_REQUEST, "--demo-cases must be a number from 0 to 100000, not '%s'", o->demo_cases);
                goto out;
            }
            if ((rc = demo_cases(st, key, (int)n, clock_now(&clk), err)) < 0)
                goto out;
            printf("demo cases: %ld over the last two weeks\n", n);
        }
    } else if (o->demo_cases) {
        rc = err_set(err, ERR_BAD_REQUEST, "--demo-cases needs --demo");
    }
out:
    sodium_memzero(key, sizeof(key));
    store_close(st);
    return rc;
}

static int cli_audit(struct store_conn *c, const char *action, const char *target, const char *after,
                     struct err *err)
{
    struct clock clk = clock_real();
    struct audit_entry e = {0, "gridloop cli", action, target, NULL, after};
    return audit_append(c, &e, clock_now(&clk), err);
}

static int parse_ids(const char *list, int64_t *out, int max, int *n, struct err *err)
{
    *n = 0;
    for (const char *p = list; *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v <= 0 || (*end && *end != ','))
            return err_field(err, ERR_BAD_REQUEST, "department", "--department wants ids like 3,7, got '%s'", list);
        if (*n == max)
            return err_field(err, ERR_BAD_REQUEST, "department", "at most %d departments", max);
        out[(*n)++] = v;
        p = *end ? end + 1 : end;
    }
    return 0;
}

static int cmd_user(const struct conf *cf, const char *sub, const struct opts *o, struct err *err)
{
    struct store *st;
    struct store_conn *c;
    struct arena a;
    int rc;
    if ((rc = open_store(cf, &st, err)) < 0)
        return rc;
    arena_init(&a, 4096);
    if ((rc = store_conn(st, &c, err)) < 0)
        goto out;
    struct clock clk = clock_real();
    if (strcmp(sub, "add") == 0) {
        struct auth_user_input in = {0};
        int64_t depts[AUTH_MAX_DEPTS], id;
        if (!o->name || !o->password || !o->role) {
            rc = err_set(err, ERR_BAD_REQUEST, "user add needs --name, --password and --role");
            goto out;
        }
        in.name = o->name;
        in.password = o->password;
        in.region_code = o->region;
        in.display_name = o->display_name;
        in.phone = o->phone;
        if ((rc = auth_roles_parse(o->role, &in.roles, err)) < 0 ||
            (o->department && (rc = parse_ids(o->department, depts, AUTH_MAX_DEPTS, &in.ndepts, err)) < 0))
            goto out;
        in.depts = depts;
        if ((rc = store_begin(c, err)) < 0)
            goto out;
        if ((rc = auth_user_create(c, &in, clock_now(&clk), &id, err)) < 0 ||
            (rc = cli_audit(c, "user.create", arena_printf(&a, "user/%lld", (long long)id), o->role, err)) < 0) {
            store_rollback(c);
            goto out;
        }
        if ((rc = store_commit(c, err)) < 0)
            goto out;
        printf("user %s created with id %lld\n", o->name, (long long)id);
    } else if (strcmp(sub, "passwd") == 0) {
        struct auth_user u;
        if (!o->name || !o->password) {
            rc = err_set(err, ERR_BAD_REQUEST, "user passwd needs --name and --password");
            goto out;
        }
        if ((rc = auth_user_get_by_name(c, o->name, &a, &u, err)) < 0 || (rc = store_begin(c, err)) < 0)
            goto out;
        if ((rc = auth_user_set_password(c, u.id, o->password, clock_now(&clk), err)) < 0 ||
            (rc = cli_audit(c, "user.passwd", arena_printf(&a, "user/%lld", (long long)u.id), NULL, err)) < 0) {
            store_rollback(c);
            goto out;
        }
        if ((rc = store_commit(c, err)) < 0)
            goto out;
        printf("password of %s changed; their sessions were ended\n", o->name);
    } else if (strcmp(sub, "list") == 0) {
        struct auth_user *v;
        size_t n;
        if ((rc = auth_user_list(c, &a, &v, &n, err)) < 0)
            goto out;
        printf("%-6s %-20s %-36s %-16s %s\n", "id", "name", "roles", "region", "active");
        for (size_t i = 0; i < n; i++) {
            char roles[128];
            auth_roles_format(v[i].roles, roles, sizeof(roles));
            printf("%-6lld %-20s %-36s %-16s %s\n", (long long)v[i].id, v[i].name, roles,
                   v[i].region_code ? v[i].region_code : "-", v[i].active ? "yes" : "no");
        }
    } else {
        rc = err_set(err, ERR_BAD_REQUEST, "unknown user command '%s' (add, passwd, list)", sub);
    }
out:
    arena_release(&a);
    store_close(st);
    return rc;
}

static int cmd_open311(const struct conf *cf, const char *sub, const struct opts *o, struct err *err)
{
    struct store *st;
    struct store_conn *c;
    struct arena a;
    struct clock clk = clock_real();
    int rc;
    if ((rc = open_store(cf, &st, err)) < 0)
        return rc;
    arena_init(&a, 4096);
    if ((rc = store_conn(st, &c, err)) < 0)
        goto out;
    if (strcmp(sub, "add") == 0) {
        char key[44];
        int64_t id;
        long rate = OPEN311_RATE_DEFAULT;
        char *end = NULL;
        if (!o->name) {
            rc = err_set(err, ERR_BAD_REQUEST, "open311 key add needs --name");
            goto out;
        }
        if (o->rate_limit && ((rate = strtol(o->rate_limit, &end, 10)) < 1 || rate > OPEN311_RATE_MAX || *end)) {
            rc = err_field(err, ERR_BAD_REQUEST, "rate-limit", "--rate-limit is 1 to %d requests per minute", OPEN311_RATE_MAX);
            goto out;
        }
        auth_token_new(key);
        if ((rc = store_begin(c, err)) < 0)
            goto out;
        if ((rc = open311_client_create(c, o->name, (int)rate, key, clock_now(&clk), &id, err)) < 0 ||
            (rc = cli_audit(c, "open311.client.create", arena_printf(&a, "open311_client/%lld", (long long)id), NULL, err)) < 0) {
            store_rollback(c);
            goto out;
        }
        if ((rc = store_commit(c, err)) < 0)
            goto out;
        printf("Open311 client %s (id %lld, %ld requests/minute); its api_key, shown only now:\n%s\n", o->name, (long long)id,
               rate, key);
    } else if (strcmp(sub, "list") == 0 || strcmp(sub, "revoke") == 0) {
        struct open311_client *v;
        size_t n;
        int found = 0;
        if ((rc = open311_client_list(c, &a, &v, &n, err)) < 0)
            goto out;
        if (strcmp(sub, "list") == 0)
            printf("%-6s %-24s %-32s %-10s %s\n", "id", "name", "account", "rate/min", "active");
        for (size_t i = 0; i < n; i++) {
            if (strcmp(sub, "list") == 0) {
                printf("%-6lld %-24s %-32s %-10d %s\n", (long long)v[i].id, v[i].name, v[i].user_name, v[i].rate_limit,
                       v[i].revoked_at ? "no" : "yes");
                continue;
            }
            if (!o->name || strcmp(v[i].name, o->name) != 0)
                continue;
            found = 1;
            if ((rc = store_begin(c, err)) < 0)
                goto out;
            if ((rc = open311_client_revoke(c, v[i].id, clock_now(&clk), err)) < 0 ||
                (rc = cli_audit(c, "open311.client.revoke", arena_printf(&a, "open311_client/%lld", (long long)v[i].id), NULL,
                                err)) < 0) {
                store_rollback(c);
                goto out;
            }
            if ((rc = store_commit(c, err)) < 0)
                goto out;
            printf("Open311 client %s revoked\n", o->name);
        }
        if (strcmp(sub, "revoke") == 0 && !found)
            rc = err_field(err, ERR_NOT_FOUND, "name", "no Open311 client named '%s'", o->name ? o->name : "");
    } else {
        rc = err_set(err, ERR_BAD_REQUEST, "unknown open311 key command '%s' (add, list, revoke)", sub);
    }
out:
    arena_release(&a);
    store_close(st);
    return rc;
}

static int cmd_audit_verify(const struct conf *cf, struct err *err)
{
    struct store *st;
    struct store_conn *c;
    struct audit_report rep;
    int rc;
    if ((rc = open_store(cf, &st, err)) < 0)
        return rc;
    if ((rc = store_conn(st, &c, err)) == 0 && (rc = audit_verify(c, &rep, err)) == 0) {
        if (rep.first_bad_seq) {
            printf("audit chain BROKEN at entry %lld: %s (%lld entries read)\n", (long long)rep.first_bad_seq,
                   rep.reason, (long long)rep.entries);
            rc = err_set(err, ERR_INTEGRITY, "audit chain broken at entry %lld", (long long)rep.first_bad_seq);
        } else {
            printf("audit chain intact: %lld entries\n", (long long)rep.entries);
        }
    }
    store_close(st);
    return rc;
}

/* `triage train --from-db [--model FILE]`: retrain from the database's closed and classified
 * cases; a running server picks the new file up by itself. */
static int cmd_triage_from_db(const struct conf *cf, int argc, char **argv, struct err *err)
{
    const char *model = NULL;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--from-db") == 0)
            continue;
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            model = argv[++i];
        else
            return err_set(err, ERR_BAD_REQUEST, "unknown option or argument '%s' (see gridloop --help)", argv[i]);
    }
    struct store *st;
    struct store_conn *c;
    struct clock clk = clock_real();
    char version[TRIAGE_LABEL_MAX];
    size_t n = 0;
    int labels = 0, rc;
    char *path = model ? xstrdup(model) : app_triage_model_path(cf);
    if ((rc = open_store(cf, &st, err)) < 0)
        goto out;
    if ((rc = store_conn(st, &c, err)) == 0 &&
        (rc = api_triage_train_from_db(c, path, "cli", clock_now(&clk), version, &n, &labels, err)) == 0)
        printf("model %s: %zu examples, %d labels, written to %s\n", version, n, labels, path);
    store_close(st);
out:
    free(path);
    return rc;
}

static int cmd_serve(const struct conf *cf, struct err *err)
{
    struct store *st = NULL;
    struct auth *auth = NULL;
    struct app *app = NULL;
    struct api *api = NULL;
    struct http_static *web = NULL;
    struct http_server *srv = NULL;
    struct attach_store *attach = NULL;
    sigset_t sigs;
    int rc, sig;

    /* Block the stop signals before any thread starts, so only sigwait() below sees them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct auth_limits lim = {cf->session_ttl, cf->login_max_user_failures, cf->login_max_ip_failures, cf->login_window};
    unsigned char key[32];
    if ((rc = open_store(cf, &st, err)) < 0 || (rc = load_data_key(cf, key, err)) < 0 ||
        (rc = auth_new(&auth, st, &lim, err)) < 0)
        goto out;
    if (cf->web[0] && http_static_new(&web, cf->web, err) < 0) {
        log_msg(LOG_WARN, "serve: %s; static files disabled", err->msg);
        err_clear(err);
        web = NULL;
    }
    if ((rc = open_attachments(cf, &attach, err)) < 0)
        goto out;
    struct app_deps ad = {.conf = cf, .store = st, .auth = auth, .clock = clock_real(), .data_key = key,
                          .attach = attach};
    struct api_deps deps = {.web = web};
    if ((rc = app_new(&app, &ad, err)) < 0 || (rc = app_start_triage(app, err)) < 0)
        goto out;
    deps.app = app;
    if ((rc = api_new(&api, &deps, err)) < 0)
        goto out;
    struct http_options ho = {
        .listen = cf->listen,
        .threads = cf->threads,
        .max_connections = cf->max_connections,
        .request_timeout = cf->request_timeout,
        .max_header_bytes = cf->max_header_bytes,
        .max_body_bytes = (size_t)cf->max_body_bytes,
        .max_upload_bytes = (size_t)cf->max_upload_bytes,
        .access_log = cf->access_log,
    };
    if ((rc = http_server_start(&srv, &ho, api_handle, api, err)) < 0)
        goto out;
    api_set_server(api, srv);
    if ((rc = app_start_sweeper(app, err)) < 0 || (rc = api_start_notifier(api, err)) < 0)
        goto out;
    log_msg(LOG_INFO, "gridloop %s serving %s on http://%s (port %d), web %s", GRIDLOOP_VERSION, cf->db, cf->listen,
            http_server_port(srv), web ? cf->web : "(none)");
    sigwait(&sigs, &sig);
    log_msg(LOG_INFO, "received %s; finishing requests in flight (up to %d s)", sig == SIGINT ? "SIGINT" : "SIGTERM",
            cf->shutdown_grace);
    http_server_stop(srv, cf->shutdown_grace);
    srv = NULL;
    log_msg(LOG_INFO, "stopped cleanly");
out:
    http_server_stop(srv, 0);
    /* The app first: its writer answers what is still queued and its notifier publishes to
     * the API's event streams until it stops. */
    app_free(app);
    api_free(api);
    http_static_free(web);
    auth_free(auth);
    attach_store_free(attach);
    store_close(st);
    sodium_memzero(key, sizeof(key));
    return rc;
}

int main(int argc, char **argv)
{
    struct conf cf;
    struct err err = ERR_INIT;
    struct opts o = {0};
    int rc;

    /* The file-based triage commands need no settings; --from-db needs the database's. */
    int triage_from_db = 0;
    for (int i = 2; argc > 1 && strcmp(argv[1], "triage") == 0 && i < argc; i++)
        triage_from_db |= strcmp(argv[i], "--from-db") == 0;
    if (argc > 1 && strcmp(argv[1], "triage") == 0 && !triage_from_db)
        return triage_cmd(argc - 1, argv + 1);
    conf_defaults(&cf);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        conf_print_help(argc < 2 ? stderr : stdout);
        conf_release(&cf);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("gridloop %s\n", GRIDLOOP_VERSION);
        conf_release(&cf);
        return 0;
    }
    if ((rc = conf_load(&cf, &argc, argv, &err)) < 0)
        goto done;
    int level = log_level_from_name(cf.log_level);
    if (level < 0) {
        rc = err_field(&err, ERR_BAD_REQUEST, "log_level", "log_level must be debug, info, warn, error or off");
        goto done;
    }
    log_set_level((enum log_level)level);
    if (sodium_init() < 0) {
        rc = err_set(&err, ERR_INTERNAL, "cannot initialise libsodium");
        goto done;
    }
    const char *cmd = argv[1];
    int two_word = strcmp(cmd, "user") == 0 || strcmp(cmd, "audit") == 0;
    /* "open311 key add": the object and the verb are both words. */
    int three_word = strcmp(cmd, "open311") == 0;
    if (three_word && (argc < 4 || strcmp(argv[2], "key") != 0)) {
        rc = err_set(&err, ERR_BAD_REQUEST, "usage: gridloop open311 key add|list|revoke --db FILE ...");
        goto done;
    }
    if (two_word && argc < 3) {
        rc = err_set(&err, ERR_BAD_REQUEST, "'%s' needs a subcommand (see gridloop --help)", cmd);
        goto done;
    }
    if (strcmp(cmd, "triage") != 0 && (rc = parse_opts(argc, argv, three_word ? 4 : two_word ? 3 : 2, &o, &err)) < 0)
        goto done;
    if (strcmp(cmd, "init") == 0)
        rc = cmd_init(&cf, &o, &err);
    else if (strcmp(cmd, "serve") == 0)
        rc = cmd_serve(&cf, &err);
    else if (strcmp(cmd, "user") == 0)
        rc = cmd_user(&cf, argv[2], &o, &err);
    else if (three_word)
        rc = cmd_open311(&cf, argv[3], &o, &err);
    else if (strcmp(cmd, "audit") == 0 && strcmp(argv[2], "verify") == 0)
        rc = cmd_audit_verify(&cf, &err);
    else if (strcmp(cmd, "triage") == 0 && triage_from_db)
        rc = cmd_triage_from_db(&cf, argc, argv, &err);
    else
        rc = err_set(&err, ERR_BAD_REQUEST, "unknown command '%s' (see gridloop --help)", cmd);
done:
    conf_release(&cf);
    return rc < 0 ? fail(&err) : 0;
}
