/*
 * libFuzzer target: the labelled TSV reader, and text normalisation plus n-gram extraction
 * over whatever it yields (outside text of any shape).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "triage/triage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
    size_t n, len;
};

static void count(void *ctx, uint64_t hash, unsigned kind, size_t off, size_t len)
{
    if (!kind || (kind & (kind - 1)) || (kind & ~(unsigned)TRIAGE_F_ALL))
        abort();
    struct sink *s = ctx;
    if (hash == 0 || off + len > s->len)
        abort();
    s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    struct triage_tsv *t = NULL;
    if (triage_tsv_parse((const char *)data, size, "title,detail", "label", &t, &err) == 0) {
        for (size_t i = 0; i < t->n; i++) {
            char norm[512];
            size_t len = triage_normalize(t->texts[i], norm, sizeof(norm));
            if (len >= sizeof(norm) || strlen(norm) != len || utf8_invalid_at(norm, len) >= 0)
                abort();
            struct sink s = {0, len};
            triage_ngrams(norm, len, TRIAGE_F_ALL, count, &s);
        }
        triage_tsv_free(t);
    } else if (t) {
        abort();
    }
    /* The raw bytes as a text too: normalisation must cope with anything. */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char norm[256];
    size_t len = triage_normalize(text, norm, sizeof(norm));
    struct sink s = {0, len};
    triage_ngrams(norm, len, TRIAGE_F_ALL, count, &s);
    triage_ngrams(text, strlen(text), TRIAGE_F_ALL, count, &(struct sink){0, strlen(text)});
    free(text);
    return 0;
}
