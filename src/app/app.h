/*
 * app: the running application. One struct app owns the state a running gridloop keeps
 * between requests: the clock (with the test offset), the organisation version and what is
 * derived from the organisation (working calendar, point-in-region index), the group-commit
 * writer, the triage model and the duplicate index, the overdue sweeper, the notification
 * worker and the per-client rate windows.
 *
 * The API, the sweeper thread and the command line are its clients. Its functions take the
 * app and a unit of work (struct app_ctx: a store connection, an arena, the time and the
 * actor), never an HTTP type: nothing here knows a request or a response, and nothing
 * formats JSON. Presentation caches (serialised responses) belong to the API.
 *
 * Threading: struct app is shared by every thread; what it holds is immutable after start
 * or internally locked. Values handed out (a calendar, a model) stay valid until app_free(),
 * because calls in flight may still use one that has been replaced.
 * Ownership: app_new() returns an app owned by the caller (app_free()); the dependencies it
 * is given are borrowed and must outlive it. Output of app_* functions lives in ctx->arena.
 */
#ifndef GRIDLOOP_APP_APP_H
#define GRIDLOOP_APP_APP_H

#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "core/clock.h"
#include "core/err.h"
#include "geocode/geocode.h"
#include "json/json.h"
#include "sensor/sensor.h"
#include "triage/triage.h"
#include "warning/warning.h"

struct arena;
struct attach_store;
struct auth;
struct auth_user;
struct cal;
struct case_actor;
struct case_config;
struct case_created;
struct case_env;
struct case_new;
struct case_sweep_report;
struct conf;
struct notify_item;
struct store;
struct store_conn;
struct store_job;
struct store_writer;
struct app;

struct app_deps {
    const struct conf *conf;
    struct store *store;
    struct auth *auth;
    struct clock clock;
    const unsigned char *data_key;  /* 32 bytes: encrypts personal data at rest */
    struct attach_store *attach;    /* attachment files (photos); may be NULL (CLI) */
    const unsigned char *audit_key; /* 32-byte seed signing the audit head; NULL: no anchor */
};

/* Starts the group-commit writer; the background services start separately (below). */
int app_new(struct app **out, const struct app_deps *deps, struct err *err);
/* Stops the services, commits what the writer still holds, frees everything. */
void app_free(struct app *app);

const struct conf *app_conf(const struct app *app);
struct store *app_store(const struct app *app);
struct auth *app_auth(const struct app *app);
struct attach_store *app_attach(const struct app *app);
const unsigned char *app_data_key(const struct app *app);
struct store_writer *app_writer(const struct app *app);

/* Seconds since the epoch: the real clock plus the test offset (setting test_clock). */
int64_t app_now(struct app *app);
void app_clock_set(struct app *app, int64_t now);

/* A unit of work: who acts, on which connection, at what time, with what arena. 'user' is
 * NULL for the system (the sweeper) and for anonymous callers. */
struct app_ctx {
    struct app *app;
    struct store_conn *conn;
    struct arena *arena;
    int64_t now;
    const struct auth_user *user;
    struct err *err;
};

/* ---- organisation-derived state ---- */

/* Every organisation write calls app_org_changed() after its commit; state derived from the
 * organisation (calendar, region index, triage's category map) is rebuilt on next use. */
int64_t app_org_version(struct app *app);
void app_org_changed(struct app *app);

/* The current working calendar (read-only; valid until app_free()). */
int app_calendar(const struct app_ctx *x, const struct cal **out);

/* The region a point lies in (the deepest with a boundary); 0 outside every region. */
int app_locate_region(const struct app_ctx *x, double lat, double lon, int64_t *region_id);

/* ---- the address register ---- */

/* The walking graph of the address register, loaded on first use and again after the
 * register changed (its version is read per call: one small query). The graph stays valid
 * until app_walk_release(), even if a newer one replaces it meanwhile. 0 or ERR_*. */
struct app_walk;
struct walk_graph;
int app_walk_acquire(const struct app_ctx *x, struct app_walk **ref, const struct walk_graph **g);
void app_walk_release(struct app *app, struct app_walk *ref);

