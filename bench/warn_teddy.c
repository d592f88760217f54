/*
 * Evaluation of spike detection (warn_test, the same function warn_spike_scan calls) on the real
 * Teddy Cup 2020 附件3 messages (messages_hot.tsv): method and figures in docs/warning.md.
 *
 *   bench_warn_teddy --data messages_hot.tsv --published 丽发新城,滨河苑,魅力之城
 *                    [--from 2019-01-01] [--window 1] [--guard 2] [--baseline 28]
 *                    [--alpha 0.001] [--min-count 3] [--per-author] [--list N]
 *
 * The messages carry no category or region code, so the series are the hot-topic clusters
 * (triage_hot over all messages: subject and place together, the nearest thing to category ×
 * community the data allows). Each cluster is a daily series from --from to the last message;
 * every day from the first one with a full baseline on is tested, prospectively (the window
 * ends that day, the baseline lies before it), with day-of-week weights fitted on the baseline
 * days of all messages pooled. A published topic is the clusters whose title or places contain
 * its keyword; it is raised when one of its clusters alarms between its first and last
 * message, and its lead is its peak day (most messages, all its clusters together) minus the
 * first such alarm. Every alarm on any other cluster counts as a false alarm.
 * --per-author counts one message per author, cluster and day (a citizen posting the same
 * complaint three times in a day is one case, as a merge would make it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "triage/triage.h"
#include "warn/warn.h"

#define MAX_PUBLISHED 16

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench_warn_teddy: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = xmalloc(cap + 1);
    for (size_t r; (r = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap)
            buf = xrealloc(buf, (cap *= 2) + 1);
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void day_str(int64_t day, char out[16])
{
    int y, m, d;
    clock_civil_from_days(day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

static int topic_matches(const struct triage_hot_topic *t, const char *kw)
{
    if (t->title && strstr(t->title, kw))
        return 1;
    for (int i = 0; i < t->nplaces; i++)
        if (strstr(t->places[i], kw))
            return 1;
    return 0;
}

static int by_id(const void *a, const void *b)
{
    const struct triage_hot_msg *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

int main(int argc, char **argv)
{
    const char *data = NULL, *published = "丽发新城,滨河苑,魅力之城", *from = "2019-01-01";
    struct warn_params p = {1, 2, 28, 0.001, 3};
    int per_author = 0, list = 10;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(argv[i], "--data") == 0)
            data = v, i++;
        else if (strcmp(argv[i], "--published") == 0)
            published = v, i++;
        else if (strcmp(argv[i], "--from") == 0)
            from = v, i++;
        else if (strcmp(argv[i], "--window") == 0)
            p.window = strtoul(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--guard") == 0)
            p.guard = strtoul(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--baseline") == 0)
            p.baseline = strtoul(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--alpha") == 0)
            p.alpha = strtod(v, NULL), i++;
        else if (strcmp(argv[i], "--min-count") == 0)
            p.min_count = strtoll(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--list") == 0)
            list = (int)strtol(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--per-author") == 0)
            per_author = 1;
        else {
            fprintf(stderr, "bench_warn_teddy: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    int fy, fm, fd;
    if (!data || sscanf(from, "%d-%d-%d", &fy, &fm, &fd) != 3 || p.window < 1) {
        fprintf(stderr, "usage: bench_warn_teddy --data messages_hot.tsv [options]\n");
        return 2;
    }
    int64_t day0 = clock_days_from_civil(fy, fm, fd);

    struct err err = ERR_INIT;
    struct arena a;
    arena_init(&a, 1 << 20);
    size_t len, nmsg;
    char *buf = slurp(data, &len);
    /* No id column: message_id is not unique in 附件3; the line number is. */
    struct triage_hot_columns cols = {"detail",  "title", "message_time_iso",
                                      "user_id", "likes", ""};
    struct triage_hot_msg *msgs;
    if (triage_hot_read_tsv(buf, len, &cols, &a, &msgs, &nmsg, &err) < 0) {
        fprintf(stderr, "bench_warn_teddy: %s\n", err.msg);
        return 2;
    }
    qsort(msgs, nmsg, sizeof(*msgs), by_id);
    struct triage_hot_opts ho = {0, 0, 2, 1000000};
    struct triage_hot_topic *topics;
    int ntopics;
    if (triage_hot(msgs, nmsg, &ho, &a, &topics, &ntopics, &err) < 0) {
        fprintf(stderr, "bench_warn_teddy: %s\n", err.msg);
        return 2;
    }
    int64_t last = day0;
    for (size_t i = 0; i < nmsg; i++)
        if (msgs[i].at / 86400 > last)
            last = msgs[i].at / 86400;
    size_t ndays = (size_t)(last - day0 + 1);

    /* Published topics: the clusters each keyword names. */
    char *kws = arena_strdup(&a, published);
    const char *kw[MAX_PUBLISHED];
    int nkw = 0;
    for (char *s = kws, *c; s && nkw < MAX_PUBLISHED; s = c) {
        c = strchr(s, ',');
        if (c)
            *c++ = '\0';
        if (*s)
            kw[nkw++] = s;
    }
    int *owner = xcalloc((size_t)ntopics, sizeof(int)); /* 0 = the rest, else keyword + 1 */
    for (int t = 0; t < ntopics; t++)
        for (int k = 0; k < nkw && !owner[t]; k++)
            if (topic_matches(&topics[t], kw[k]))
                owner[t] = k + 1;

    /* Series: one per published topic (its clusters together, as one community × category
     * series of the product would hold them), then one per other cluster. */
    int nunits = nkw;
    int *unit = xcalloc((size_t)ntopics, sizeof(int));
    for (int t = 0; t < ntopics; t++)
        unit[t] = owner[t] ? owner[t] - 1 : nunits++;
    int *unit_topic = xcalloc((size_t)nunits, sizeof(int)); /* a cluster of each other unit */
    for (int t = 0; t < ntopics; t++)
        unit_topic[unit[t]] = t;
    /* Pooled daily counts of all messages, and per cluster its daily counts. */
    double *pooled = xcalloc(ndays, sizeof(double));
    for (size_t i = 0; i < nmsg; i++)
        if (msgs[i].at / 86400 >= day0)
            pooled[msgs[i].at / 86400 - day0] += 1;
    double *series = xcalloc((size_t)nunits * ndays, sizeof(double));
    for (int t = 0; t < ntopics; t++) {
        double *s = series + (size_t)unit[t] * ndays;
        for (int k = 0; k < topics[t].nids; k++) {
            struct triage_hot_msg key = {.id = topics[t].ids[k]};
            const struct triage_hot_msg *m = bsearch(&key, msgs, nmsg, sizeof(*msgs), by_id);
            if (!m || m->at / 86400 < day0)
                continue;
            int dup = 0;
            if (per_author && m->author)
                for (int j = 0; j < k && !dup; j++) {
                    struct triage_hot_msg kj = {.id = topics[t].ids[j]};
                    const struct triage_hot_msg *o = bsearch(&kj, msgs, nmsg, sizeof(*msgs), by_id);
                    dup = o && o->author && o->at / 86400 == m->at / 86400 &&
                          strcmp(o->author, m->author) == 0;
                }
            if (!dup)
                s[m->at / 86400 - day0] += 1;
        }
    }

    /* Test every series on every day with a full baseline. */
    size_t need = p.window + p.guard + p.baseline;
    int64_t first_alarm[MAX_PUBLISHED], first_day[MAX_PUBLISHED], last_day[MAX_PUBLISHED];
    double peak_n[MAX_PUBLISHED];
    int64_t peak_day[MAX_PUBLISHED], total[MAX_PUBLISHED], alarm_days_pub[MAX_PUBLISHED];
    for (int k = 0; k < nkw; k++) {
        first_alarm[k] = -1, first_day[k] = INT64_MAX, last_day[k] = -1, peak_n[k] = 0;
        peak_day[k] = -1, total[k] = 0, alarm_days_pub[k] = 0;
    }
    for (int k = 0; k < nkw; k++)
        for (size_t d = 0; d < ndays; d++) {
            double n = series[(size_t)k * ndays + d];
            if (n > 0 && (int64_t)d < first_day[k])
                first_day[k] = (int64_t)d;
            if (n > 0)
                last_day[k] = (int64_t)d;
            if (n > peak_n[k])
                peak_n[k] = n, peak_day[k] = (int64_t)d;
            total[k] += (int64_t)n;
        }
    double *w = xcalloc(need, sizeof(double));
    int64_t false_days = 0, false_episodes = 0, tested_days = 0;
    int64_t *last_alarm = xcalloc((size_t)nunits, sizeof(int64_t));
    int64_t *rest_alarms = xcalloc((size_t)nunits, sizeof(int64_t));
    for (int u = 0; u < nunits; u++)
        last_alarm[u] = -1000;
    for (size_t d = need - 1; d < ndays; d++) {
        size_t b0 = d + 1 - need;
        /* day-of-week weights fitted on the pooled baseline days only */
        int slot = (int)(((day0 + (int64_t)b0) % 7 + 7 + 3) % 7) * 24; /* 1970-01-01: Thursday */
        if (warn_season(pooled + b0, p.baseline, need, 24, slot, w, &err) < 0) {
            fprintf(stderr, "bench_warn_teddy: %s\n", err.msg);
            return 2;
        }
        tested_days++;
        for (int t = 0; t < nunits; t++) {
            const double *s = series + (size_t)t * ndays + b0;
            double in_window = 0;
            for (size_t i = need - p.window; i < need; i++)
                in_window += s[i];
            if (in_window < (double)(p.min_count > 0 ? p.min_count : WARN_MIN_COUNT))
                continue;
            struct warn_result r;
            if (warn_test(s, w, need, &p, &r, &err) < 0) {
                fprintf(stderr, "bench_warn_teddy: %s\n", err.msg);
                return 2;
            }
            if (!r.alarm)
                continue;
            int k = t < nkw ? t : -1;
            if (k >= 0) {
                alarm_days_pub[k]++;
                if ((int64_t)d >= first_day[k] && (int64_t)d <= last_day[k] &&
                    (first_alarm[k] < 0 || (int64_t)d < first_alarm[k]))
                    first_alarm[k] = (int64_t)d;
            } else {
                false_days++;
                rest_alarms[t]++;
                if ((int64_t)d - last_alarm[t] > (int64_t)p.window)
                    false_episodes++;
            }
            last_alarm[t] = (int64_t)d;
        }
    }

    char s1[16], s2[16], s3[16];
    day_str(day0 + (int64_t)need - 1, s1);
    day_str(last, s2);
    double months = (double)tested_days / (365.25 / 12);
    printf("messages %zu, clusters %d: series %d published, %d other; days tested %lld (%s .. "
           "%s, %.1f months)\n",
           nmsg, ntopics, nkw, nunits - nkw, (long long)tested_days, s1, s2, months);
    printf("params: window %zu d, guard %zu d, baseline %zu d, alpha %g, min_count %lld%s\n",
           p.window, p.guard, p.baseline, p.alpha, (long long)p.min_count,
           per_author ? ", one per author and day" : "");
    printf("%-12s %5s %11s %11s %5s %11s %5s %7s\n", "topic", "msgs", "first", "peak", "peakn",
           "alarm", "lead", "alarmd");
    int raised = 0;
    for (int k = 0; k < nkw; k++) {
        day_str(day0 + first_day[k], s1);
        day_str(day0 + peak_day[k], s2);
        if (first_alarm[k] >= 0)
            day_str(day0 + first_alarm[k], s3);
        else
            snprintf(s3, sizeof(s3), "-");
        raised += first_alarm[k] >= 0;
        char lead[16] = "-";
        if (first_alarm[k] >= 0)
            snprintf(lead, sizeof(lead), "%lld", (long long)(peak_day[k] - first_alarm[k]));
        printf("%-12s %5lld %11s %11s %5.0f %11s %5s %7lld\n", kw[k], (long long)total[k],
               last_day[k] >= 0 ? s1 : "-", s2, peak_n[k], s3, lead, (long long)alarm_days_pub[k]);
    }
    printf("raised %d of %d published topics\n", raised, nkw);
    printf("false alarms (other clusters): %lld alarm-days, %lld episodes = %.2f episodes per "
           "month (%.2f alarm-days per month)\n",
           (long long)false_days, (long long)false_episodes, (double)false_episodes / months,
           (double)false_days / months);
    /* The other clusters that alarmed most, to read what a "false" alarm was. */
    for (int shown = 0; shown < list; shown++) {
        int best = -1;
        for (int u = nkw; u < nunits; u++)
            if (rest_alarms[u] > 0 && (best < 0 || rest_alarms[u] > rest_alarms[best]))
                best = u;
        if (best < 0)
            break;
        const struct triage_hot_topic *tp = &topics[unit_topic[best]];
        printf("  other: %lld alarm-days, %d msgs, %d authors: %s\n", (long long)rest_alarms[best],
               tp->count, tp->authors, tp->title ? tp->title : "");
        rest_alarms[best] = 0;
    }
    free(buf);
    free(pooled);
    free(series);
    free(owner);
    free(unit);
    free(unit_topic);
    free(w);
    free(last_alarm);
    free(rest_alarms);
    arena_release(&a);
    return 0;
}
