/*
 * libFuzzer target: request bodies. Arbitrary bytes go through json_parse() and, when they
 * parse, through json_check() with a field table using every type, as the API does.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct json_field fields[] = {
    {"name", JT_STRING, JF_REQUIRED, 1, 64},
    {"level", JT_INT, 0, 1, 3},
    {"lat", JT_NUMBER, 0, -90, 90},
    {"active", JT_BOOL, 0, 0, 0},
    {"sla", JT_OBJECT, JF_NULLABLE, 0, 0},
    {"ids", JT_ARRAY_INT, 0, 0, 100},
    {"roles", JT_ARRAY_STRING, 0, 1, 8},
    {"boundary", JT_ANY, JF_NULLABLE, 0, 0},
    {NULL, 0, 0, 0, 0},
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
        json_free(j);
    }
    if (rc != 0 && (rc != ERR_BAD_REQUEST || !err.msg[0]))
        abort();
    return 0;
}
