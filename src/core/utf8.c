#include "core/utf8.h"

#include "core/err.h"

#include <string.h>

#include "core/mem.h"

size_t utf8_decode(const char *s, size_t n, uint32_t *cp_out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t need;
    unsigned min, c;
    if (!n)
        return 0;
    c = p[0];
    if (c < 0x80) {
        *cp_out = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n <= need)
        return 0;
    unsigned cp = c & (0x3Fu >> need);
    for (size_t k = 1; k <= need; k++) {
        if ((p[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    *cp_out = cp;
    return need + 1;
}

size_t utf8_seq(const char *s, size_t n)
{
    uint32_t cp;
    return utf8_decode(s, n, &cp);
}

long utf8_invalid_at(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(s + i, n - i);
        if (!k)
            return (long)i;
        i += k;
    }
    return -1;
}

long utf8_bidi_control_at(const char *s)
{
    /* U+202A..U+202E are E2 80 AA..AE; U+2066..U+2069 are E2 81 A6..A9. */
    for (const unsigned char *p = (const unsigned char *)s;
         (p = (const unsigned char *)strchr((const char *)p, '\xE2')); p++) {
        if ((p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) ||
            (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9))
            return (long)((const char *)p - s);
    }
    return -1;
}

char *utf8_scrub(struct arena *a, const char *s)
{
    size_t n = strlen(s);
    if (utf8_invalid_at(s, n) < 0)
        return (char *)s;
    /* Every invalid byte becomes U+FFFD (3 bytes), so 3n bounds the copy. */
    char *out = arena_alloc(a, mem_size_add(mem_size_mul(n, 3), 1)), *o = out;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);
        if (k) {
            memcpy(o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    *o = '\0';
    return out;
}

size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

size_t utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    /* Back up over continuation bytes to the start of the character that does not fit. */
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

int utf8_check_field(const char *v, const char *field, size_t min, size_t max, struct err *err)
{
    size_t n = v ? utf8_len(v) : 0;
    if ((v && utf8_invalid_at(v, strlen(v)) >= 0) || n < min || n > max)
        return err_field(err, ERR_BAD_REQUEST, field, "field '%s' must be %zu to %zu characters",
                         field, min, max);
    return 0;
}