/* Geocoding against the register (app_geocode.c): the index is rebuilt when addr_version
 * moved, read at most every 3 s and at once after app_geocode_stale() (call it after a
 * register write commits). Results are copied into x->arena. 0 or ERR_*. */
int app_geocode_search(const struct app_ctx *x, const char *q, size_t limit,
                       struct geocode_hit **items, size_t *n, enum geocode_status *status);
int app_geocode_suggest(const struct app_ctx *x, const char *q, size_t limit,
                        struct geocode_hit **items, size_t *n);
/* *found = 0 when no address point lies within GEOCODE_REVERSE_MAX_M. */
int app_geocode_reverse(const struct app_ctx *x, double lat, double lon, struct geocode_hit *out,
                        int *found);
/* Points and places in the index. */
int app_geocode_size(const struct app_ctx *x, size_t *n);
void app_geocode_stale(struct app *app);

/*
 * The register's writers need the region index (addr.h): app_grids_hold() gives the current
 * one with its lock held, until app_grids_release(). Take it after the write transaction
 * began (the order intake uses: database, then index), never the other way round.
 */
struct geo_index;
int app_grids_hold(const struct app_ctx *x, struct geo_index **out);
void app_grids_release(const struct app_ctx *x);
/* A region index of its own for a caller without an app (the command line); caller frees
 * with geo_index_free(). */
int app_grids_build(struct store_conn *c, struct arena *a, struct geo_index **out, struct err *err);

/*
 * Register files (app_addr.c; the formats are in docs/maps.md): a GeoJSON FeatureCollection
 * (properties.kind road, building, point, place, area) or a CSV of address + lat + lon with
 * optional code, type and name columns. app_addr_import() reads the whole file and writes
 * every row through the addr writers in the caller's transaction; a problem with any row
 * (line or feature, field, why) is collected, not fatal, and at the end the call returns
 * ERR_BAD_REQUEST (field "file") with the report filled when there were any: the caller rolls
 * back, so nothing is half-imported. Limits: the caller bounds the bytes before reading the
 * body; APP_ADDR_ROWS_MAX rows, APP_ADDR_PROBLEMS_MAX problems kept (problems_total counts
 * them all).
 */
#define APP_ADDR_ROWS_MAX 100000
#define APP_ADDR_PROBLEMS_MAX 500
enum app_addr_format { APP_ADDR_GEOJSON = 1, APP_ADDR_CSV = 2 };
/* "geojson" / "csv" → the format; 0 when unknown. */
int app_addr_format_from_name(const char *name);
const char *app_addr_format_name(enum app_addr_format f);
struct app_addr_problem {
    int64_t line;        /* CSV: the line the record starts on (the header is line 1);
                          * GeoJSON: the feature's position, from 1; 0: the whole file */
    const char *field;   /* "" when the line as a whole is wrong */
    const char *reason;  /* ADDR_WHY_* or "syntax", "columns", "duplicate", "unreadable",
                          * "too_many", "kind" */
    const char *message; /* English, for logs and API clients */
};
struct app_addr_report {
    enum app_addr_format format;
    int64_t rows;                      /* features or data lines read */
    int64_t written[6];                /* rows written per enum addr_kind (index 1..5) */
    struct app_addr_problem *problems; /* arena; at most APP_ADDR_PROBLEMS_MAX */
    size_t nproblems;
    int64_t problems_total;
};
int app_addr_import(struct store_conn *c, struct geo_index *grids, enum app_addr_format fmt,
                    const char *data, size_t len, int64_t now, struct arena *a,
                    struct app_addr_report *rep, struct err *err);
/* The whole register as a file of 'fmt' into 'out' (GeoJSON: every kind; CSV: the address
 * points, then the places). 0 or ERR_*. */
struct buf;
int app_addr_export(struct store_conn *c, enum app_addr_format fmt, struct arena *a,
                    struct buf *out, struct err *err);

