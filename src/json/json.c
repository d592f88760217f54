#include "json/json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/utf8.h"

/*
 * RFC 8259, checked on the raw text before cJSON sees it. cJSON is lenient where the RFC is
 * not (raw control characters inside strings, leading zeros, "1." and "-.5", "\u0000" that
 * silently ends a C string, lone surrogates): this pass refuses all of that with the byte
 * offset and the member it happened in, and it bounds the nesting before cJSON recurses.
 * The recursion here is bounded by JSON_MAX_DEPTH.
 */
struct scan {
    const char *s;
    size_t n, i;
    const char *key; /* raw text of the innermost member name being read, for the error */
    size_t key_len;
    struct err *err;
};

static int scan_fail(struct scan *c, const char *what)
{
    char field[ERR_FIELD_MAX] = "";
    if (c->key) {
        size_t k = c->key_len < sizeof(field) - 1 ? c->key_len : sizeof(field) - 1;
        memcpy(field, c->key, k);
        field[k] = '\0';
        field[utf8_prefix(field, k)] = '\0';
    }
    if (field[0])
        return err_field(c->err, ERR_BAD_REQUEST, field,
                         "malformed JSON: %s at byte %zu (in field '%s')", what, c->i, field);
    return err_set(c->err, ERR_BAD_REQUEST, "malformed JSON: %s at byte %zu", what, c->i);
}

