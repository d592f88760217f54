/*
 * gridloop serve: open the database, build the app (the running state) and the API over it,
 * serve HTTP until SIGINT or SIGTERM, then finish the requests in flight.
 */
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/app.h"
#include "attach/attach.h"
#include "auth/auth.h"
#include "case/case.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/http.h"
#include "json/json.h"
#include "store/store.h"

/*
 * The origin map tiles come from, as a Content-Security-Policy source: the web's config.json
 * names the tile URL the browser loads ("https://{s}.tile.example.org/{z}/{x}/{y}.png"); a
 * "{s}." subdomain becomes "*.", any other placeholder in the host leaves just the scheme.
 * NULL when there is none (or it is not an http(s) URL).
 */
static char *cat3(const char *a, const char *b, const char *c)
{
    size_t n = mem_size_add(mem_size_add(strlen(a), strlen(b)), strlen(c) + 1);
    char *out = xmalloc(n);
    snprintf(out, n, "%s%s%s", a, b, c);
    return out;
}

static char *tile_origin(const char *url)
{
    const char *host = strstr(url, "://");
    if (!host || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
        return NULL;
    host += 3;
    size_t n = strcspn(host, "/?#");
    char *scheme = xstrndup(url, (size_t)(host - url));
    char *h = xstrndup(host, n);
    char *out;
    if (strncmp(h, "{s}.", 4) == 0 && !strchr(h + 4, '{'))
        out = cat3(scheme, "*.", h + 4);
    else if (strchr(h, '{') || strpbrk(h, " ;,'\"") || !*h)
        out = xstrndup(scheme, strlen(scheme) - 2); /* "https:" */
    else
        out = cat3(scheme, h, "");
    free(scheme);
    free(h);
    return out;
}

/* The policy with the map tiles' origin allowed as images (config.json of the web dir). */
static char *web_csp(const char *webdir)
{
    char *origin = NULL;
    if (webdir && *webdir) {
        char *path = cat3(webdir, "/config.json", "");
        FILE *f = fopen(path, "rb");
        if (f) {
            char text[8192];
            size_t n = fread(text, 1, sizeof(text), f);
            json_t *j = NULL;
            struct err ignore = ERR_INIT;
            if (n < sizeof(text) && json_parse(text, n, &j, &ignore) == 0) {
                const char *url = json_get_str(j, "tile_url");
                if (url && *url)
                    origin = tile_origin(url);
                json_free(j);
            }
            fclose(f);
        }
        free(path);
    }
    char *csp = http_default_csp(origin);
    free(origin);
    return csp;
}

int cli_serve(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts o = {0};
    struct store *st = NULL;
    struct auth *auth = NULL;
    struct app *app = NULL;
    struct api *api = NULL;
    struct http_static *web = NULL;
    struct http_server *srv = NULL;
    char *csp = NULL;
    struct attach_store *attach = NULL;
    sigset_t sigs;
    int rc, sig;

    if ((rc = cli_parse_opts(argc, argv, 2, &o, err)) < 0)
        return rc;

    /* Block the stop signals before any thread starts, so only sigwait() below sees them. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct auth_limits lim = {cf->session_ttl, cf->login_max_user_failures,
                              cf->login_max_ip_failures, cf->login_window, cf->login_backoff};
    unsigned char key[32], audit_key[32];
    int anchored = 0;
    struct store_conn *conn;
    int64_t sealed = 0;
    /* Only init creates a database or a key: a missing one here is a mistake or a loss to
     * restore, and creating it would start a blank system or write under another key. */
    if ((rc = cli_open_store(cf, &st, err)) < 0 || (rc = cli_load_data_key(cf, key, 0, err)) < 0 ||
        (rc = auth_new(&auth, st, &lim, key, err)) < 0 || (rc = store_conn(st, &conn, err)) < 0 ||
        (rc = auth_user_seal_phones(conn, key, &sealed, err)) < 0)
        goto out;
    if (sealed)
        log_msg(LOG_INFO, "serve: sealed %lld account phone numbers stored in clear",
                (long long)sealed);
    /* A database from before the roll-ups, or bulk-loaded around the case module, has them
     * unbuilt: build them once here (one transaction) rather than assess from raw facts. */
    int built = 0;
    if ((rc = case_rollup_built(conn, &built, err)) < 0)
        goto out;
    if (!built) {
        uint64_t t0 = clock_mono_ns();
        if ((rc = case_rollup_rebuild(conn, err)) < 0)
            goto out;
        log_msg(LOG_INFO, "serve: built the assessment's daily roll-ups in %lld ms",
                (long long)((clock_mono_ns() - t0) / 1000000));
    }
    if ((rc = cli_load_audit_key(cf, audit_key, 0, err)) == 0) {
        anchored = 1;
    } else if (rc == ERR_NOT_FOUND) {
        /* Installs from before the anchor have none until `gridloop init` makes it. */
        log_msg(LOG_WARN, "serve: %s; the audit head is not signed (run `gridloop init` once)",
                err->msg);
        err_clear(err);
    } else {
        goto out;
    }
    if (cf->web[0] && http_static_new(&web, cf->web, err) < 0) {
        log_msg(LOG_WARN, "serve: %s; static files disabled", err->msg);
        err_clear(err);
        web = NULL;
    }
    if ((rc = cli_open_attachments(cf, &attach, err)) < 0)
        goto out;
    struct app_deps ad = {.conf = cf,
                          .store = st,
                          .auth = auth,
                          .clock = clock_real(),
                          .data_key = key,
                          .attach = attach,
                          .audit_key = anchored ? audit_key : NULL};
    struct api_deps deps = {.web = web};
    if ((rc = app_new(&app, &ad, err)) < 0 || (rc = app_start_triage(app, err)) < 0)
        goto out;
    deps.app = app;
    if ((rc = api_new(&api, &deps, err)) < 0)
        goto out;
    csp = web_csp(cf->web);
    struct http_options ho = {
        .csp = csp,
        .listen = cf->listen,
        .threads = cf->threads,
        .max_connections = cf->max_connections,
        .request_timeout = cf->request_timeout,
        .max_header_bytes = cf->max_header_bytes,
        .max_body_bytes = (size_t)cf->max_body_bytes,
        .max_upload_bytes = (size_t)cf->max_upload_bytes,
        .access_log = cf->access_log,
        .trusted_proxies = cf->trusted_proxies,
        .trusted_proxy_header = cf->trusted_proxy_header,
        .head = api_head,
        .max_buffered_bytes = (size_t)cf->max_buffered_bytes,
        .request_deadline = cf->request_deadline,
        .max_connections_per_ip = cf->max_connections_per_ip,
    };
    if ((rc = http_server_start(&srv, &ho, api_handle, api, err)) < 0)
        goto out;
    api_set_server(api, srv);
    if ((rc = app_start_sweeper(app, err)) < 0 || (rc = api_start_notifier(api, err)) < 0 ||
        (rc = app_start_cluster(app, err)) < 0 || (rc = app_start_mqtt(app, err)) < 0)
        goto out;
    log_msg(LOG_INFO, "gridloop %s serving %s on http://%s (port %d), web %s", GRIDLOOP_VERSION,
            cf->db, cf->listen, http_server_port(srv), web ? cf->web : "(none)");
    sigwait(&sigs, &sig);
    log_msg(LOG_INFO, "received %s; finishing requests in flight (up to %d s)",
            sig == SIGINT ? "SIGINT" : "SIGTERM", cf->shutdown_grace);
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
    free(csp);
    auth_free(auth);
    attach_store_free(attach);
    store_close(st);
    sodium_memzero(key, sizeof(key));
    sodium_memzero(audit_key, sizeof(audit_key));
    return rc;
}
