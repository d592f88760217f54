/*
 * gridloop triage hot: hot topics from a TSV file, as a table or JSON lines. The defaults
 * read the Teddy Cup 2020 附件3 export (messages_hot.tsv) as is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "triage/triage.h"

#define MAX_FILE (1024L * 1024 * 1024)

static const char usage[] =
    "usage: gridloop triage hot --data FILE.tsv [--text COL,...] [--title COL] [--time COL]\n"
    "           [--author COL] [--likes COL] [--id COL] [--window-days N] [--limit N]\n"
    "           [--min-similarity X] [--min-size N] [--json]\n"
    "  defaults: --text detail --title title --time message_time_iso --author user_id\n"
    "            --likes likes --id message_id --window-days 0 (all) --limit 10\n"
    "            --min-similarity 0.3 --min-size 2; an empty column name (--likes '') = not used\n";

static int read_file(const char *path, char **out, size_t *len, struct err *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        return err_field(err, ERR_BAD_REQUEST, "data", "cannot open '%s': %s", path,
                         strerror(errno));
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? cap * 2 : 1 << 20;
            buf = xrealloc(buf, cap + 1);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n > (size_t)MAX_FILE) {
            fclose(f);
            free(buf);
            return err_field(err, ERR_TOO_LARGE, "data", "'%s' is larger than 1 GiB", path);
        }
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return err_field(err, ERR_IO, "data", "cannot read '%s'", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static void format_time(int64_t t, char out[32])
{
    int y, m, d;
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, s = t - days * 86400;
    clock_civil_from_days(days, &y, &m, &d);
    snprintf(out, 32, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, (int)(s / 3600), (int)(s / 60 % 60),
             (int)(s % 60));
}

/* JSON string; the input was checked to be UTF-8 by the reader, so only escapes are needed. */
static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static int parse_num(const char *flag, const char *v, double lo, double hi, double *out,
                     struct err *err)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !(x >= lo && x <= hi))
        return err_field(err, ERR_BAD_REQUEST, flag + 2,
                         "'%s' needs a number from %g to %g, not '%s'", flag, lo, hi, v);
    *out = x;
    return 0;
}

