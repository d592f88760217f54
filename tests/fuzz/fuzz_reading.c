/*
 * libFuzzer target: a sensor reading off MQTT (app_reading_parse). The first line of the input
 * is the device code (the topic's level, any bytes), the rest the payload. A reading that parses
 * must hold what the parser promises (app.h): the code as given, a time in the window around
 * 'now', 1..SENSOR_VALUES_MAX distinct, well-formed metric names with finite values. A refusal
 * is a bad request naming its field.
 *
 * The same input then goes to app_readings_parse, the whole MQTT message with its batch forms
 * (an empty first line: a gateway's topic, each element naming its device): at most 'max'
 * readings, each as above (the topic's code on a device's topic); each rejected element named by
 * its index, in order; a refusal of the whole message has a code, a message and no readings.
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

/* What every parsed reading must hold; 'code' NULL: any valid code. */
static void check_reading(const struct app_reading *r, const char *code)
{
    if (!sensor_code_ok(r->code) || (code && strcmp(r->code, code) != 0))
        abort();
    if (r->at > FUZZ_NOW + SENSOR_FUTURE_S || r->at < FUZZ_NOW - SENSOR_PAST_S)
        abort();
    if (r->n < 1 || r->n > SENSOR_VALUES_MAX)
        abort();
    for (size_t i = 0; i < r->n; i++) {
        if (!sensor_name_ok(r->metric[i], SENSOR_METRIC_MAX) || !isfinite(r->value[i]))
            abort();
        for (size_t k = 0; k < i; k++)
            if (strcmp(r->metric[i], r->metric[k]) == 0)
                abort();
    }
}

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

    struct app_reading r;
    struct err err = ERR_INIT;
    if (app_reading_parse(text, blen, code, FUZZ_NOW, &r, &err) == 0)
        check_reading(&r, code);
    else if (err.code == 0 || err.msg[0] == '\0')
        abort();

    struct app_reading *batch = NULL;
    size_t n = 0;
    int last = -1;
    const char *topic_code = clen ? code : NULL;
    err = (struct err)ERR_INIT;
    if (app_readings_parse(text, blen, topic_code, FUZZ_NOW, FUZZ_MAX, &batch, &n, on_reject, &last,
                           &err) == 0) {
        if (n > FUZZ_MAX || (n > 0) != (batch != NULL))
            abort();
        for (size_t k = 0; k < n; k++)
            check_reading(&batch[k], topic_code);
    } else if (err.code == 0 || err.msg[0] == '\0' || batch != NULL || n != 0) {
        abort();
    }
    free(batch);
    free(text);
    free(code);
    return 0;
}