/*
 * Region files (app_region.c, docs/grid.md §1): a GeoJSON FeatureCollection of regions, one
 * Feature each with properties code, name, level (district, street, community, grid, micro)
 * and parent_code (absent for a district; a region of the file or of the database), and a
 * Polygon or MultiPolygon geometry (or null). app_region_import() writes every feature in the
 * caller's transaction, parents before children whatever the file's order; a region whose
 * code exists already gets the file's name and boundary (its level and parent must match).
 * Any refused feature is a problem (its feature number, code, field and message) and the
 * call returns ERR_BAD_REQUEST: the caller rolls back. Then it checks how the children of
 * every parent the file touched tile it (geo_tiling(): gaps, overlaps, children reaching
 * outside) and reports them as issues; a child wholly outside its parent is a problem, the
 * others are warnings that do not stop the import.
 */
#define APP_REGION_ROWS_MAX 500000
#define APP_REGION_PROBLEMS_MAX 200
#define APP_REGION_ISSUES_MAX 1000
#define APP_REGION_SLIVER_M2 1.0 /* smaller gaps and overlaps are digitising noise */
struct app_region_problem {
    int64_t feature; /* 1-based; 0 for the whole file */
    const char *code, *field, *message;
};
struct app_region_issue {
    const char *kind; /* "gap", "overlap", "outside" */
    const char *parent_code, *code,
        *other_code; /* code: the child (outside, overlap); other: overlap's second */
    double area_m2, lon, lat;
};
struct app_region_report {
    int64_t features, created, updated;
    int64_t levels[6];                   /* features written per enum org_region_level (1..5) */
    struct app_region_problem *problems; /* arena; at most APP_REGION_PROBLEMS_MAX */
    size_t nproblems;
    int64_t problems_total;
    struct app_region_issue *issues; /* arena; at most APP_REGION_ISSUES_MAX */
    size_t nissues;
    int64_t gaps, overlaps, outside; /* issues found of each kind (all, not only those listed) */
};
int app_region_import(struct store_conn *c, const char *data, size_t len, int64_t now,
                      struct arena *a, struct app_region_report *rep, struct err *err);
/* Every region (or those of the subtree of 'within_code' when not NULL) as a FeatureCollection
 * app_region_import() reads back, parents first. */
int app_region_export(struct store_conn *c, const char *within_code, struct arena *a,
                      struct buf *out, struct err *err);

/* An address split into the parts of a point (on the normalised text): road name + house
 * number and/or compound + building + unit. 0, or ERR_BAD_REQUEST when some part of it is
 * none of these (a room number, a number without 号). Strings in 'a'; "" when absent. */
struct app_addr_parts {
    const char *norm, *road, *house_no, *compound, *building, *unit;
};
int app_addr_split(struct arena *a, const char *address, struct app_addr_parts *out,
                   struct err *err);

/* ---- cases ---- */

/* The full-text index trails intake by up to 0.1 s (SQLite): a text search calls this first,
 * which indexes what is pending through the writer and waits for it. 0 or ERR_*. */
int app_text_index_flush(const struct app_ctx *x);

/* The case module's environment for this unit of work: calendar, tunables, the actor (from
 * x->user; the system when NULL) and the audit hook. */
int app_case_env(const struct app_ctx *x, struct case_env *env, struct case_actor *actor,
                 struct case_config *cfg);
/* The actor of 'u' (all zero for NULL: the system). */
void app_actor(const struct auth_user *u, struct case_actor *a);

/* One sweep of overdue cases, as the system, then of devices gone quiet and old readings
 * (app_sensor_sweep), then of attachment files no row references (older than
 * attach_orphan_grace; logged and audited). */
struct app_sweep_report {
    struct case_sweep_report *cases; /* the caller's, filled */
    int devices_offline;             /* devices that went quiet (app_sensor_sweep) */
};
int app_sweep(const struct app_ctx *x, struct app_sweep_report *rep);
/* Sweep every conf->sweep_interval seconds in a background thread, until app_free(), on the
 * node that runs the background jobs (app_start_cluster). */
int app_start_sweeper(struct app *app, struct err *err);

