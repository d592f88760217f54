/*
 * gridloop triage: train, evaluate and apply the classifier from the command line. The
 * output formats are a contract with the evaluation scripts: eval ends with one JSON line,
 * classify answers each input line with one JSON line. These forms work on files and need no
 * settings; `triage train --from-db` retrains from the database the settings name.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app/app.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "store/store.h"
#include "triage/triage.h"

struct cmd_opts {
    const char *data, *text, *label, *model, *features, *loss;
    double c, word_weight, pos_weight, prune;
    int min_df, threads, quiet, nb;
};

static int parse(int argc, char **argv, struct cmd_opts *o, struct err *err)
{
    static const struct {
        const char *flag;
        size_t offset;
    } str[] = {
        {"--data", offsetof(struct cmd_opts, data)},
        {"--text", offsetof(struct cmd_opts, text)},
        {"--label", offsetof(struct cmd_opts, label)},
        {"--model", offsetof(struct cmd_opts, model)},
        {"--features", offsetof(struct cmd_opts, features)},
        {"--loss", offsetof(struct cmd_opts, loss)},
    };
    const char *c = NULL, *min_df = NULL, *threads = NULL, *ww = NULL, *pw = NULL, *pr = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        if (strcmp(a, "--quiet") == 0) {
            o->quiet = 1;
            continue;
        }
        if (strcmp(a, "--no-nb") == 0) {
            o->nb = -1;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t fl = eq ? (size_t)(eq - a) : strlen(a);
        const char **slot = NULL;
        for (size_t k = 0; k < sizeof(str) / sizeof(str[0]); k++)
            if (strlen(str[k].flag) == fl && memcmp(a, str[k].flag, fl) == 0)
                slot = (const char **)((char *)o + str[k].offset);
        if (!slot && fl == 3 && memcmp(a, "--c", 3) == 0)
            slot = &c;
        if (!slot && fl == 8 && memcmp(a, "--min-df", 8) == 0)
            slot = &min_df;
        if (!slot && fl == 9 && memcmp(a, "--threads", 9) == 0)
            slot = &threads;
        if (!slot && fl == 13 && memcmp(a, "--word-weight", 13) == 0)
            slot = &ww;
        if (!slot && fl == 12 && memcmp(a, "--pos-weight", 12) == 0)
            slot = &pw;
        if (!slot && fl == 7 && memcmp(a, "--prune", 7) == 0)
            slot = &pr;
        if (!slot)
            return err_set(err, ERR_BAD_REQUEST, "unknown option '%s' (see gridloop triage --help)",
                           a);
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return err_set(err, ERR_BAD_REQUEST, "option '%s' needs a value", a);
        *slot = val;
    }
    char *end;
    if (c && ((o->c = strtod(c, &end)) <= 0 || *end || !isfinite(o->c)))
        return err_field(err, ERR_BAD_REQUEST, "c", "--c wants a positive number, got '%s'", c);
    if (ww && ((o->word_weight = strtod(ww, &end)) <= 0 || *end || !isfinite(o->word_weight)))
        return err_field(err, ERR_BAD_REQUEST, "word_weight",
                         "--word-weight wants a positive number, got '%s'", ww);
    if (pw && ((o->pos_weight = strtod(pw, &end)) < 0 || *end || !isfinite(o->pos_weight) ||
               o->pos_weight > 2))
        return err_field(err, ERR_BAD_REQUEST, "pos_weight", "--pos-weight wants 0 to 2, got '%s'",
                         pw);
    if (pw && o->pos_weight == 0)
        o->pos_weight = -1; /* an explicit 0 means equal costs, not "the default" */
    if (pr && ((o->prune = strtod(pr, &end)) < 0 || *end || !isfinite(o->prune)))
        return err_field(err, ERR_BAD_REQUEST, "prune", "--prune wants a number ≥ 0, got '%s'", pr);
    if (pr && o->prune == 0)
        o->prune = -1; /* an explicit 0 keeps every feature */
    if (min_df && ((o->min_df = (int)strtol(min_df, &end, 10)) <= 0 || *end))
        return err_field(err, ERR_BAD_REQUEST, "min_df",
                         "--min-df wants a positive integer, got '%s'", min_df);
    if (threads && ((o->threads = (int)strtol(threads, &end, 10)) <= 0 || *end || o->threads > 64))
        return err_field(err, ERR_BAD_REQUEST, "threads", "--threads wants 1 to 64, got '%s'",
                         threads);
    return 0;
}

