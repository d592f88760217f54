/*
 * libFuzzer target: request bodies. Arbitrary bytes go through json_parse() and, when they
 * parse, through json_check() with a field table using every type and nested tables, as the
 * API does, then through the accessors a handler uses on a body that passed.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/mem.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    json_t *j = NULL;
    int rc = json_parse((const char *)data, size, &j, &err);
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
