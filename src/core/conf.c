#include "core/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"

#define S(field) offsetof(struct conf, field)

const struct conf_setting conf_settings[] = {
    {"config", CONF_STR, S(config), "", 0, 0, "configuration file to read (name = value lines)"},
    {"db", CONF_STR, S(db), "var/gridloop.db", 0, 0,
     "SQLite database file, or postgresql://USER@HOST:PORT/DBNAME for PostgreSQL"},
    {"listen", CONF_STR, S(listen), "127.0.0.1:8080", 0, 0, "address:port to serve HTTP on"},
    {"web", CONF_STR, S(web), "web", 0, 0, "directory of static web assets"},
    {"threads", CONF_INT, S(threads), "0", 0, 256, "HTTP worker threads (0 = one per core)"},
    {"max_connections", CONF_INT, S(max_connections), "1024", 1, 1000000,
     "simultaneous connections accepted"},
    {"request_timeout", CONF_INT, S(request_timeout), "30", 1, 3600,
     "seconds an idle or slow connection may take before it is closed"},
    {"max_header_bytes", CONF_INT, S(max_header_bytes), "16384", 4096, 1048576,
     "largest request line plus headers accepted"},
    {"max_body_bytes", CONF_INT, S(max_body_bytes), "1048576", 1024, 268435456,
     "largest JSON request body accepted"},
    {"max_upload_bytes", CONF_INT, S(max_upload_bytes), "20971520", 1024, 1073741824,
     "largest upload (attachments) accepted"},
    {"import_max_bytes", CONF_INT, S(import_max_bytes), "268435456", 1024, 1073741824,
     "largest table file (CSV, XLSX) a dataset import accepts"},
    /* The front door (issue 11, head). */
    {"request_deadline", CONF_INT, S(request_deadline), "120", 1, 86400,
     "seconds a request's line, headers and body may take to arrive in all (request_timeout is per pause); past it the connection is closed"},
    {"max_connections_per_ip", CONF_INT, S(max_connections_per_ip), "128", 0, 1000000,
     "simultaneous connections from one client address (IPv6: one /64); trusted proxies are exempt; 0 = no limit"},
    {"max_buffered_bytes", CONF_INT, S(max_buffered_bytes), "268435456", 1048576, 2147483647,
     "request body bytes held in memory at once, all requests together; a body that would pass it is answered 503"},
    {"trusted_proxies", CONF_STR, S(trusted_proxies), "", 0, 0,
     "reverse proxies whose forwarding header names the client: addresses or address/prefix, comma-separated (empty: none, the socket peer is the client)"},
    {"trusted_proxy_header", CONF_STR, S(trusted_proxy_header), "x-forwarded-for", 0, 0,
     "the header the trusted proxies set: x-forwarded-for (with X-Forwarded-Proto) or forwarded (RFC 7239)"},
    {"attach_dir", CONF_STR, S(attach_dir), "", 0, 0,
     "directory of attachment files, stored by content hash (empty: the database path + .files/, or var/DBNAME.files/ for PostgreSQL)"},
    {"attach_max_pixels", CONF_INT, S(attach_max_pixels), "40000000", 1, 2147483647,
     "largest image accepted, in pixels (width x height), checked before decoding"},
    {"attach_max_per_case", CONF_INT, S(attach_max_per_case), "20", 1, 1000,
     "attachments one case may carry"},
    /* uploads (issue 11, items 4 and 5): decoding off the HTTP threads, per-user rate, and the
     * sweep of files no row references */
    {"attach_decode_slots", CONF_INT, S(attach_decode_slots), "2", 1, 64,
     "images decoded at once, on threads of their own (a 40-megapixel decode takes ~160 MB)"},
    {"attach_decode_queue", CONF_INT, S(attach_decode_queue), "16", 1, 1024,
     "uploads waiting for a decoding thread; past it uploads are refused with 503 and Retry-After"},
    {"attach_uploads_per_minute", CONF_INT, S(attach_uploads_per_minute), "30", 1, 100000,
     "attachment uploads one user may send per minute; past it 429 and Retry-After"},
    {"attach_orphan_grace", CONF_INT, S(attach_orphan_grace), "3600", 1, 31536000,
     "seconds before the sweeper removes an attachment file no row references"},
    {"shutdown_grace", CONF_INT, S(shutdown_grace), "10", 0, 600,
     "seconds to let in-flight requests finish on SIGTERM/SIGINT"},
    {"session_ttl", CONF_INT, S(session_ttl), "28800", 60, 31536000,
     "seconds a login session stays valid"},
    {"login_max_user_failures", CONF_INT, S(login_max_user_failures), "5", 1, 1000,
     "failed logins per user name within login_window before it is throttled"},
    {"login_max_ip_failures", CONF_INT, S(login_max_ip_failures), "20", 1, 100000,
     "failed logins per client address within login_window before it is throttled"},
    {"login_window", CONF_INT, S(login_window), "900", 10, 86400,
     "seconds over which failed logins are counted"},
    /* auth (issue 11): throttling that never locks the owner out, /metrics, the cookie. */
    {"login_backoff", CONF_INT, S(login_backoff), "30", 1, 86400,
     "seconds a client past a login limit waits; doubles with each further failure, up to login_window"},
    {"metrics_token", CONF_STR, S(metrics_token), "", 0, 0,
     "bearer token (at least 32 characters) that may read /metrics besides admin and data_officer sessions (empty: none)"},
    {"cookie_secure", CONF_STR, S(cookie_secure), "auto", 0, 0,
     "mark the session cookie Secure: auto (unless the request is plain HTTP on loopback), always or never"},
    {"access_log", CONF_BOOL, S(access_log), "true", 0, 0,
     "write one JSON access-log line per request to stdout"},
    {"log_level", CONF_STR, S(log_level), "info", 0, 0, "debug, info, warn, error or off"},
    {"data_key_file", CONF_STR, S(data_key_file), "", 0, 0,
     "file holding the 32-byte key that encrypts citizens' phone numbers (empty: the database path + .key, or var/DBNAME.key for PostgreSQL)"},
    {"rectify_rounds", CONF_INT, S(rectify_rounds), "2", 1, 20,
     "unsatisfied evaluations of one case before it is escalated to supervisors"},
    {"rectify_hours_general", CONF_INT, S(rectify_hours_general), "24", 1, 8760,
     "hours to rectify after an unsatisfied evaluation (categories may set their own)"},
    {"rectify_hours_complex", CONF_INT, S(rectify_hours_complex), "72", 1, 8760,
     "hours to rectify for complex categories (resolve limit over five working days)"},
    {"sweep_interval", CONF_INT, S(sweep_interval), "60", 1, 86400,
     "seconds between runs of the overdue sweeper"},
    {"spike_scan_interval", CONF_INT, S(spike_scan_interval), "3600", 1, 86400,
     "seconds between the sweeper's scans for spikes (each reads four weeks of cases)"},
    {"list_total_cap", CONF_INT, S(list_total_cap), "10000", 0, 1000000000,
     "case lists (GET /api/v1/cases): matches counted for a first page's total at most; past it the total is this number with total_capped (0 = count every match)"},
    {"list_total_ms", CONF_INT, S(list_total_ms), "25", 0, 60000,
     "case lists: milliseconds of work a first page's count may take (SQLite: CPU time; PostgreSQL: the statement's wall clock); past them the total is the matches counted so far (PostgreSQL: the page's), with total_capped (0 = no limit; list_total_cap = 0 also counts every match)"},
    {"list_scan_ms", CONF_INT, S(list_scan_ms), "20", 0, 60000,
     "case lists with a text of 1 or 2 characters (no index answers it): milliseconds a page may read for; past them it stops early with what it found, a next_cursor that reads on, and searched_to (0 = no limit)"},
    {"list_scan_window", CONF_INT, S(list_scan_window), "1000", 1, 1000000,
     "case lists with a text of 1 or 2 characters: the cases of a page's first window of reading (each next one is four times as large); the budget list_scan_ms is checked between windows"},
    {"test_clock", CONF_BOOL, S(test_clock), "false", 0, 0,
     "allow PUT /api/v1/test/clock to move the server's clock (tests only; never in production)"},
    {"notify_channel", CONF_STR, S(notify_channel), "log", 0, 0,
     "where notifications are delivered: log (JSON lines on stdout), webhook, or none"},
    {"notify_webhook_url", CONF_STR, S(notify_webhook_url), "", 0, 0,
     "URL the webhook channel POSTs each notification to as JSON"},
    {"notify_webhook_timeout", CONF_INT, S(notify_webhook_timeout), "5", 1, 120,
     "seconds a webhook call may take before it counts as failed"},
    {"notify_interval", CONF_INT, S(notify_interval), "5", 1, 3600,
     "seconds between passes of the notification worker (writes also wake it)"},
    {"notify_max_attempts", CONF_INT, S(notify_max_attempts), "8", 1, 100,
     "delivery attempts before a notification is marked failed"},
    {"notify_retry_base", CONF_INT, S(notify_retry_base), "10", 1, 3600,
     "seconds before the first retry; doubles per attempt (with jitter) up to an hour"},
    {"sms_channel", CONF_STR, S(sms_channel), "log", 0, 0,
     "where texts to citizens' phones go: log (JSON lines, masked phone), kannel, or none"},
    {"sms_kannel_url", CONF_STR, S(sms_kannel_url), "", 0, 0,
     "Kannel's sendsms URL (http://host:13013/cgi-bin/sendsms); required with sms_channel = kannel"},
    {"sms_kannel_user", CONF_STR, S(sms_kannel_user), "", 0, 0, "Kannel sendsms-user name"},
    {"sms_kannel_password", CONF_STR, S(sms_kannel_password), "", 0, 0,
     "Kannel sendsms-user password"},
    {"sms_from", CONF_STR, S(sms_from), "12345", 0, 0, "sender number the texts show"},
    {"sms_dlr_url", CONF_STR, S(sms_dlr_url), "", 0, 0,
     "gridloop's base URL as Kannel reaches it, for delivery reports; empty = none requested"},
    {"assess_k", CONF_INT, S(assess_k), "900", 0, 1000,
     "assessment: weight of basically satisfied in the satisfaction rate, per mille (900 = 0.9)"},
    {"assess_weight_response", CONF_INT, S(assess_weight_response), "100", 0, 1000,
     "assessment: weight of the response rate in the composite score, per mille"},
    {"assess_weight_solve", CONF_INT, S(assess_weight_solve), "500", 0, 1000,
     "assessment: weight of the solve rate in the composite score, per mille"},
    {"assess_weight_satisfy", CONF_INT, S(assess_weight_satisfy), "400", 0, 1000,
     "assessment: weight of the satisfaction rate in the composite score, per mille"},
    {"assess_weight_on_time", CONF_INT, S(assess_weight_on_time), "0", 0, 1000,
     "assessment: weight of the on-time rate in the composite score, per mille (0 = not a term)"},
    {"triage_model", CONF_STR, S(triage_model), "", 0, 0,
     "triage model file (empty: the database path + .triage, or var/DBNAME.triage for PostgreSQL); replaced files are picked up while running"},
    {"triage_apply_threshold", CONF_INT, S(triage_apply_threshold), "600", 0, 1001,
     "per mille: at intake without a category, the suggested one is applied when at least this probable (1001 = never)"},
    /* input (issue 11): the check a retrained model must pass before it replaces the current */
    {"triage_train_min_examples", CONF_INT, S(triage_train_min_examples), "200", 1, 100000000,
     "retraining from the database is refused with fewer examples (closed or classified cases) than this"},
    {"triage_train_max_drop", CONF_INT, S(triage_train_max_drop), "20", 0, 1000,
     "per mille: retraining is refused when the new model's held-out accuracy is lower than the current model's by more than this"},
    {"dup_window_days", CONF_INT, S(dup_window_days), "7", 1, 365,
     "duplicate suggestions: days back from a new case in which open cases are compared"},
    {"dup_max_meters", CONF_INT, S(dup_max_meters), "1000", 0, 100000,
     "duplicate suggestions: farthest distance between two located cases (0 = ignore location)"},
    {"dup_min_score", CONF_INT, S(dup_min_score), "500", 1, 1000,
     "duplicate suggestions: smallest text similarity, per mille"},
    {"open311_jurisdiction", CONF_STR, S(open311_jurisdiction), "gridloop.example", 0, 0,
     "Open311 jurisdiction_id of this endpoint; requests naming another jurisdiction get 404"},
    {"open311_contact", CONF_STR, S(open311_contact), "12345 hotline, gridloop operators", 0, 0,
     "Open311 discovery contact text (who runs the endpoint and how to reach them)"},
    /* The public lookup by case number and check code (docs/security.md). */
    {"lookup_max_ip_failures", CONF_INT, S(lookup_max_ip_failures), "30", 1, 100000,
     "failed public lookups per client address within lookup_window before it gets 429"},
    {"lookup_max_case_failures", CONF_INT, S(lookup_max_case_failures), "10", 1, 100000,
     "failed public lookups per case number within lookup_window before that number gets 429"},
    {"lookup_window", CONF_INT, S(lookup_window), "86400", 60, 2592000,
     "seconds over which failed public lookups are counted"},
    {"appeal_days", CONF_INT, S(appeal_days), "30", 1, 3650,
     "days after a case is closed in which its citizen may appeal the closure or an automatic decision"},
    /* ops (issue 11): the audit anchor and the write health check (docs/security.md) */
    {"audit_key_file", CONF_STR, S(audit_key_file), "", 0, 0,
     "file holding the Ed25519 seed that signs the audit chain's head, created by init (empty: the database path + .audit-key, or var/DBNAME.audit-key for PostgreSQL)"},
    {"audit_anchor_interval", CONF_INT, S(audit_anchor_interval), "300", 1, 86400,
     "seconds between signed audit heads written to the log (when the chain has grown)"},
    {"health_probe_interval", CONF_INT, S(health_probe_interval), "30", 1, 3600,
     "seconds between write probes behind /healthz (every second while degraded)"},
    /* Event streams (GET /api/v1/events/stream): each holds a connection for as long as it
     * lives, so how many, whose and for how long is bounded (src/api/api_events.c). */
    {"stream_max_per_user", CONF_INT, S(stream_max_per_user), "8", 1, 1000,
     "event streams one user may hold open at once (more get 429)"},
    {"stream_max_per_address", CONF_INT, S(stream_max_per_address), "64", 1, 100000,
     "event streams one client address may hold open at once (more get 429)"},
    {"stream_budget", CONF_INT, S(stream_budget), "0", 0, 1000000,
     "event streams open at once on this node, at most three quarters of max_connections so the rest stay free for ordinary requests (more get 503; 0 = half of max_connections)"},
    {"stream_max_life", CONF_INT, S(stream_max_life), "1800", 1, 86400,
     "seconds an event stream lives before it ends and the client reconnects"},
    {"stream_check_interval", CONF_INT, S(stream_check_interval), "60", 1, 3600,
     "seconds between checks that an open event stream's session still stands"},
    {"mqtt_url", CONF_STR, S(mqtt_url), "", 0, 0,
     "MQTT broker the server subscribes to for sensor readings (mqtt://host:port); empty = none"},
    {"mqtt_client_id", CONF_STR, S(mqtt_client_id), "", 0, 0,
     "MQTT client id, the same across restarts so the broker keeps readings queued while the "
     "server is down; empty = gridloop-<host name>"},
    {"sensor_retention_days", CONF_INT, S(sensor_retention_days), "400", 1, 36500,
     "days sensor readings are kept"},
    {"mqtt_max_bytes", CONF_INT, S(mqtt_max_bytes), "262144", 256, 16777216,
     "bytes of one MQTT message at most (a batch of readings); a larger one is refused whole"},
    {"mqtt_max_readings", CONF_INT, S(mqtt_max_readings), "1000", 1, 100000,
     "readings in one MQTT message at most (an array on a device's or a gateway's topic); more "
     "refuses the message whole"},
    {NULL, CONF_STR, 0, NULL, 0, 0, NULL},
};

