/*
 * libFuzzer target: request bodies. Arbitrary bytes go through json_parse() and, when they
 * parse, through json_check() with a field table using every type and nested tables, as the
 * API does, then through the accessors a handler uses on a body that passed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct json_field sla_fields[] = {
    {"reply", JT_INT, JF_REQUIRED, 0, 100000, NULL},
    {"unit", JT_STRING, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct json_field value_fields[] = {
    {"key", JT_STRING, JF_REQUIRED, 1, 64, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct json_field item_fields[] = {
    {"code", JT_STRING, JF_REQUIRED, 1, 32, NULL},
    {"values", JT_ARRAY_OBJECT, JF_NULLABLE, 0, 100, value_fields},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct json_field fields[] = {
    {"name", JT_STRING, JF_REQUIRED, 1, 64, NULL},
    {"level", JT_INT, 0, 1, 3, NULL},
    {"lat", JT_NUMBER, 0, -90, 90, NULL},
    {"active", JT_BOOL, 0, 0, 0, NULL},
    {"sla", JT_OBJECT, JF_NULLABLE, 0, 0, sla_fields},
    {"items", JT_ARRAY_OBJECT, 0, 0, 50, item_fields},
    {"geo", JT_OBJECT, JF_NULLABLE, 0, 0, NULL},
    {"ids", JT_ARRAY_INT, 0, 0, 100, NULL},
    {"roles", JT_ARRAY_STRING, 0, 1, 8, NULL},
    {"boundary", JT_ANY, JF_NULLABLE, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* RFC 8259: no byte below 0x20 inside a string, and outside strings only the four blanks. */
static int raw_controls_ok(const uint8_t *d, size_t n)
{
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        if (in_str) {
            if (d[i] < 0x20)
                return 0;
            if (d[i] == '\\')
                i++;
            else if (d[i] == '"')
                in_str = 0;
        } else if (d[i] == '"') {
            in_str = 1;
        } else if (d[i] < 0x20 && d[i] != ' ' && d[i] != '\t' && d[i] != '\n' && d[i] != '\r') {
            return 0;
        }
    }
    return 1;
}

/* Whatever bytes a response quotes, the writer's string is valid UTF-8 and valid JSON. */
static void writer_check(const uint8_t *data, size_t size)
{
    char *s = xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    struct buf b;
    buf_init(&b);
    buf_json_str(&b, s);
    struct err err = ERR_INIT;
    if (utf8_invalid_at(b.p, b.len) >= 0 || json_validate(b.p, b.len, &err) != 0)
        abort();
    buf_release(&b);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    json_t *j = NULL;
    writer_check(data, size);
    int rc = json_parse((const char *)data, size, &j, &err);
    if (rc == 0 && !raw_controls_ok(data, size))
        abort();
    if (rc == 0) {
        rc = json_check(j, fields, &err);
        json_get_str(j, "name");
        json_get_int(j, "level", 0);
        if (rc == 0) {
            /* What a handler does after a passing check: walk the nested members. */
            const json_t *items = json_get(j, "items");
            for (int i = 0; i < json_array_size(items); i++) {
                const json_t *vals = json_get(json_array_item(items, i), "values");
                for (int k = 0; k < json_array_size(vals); k++)
                    if (!json_get_str(json_array_item(vals, k), "key"))
                        abort(); /* the table made "key" a required string */
            }
            struct arena a;
            arena_init(&a, 0);
            json_print(json_get(j, "geo"), &a);
            arena_release(&a);
        }
        json_free(j);
    }
    if (rc != 0 && (rc != ERR_BAD_REQUEST || !err.msg[0]))
        abort();
    return 0;
}