/*
 * Intake, shared by every channel: app_intake_prepare() (any thread) copies the input into
 * x->arena, fills the triage suggestion and applies it where the caller left the category or
 * urgency open; app_intake_run() creates the case inside the caller's write transaction (the
 * group-commit writer's batch); app_intake_done() runs after that transaction committed.
 * 'also' (may be NULL) runs in the same transaction right after the case is created: a
 * channel's own records about the case commit with it or not at all.
 */
struct app_suggestion;
typedef int app_intake_also_fn(struct store_conn *c, const struct case_created *created,
                               void *also_ctx, struct err *err);
struct app_intake;
int app_intake_prepare(const struct app_ctx *x, const struct case_new *in, app_intake_also_fn *also,
                       void *also_ctx, struct app_intake **out);
int app_intake_run(struct app_intake *it, struct store_conn *c, struct err *err);
void app_intake_done(struct app *app, struct app_intake *it);
const struct case_created *app_intake_created(const struct app_intake *it);
const struct case_actor *app_intake_actor(const struct app_intake *it);
const struct app_suggestion *app_intake_suggestion(const struct app_intake *it);

/* ---- the data catalogue's quality push-back (app_catalog.c, issue 17) ---- */

struct catalog_dataset;
struct catalog_quality_run;
/* A quality run of d in x's open write transaction; below CATALOG_ACCURACY_TARGET its problems
 * go back to the owner department as a case created in the same transaction (run->case_id),
 * which app_catalog_dispatch() dispatches to the owner once that transaction committed. */
int app_catalog_quality(const struct app_ctx *x, const struct catalog_dataset *d,
                        struct catalog_quality_run *run);
/* Dispatch case_id to d's owner department as the system (its own transaction and audit). */
int app_catalog_dispatch(const struct app_ctx *x, const struct catalog_dataset *d, int64_t case_id);

/* ---- triage ---- */

#define APP_DUP_MAX 8

/* What triage suggests for a new or existing case: category with alternatives and the
 * features behind it, department by the routing table, urgency rules and, for staff, open
 * cases it may duplicate. */
struct app_suggestion {
    const char *model_version; /* NULL: no model */
    int64_t category_id;
    const char *category_code, *category_name;
    double prob;
    int nalt;
    struct {
        int64_t id;
        const char *code, *name;
        double prob;
    } alt[TRIAGE_TOPK];
    struct { /* the ancestors at levels 1 and 2, with summed probability */
        int64_t id;
        const char *name;
        double prob;
    } level[2];
    int64_t department_id;
    const char *department_name;
    int64_t rule_id;
    struct triage_urgency urgency;
    int nwhy;
    struct triage_feature why[TRIAGE_WHY];
    int duplicates_checked; /* 0 for callers who may not see other people's cases */
    int ndup;
    struct {
        int64_t id, created_at;
        const char *number, *title, *state, *address;
        double score, text, meters;
        int same_place; /* the place counted: within 250 m or a like address, within a day */
    } dup[APP_DUP_MAX];
    /* The above as JSON (app_suggestion_json writes it as it is), set by app_triage_intake
     * (or app_triage_finish when the candidates were read later); NULL: written from the
     * fields. 'members_json': without the duplicates, as the triage event records it. */
    const char *json, *members_json;
    /* Candidates found and not read yet (app_triage_intake on SQLite leaves them to the
     * intake's job: app_triage_resolve); NULL when read, or none were looked for. */
    struct app_dup_pending {
        struct triage_dup_hit hits[APP_DUP_MAX + 1];
        int n;
        int64_t exclude_id;
    } * pending;
    /* The duplicate index's signature of the case's text and address, when the duplicates
     * were looked for (arena; NULL: not computed): app_triage_indexed() reuses it. */
    const struct triage_dup_sig *dup_sig;
};

/* Load the model (conf triage_model, else the database path + ".triage"; absent is fine:
 * suggestions then carry urgency and duplicates only) and index the open cases of the
 * duplicate window. */
int app_start_triage(struct app *app, struct err *err);
/* Duplicates are looked for around x->now (for an existing case, set it to its report time)
 * by text, place (in->lat/lon, in->address) and kind (in->category_id, else triage's). */
int app_triage_suggest(const struct app_ctx *x, const struct case_new *in, int64_t exclude_id,
                       struct app_suggestion **out);
