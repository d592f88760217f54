/*
 * conf: the process configuration and the one settings table that drives the config file,
 * the environment (GRIDLOOP_<NAME>), command-line flags (--name) and --help.
 *
 * Precedence, lowest first: built-in default, config file, environment, command line.
 * The struct is filled once at start-up and read-only afterwards, so any thread may read it.
 * Strings in struct conf are owned by it and freed by conf_release().
 */
#ifndef GRIDLOOP_CORE_CONF_H
#define GRIDLOOP_CORE_CONF_H

#include <stdio.h>

struct err;

struct conf {
    char *config; /* path of the config file, "" for none */
    char *db;
    char *listen;
    char *web;
    int threads; /* 0 = one per core */
    int max_connections;
    int request_timeout; /* seconds */
    int max_header_bytes;
    int max_body_bytes;
    int max_upload_bytes;
    int import_max_bytes;   /* a dataset import's file (issue 17) */
    int max_buffered_bytes; /* the front door (issue 11, head) */
    int request_deadline;   /* seconds */
    int max_connections_per_ip;
    char *trusted_proxies;
    char *trusted_proxy_header; /* x-forwarded-for | forwarded */
    char *attach_dir;           /* "" = the database path + ".files/" */
    int attach_max_pixels;      /* width x height of an uploaded image */
    int attach_max_per_case;
    int attach_decode_slots;       /* decoding threads */
    int attach_decode_queue;       /* uploads waiting for one before 503 */
    int attach_uploads_per_minute; /* per user */
    int attach_orphan_grace;       /* seconds before an unreferenced file is swept */
    int shutdown_grace;            /* seconds */
    int session_ttl;               /* seconds */
    int login_max_user_failures;
    int login_max_ip_failures;
    int login_window; /* seconds */
    /* auth (issue 11) */
    int login_backoff;   /* seconds, doubling per failure past a limit */
    char *metrics_token; /* "" = none: /metrics needs an admin or data_officer session */
    char *cookie_secure; /* auto, always or never */
    int access_log;      /* bool */
    char *log_level;
    char *data_key_file; /* "" = the database path + ".key" */
    int rectify_rounds;
    int rectify_hours_general;
    int rectify_hours_complex;
    int sweep_interval;      /* seconds */
    int spike_scan_interval; /* seconds between spike scans (at sweeper runs) */
    int test_clock;          /* bool: PUT /api/v1/test/clock may move the server's clock */
    int list_total_cap;      /* a case list's total counts at most this many (0: all) */
    int list_total_ms;       /* ... for at most this long on SQLite (0: no limit) */
    int list_scan_ms;        /* a 1-2 character text's page reads for at most this long */
    int list_scan_window;    /* ... in windows of this many cases first, then 4x each */
    char *notify_channel;    /* log, webhook or none */
    char *notify_webhook_url;
    int notify_webhook_timeout; /* seconds */
    int notify_interval;        /* seconds */
    int notify_max_attempts;
    int notify_retry_base; /* seconds */
    char *sms_channel;     /* log, kannel or none */
    char *sms_kannel_url;
    char *sms_kannel_user;
    char *sms_kannel_password;
    char *sms_from;
    char *sms_dlr_url;          /* gridloop's base URL for Kannel's delivery reports */
    int assess_k;               /* per mille: weight of 基本满意 in 满意率 */
    int assess_weight_response; /* per mille, composite score weights */
    int assess_weight_solve;
    int assess_weight_satisfy;
    int assess_weight_on_time;
    char *triage_model;
    int triage_apply_threshold;    /* per mille */
    int triage_train_min_examples; /* retraining: fewest examples (input, issue 11) */
    int triage_train_max_drop;     /* retraining: per mille of held-out accuracy it may lose */
    int dup_window_days;
    int dup_max_meters;
    int dup_min_score;          /* per mille */
    char *open311_jurisdiction; /* the jurisdiction_id Open311 clients may send */
    char *open311_contact;      /* discovery: who runs the endpoint */
    /* public lookup (issue 11, item 10) */
    int lookup_max_ip_failures;
    int lookup_max_case_failures;
    int lookup_window; /* seconds */
    int appeal_days;   /* 申诉: days after closure in which a citizen may appeal (issue 13) */
    /* ops (issue 11): the audit anchor and the write health check */
    char *audit_key_file;      /* "" = the database path + ".audit-key" */
    int audit_anchor_interval; /* seconds between signed heads in the log */
    int health_probe_interval; /* seconds between write probes of /healthz */
    /* Event streams (src/api/api_events.c). */
    int stream_max_per_user;
    int stream_max_per_address;
    int stream_budget;         /* 0 = half of max_connections */
    int stream_max_life;       /* seconds */
    int stream_check_interval; /* seconds */
    /* The sensing network (issue 16, src/app/app_mqtt.c, app_sensor.c). */
    char *mqtt_url;            /* "" = no MQTT; mqtt://host:port */
    char *mqtt_client_id;      /* "" = "gridloop-" and the host name */
    int sensor_retention_days; /* readings kept this long */
    int mqtt_max_bytes;        /* an MQTT message's payload at most */
    int mqtt_max_readings;     /* readings in one MQTT message at most (a batch) */
};

enum conf_type { CONF_STR, CONF_INT, CONF_BOOL };

struct conf_setting {
    const char *name; /* file key and flag (--name, with '_' written as '-') */
    enum conf_type type;
    size_t offset;   /* into struct conf */
    const char *def; /* default, as text */
    long min, max;   /* CONF_INT bounds */
    const char *help;
};

/* The table; ends with a row whose name is NULL. */
extern const struct conf_setting conf_settings[];

/* Fill every field with its default. */
void conf_defaults(struct conf *c);
void conf_release(struct conf *c);

/* Set one setting from text. Returns 0 or ERR_BAD_REQUEST naming the setting. */
int conf_set(struct conf *c, const char *name, const char *value, const char *origin,
             struct err *err);

/* Read a "name = value" file; '#' starts a comment. Unknown names are errors. */
int conf_load_file(struct conf *c, const char *path, struct err *err);

/* Apply GRIDLOOP_<NAME> variables present in the environment. */
int conf_load_env(struct conf *c, struct err *err);

/*
 * Consume the setting flags in argv (--name value or --name=value), compacting argv so
 * that only the other arguments remain, in order. --config is honoured first: defaults,
 * then the file, then the environment, then the flags. Returns 0 or a negative ERR_*.
 */
int conf_load(struct conf *c, int *argc, char **argv, struct err *err);

/* Print every setting with its flag, variable, default and help. */
void conf_print_help(FILE *out);

/* Look a setting up by name (with '_' or '-'); NULL if unknown. */
const struct conf_setting *conf_find(const char *name);

/*
 * Where a file that belongs with the database lives when no setting names it (the data key
 * ".key", the triage model ".triage"): beside a SQLite file; for a PostgreSQL URL, under
 * var/ in the working directory, named after the database ("var/gridloop.key"), so every
 * node started from the same directory finds the same files. Returns malloc'd text.
 */
char *conf_db_sidecar(const struct conf *c, const char *suffix);

#endif /* GRIDLOOP_CORE_CONF_H */
