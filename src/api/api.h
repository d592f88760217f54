/*
 * api: where HTTP, JSON and the domain modules meet. One entry point (api_handle) receives
 * every request from the http server, finds its route in the table (routes.c), checks the
 * session, the role and the scope the route declares, parses a JSON body when the route takes
 * one, and calls the handler. Handlers parse, call one domain function, and answer.
 *
 * Threading: struct api is shared by all HTTP threads; its caches are internally locked.
 * Ownership: everything a handler allocates comes from the request arena.
 */
#ifndef GRIDLOOP_API_API_H
#define GRIDLOOP_API_API_H

#include <stdint.h>

#include "core/clock.h"

struct attach_store;
struct auth;
struct conf;
struct err;
struct http_req;
struct http_res;
struct http_server;
struct http_static;
struct store;
struct api;

struct api_deps {
    const struct conf *conf;
    struct store *store;
    struct auth *auth;
    struct http_static *web;     /* NULL: no static files */
    struct clock clock;
    const unsigned char *data_key;   /* 32 bytes: encrypts personal data at rest */
    struct attach_store *attach;     /* attachment files (photos) */
};

int api_new(struct api **out, const struct api_deps *deps, struct err *err);
void api_free(struct api *api);

/* Give the API the running server so /metrics can report it. */
void api_set_server(struct api *api, struct http_server *server);

/* Run the overdue sweeper in a background thread every conf->sweep_interval seconds, until
 * api_free(). */
int api_start_sweeper(struct api *api, struct err *err);

/* Deliver the notification outbox in a background thread (channel, interval and retries from
 * the notify_* settings) and feed GET /api/v1/events/stream, until api_free(). */
int api_start_notifier(struct api *api, struct err *err);

/* Ask the notification worker for a pass now (writes call this after commit). */
void api_notify_wake(struct api *api);

/* Load the triage model (conf triage_model, else the database path + ".triage"; absent is
 * fine: suggestions then carry urgency and duplicates only) and index the open cases for
 * duplicate suggestions. */
int api_start_triage(struct api *api, struct err *err);

/*
 * Retrain from the database's examples (triage_examples_load) and replace the model file at
 * 'path' atomically; a running server picks it up. Also used by `gridloop triage train
 * --from-db`. 'version' gets the new model's version (TRIAGE_LABEL_MAX bytes).
 */
struct store_conn;
int api_triage_train_from_db(struct store_conn *c, const char *path, const char *actor, int64_t now, char *version,
                             size_t *examples, int *labels, struct err *err);

/* The model file the settings name: triage_model, else the database path + ".triage".
 * Owned by the caller (free). */
char *api_triage_model_path(const struct conf *cf);

/* The http_handler_fn. */
void api_handle(void *api, struct http_req *req, struct http_res *res);

#endif /* GRIDLOOP_API_API_H */