/* The suggestion of intake, and the case's triage fields filled from it. On SQLite the
 * duplicate candidates are left pending: the intake's job reads them (app_triage_resolve) on
 * the writer's connection, and the reply's thread then completes s->json (app_triage_finish). */
int app_triage_intake(const struct app_ctx *x, struct case_new *in, struct app_suggestion **out);
/* Writer thread, inside the intake's job: read the pending candidates (into 'a', the intake's
 * arena) as app_triage_suggest would have. A failed read leaves none and never fails the job. */
void app_triage_resolve(struct app *app, struct store_conn *c, struct arena *a,
                        const struct case_actor *actor, struct app_suggestion *s);
/* After app_triage_resolve, on the thread that answers: s->json with the duplicates. */
void app_triage_finish(struct arena *a, struct app_suggestion *s);
/* After a case has committed: make it findable as a duplicate. 's': the suggestion made for
 * this very 'in' (its signature is reused, not computed again), or NULL. */
void app_triage_indexed(struct app *app, int64_t id, int64_t at, const struct case_new *in,
                        const struct app_suggestion *s);
/* The model in use (NULL: none), re-read if its file changed ('force': look now). */
const struct triage_model *app_triage_model(struct app *app, int force);
/* The model file in use. */
const char *app_triage_path(const struct app *app);

/* The model file the settings name: triage_model, else the database path + ".triage".
 * Owned by the caller (free). */
char *app_triage_model_path(const struct conf *cf);

/* The suggestion as JSON: the form stored on the case's triage event and answered by the
 * API (the one place a suggestion is serialised). */
struct jw;
void app_suggestion_json(struct jw *w, const struct app_suggestion *s);

/* ---- notifications ---- */

/* Called on the worker thread with each notification the first time it is claimed. */
typedef void app_publish_fn(void *ctx, const struct notify_item *n);
/* Deliver the notification outbox in a background thread (channel, interval and retries
 * from the notify_* settings) and hand each notification to 'publish', until app_free(), on
 * the node that runs the background jobs; the others get each notification through the
 * cluster thread and hand it to 'publish' too (app_start_cluster). */
int app_start_notifier(struct app *app, app_publish_fn *publish, void *publish_ctx,
                       struct err *err);
/* Called on the cluster thread when this node may have missed other nodes' notifications
 * (its listener connection was lost and is back): the live streams' clients should reload.
 * Set before app_start_cluster(). */
typedef void app_gap_fn(void *ctx);
void app_on_gap(struct app *app, app_gap_fn *fn, void *ctx);
/* Ask the worker for a pass now (writes call this after commit); no-op when not started. */
void app_notify_wake(struct app *app);

/* ---- several nodes (app_cluster.c) ---- */

/* Join the other processes of a PostgreSQL database: hear what they announce (events for the
 * live streams, organisation and session changes, new cases) and compete for the background
 * jobs, which run on one node at a time (the holder of an advisory lock). Call after
 * app_start_sweeper() and app_start_notifier(): until then they only record that they are
 * wanted, and on PostgreSQL they run once this node holds the lock. Nothing on SQLite, where
 * this process runs them from the start. */
int app_start_cluster(struct app *app, struct err *err);
/* Does this process run the background jobs now? */
int app_is_leader(struct app *app);
/* Is this process the only one serving its database? Always on SQLite; on PostgreSQL as
 * counted a few seconds ago (a node that joins is seen within LEAD_TRY_MS). Caches that rely
 * on store_commits() may trust it only then. */
int app_alone(struct app *app);
/* How many nodes serve the database (this one included; 0: not counted yet). */
int app_nodes(struct app *app);
/* This process's id among the nodes (16 hex digits). */
const char *app_node_id(const struct app *app);

/* A message on the nodes' channel, as app_cluster.c sends and hears them: "o VERSION",
 * "u USER_ID", "s TOKEN_HASH" (migration 0009's triggers), "w NODE", "n NODE IDS",
 * "c NODE IDS" (the nodes; IDS is "1,2,3"). 0, or ERR_BAD_REQUEST for anything else. 'ids'
 * points into the payload: the number(s) or the token hash. */
