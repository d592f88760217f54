/*
 * api: where HTTP, JSON and the domain modules meet. One entry point (api_handle) receives
 * every request from the http server, finds its route in the table (routes.c), checks the
 * session, the role and the scope the route declares, parses a JSON body when the route takes
 * one, and calls the handler. Handlers parse, call one domain function, and answer.
 *
 * The running state (calendar, region index, sweeper, writer, triage, notifications) is the
 * app's (src/app); the API keeps only what is HTTP: routes, sessions from headers, the
 * serialised-response caches and the event-stream subscribers.
 *
 * Threading: struct api is shared by all HTTP threads; its caches are internally locked.
 * Ownership: everything a handler allocates comes from the request arena.
 */
#ifndef GRIDLOOP_API_API_H
#define GRIDLOOP_API_API_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct err;
struct http_req;
struct http_res;
struct http_server;
struct http_static;
struct api;

struct api_deps {
    struct app *app;         /* the running application; must outlive the api */
    struct http_static *web; /* NULL: no static files */
};

int api_new(struct api **out, const struct api_deps *deps, struct err *err);
/* After the app's services have stopped (app_free() may still answer queued writes). */
void api_free(struct api *api);

/* Give the API the running server so /metrics can report it. */
void api_set_server(struct api *api, struct http_server *server);

/* Start the app's notification worker with the API's live event streams as its listener. */
int api_start_notifier(struct api *api, struct err *err);

/* The http_handler_fn. */
void api_handle(void *api, struct http_req *req, struct http_res *res);

/* The http_head_fn: the route, authentication, role and body type decided from the headers,
 * and the route's body limit, before any of the body is read. */
size_t api_head(void *api, struct http_req *req, struct http_res *res);

#endif /* GRIDLOOP_API_API_H */