static int need(const char *v, const char *flag, const char *sub, struct err *err)
{
    return v ? 0 : err_set(err, ERR_BAD_REQUEST, "triage %s needs %s", sub, flag);
}

/* "word1,word2,char1,char2,char3" → TRIAGE_F_* */
static int parse_features(const char *s, unsigned *out, struct err *err)
{
    static const char *const names[] = {"word1", "word2", "char1", "char2", "char3"};
    *out = 0;
    for (const char *p = s; *p;) {
        size_t l = strcspn(p, ",");
        size_t k;
        for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
            if (strlen(names[k]) == l && memcmp(p, names[k], l) == 0)
                break;
        if (k == sizeof(names) / sizeof(names[0]))
            return err_field(err, ERR_BAD_REQUEST, "features",
                             "unknown feature kind '%.*s' (word1, word2, char1, char2, char3)",
                             (int)l, p);
        *out |= 1u << k;
        p += l + (p[l] == ',');
    }
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress_to_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

static int cmd_train(int argc, char **argv, struct err *err)
{
    struct cmd_opts o = {0};
    struct triage_tsv *t = NULL;
    struct triage_model *m = NULL;
    struct triage_train_opts to = {0};
    int rc;
    if ((rc = parse(argc, argv, &o, err)) < 0 || (rc = need(o.data, "--data", "train", err)) < 0 ||
        (rc = need(o.text, "--text", "train", err)) < 0 ||
        (rc = need(o.label, "--label", "train", err)) < 0 ||
        (rc = need(o.model, "--model", "train", err)) < 0)
        return rc;
    if (o.features && (rc = parse_features(o.features, &to.features, err)) < 0)
        return rc;
    if (o.loss && strcmp(o.loss, "hinge") == 0)
        to.loss = TRIAGE_LOSS_HINGE;
    else if (o.loss && strcmp(o.loss, "squared-hinge") == 0)
        to.loss = TRIAGE_LOSS_SQUARED_HINGE;
    else if (o.loss)
        return err_field(err, ERR_BAD_REQUEST, "loss",
                         "--loss wants hinge or squared-hinge, got '%s'", o.loss);
    to.c = o.c;
    to.min_df = o.min_df;
    to.word_weight = o.word_weight;
    to.pos_weight = o.pos_weight;
    to.prune = o.prune;
    to.threads = o.threads;
    to.progress = o.quiet ? NULL : progress_to_stderr;
    to.nb = o.nb;
    if ((rc = triage_tsv_read(o.data, o.text, o.label, &t, err)) < 0)
        return rc;
    double t0 = now_seconds();
    if ((rc = triage_train(t->texts, t->labels, t->n, &to, &m, err)) < 0 ||
        (rc = triage_model_save(m, o.model, err)) < 0)
        goto out;
    struct stat st;
    printf("trained %s on %zu texts, %d labels in %.2f s; model %s, %.1f MB\n",
           triage_model_version(m), t->n, triage_model_nlabels(m), now_seconds() - t0, o.model,
           stat(o.model, &st) == 0 ? (double)st.st_size / 1e6 : 0.0);
out:
    triage_model_free(m);
    triage_tsv_free(t);
    return rc;
}

static int cmd_eval(int argc, char **argv, struct err *err)
{
    struct cmd_opts o = {0};
    struct triage_tsv *t = NULL;
    struct triage_model *m = NULL;
    int rc;
    if ((rc = parse(argc, argv, &o, err)) < 0 || (rc = need(o.model, "--model", "eval", err)) < 0 ||
        (rc = need(o.data, "--data", "eval", err)) < 0 ||
        (rc = need(o.text, "--text", "eval", err)) < 0 ||
        (rc = need(o.label, "--label", "eval", err)) < 0)
        return rc;
    if ((rc = triage_model_load(o.model, &m, err)) < 0 ||
        (rc = triage_tsv_read(o.data, o.text, o.label, &t, err)) < 0)
        goto out;
    /* Classes: the model's labels, then gold labels it has never seen (always wrong). */
    int k = triage_model_nlabels(m), nc = k;
    const char **names = xmalloc(mem_size_mul((size_t)k + t->n, sizeof(char *)));
    for (int c = 0; c < k; c++)
        names[c] = triage_model_label(m, c);
    size_t *tp = xcalloc((size_t)k + t->n, sizeof(size_t)),
           *gold = xcalloc((size_t)k + t->n, sizeof(size_t)),
           *pred = xcalloc((size_t)k + t->n, sizeof(size_t)), right = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct triage_result r;
        triage_classify(m, t->texts[i], &r);
        int g;
        for (g = 0; g < nc && strcmp(names[g], t->labels[i]) != 0; g++)
            ;
        if (g == nc)
            names[nc++] = t->labels[i];
        gold[g]++;
        pred[r.label]++;
        if (r.label == g) {
            tp[g]++;
            right++;
        }
    }
    double f1sum = 0;
    int nf1 = 0;
    printf("%-24s %7s %9s %7s %7s\n", "label", "n", "precision", "recall", "f1");
    for (int c = 0; c < nc; c++) {
        double p = pred[c] ? (double)tp[c] / pred[c] : 0,
               rcl = gold[c] ? (double)tp[c] / gold[c] : 0;
        double f1 = p + rcl > 0 ? 2 * p * rcl / (p + rcl) : 0;
        if (gold[c] || pred[c]) {
            f1sum += f1;
            nf1++;
        }
        printf("%-24s %7zu %9.4f %7.4f %7.4f\n", names[c], gold[c], p, rcl, f1);
    }
    printf("{\"n\":%zu,\"accuracy\":%.6f,\"macro_f1\":%.6f,\"model\":\"%s\"}\n", t->n,
           t->n ? (double)right / t->n : 0.0, nf1 ? f1sum / nf1 : 0.0, triage_model_version(m));
    free(names);
    free(tp);
    free(gold);
    free(pred);
out:
    triage_model_free(m);
    triage_tsv_free(t);
    return rc;
}