enum app_msg_kind {
    APP_MSG_ORG = 1,
    APP_MSG_USER,
    APP_MSG_SESSION,
    APP_MSG_WAKE,
    APP_MSG_NOTIFICATIONS,
    APP_MSG_CASES
};
struct app_cluster_msg {
    enum app_msg_kind kind;
    char node[17]; /* the sending node; "" for the triggers */
    const char *ids;
};
int app_cluster_msg_parse(const char *payload, struct app_cluster_msg *m);
/* The next id of m->ids (advanced past it): 1, or 0 at the end. */
int app_cluster_msg_next_id(const char **ids, int64_t *id);

/* ---- rate windows ---- */

/* A fixed one-minute window per (kind, id): 1 and the count taken when under 'limit', else
 * 0 with *retry_after the seconds left in the minute. Enough to stop a runaway client.
 * Shared by every node on PostgreSQL (the table rate_windows, on the calling thread's
 * connection outside any transaction); a database error lets the request through. */
int app_rate_take(struct app *app, int kind, int64_t id, int limit, int64_t now, int *retry_after);
enum { APP_RATE_OPEN311 = 1 };
enum { APP_RATE_UPLOAD = 7 }; /* attachment uploads per user (api_attach.c) */

/* ---- write health and the audit anchor (app_health.c) ---- */

/*
 * Can the database take writes? Answered from memory, except that a write probe (a row of
 * write_probe rewritten in its own transaction) runs when the last one is older than
 * health_probe_interval, or than a second while degraded or after a request saw a write fail
 * (store_write_fault): so /healthz turns 503 within that time when the database goes
 * read-only or the disk fills, and back to 200 once a write commits again. Changes are
 * logged. Any thread; one probe at a time (the others take the last answer).
 */
enum app_health {
    APP_HEALTH_OK = 0,
    APP_HEALTH_READ_ONLY,
    APP_HEALTH_DISK_FULL,
    APP_HEALTH_IO_ERROR,
    APP_HEALTH_WRITE_FAILED, /* anything else: a lock held too long, a lost connection */
};
enum app_health app_write_health(const struct app_ctx *x);
/* The reason code /healthz answers: "db_read_only", "db_disk_full", "db_io_error",
 * "db_write_failed" ("" for OK). */
const char *app_health_code(enum app_health h);

/* The audit chain's head now, signed (audit_anchor_sign); ERR_UNAVAILABLE naming
 * audit_key_file when this server holds no signing key. */
int app_audit_anchor(const struct app_ctx *x, struct audit_anchor *a, char line[AUDIT_ANCHOR_MAX]);

/* ---- backup and restore of a SQLite install (app_backup.c) ---- */

/*
 * A backup is a directory: the database copy, the triage model when there is one, the data
 * key only when asked for (it is kept apart from the backups by default: whoever holds both
 * reads every phone number; the manifest records its SHA-256 so a restore can tell the right
 * key from another), and manifest.json, written last (a directory without it is an
 * unfinished backup). Each file has a fixed name by its role, so a manifest names no path a
 * restore could be steered to. docs/backup.md describes the manifest.
 */
enum app_backup_role { APP_BACKUP_DATABASE, APP_BACKUP_TRIAGE_MODEL, APP_BACKUP_DATA_KEY };
#define APP_BACKUP_ROLES 3
#define APP_BACKUP_FORMAT_VERSION 1

/* "database", "database.sqlite" ... */
const char *app_backup_role_name(enum app_backup_role r);
const char *app_backup_file_name(enum app_backup_role r);

struct app_backup_manifest {
    int version; /* format version */
    int64_t created_at;
    const char *gridloop_version;
    int schema_version;
    const char *source; /* the database that was backed up */
    struct {
        int present;
        int64_t size;
        char sha256[65]; /* lowercase hex */
    } files[APP_BACKUP_ROLES];
    int64_t cases, case_events, audit_entries;
    int64_t audit_seq;        /* the newest audit entry (0: none) */
    char audit_hash[65];      /* its hash ("" when none) */
    char data_key_sha256[65]; /* the data key in use, in the backup or not ("" when none) */
};