static int name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

const struct conf_setting *conf_find(const char *name)
{
    for (const struct conf_setting *s = conf_settings; s->name; s++)
        if (name_eq(s->name, name))
            return s;
    return NULL;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int apply(struct conf *c, const struct conf_setting *s, const char *value,
                 const char *origin, struct err *err)
{
    void *field = (char *)c + s->offset;
    switch (s->type) {
    case CONF_STR: {
        char **p = field;
        free(*p);
        *p = xstrdup(value);
        return 0;
    }
    case CONF_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end)
            return err_field(err, ERR_BAD_REQUEST, s->name,
                             "%s: setting '%s' must be an integer, got '%s'", origin, s->name,
                             value);
        if (v < s->min || v > s->max)
            return err_field(err, ERR_BAD_REQUEST, s->name,
                             "%s: setting '%s' must be between %ld and %ld, got %ld", origin,
                             s->name, s->min, s->max, v);
        *(int *)field = (int)v;
        return 0;
    }
    case CONF_BOOL:
        if (parse_bool(value, field) < 0)
            return err_field(err, ERR_BAD_REQUEST, s->name,
                             "%s: setting '%s' must be true or false, got '%s'", origin, s->name,
                             value);
        return 0;
    }
    BUG("setting '%s' has type %d, which the settings table does not define", s->name,
        (int)s->type);
}

