/*
 * libFuzzer target: an MQTT message of readings (app_readings_parse), the batch forms included.
 * The first line of the input is the device code of the topic (empty: a gateway's topic, each
 * element naming its device), the rest the payload. What parses must hold what the parser
 * promises (app.h): at most 'max' readings, each with a valid code (the topic's on a device's
 * topic), a time in the window around 'now' and 1..SENSOR_VALUES_MAX distinct, well-formed
 * metrics with finite values; each rejected element named by its index; a refusal of the whole
 * message has a code, a message and no readings.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/err.h"
#include "sensor/sensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-12-04T12:00:00Z: the fuzzer's clock. */
#define FUZZ_NOW 1796385600LL
#define FUZZ_MAX 8

static void on_reject(void *ctx, int index, const struct err *why)
{
    int *last = ctx;
    char prefix[16];
    snprintf(prefix, sizeof(prefix), "[%d]", index);
    /* Elements are rejected in order, each once, by its index, with a reason. */
    if (index <= *last || index < 0 || index >= FUZZ_MAX || why->code == 0 || !why->msg[0] ||
        strncmp(why->field, prefix, strlen(prefix)) != 0)
        abort();
    *last = index;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t clen = nl ? (size_t)(nl - data) : 0;
    char *code = malloc(clen + 1);
    memcpy(code, data, clen);
    code[clen] = '\0';
    const char *body = nl ? (const char *)nl + 1 : (const char *)data;
    size_t blen = nl ? size - clen - 1 : size;
    /* The payload in a buffer of its own size, so a read past its end is caught. */
    char *text = malloc(blen ? blen : 1);
    memcpy(text, body, blen);

    struct app_reading *r = NULL;
    size_t n = 0;
    int last = -1;
    struct err err = ERR_INIT;
    const char *topic_code = clen ? code : NULL;
    if (app_readings_parse(text, blen, topic_code, FUZZ_NOW, FUZZ_MAX, &r, &n, on_reject, &last,
                           &err) == 0) {
        if (n > FUZZ_MAX || (n > 0) != (r != NULL))
            abort();
        for (size_t k = 0; k < n; k++) {
            const struct app_reading *x = &r[k];
            if (!sensor_code_ok(x->code) || (topic_code && strcmp(x->code, code) != 0))
                abort();
            if (x->at > FUZZ_NOW + SENSOR_FUTURE_S || x->at < FUZZ_NOW - SENSOR_PAST_S)
                abort();
            if (x->n < 1 || x->n > SENSOR_VALUES_MAX)
                abort();
            for (size_t i = 0; i < x->n; i++) {
                if (!sensor_name_ok(x->metric[i], SENSOR_METRIC_MAX) || !isfinite(x->value[i]))
                    abort();
                for (size_t j = 0; j < i; j++)
                    if (strcmp(x->metric[i], x->metric[j]) == 0)
                        abort();
            }
        }
    } else if (err.code == 0 || err.msg[0] == '\0' || r != NULL || n != 0) {
        abort();
    }
    free(r);
    free(text);
    free(code);
    return 0;
}