/* A number with four decimals, as "%.4f" would print it but without printf's cost, which
 * otherwise dominates classify's output (a dozen numbers a line). */
static void put_fixed4(struct buf *b, double x)
{
    if (!isfinite(x) || fabs(x) >= 1e9) {
        buf_printf(b, "%.4f", isfinite(x) ? x : 0.0);
        return;
    }
    long long v = llround(fabs(x) * 10000);
    char tmp[32];
    int n = 0;
    for (int d = 0; d < 4; d++, v /= 10)
        tmp[n++] = (char)('0' + v % 10);
    tmp[n++] = '.';
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (x < 0 && n > 0)
        buf_putc(b, '-');
    while (n > 0)
        buf_putc(b, tmp[--n]);
}

static int cmd_classify(int argc, char **argv, struct err *err)
{
    struct cmd_opts o = {0};
    struct triage_model *m = NULL;
    struct buf out;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc;
    if ((rc = parse(argc, argv, &o, err)) < 0 ||
        (rc = need(o.model, "--model", "classify", err)) < 0 ||
        (rc = triage_model_load(o.model, &m, err)) < 0)
        return rc;
    /* Large stdio buffers: with the default 4 KiB, 100,000 texts of 1 KB were ~39,000 read
     * and write calls (~5% of the command's time in the kernel). */
    static char inbuf[1 << 20], outbuf[1 << 20];
    setvbuf(stdin, inbuf, _IOFBF, sizeof(inbuf));
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    buf_init(&out);
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        struct triage_result r;
        triage_classify(m, line, &r);
        buf_reset(&out);
        buf_puts(&out, "{\"label\":");
        buf_json_str(&out, triage_model_label(m, r.label));
        buf_puts(&out, ",\"prob\":");
        put_fixed4(&out, r.prob);
        buf_puts(&out, ",\"top\":[");
        for (int i = 0; i < r.ntop; i++) {
            buf_puts(&out, i ? ",{\"label\":" : "{\"label\":");
            buf_json_str(&out, triage_model_label(m, r.top[i].label));
            buf_puts(&out, ",\"prob\":");
            put_fixed4(&out, r.top[i].prob);
            buf_putc(&out, '}');
        }
        buf_puts(&out, "],\"why\":[");
        for (int i = 0; i < r.nwhy; i++) {
            buf_puts(&out, i ? ",{\"feature\":" : "{\"feature\":");
            buf_json_str(&out, r.why[i].text);
            buf_puts(&out, ",\"weight\":");
            put_fixed4(&out, r.why[i].weight);
            buf_putc(&out, '}');
        }
        buf_puts(&out, "],\"model\":");
        buf_json_str(&out, triage_model_version(m));
        buf_puts(&out, "}\n");
        fwrite(out.p, 1, out.len, stdout);
    }
    free(line);
    buf_release(&out);
    triage_model_free(m);
    return 0;
}

