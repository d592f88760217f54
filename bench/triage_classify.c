/*
 * In-process classification rate: triage_classify() over the texts of a file (one per line),
 * repeated, CPU time of the calling thread, best of several rounds. Leaves out what the command
 * line adds (reading stdin, JSON output) to show the classifier's own cost.
 *   bench_triage_classify MODEL TEXTS.txt [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "triage/triage.h"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct err err = ERR_INIT;
    struct triage_model *m = NULL;
    char **texts = NULL, *line = NULL;
    size_t n = 0, cap = 0, lcap = 0;
    ssize_t l;
    int rounds = argc > 3 ? atoi(argv[3]) : 8, rc = 1;
    if (argc < 3 || rounds <= 0) {
        fprintf(stderr, "usage: bench_triage_classify MODEL TEXTS.txt [ROUNDS]\n");
        return 2;
    }
    if (triage_model_load(argv[1], &m, &err) < 0) {
        fprintf(stderr, "bench_triage_classify: %s\n", err.msg);
        return 1;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        goto out;
    }
    while ((l = getline(&line, &lcap, f)) > 0) {
        if (line[l - 1] == '\n')
            line[l - 1] = '\0';
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            char **t = realloc(texts, cap * sizeof(*texts));
            if (!t)
                goto out;
            texts = t;
        }
        if (!(texts[n] = strdup(line)))
            goto out;
        n++;
    }
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "bench_triage_classify: no texts in %s\n", argv[2]);
        goto out;
    }
    double best = 0;
    long check = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = cpu_seconds();
        for (size_t i = 0; i < n; i++) {
            struct triage_result res;
            triage_classify(m, texts[i], &res);
            check += res.label; /* so the calls cannot be optimised away */
        }
        double s = cpu_seconds() - t0;
        if (r == 0 || s < best)
            best = s;
    }
    printf("in-process: %zu texts, best of %d rounds: %.0f texts/s of CPU time (check %ld)\n", n,
           rounds, best > 0 ? (double)n / best : 0.0, check);
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(line);
    triage_model_free(m);
    return rc;
}