int cli_triage_hot(int argc, char **argv)
{
    struct err err = ERR_INIT;
    struct triage_hot_columns cols = {"detail",  "title", "message_time_iso",
                                      "user_id", "likes", "message_id"};
    struct triage_hot_opts o = {0, 0, 0, 10};
    const char *data = NULL;
    int json = 0, rc = 0, ntopics = 0;
    char *buf = NULL;
    size_t len = 0, nmsg = 0;
    struct arena a;
    struct triage_hot_msg *msgs = NULL;
    struct triage_hot_topic *topics = NULL;
    double x;

    arena_init(&a, 1 << 20);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '='), *val = NULL;
        char flag[32];
        size_t fl = eq ? (size_t)(eq - arg) : strlen(arg);
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            goto out;
        }
        if (strcmp(arg, "--json") == 0) {
            json = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 || fl >= sizeof(flag)) {
            rc = err_set(&err, ERR_BAD_REQUEST,
                         "unexpected argument '%s' (see gridloop triage hot --help)", arg);
            goto out;
        }
        memcpy(flag, arg, fl);
        flag[fl] = '\0';
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            rc = err_field(&err, ERR_BAD_REQUEST, flag + 2, "flag '%s' needs a value", flag);
            goto out;
        }
        if (strcmp(flag, "--data") == 0)
            data = val;
        else if (strcmp(flag, "--text") == 0)
            cols.text = val;
        else if (strcmp(flag, "--title") == 0)
            cols.title = val;
        else if (strcmp(flag, "--time") == 0)
            cols.time = val;
        else if (strcmp(flag, "--author") == 0)
            cols.author = val;
        else if (strcmp(flag, "--likes") == 0)
            cols.likes = val;
        else if (strcmp(flag, "--id") == 0)
            cols.id = val;
        else if (strcmp(flag, "--window-days") == 0) {
            if ((rc = parse_num(flag, val, 0, 36500, &x, &err)) < 0)
                goto out;
            o.window_seconds = (int64_t)(x * 86400);
        } else if (strcmp(flag, "--limit") == 0) {
            if ((rc = parse_num(flag, val, 1, 100000, &x, &err)) < 0)
                goto out;
            o.limit = (int)x;
        } else if (strcmp(flag, "--min-similarity") == 0) {
            if ((rc = parse_num(flag, val, 0.01, 1, &x, &err)) < 0)
                goto out;
            o.min_similarity = x;
        } else if (strcmp(flag, "--min-size") == 0) {
            if ((rc = parse_num(flag, val, 1, 100000, &x, &err)) < 0)
                goto out;
            o.min_size = (int)x;
        } else {
            rc = err_set(&err, ERR_BAD_REQUEST,
                         "unknown flag '%s' (see gridloop triage hot --help)", flag);
            goto out;
        }
    }
    if (!data) {
        rc = err_field(&err, ERR_BAD_REQUEST, "data", "--data FILE.tsv is required");
        goto out;
    }
    uint64_t t0 = clock_mono_ns();
    if ((rc = read_file(data, &buf, &len, &err)) < 0)
        goto out;
    if ((rc = triage_hot_read_tsv(buf, len, &cols, &a, &msgs, &nmsg, &err)) < 0)
        goto out;
    uint64_t t1 = clock_mono_ns();
    if ((rc = triage_hot(msgs, nmsg, &o, &a, &topics, &ntopics, &err)) < 0)
        goto out;
    uint64_t t2 = clock_mono_ns();

    if (!json)
        printf("%-4s %8s %5s %7s %6s  %-10s  %-10s  %s | %s\n", "rank", "heat", "msgs", "authors",
               "likes", "from", "to", "places", "title");
    for (int r = 0; r < ntopics; r++) {
        const struct triage_hot_topic *t = &topics[r];
        char from[32], to[32];
        format_time(t->first_at, from);
        format_time(t->last_at, to);
        if (json) {
            printf("{\"rank\":%d,\"heat\":%.3f,\"count\":%d,\"authors\":%d,\"likes\":%d,\"first\":",
                   r + 1, t->heat, t->count, t->authors, t->likes);
            json_str(stdout, from);
            fputs(",\"last\":", stdout);
            json_str(stdout, to);
            printf(",\"representative_id\":%lld,\"title\":", (long long)t->representative_id);
            json_str(stdout, t->title);
            fputs(",\"places\":[", stdout);
            for (int p = 0; p < t->nplaces; p++) {
                if (p)
                    fputc(',', stdout);
                json_str(stdout, t->places[p]);
            }
            fputs("],\"ids\":[", stdout);
            for (int k = 0; k < t->nids; k++)
                printf("%s%lld", k ? "," : "", (long long)t->ids[k]);
            fputs("]}\n", stdout);
        } else {
            from[10] = to[10] = '\0';
            printf("%-4d %8.1f %5d %7d %6d  %s  %s  ", r + 1, t->heat, t->count, t->authors,
                   t->likes, from, to);
            for (int p = 0; p < t->nplaces; p++)
                printf("%s%s", p ? "、" : "", t->places[p]);
            printf(" | %s\n", t->title);
        }
    }
    fprintf(stderr, "hot: %zu messages read in %.0f ms, %d topics in %.0f ms\n", nmsg,
            (double)(t1 - t0) / 1e6, ntopics, (double)(t2 - t1) / 1e6);
out:
    free(buf);
    arena_release(&a);
    if (rc < 0) {
        fprintf(stderr, "gridloop triage hot: %s%s%s%s\n", err.msg, err.field[0] ? " (" : "",
                err.field, err.field[0] ? ")" : "");
        return 2;
    }
    return 0;
}
