/*
 * The notification worker's wiring: the channel and delivery options from the settings, the
 * app's clock, and the publish hook through which the API's live event streams hear of each
 * notification.
 */
#include "app/app_internal.h"
#include "core/conf.h"
#include "core/log.h"
#include "notify/notify.h"

static int64_t worker_now(void *ctx)
{
    return app_now(ctx);
}

/* This node's streams at once, the other nodes' through the cluster thread. */
static void publish(void *ctx, const struct notify_item *n)
{
    struct app *app = ctx;
    if (app->publish)
        app->publish(app->publish_ctx, n);
    app_cluster_published(app, n->id);
}

/* The SMS channel from the settings (NULL for "none"). */
int app_sms_channel_new(struct app *app, struct notify_sms_channel **out, struct err *err)
{
    const struct conf *cf = app->d.conf;
    struct notify_sms_options so = {
        .channel = cf->sms_channel,
        .url = cf->sms_kannel_url,
        .user = cf->sms_kannel_user,
        .password = cf->sms_kannel_password,
        .from = cf->sms_from,
        .dlr_base = cf->sms_dlr_url,
        .timeout_ms = cf->notify_webhook_timeout * 1000,
        .key = app->d.data_key,
    };
    return notify_sms_channel_new(out, &so, err);
}

/* app_start_notifier (app_cluster.c) records the publish hook and runs this on the node that
 * holds the lock. */
int app_notifier_run(struct app *app, struct err *err)
{
    const struct conf *cf = app->d.conf;
    struct notify_channel *ch;
    struct notify_sms_channel *sms;
    int rc = notify_channel_new(&ch, cf->notify_channel, cf->notify_webhook_url,
                                cf->notify_webhook_timeout * 1000, err);
    if (rc < 0)
        return rc;
    if ((rc = app_sms_channel_new(app, &sms, err)) < 0) {
        notify_channel_free(ch);
        return rc;
    }
    struct notify_options o = {
        .interval = cf->notify_interval,
        .max_attempts = cf->notify_max_attempts,
        .retry_base = cf->notify_retry_base,
        .retry_max = 3600,
        .batch = ch ? ch->ops->batch : 500, /* "none": rows are only marked */
        /* Longer than a batch of webhook calls (20) can take, so a row is never claimed twice by
         * one live worker. */
        .lease = 20 * cf->notify_webhook_timeout + 60,
    };
    if ((rc = notify_worker_new(&app->notifier, app->d.store, &o, ch, publish, worker_now, app,
                                err)) < 0) {
        notify_sms_channel_free(sms);
        return rc;
    }
    notify_worker_set_sms(app->notifier, sms);
    notify_worker_set_writer(app->notifier, app->writer);
    if ((rc = notify_worker_start(app->notifier, err)) < 0) {
        notify_worker_free(app->notifier);
        app->notifier = NULL;
        return rc;
    }
    log_msg(LOG_INFO, "notify: delivering through channel '%s' (sms '%s') every %d s",
            cf->notify_channel, cf->sms_channel, cf->notify_interval);
    return 0;
}

void app_notifier_stop(struct app *app)
{
    notify_worker_free(app->notifier);
    app->notifier = NULL;
}