int conf_set(struct conf *c, const char *name, const char *value, const char *origin,
             struct err *err)
{
    const struct conf_setting *s = conf_find(name);
    if (!s)
        return err_field(err, ERR_BAD_REQUEST, name, "%s: unknown setting '%s'", origin, name);
    return apply(c, s, value, origin, err);
}

void conf_defaults(struct conf *c)
{
    memset(c, 0, sizeof(*c));
    for (const struct conf_setting *s = conf_settings; s->name; s++)
        if (apply(c, s, s->def, "default", NULL) < 0)
            BUG("setting '%s' has a bad default '%s'", s->name,
                s->def); /* the unit tests load every default */
}

void conf_release(struct conf *c)
{
    for (const struct conf_setting *s = conf_settings; s->name; s++) {
        if (s->type == CONF_STR) {
            char **p = (char **)((char *)c + s->offset);
            free(*p);
            *p = NULL;
        }
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int conf_load_file(struct conf *c, const char *path, struct err *err)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int lineno = 0, rc = 0;
    if (!f)
        return err_set(err, ERR_IO, "cannot open config file '%s': %s", path, strerror(errno));
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        char origin[512];
        snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
        if (!eq) {
            rc = err_set(err, ERR_BAD_REQUEST, "%s: expected 'name = value'", origin);
            break;
        }
        *eq = '\0';
        char *name = trim(s), *value = trim(eq + 1);
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        }
        if ((rc = conf_set(c, name, value, origin, err)) < 0)
            break;
    }
    fclose(f);
    return rc;
}

