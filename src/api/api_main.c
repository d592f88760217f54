/*
 * The API's life: created over a running app, given its server, freed after the app has
 * stopped. The one file that knows every part of the API that holds state (the response
 * cache, the case view cache, the event streams), so those parts need not know each other.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/mem.h"

/* Settings only the API reads, checked before anything starts. */
static int check_conf(const struct conf *cf, struct err *err)
{
    const char *m = cf->cookie_secure;
    if (strcmp(m, "auto") != 0 && strcmp(m, "always") != 0 && strcmp(m, "never") != 0)
        return err_field(err, ERR_BAD_REQUEST, "cookie_secure",
                         "cookie_secure must be auto, always or never (not '%s')", m);
    /* A short token could be guessed against /metrics. */
    if (cf->metrics_token[0] && strlen(cf->metrics_token) < 32)
        return err_field(err, ERR_BAD_REQUEST, "metrics_token",
                         "metrics_token must be at least 32 characters (or empty for none)");
    return 0;
}

int api_new(struct api **out, const struct api_deps *deps, struct err *err)
{
    int rc = check_conf(app_conf(deps->app), err);
    if (rc < 0)
        return rc;
    struct api *api = xcalloc(1, sizeof(*api));
    struct app *app = deps->app;
    api->app = app;
    api->d.conf = app_conf(app);
    api->d.store = app_store(app);
    api->d.auth = app_auth(app);
    api->d.attach = app_attach(app);
    api->d.data_key = app_data_key(app);
    api->d.web = deps->web;
    api_open311_init();
    pthread_mutex_init(&api->cache_lock, NULL);
    pthread_mutex_init(&api->case_view_lock, NULL);
    pthread_mutex_init(&api->events_lock, NULL);
    pthread_mutex_init(&api->register_lock, NULL);
    api_refusals_init(api);
    api_basemap_init(api);
    rc = api_events_init(api, err);
    if (rc < 0) {
        api_free(api);
        return rc;
    }
    *out = api;
    return 0;
}

void api_free(struct api *api)
{
    if (!api)
        return;
    api_cache_free(api);
    api_register_free(api);
    api_case_cache_free(api);
    api_basemap_free(api);
    api_events_free(api);
    pthread_mutex_destroy(&api->events_lock);
    api_refusals_free(api);
    api_bulletin_shutdown();
    free(api);
}

void api_set_server(struct api *api, struct http_server *server)
{
    api->server = server;
}