/*
 * triage reply --data REPLIES.tsv --annotations ANN.tsv: the reply-quality check
 * (triage_reply_check) over real message-reply pairs, against 0/1 annotations (1 = a good reply),
 * row by row (the two files share their row order and message_id). Prints, per annotation
 * column, how many were annotated, the share marked bad, and the check's precision and recall
 * on the bad ones; "+boilerplate" adds replies whose fingerprint (triage_reply_print) two other
 * replies in the file share, the product's rule.
 */
static int cmd_reply(int argc, char **argv, struct err *err)
{
    const char *data = NULL, *ann = NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--data") == 0)
            data = argv[i + 1];
        else if (strcmp(argv[i], "--annotations") == 0)
            ann = argv[i + 1];
        else
            return err_field(err, ERR_BAD_REQUEST, argv[i], "unknown option '%s'", argv[i]);
    }
    int rc;
    if ((rc = need(data, "--data", "reply", err)) < 0 ||
        (rc = need(ann, "--annotations", "reply", err)) < 0)
        return rc;
    static const char *const cols[] = {"interpretability_syucryingstar", "completeness_rollbear",
                                       "interpretability_rollbear"};
    struct triage_tsv *msg = NULL, *rep = NULL, *a[3] = {0};
    if ((rc = triage_tsv_read(data, "title,detail", "message_id", &msg, err)) < 0 ||
        (rc = triage_tsv_read(data, "reply", "message_id", &rep, err)) < 0)
        goto out;
    for (int k = 0; k < 3; k++)
        if ((rc = triage_tsv_read(ann, cols[k], "message_id", &a[k], err)) < 0)
            goto out;
    size_t n = msg->n;
    if (rep->n != n || a[0]->n != n) {
        rc = err_set(err, ERR_BAD_REQUEST, "the replies and the annotations differ in length");
        goto out;
    }
    int *flag = xcalloc(n, sizeof(int)), *dup = xcalloc(n, sizeof(int));
    char(*print)[TRIAGE_VERSION_SIZE] = xcalloc(n, sizeof(*print));
    size_t nflag = 0, ndup = 0, nonce = 0;
    for (size_t i = 0; i < n; i++) {
        struct triage_reply r;
        triage_reply_check(msg->texts[i], rep->texts[i], &r);
        flag[i] = r.flagged;
        nflag += r.flagged;
        triage_reply_print(rep->texts[i], print[i]);
    }
    /* Boilerplate as the product decides it (api_triage.c): the same fingerprint on at least
     * two other replies; "once" counts replies sharing it with at least one other. */
    for (size_t i = 0; i < n; i++) {
        int others = 0;
        for (size_t j = 0; j < n && print[i][0] && others < 2; j++)
            others += j != i && strcmp(print[i], print[j]) == 0;
        dup[i] = others >= 2;
        ndup += dup[i];
        nonce += others >= 1;
    }
    free(print);
    printf("replies %zu, flagged by the check %zu (%.1f%%), boilerplate: the same substance as"
           " 2+ other replies %zu (as 1+ other: %zu)\n",
           n, nflag, 100.0 * (double)nflag / (double)n, ndup, nonce);
    printf("%-32s %-14s %6s %6s %9s %7s\n", "annotation", "verdict", "n", "bad", "precision",
           "recall");
    for (int k = 0; k < 3; k++) {
        for (int v = 0; v < 2; v++) {
            size_t na = 0, bad = 0, tp = 0, pred = 0;
            for (size_t i = 0; i < n; i++) {
                if (strcmp(a[k]->labels[i], msg->labels[i]) != 0) {
                    rc = err_set(err, ERR_BAD_REQUEST, "row %zu: message_id %s != %s", i + 2,
                                 a[k]->labels[i], msg->labels[i]);
                    free(flag);
                    free(dup);
                    goto out;
                }
                const char *g = a[k]->texts[i];
                if (!*g)
                    continue;
                int p = flag[i] || (v && dup[i]);
                na++;
                bad += g[0] == '0';
                pred += p;
                tp += p && g[0] == '0';
            }
            printf("%-32s %-14s %6zu %6zu %8.1f%% %6.1f%%\n", cols[k], v ? "+boilerplate" : "check",
                   na, bad, pred ? 100.0 * (double)tp / (double)pred : 0.0,
                   bad ? 100.0 * (double)tp / (double)bad : 0.0);
        }
    }
    free(flag);
    free(dup);
    rc = 0;