int conf_load_env(struct conf *c, struct err *err)
{
    for (const struct conf_setting *s = conf_settings; s->name; s++) {
        char var[96] = "GRIDLOOP_";
        size_t n = strlen(var);
        for (const char *p = s->name; *p && n < sizeof(var) - 1; p++)
            var[n++] = (char)toupper((unsigned char)*p);
        var[n] = '\0';
        const char *v = getenv(var);
        if (v && !(s->offset == offsetof(struct conf, config))) {
            int rc = apply(c, s, v, var, err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* Finds --name or --name=value at argv[i]; returns the setting or NULL. */
static const struct conf_setting *flag_at(char *arg, char **inline_value)
{
    *inline_value = NULL;
    if (strncmp(arg, "--", 2) != 0)
        return NULL;
    char name[64];
    const char *eq = strchr(arg + 2, '=');
    size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    if (n >= sizeof(name))
        return NULL;
    memcpy(name, arg + 2, n);
    name[n] = '\0';
    const struct conf_setting *s = conf_find(name);
    if (s && eq)
        *inline_value = (char *)eq + 1;
    return s;
}

int conf_load(struct conf *c, int *argc, char **argv, struct err *err)
{
    int rc;
    const char *cfg = getenv("GRIDLOOP_CONFIG");
    char *inl;

    /* Pass 1: find --config so the file applies before the environment and flags. */
    for (int i = 0; i < *argc; i++) {
        const struct conf_setting *s = flag_at(argv[i], &inl);
        if (s && s->offset == offsetof(struct conf, config)) {
            if (inl)
                cfg = inl;
            else if (i + 1 < *argc)
                cfg = argv[i + 1];
            else
                return err_field(err, ERR_BAD_REQUEST, "config", "flag '--config' needs a value");
        }
    }
    if (cfg && *cfg) {
        if ((rc = conf_set(c, "config", cfg, "command line", err)) < 0)
            return rc;
        if ((rc = conf_load_file(c, cfg, err)) < 0)
            return rc;
    }
    if ((rc = conf_load_env(c, err)) < 0)
        return rc;

    int out = 0;
    for (int i = 0; i < *argc; i++) {
        const struct conf_setting *s = flag_at(argv[i], &inl);
        if (!s) {
            argv[out++] = argv[i];
            continue;
        }
        const char *value = inl;
        if (!value) {
            if (s->type == CONF_BOOL && (i + 1 >= *argc || strncmp(argv[i + 1], "--", 2) == 0)) {
                value = "true";
            } else if (i + 1 < *argc) {
                value = argv[++i];
            } else {
                return err_field(err, ERR_BAD_REQUEST, s->name, "flag '--%s' needs a value",
                                 s->name);
            }
        }
        if ((rc = apply(c, s, value, "command line", err)) < 0)
            return rc;
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

void conf_print_help(FILE *out)
{
    fprintf(out, "Settings (flag / environment variable / config-file key, default):\n");
    for (const struct conf_setting *s = conf_settings; s->name; s++) {
        char flag[64], env[80];
        size_t i;
        for (i = 0; s->name[i] && i < sizeof(flag) - 1; i++)
            flag[i] = s->name[i] == '_' ? '-' : s->name[i];
        flag[i] = '\0';
        snprintf(env, sizeof(env), "GRIDLOOP_");
        for (i = 0; s->name[i] && i + 10 < sizeof(env); i++)
            env[9 + i] = (char)toupper((unsigned char)s->name[i]);
        env[9 + i] = '\0';
        fprintf(out, "  --%-26s %s\n      %s; env %s, file key '%s', default '%s'\n", flag,
                s->type == CONF_INT    ? "N"
                : s->type == CONF_BOOL ? "[true|false]"
                                       : "VALUE",
                s->help, env, s->name, s->def);
    }
}

char *conf_db_sidecar(const struct conf *c, const char *suffix)
{
    const char *db = c->db, *name = NULL;
    size_t namelen = 0;
    if (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0) {
        const char *rest = strchr(strstr(db, "://") + 3, '/');
        name = rest && rest[1] ? rest + 1 : "postgres";
        namelen = strcspn(name, "?#");
        if (namelen == 0)
            name = "postgres", namelen = 8;
    }
    size_t len = (name ? 4 + namelen : strlen(db)) + strlen(suffix) + 1;
    char *path = xmalloc(len);
    if (!name) {
        snprintf(path, len, "%s%s", db, suffix);
        return path;
    }
    snprintf(path, len, "var/%.*s%s", (int)namelen, name, suffix);
    /* a database name is not a path: no separators or dot-dot reach the file system */
    for (char *p = path + 4; *p && p < path + 4 + namelen; p++)
        if (*p == '/' || *p == '.' || *p == '\\')
            *p = '_';
    return path;
}
