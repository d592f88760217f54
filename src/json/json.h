/*
 * json: parsing and checking JSON request bodies (cJSON underneath) and writing JSON
 * responses straight into a struct buf.
 *
 * Parsing is strict about what reaches the domain: the text must be valid UTF-8, one JSON
 * value with nothing after it, and an object body is checked against a field table that
 * rejects unknown fields, wrong types, missing required fields and out-of-range values,
 * naming the field in the error.
 *
 * Ownership: json_parse() returns a tree owned by the caller (json_free()). Strings read
 * with json_get_str() are borrowed from the tree. The writer owns its buffer until
 * jw_finish() hands it over. Nothing here is shared between threads.
 */
#ifndef GRIDLOOP_JSON_JSON_H
#define GRIDLOOP_JSON_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct arena;
struct err;
typedef struct cJSON json_t;

/* Nesting deeper than this is rejected before cJSON's recursion can matter. */
#define JSON_MAX_DEPTH 32

int json_parse(const char *text, size_t len, json_t **out, struct err *err);
/* The strict RFC 8259 check json_parse() makes first: valid UTF-8, no NUL, no unescaped
 * control character (U+0000..U+001F) inside a string, valid escapes and surrogate pairs, no
 * "\u0000", numbers exactly as the grammar says (no leading zeros, "+1", "1." or hex), at most
 * JSON_MAX_DEPTH levels, one value. ERR_BAD_REQUEST names the byte offset and, inside an
 * object, the member (err->field). */
int json_validate(const char *text, size_t len, struct err *err);
void json_free(json_t *j);

enum json_type {
    JT_STRING = 1,
    JT_INT, /* a number with no fractional part, within int64 range */
    JT_NUMBER,
    JT_BOOL,
    JT_OBJECT,
    JT_ARRAY_INT,    /* array of integers */
    JT_ARRAY_STRING, /* array of strings */
    JT_ARRAY_OBJECT, /* array of objects, each checked against 'sub' when given */
    JT_ANY,
};

enum json_field_flags {
    JF_REQUIRED = 1 << 0,
    JF_NULLABLE = 1 << 1, /* null accepted (means "clear") */
};

struct json_field {
    const char *name;
    enum json_type type;
    unsigned flags;
    double min,
        max; /* JT_INT/JT_NUMBER range, string length in characters, array length; both 0 = unchecked */
    const struct json_field
        *sub; /* JT_OBJECT / JT_ARRAY_OBJECT: the members' table; NULL = unchecked */
};

/*
 * Check that 'obj' is an object whose members all appear in 'fields' (ended by name NULL)
 * with the right types and ranges, and that required ones are present; members with a
 * 'sub' table are checked against it, to any depth. An error names the member by its path
 * in err->field and the message: "citizen.phone", "attributes[2].values[0].key".
 *
 *     static const struct json_field citizen_fields[] = {
 *         {"name", JT_STRING, 0, 1, 50, NULL},
 *         {NULL, 0, 0, 0, 0, NULL},
 *     };
 *     static const struct json_field create_fields[] = {
 *         {"title", JT_STRING, JF_REQUIRED, 1, 200, NULL},
 *         {"citizen", JT_OBJECT, JF_NULLABLE, 0, 0, citizen_fields},
 *         {NULL, 0, 0, 0, 0, NULL},
 *     };
 */
int json_check(const json_t *obj, const struct json_field *fields, struct err *err);

/* Member lookups; return NULL / the default when absent or null. */
const json_t *json_get(const json_t *obj, const char *name);
int json_has(const json_t *obj, const char *name);     /* present, even if null */
int json_is_null(const json_t *obj, const char *name); /* present and null */
const char *json_get_str(const json_t *obj, const char *name);
int64_t json_get_int(const json_t *obj, const char *name, int64_t def);
double json_get_num(const json_t *obj, const char *name, double def);
int json_get_bool(const json_t *obj, const char *name, int def);
/* Array helpers for JT_ARRAY_INT / JT_ARRAY_STRING members (already checked). */
int json_array_size(const json_t *arr);
int64_t json_array_int(const json_t *arr, int i);
const char *json_array_str(const json_t *arr, int i);
/* Element i of an array (an object of a JT_ARRAY_OBJECT member, read with json_get_*), NULL
 * past the end. */
const json_t *json_array_item(const json_t *arr, int i);
/* Walking an array in O(1) a step (json_array_item is O(i)): its first element (NULL when
 * empty or not an array), then each element's next (NULL after the last). */
const json_t *json_array_first(const json_t *arr);
const json_t *json_next(const json_t *item);
/* Walking an object's members the same way (json_next for the next): the first member (NULL
 * when empty or not an object), and a member's name. */
const json_t *json_object_first(const json_t *obj);
const char *json_member_name(const json_t *member);
/* A value itself (an array element): its number (def when not a number), its text (NULL when
 * not a string), whether it is an object, an array. */
double json_number(const json_t *v, double def);
const char *json_string(const json_t *v);
int json_is_object(const json_t *v);
int json_is_array(const json_t *v);
/* A value as compact JSON text in 'a' (a GeoJSON member handed on as text); NULL for NULL. */
char *json_print(const json_t *v, struct arena *a);

/*
 * The writer: appends compact JSON to 'b', inserting commas itself. Keys are written with
 * jw_key() before a value inside an object.
 */
struct jw {
    struct buf b;
    int depth;
    unsigned char first[JSON_MAX_DEPTH + 1]; /* 1 while the open container is still empty */
    int after_key;
};

void jw_init(struct jw *w);
void jw_release(struct jw *w);
void jw_obj(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s); /* NULL writes null */
void jw_int(struct jw *w, int64_t v);
void jw_num(struct jw *w, double v);
/* 'v' rounded to 'places' (0-6) decimal places: a shown probability or score, shorter and
 * written without printf (jw_num()'s short path). */
void jw_num_places(struct jw *w, double v, int places);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
void jw_raw(struct jw *w, const char *json); /* already-serialised JSON value */

/* key + value shorthands */
void jw_kstr(struct jw *w, const char *key, const char *s);
void jw_kint(struct jw *w, const char *key, int64_t v);
void jw_knum(struct jw *w, const char *key, double v);
void jw_knum_places(struct jw *w, const char *key, double v, int places);
void jw_kbool(struct jw *w, const char *key, int v);
void jw_knull(struct jw *w, const char *key);
/* An optional integer (an id, a count): null when it is 0, meaning none. */
void jw_kopt(struct jw *w, const char *key, int64_t v);
void jw_ktime(struct jw *w, const char *key, int64_t t); /* RFC 3339 UTC, null for 0 */

#endif /* GRIDLOOP_JSON_JSON_H */