out:
    triage_tsv_free(msg);
    triage_tsv_free(rep);
    for (int k = 0; k < 3; k++)
        triage_tsv_free(a[k]);
    return rc;
}

/* Subcommands; each reads argv from index 2 (argv[0] "triage", argv[1] its name). One that
 * reports its own errors has 'main' instead (argv[0] = its name) and returns the exit status. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv, struct err *err);
    int (*main)(int argc, char **argv);
    const char *usage;
} subcmds[] = {
    {"train", cmd_train, NULL,
     "train --data FILE.tsv --text COL[,COL...] --label COL --model OUT\n"
     "        [--c COST] [--min-df N] [--pos-weight P] [--word-weight W] [--prune X] [--threads N] [--quiet]\n"
     "        [--loss hinge|squared-hinge] [--no-nb] [--features word1,word2,char1,char2,char3]"},
    {"eval", cmd_eval, NULL, "eval --model M --data FILE.tsv --text COL[,COL...] --label COL"},
    {"classify", cmd_classify, NULL,
     "classify --model M   (one text per stdin line, one JSON line out)"},
    {"reply", cmd_reply, NULL,
     "reply --data REPLIES.tsv --annotations ANN.tsv   the reply-quality check against annotations"},
    {"hot", NULL, cli_triage_hot,
     "hot --data FILE.tsv [options]   hot topics in a message file (hot --help)"},
};

#define NSUB (sizeof(subcmds) / sizeof(subcmds[0]))

static void usage(FILE *f)
{
    fputs("usage: gridloop triage <subcommand> [options]\n", f);
    for (size_t i = 0; i < NSUB; i++)
        fprintf(f, "  %s\n", subcmds[i].usage);
}

static int triage_files(int argc, char **argv)
{
    struct err err = ERR_INIT;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < NSUB; i++) {
        if (strcmp(argv[1], subcmds[i].name) != 0)
            continue;
        if (subcmds[i].main)
            return subcmds[i].main(argc - 1, argv + 1);
        int rc = subcmds[i].run(argc, argv, &err);
        if (rc == 0)
            return 0;
        fprintf(stderr, "gridloop triage %s: %s\n", subcmds[i].name,
                err.msg[0] ? err.msg : err_default_message(rc));
        return rc == ERR_BAD_REQUEST ? 2 : 1;
    }
    fprintf(stderr, "gridloop triage: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

/* `triage train --from-db [--model FILE]`: retrain from the database's closed and classified
 * cases, under the same check as the API's (settings triage_train_min_examples and
 * triage_train_max_drop); `triage rollback [--model FILE]` puts the previous model back. Both
 * are audited like the API's; a running server picks the new file up by itself. */