/* The manifest as JSON text (malloc'd, the caller frees it). */
char *app_backup_manifest_json(const struct app_backup_manifest *m);

/* Read a manifest (outside input: it comes from a directory anyone may have edited). Strings
 * in 'a'. ERR_BAD_REQUEST naming what is wrong, for anything but a manifest this gridloop
 * wrote (a newer format version included). */
int app_backup_manifest_parse(const char *text, size_t len, struct arena *a,
                              struct app_backup_manifest *out, struct err *err);

struct app_backup_report {
    struct app_backup_manifest m;
    int64_t pages;
    int steps, restarts;
    double seconds;
};

/*
 * Back up the SQLite database the settings name (cf->db), with its triage model
 * (app_triage_model_path) and, when 'with_key', its data key (data_key_file, else beside the
 * database), into 'dir', which must be absent (it is created, mode 0700) or empty. Safe
 * while gridloop serve writes to the database (store_backup). On failure what was written
 * is removed.
 */
int app_backup(const struct conf *cf, const char *dir, int with_key, struct arena *a,
               struct app_backup_report *rep, struct err *err);

struct app_restore_report {
    struct app_backup_manifest m;
    int64_t audit_entries_verified;
    int replaced; /* a database was there and --force replaced it */
    double seconds;
};

/*
 * Restore the backup in 'dir' to the database the settings name (and its model and key),
 * in this order: every file is checked against the manifest (size, SHA-256) before anything
 * is written; a target database that exists and is not empty, or a data key at the target
 * that is not the backup's (absent, when the backup does not hold it), is refused unless
 * 'force'; the database is copied to a
 * temporary file beside the target, its audit chain verified (as `gridloop audit verify`)
 * and its row counts and chain head compared with the manifest, and only then renamed into
 * place. A failed restore leaves the target as it was. The target must not be served
 * meanwhile (stop gridloop serve first).
 */
int app_restore(const struct conf *cf, const char *dir, int force, struct arena *a,
                struct app_restore_report *rep, struct err *err);

/* ---- the sensing network (app_sensor.c, app_mqtt.c) and warnings (app_warning.c) ---- */

/* One reading of one device, parsed and checked (time within SENSOR_FUTURE_S ahead and
 * SENSOR_PAST_S back of 'now', 1..SENSOR_VALUES_MAX distinct metrics with finite numbers). */
struct app_reading {
    char code[SENSOR_CODE_MAX + 1];
    int64_t at;
    size_t n;
    char metric[SENSOR_VALUES_MAX][SENSOR_METRIC_MAX + 1];
    double value[SENSOR_VALUES_MAX];
};
/* The MQTT payload {"time", "values"} of device 'code' (from the topic). ERR_BAD_REQUEST naming
 * "device", "time" or "values". */
int app_reading_parse(const char *text, size_t len, const char *code, int64_t now,
                      struct app_reading *out, struct err *err);
/* The same from a parsed object (an HTTP batch's element; out->code is the caller's). */
int app_reading_from_json(const json_t *j, int64_t now, struct app_reading *out, struct err *err);

/* One MQTT message of readings (docs/warning.md §5), its byte size already bounded by the
 * caller: on a device's topic ('code' given) a reading object or an array of them; on a
 * gateway's topic ('code' NULL) an array of {"device", "time", "values"}. More than 'max'
 * elements, an empty array, not JSON or neither form refuses the whole message (ERR_BAD_REQUEST,
 * '*out' NULL). Otherwise the good elements are in '*out' (malloc'd, the caller frees; '*n' of
 * them) and each bad one is passed to 'reject' (its index, its error naming "[i].time" etc.),
 * when given: the message is kept but for them. */
typedef void app_reading_reject_fn(void *ctx, int index, const struct err *why);
int app_readings_parse(const char *text, size_t len, const char *code, int64_t now, size_t max,
                       struct app_reading **out, size_t *n, app_reading_reject_fn *reject,
                       void *ctx, struct err *err);