static void scan_ws(struct scan *c)
{
    while (c->i < c->n &&
           (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r'))
        c->i++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char h = p[k];
        v <<= 4;
        if (h >= '0' && h <= '9')
            v |= (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f')
            v |= (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            v |= (unsigned)(h - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* At the opening quote; leaves c->i after the closing one. */
static int scan_string(struct scan *c)
{
    c->i++;
    while (c->i < c->n) {
        unsigned char u = (unsigned char)c->s[c->i];
        if (u == '"') {
            c->i++;
            return 0;
        }
        if (u < 0x20)
            return scan_fail(c,
                             "unescaped control character in a JSON string (write it as \\u00XX)");
        if (u != '\\') {
            c->i++;
            continue;
        }
        if (c->i + 1 >= c->n)
            break;
        char e = c->s[c->i + 1];
        if (e != 'u') {
            if (!strchr("\"\\/bfnrt", e) || !e)
                return scan_fail(c, "invalid escape in a JSON string");
            c->i += 2;
            continue;
        }
        unsigned cp, lo;
        if (c->i + 6 > c->n || hex4(c->s + c->i + 2, &cp) < 0)
            return scan_fail(c, "invalid \\u escape in a JSON string");
        /* cJSON decodes "\u0000" into a NUL that ends the C string, so "A\u0000B" would
         * arrive as "A": refuse it rather than store a silently shortened value. */
        if (cp == 0)
            return scan_fail(c, "NUL character (\\u0000) in a JSON string");
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return scan_fail(c, "lone low surrogate in a JSON string");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (c->i + 12 > c->n || c->s[c->i + 6] != '\\' || c->s[c->i + 7] != 'u' ||
                hex4(c->s + c->i + 8, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                return scan_fail(c, "lone high surrogate in a JSON string");
            c->i += 6;
        }
        c->i += 6;
    }
    return scan_fail(c, "unterminated JSON string");
}

static int digits(struct scan *c)
{
    size_t start = c->i;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
        c->i++;
    return c->i > start;
}

/* number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT ) */
static int scan_number(struct scan *c)
{
    if (c->s[c->i] == '-')
        c->i++;
    if (c->i < c->n && c->s[c->i] == '0')
        c->i++;
    else if (!(c->i < c->n && c->s[c->i] >= '1' && c->s[c->i] <= '9') || !digits(c))
        return scan_fail(c, "invalid JSON number");
    if (c->i < c->n && c->s[c->i] == '.') {
        c->i++;
        if (!digits(c))
            return scan_fail(c, "invalid JSON number (digits must follow the point)");
    }
    if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
        c->i++;
        if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-'))
            c->i++;
        if (!digits(c))
            return scan_fail(c, "invalid JSON number (digits must follow the exponent)");
    }
    if (c->i < c->n && (c->s[c->i] == '.' || (c->s[c->i] >= '0' && c->s[c->i] <= '9') ||
                        c->s[c->i] == 'x' || c->s[c->i] == 'X'))
        return scan_fail(c, "invalid JSON number (no leading zeros or hexadecimal)");
    return 0;
}

static int scan_value(struct scan *c, int depth);

static int scan_container(struct scan *c, int depth)
{
    char close = c->s[c->i] == '{' ? '}' : ']';
    const char *outer_key = c->key;
    size_t outer_len = c->key_len;
    int rc;
    if (depth >= JSON_MAX_DEPTH)
        return err_set(c->err, ERR_BAD_REQUEST, "JSON nested deeper than %d levels",
                       JSON_MAX_DEPTH);
    c->i++;
    scan_ws(c);
    if (c->i < c->n && c->s[c->i] == close) {
        c->i++;
        return 0;
    }
    for (;;) {
        if (close == '}') {
            if (c->i >= c->n || c->s[c->i] != '"')
                return scan_fail(c, "expected a member name in quotes");
            size_t k = c->i;
            if ((rc = scan_string(c)) < 0)
                return rc;
            c->key = c->s + k + 1;
            c->key_len = c->i - k - 2;
            scan_ws(c);
            if (c->i >= c->n || c->s[c->i] != ':')
                return scan_fail(c, "expected ':' after a member name");
            c->i++;
        }
        if ((rc = scan_value(c, depth + 1)) < 0)
            return rc;
        c->key = outer_key;
        c->key_len = outer_len;
        scan_ws(c);
        if (c->i < c->n && c->s[c->i] == ',') {
            c->i++;
            scan_ws(c);
            continue;
        }
        if (c->i < c->n && c->s[c->i] == close) {
            c->i++;
            return 0;
        }
        return scan_fail(c, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int scan_value(struct scan *c, int depth)
{
    static const char *const words[] = {"true", "false", "null"};
    scan_ws(c);
    if (c->i >= c->n)
        return scan_fail(c, "unexpected end of JSON");
    char ch = c->s[c->i];
    if (ch == '{' || ch == '[')
        return scan_container(c, depth);
    if (ch == '"')
        return scan_string(c);
    if (ch == '-' || (ch >= '0' && ch <= '9'))
        return scan_number(c);
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t len = strlen(words[w]);
        if (c->n - c->i >= len && memcmp(c->s + c->i, words[w], len) == 0) {
            c->i += len;
            return 0;
        }
    }
    return scan_fail(c, "not a JSON value");
}

int json_validate(const char *text, size_t len, struct err *err)
{
    struct scan c = {text, len, 0, NULL, 0, err};
    long bad = utf8_invalid_at(text, len);
    if (bad >= 0)
        return err_set(err, ERR_BAD_REQUEST, "request body is not valid UTF-8 (byte %ld)", bad);
    if (memchr(text, '\0', len))
        return err_set(err, ERR_BAD_REQUEST, "request body contains a NUL byte");
    int rc = scan_value(&c, 0);
    if (rc < 0)
        return rc;
    scan_ws(&c);
    c.key = NULL;
    if (c.i < len)
        return scan_fail(&c, "unexpected data after JSON value");
    return 0;
}

int json_parse(const char *text, size_t len, json_t **out, struct err *err)
{
    int rc = json_validate(text, len, err);
    if (rc < 0)
        return rc;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j) {
        long at = end ? (long)(end - text) : 0;
        if (at < 0 || (size_t)at > len)
            at = 0;
        return err_set(err, ERR_BAD_REQUEST, "malformed JSON at byte %ld", at);
    }
    /* cJSON stops after the first value; anything but whitespace after it is an error. */
    for (const char *p = end; p && p < text + len; p++) {
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
            cJSON_Delete(j);
            return err_set(err, ERR_BAD_REQUEST, "unexpected data after JSON value at byte %ld",
                           (long)(p - text));
        }
    }
    *out = j;
    return 0;
}

void json_free(json_t *j)
{
    cJSON_Delete(j);
}

static int is_int(const cJSON *v)
{
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
           v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) <= 9007199254740992.0;
}

static const char *type_name(enum json_type t)
{
    switch (t) {
    case JT_STRING: return "a string";
    case JT_INT: return "an integer";
    case JT_NUMBER: return "a number";
    case JT_BOOL: return "true or false";
    case JT_OBJECT: return "an object";
    case JT_ARRAY_INT: return "an array of integers";
    case JT_ARRAY_STRING: return "an array of strings";
    case JT_ARRAY_OBJECT: return "an array of objects";
    case JT_ANY: return "any value";
    }
    return "?";
}

static int check_members(const cJSON *obj, const struct json_field *fields, const char *prefix,
                         struct err *err);

/* 'path' names the member as the client wrote it: "title", "citizen.phone", "attributes[2].code". */
static int check_one(const cJSON *v, const struct json_field *f, const char *path, struct err *err)
{
    int ok = 0;
    int ranged = f->min != 0 || f->max != 0;
    if (cJSON_IsNull(v)) {
        if (f->flags & JF_NULLABLE)
            return 0;
        return err_field(err, ERR_BAD_REQUEST, path, "field '%s' must be %s, not null", path,
                         type_name(f->type));
    }
    switch (f->type) {
    case JT_STRING: ok = cJSON_IsString(v); break;
    case JT_INT: ok = is_int(v); break;
    case JT_NUMBER: ok = cJSON_IsNumber(v) && isfinite(v->valuedouble); break;
    case JT_BOOL: ok = cJSON_IsBool(v); break;
    case JT_OBJECT: ok = cJSON_IsObject(v); break;
    case JT_ARRAY_INT:
    case JT_ARRAY_STRING:
    case JT_ARRAY_OBJECT:
        ok = cJSON_IsArray(v);
        for (const cJSON *e = ok ? v->child : NULL; e; e = e->next)
            if (f->type == JT_ARRAY_INT      ? !is_int(e)
                : f->type == JT_ARRAY_STRING ? !cJSON_IsString(e)
                                             : !cJSON_IsObject(e))
                ok = 0;
        break;
    case JT_ANY: ok = 1; break;
    }
    if (!ok)
        return err_field(err, ERR_BAD_REQUEST, path, "field '%s' must be %s", path,
                         type_name(f->type));
    if (ranged) {
        if (f->type == JT_INT || f->type == JT_NUMBER) {
            if (v->valuedouble < f->min || v->valuedouble > f->max)
                return err_field(err, ERR_BAD_REQUEST, path, "field '%s' must be between %g and %g",
                                 path, f->min, f->max);
        } else if (f->type == JT_STRING) {
            double n = (double)utf8_len(v->valuestring);
            if (n < f->min || n > f->max)
                return err_field(err, ERR_BAD_REQUEST, path,
                                 "field '%s' must be %g to %g characters long", path, f->min,
                                 f->max);
        } else if (f->type == JT_ARRAY_INT || f->type == JT_ARRAY_STRING ||
                   f->type == JT_ARRAY_OBJECT) {
            double n = cJSON_GetArraySize(v);
            if (n < f->min || n > f->max)
                return err_field(err, ERR_BAD_REQUEST, path, "field '%s' must have %g to %g items",
                                 path, f->min, f->max);
        }
    }
    /* Nested tables: the object's members, or each element's (the depth limit of
     * json_parse bounds this recursion, and so does the finite nesting of the tables). */
    if (f->sub && f->type == JT_OBJECT)
        return check_members(v, f->sub, path, err);
    if (f->sub && f->type == JT_ARRAY_OBJECT) {
        int i = 0;
        for (const cJSON *e = v->child; e; e = e->next, i++) {
            char at[ERR_FIELD_MAX];
            if (snprintf(at, sizeof(at), "%s[%d]", path, i) <
                0) /* a long path is cut, as err_field cuts it */
                at[0] = '\0';
            int rc = check_members(e, f->sub, at, err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static int check_members(const cJSON *obj, const struct json_field *fields, const char *prefix,
                         struct err *err)
{
    char path[ERR_FIELD_MAX];
#define PATH(name)                                                                                 \
    (snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", (name)), path)
    for (const cJSON *m = obj->child; m; m = m->next) {
        const struct json_field *f = fields;
        while (f->name && strcmp(f->name, m->string) != 0)
            f++;
        if (!f->name)
            return err_field(err, ERR_BAD_REQUEST, PATH(m->string), "unknown field '%s'", path);
        for (const cJSON *d = m->next; d; d = d->next)
            if (strcmp(d->string, m->string) == 0)
                return err_field(err, ERR_BAD_REQUEST, PATH(m->string), "field '%s' appears twice",
                                 path);
        int rc = check_one(m, f, PATH(m->string), err);
        if (rc < 0)
            return rc;
    }
    for (const struct json_field *f = fields; f->name; f++)
        if ((f->flags & JF_REQUIRED) && !cJSON_GetObjectItemCaseSensitive(obj, f->name))
            return err_field(err, ERR_BAD_REQUEST, PATH(f->name), "field '%s' is required", path);
#undef PATH
    return 0;
}

int json_check(const json_t *obj, const struct json_field *fields, struct err *err)
{
    if (!cJSON_IsObject(obj))
        return err_set(err, ERR_BAD_REQUEST, "request body must be a JSON object");
    return check_members(obj, fields, "", err);
}

const json_t *json_get(const json_t *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNull(v) ? NULL : v;
}

int json_has(const json_t *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name) != NULL;
}

int json_is_null(const json_t *obj, const char *name)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, name));
}

const char *json_get_str(const json_t *obj, const char *name)
{
    const cJSON *v = json_get(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Numbers beyond int64 (possible in unchecked input) must not reach a cast: that is UB. */
static int64_t to_int(const cJSON *v, int64_t def)
{
    return is_int(v) ? (int64_t)v->valuedouble : def;
}

int64_t json_get_int(const json_t *obj, const char *name, int64_t def)
{
    return to_int(json_get(obj, name), def);
}

double json_get_num(const json_t *obj, const char *name, double def)
{
    const cJSON *v = json_get(obj, name);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

int json_get_bool(const json_t *obj, const char *name, int def)
{
    const cJSON *v = json_get(obj, name);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

int json_array_size(const json_t *arr)
{
    return cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
}

int64_t json_array_int(const json_t *arr, int i)
{
    return to_int(cJSON_GetArrayItem(arr, i), 0);
}

const json_t *json_array_item(const json_t *arr, int i)
{
    return cJSON_GetArrayItem(arr, i);
}

const json_t *json_array_first(const json_t *arr)
{
    return cJSON_IsArray(arr) ? arr->child : NULL;
}

const json_t *json_object_first(const json_t *obj)
{
    return cJSON_IsObject(obj) ? obj->child : NULL;
}

const char *json_member_name(const json_t *member)
{
    return member ? member->string : NULL;
}

const json_t *json_next(const json_t *item)
{
    return item ? item->next : NULL;
}

double json_number(const json_t *v, double def)
{
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

const char *json_string(const json_t *v)
{
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int json_is_object(const json_t *v)
{
    return cJSON_IsObject(v) != 0;
}

int json_is_array(const json_t *v)
{
    return cJSON_IsArray(v) != 0;
}

char *json_print(const json_t *v, struct arena *a)
{
    if (!v)
        return NULL;
    char *text = cJSON_PrintUnformatted(v);
    if (!text)
        abort(); /* cJSON fails only when malloc does; xmalloc aborts there too */
    char *out = arena_strdup(a, text);
    cJSON_free(text);
    return out;
}

const char *json_array_str(const json_t *arr, int i)
{
    const cJSON *v = cJSON_GetArrayItem(arr, i);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- writer ---- */

void jw_init(struct jw *w)
{
    buf_init(&w->b);
    w->depth = 0;
    w->first[0] = 1;
    w->after_key = 0;
}

void jw_release(struct jw *w)
{
    buf_release(&w->b);
}

static void sep(struct jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (!w->first[w->depth])
        buf_putc(&w->b, ',');
    w->first[w->depth] = 0;
}

static void open_c(struct jw *w, char c)
{
    sep(w);
    buf_putc(&w->b, c);
    if (w->depth < JSON_MAX_DEPTH)
        w->depth++;
    w->first[w->depth] = 1;
}

static void close_c(struct jw *w, char c)
{
    buf_putc(&w->b, c);
    if (w->depth > 0)
        w->depth--;
}

void jw_obj(struct jw *w)
{
    open_c(w, '{');
}
void jw_obj_end(struct jw *w)
{
    close_c(w, '}');
}
void jw_arr(struct jw *w)
{
    open_c(w, '[');
}
void jw_arr_end(struct jw *w)
{
    close_c(w, ']');
}

void jw_key(struct jw *w, const char *key)
{
    sep(w);
    buf_json_str(&w->b, key);
    buf_putc(&w->b, ':');
    w->after_key = 1;
}

void jw_str(struct jw *w, const char *s)
{
    sep(w);
    if (s)
        buf_json_str(&w->b, s);
    else
        buf_puts(&w->b, "null");
}

void jw_int(struct jw *w, int64_t v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    /* Digits from the unsigned magnitude, so INT64_MIN needs no special case. */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    sep(w);
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    buf_append(&w->b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* A number of at most six decimal places in [1e-4, 1e9) (coordinates, rounded scores and
 * probabilities, whole numbers), written from its integer of millionths as "%.15g" writes it:
 * 'v' is the double nearest that many millionths (IEEE division is correctly rounded), a
 * decimal of at most 15 significant digits, which is what %.15g rounds it back to, in fixed
 * notation in that range. 0 for any other number, left to printf. A triage answer writes
 * a few dozen of them: two printf calls and a strtod each were ~3% of intake's CPU. */
static int num_short(char *tmp, double v)
{
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e9))
        return 0;
    double d = nearbyint(a * 1e6);
    if (d / 1e6 != a)
        return 0;
    uint64_t u = (uint64_t)d;
    char rev[24];
    int n = 0, places = 6;
    while (places > 0 && u % 10 == 0) {
        u /= 10;
        places--;
    }
    for (int i = 0; i < places; i++, u /= 10)
        rev[n++] = (char)('0' + u % 10);
    if (places)
        rev[n++] = '.';
    do {
        rev[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        rev[n++] = '-';
    for (int i = 0; i < n; i++)
        tmp[i] = rev[n - 1 - i];
    tmp[n] = '\0';
    return 1;
}

void jw_num(struct jw *w, double v)
{
    sep(w);
    if (!isfinite(v)) {
        buf_puts(&w->b, "null");
        return;
    }
    char tmp[40];
    if (v == 0 && !signbit(v)) {
        buf_putc(&w->b, '0');
        return;
    }
    if (num_short(tmp, v)) {
        buf_puts(&w->b, tmp);
        return;
    }
    /* Shortest of %.15g / %.17g that round-trips, so 30.2 prints as 30.2. */
    snprintf(tmp, sizeof(tmp), "%.15g", v);
    /* strtod, not sscanf: the same check at a fraction of the cost (a triage answer writes a
     * few dozen probabilities). */
    if (strtod(tmp, NULL) != v)
        snprintf(tmp, sizeof(tmp), "%.17g", v);
    buf_puts(&w->b, tmp);
}

void jw_num_places(struct jw *w, double v, int places)
{
    static const double scale[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
    if (places < 0 || places > 6) /* a caller's mistake: written as it is */
        places = -1;
    jw_num(w, places < 0 || !isfinite(v) || fabs(v) >= 1e9
                  ? v
                  : nearbyint(v * scale[places]) / scale[places]);
}

void jw_bool(struct jw *w, int v)
{
    sep(w);
    buf_puts(&w->b, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
    sep(w);
    buf_puts(&w->b, "null");
}

void jw_raw(struct jw *w, const char *json)
{
    sep(w);
    buf_puts(&w->b, json);
}

void jw_kstr(struct jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_str(w, s);
}
void jw_kint(struct jw *w, const char *key, int64_t v)
{
    jw_key(w, key);
    jw_int(w, v);
}
void jw_knum(struct jw *w, const char *key, double v)
{
    jw_key(w, key);
    jw_num(w, v);
}
void jw_knum_places(struct jw *w, const char *key, double v, int places)
{
    jw_key(w, key);
    jw_num_places(w, v, places);
}
void jw_kbool(struct jw *w, const char *key, int v)
{
    jw_key(w, key);
    jw_bool(w, v);
}
void jw_knull(struct jw *w, const char *key)
{
    jw_key(w, key);
    jw_null(w);
}

void jw_kopt(struct jw *w, const char *key, int64_t v)
{
    if (v)
        jw_kint(w, key, v);
    else
        jw_knull(w, key);
}

void jw_ktime(struct jw *w, const char *key, int64_t t)
{
    jw_key(w, key);
    if (!t) {
        jw_null(w);
        return;
    }
    char tmp[32];
    clock_format_utc(t, tmp);
    jw_str(w, tmp);
}