static int from_db(int argc, char **argv, const struct conf *cf, int rollback, struct err *err)
{
    const char *model = NULL;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--from-db") == 0)
            continue;
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            model = argv[++i];
        else
            return err_set(err, ERR_BAD_REQUEST,
                           "unknown option or argument '%s' (see gridloop --help)", argv[i]);
    }
    struct store *st;
    struct store_conn *c;
    struct clock clk = clock_real();
    struct triage_check check = {(size_t)cf->triage_train_min_examples, cf->triage_train_max_drop};
    struct triage_retrain r;
    int rc;
    char *path = model ? xstrdup(model) : app_triage_model_path(cf);
    if ((rc = cli_open_store(cf, &st, err)) < 0)
        goto out;
    if ((rc = store_conn(st, &c, err)) == 0)
        rc = rollback ? triage_rollback(c, path, "cli", clock_now(&clk), &r, err)
                      : triage_train_from_db(c, path, "cli", clock_now(&clk), &check, &r, err);
    if (rc == 0) {
        char after[256];
        snprintf(after, sizeof(after),
                 "{\"version\":\"%s\",\"previous\":\"%s\",\"examples\":%zu,\"held_out\":%zu}",
                 r.version, r.previous, r.examples, r.held_out);
        if ((rc = store_begin(c, err)) == 0) {
            if ((rc = cli_audit_append(c, rollback ? "triage.rollback" : "triage.train",
                                       "triage/model", after, err)) < 0)
                store_rollback(c);
            else
                rc = store_commit(c, err);
        }
    }
    if (rc == 0 && rollback)
        printf("model %s restored (%d labels) in %s; %s kept as the previous model\n", r.version,
               r.labels, path, r.previous[0] ? r.previous : "nothing");
    else if (rc == 0 && r.accuracy >= 0)
        printf("model %s: %zu examples, %d labels, %.1f%% right on %zu held out (previous "
               "model: %.1f%%), written to %s\n",
               r.version, r.examples, r.labels, r.accuracy * 100, r.held_out,
               r.current_accuracy >= 0 ? r.current_accuracy * 100 : 0.0, path);
    else if (rc == 0)
        printf("model %s: %zu examples, %d labels, written to %s\n", r.version, r.examples,
               r.labels, path);
    store_close(st);
out:
    free(path);
    return rc;
}

int cli_triage(int argc, char **argv)
{
    /* The file-based forms need no settings; --from-db and rollback need the database's. */
    int db = 0, rollback = argc > 2 && strcmp(argv[2], "rollback") == 0;
    for (int i = 2; i < argc; i++)
        db |= strcmp(argv[i], "--from-db") == 0;
    if (!db && !rollback)
        return triage_files(argc - 1, argv + 1);
    struct conf cf;
    struct err err = ERR_INIT;
    int rc = cli_setup(&cf, &argc, argv, &err);
    if (rc == 0)
        rc = from_db(argc, argv, &cf, rollback, &err);
    conf_release(&cf);
    return rc < 0 ? cli_fail(&err) : 0;
}