struct app_ingest_report {
    int cases;      /* opened by breaches */
    int duplicates; /* values already stored */
    int failed_at;  /* the reading that failed the batch, -1 */
};
/* Readings r[0..n) in one job of the writer, all or nothing, waiting for the commit. An unknown
 * device is ERR_NOT_FOUND naming "device"; a switched-off one ERR_CONFLICT. */
int app_sensor_ingest(struct app *app, const struct app_reading *r, size_t n,
                      struct app_ingest_report *rep, struct err *err);
#define APP_SENSOR_INFLIGHT_MAX 8192
/* Jobs of readings whose commit a submitter waits for (the MQTT thread, to acknowledge them after
 * it): pending and failed are guarded by the app's sensor lock; zero it to begin. */
struct app_sensor_ticket {
    int pending; /* jobs submitted and not done */
    int failed;  /* the error of a job that failed in the store (ERR_STORE, ERR_IO...): its
                  * readings were not stored and may be sent again; 0 */
};
/* 1 when a value of r[0..n) is above its metric's lowest threshold, as the MQTT thread knows
 * them: the readings may open a case. */
int app_sensor_may_breach(struct app *app, const struct app_reading *r, size_t n);
/* Readings r[0..n) of MQTT messages in one job of the writer (one savepoint; each device looked
 * up and noted seen once), not waited for; takes ownership of 'r' (malloc'd). A reading of an
 * unknown or switched-off device is rejected alone, counted and logged. 'urgent' (a message that
 * may breach) goes to the head of the writer's queue. Blocks while APP_SENSOR_INFLIGHT_MAX
 * readings are in flight. With a ticket 't', the job is counted in it until done, and a failure
 * in the store is left to the submitter (app_sensor_wait) instead of rejecting the readings. */
#define APP_SENSOR_HINT_TTL 5
int app_sensor_submit_batch(struct app *app, struct app_reading *r, size_t n, int urgent,
                            struct app_sensor_ticket *t, struct err *err);
/* Wait until every job of 't' is done: 0 when all were stored (or refused for what they hold),
 * else the store's error of one that was not, to be sent again. */
int app_sensor_wait(struct app *app, struct app_sensor_ticket *t);
/* Wait until every submitted reading has been reported. */
void app_sensor_drain(struct app *app);
/* A device or threshold was changed and committed: readings judged from now on see it (the
 * writer keeps both between jobs). Call before answering the change. */
void app_sensor_changed(struct app *app);
struct app_sensor_stats {
    int64_t readings, rejected, duplicates, malformed;
    int connected; /* to the MQTT broker now */
};
void app_sensor_stats(struct app *app, struct app_sensor_stats *out);
/* The sweeper's part: devices silent for SENSOR_OFFLINE_INTERVALS intervals raise a warning
 * (once); readings older than sensor_retention_days go. '*offline' counts the devices. */
int app_sensor_sweep(const struct app_ctx *x, int *offline);

/* Subscribe to gridloop/devices/+/readings on conf mqtt_url (nothing when empty), QoS 1, with a
 * persistent session under a stable client id, reconnecting after the broker goes away. */
int app_start_mqtt(struct app *app, struct err *err);
void app_mqtt_stop(struct app *app);

/* Raise a warning in x's transaction with its audit entry (warning.raise / warning.group). */
int app_warning_raise(const struct app_ctx *x, const struct warning_in *in, int64_t *id,
                      enum warning_outcome *outcome);
/* Spikes (src/warn: counts per street and category against their seasonal baseline) raised as
 * warnings, one per street and category while open; '*raised' counts new and grouped ones. Its
 * own transaction. The sweeper runs it hourly with 'paced' set: the cases are read a day at a
 * time with a pause as long as each day's read between them, so a scan takes at most half of a
 * CPU from intake (and twice as long); POST /api/v1/warnings/scan asks for it now, unpaced. */
int app_warn_spikes(const struct app_ctx *x, int paced, int *raised);
/* The offline warnings of devices d[0..n). */
int app_warn_offline(const struct app_ctx *x, const struct sensor_device *d, size_t n);

#endif /* GRIDLOOP_APP_APP_H */
