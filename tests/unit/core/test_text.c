/* utf8, mask, clock parsing, buf and arena: the small pure pieces. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/mask.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "test.h"

TEST(utf8_validation)
{
    static const struct {
        const char *s;
        long want;
    } rows[] = {
        {"hello", -1},
        {"市民投诉", -1},
        {"\xF0\x9F\x98\x80", -1}, /* emoji */
        {"ab\xC0\xAF", 2},        /* overlong '/' */
        {"\xED\xA0\x80", 0},      /* surrogate */
        {"ok\xE5\xB8", 2},        /* truncated */
        {"\xF4\x90\x80\x80", 0},  /* above U+10FFFF */
        {"\x80", 0},              /* lone continuation */
        {"a\xFF", 1},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
        CHECK_INT_EQ(utf8_invalid_at(rows[i].s, strlen(rows[i].s)), rows[i].want, "row %zu", i);
    CHECK_INT_EQ(utf8_len("市民a"), 3, "code points");
}

TEST(utf8_decode_code_points)
{
    static const struct {
        const char *s;
        size_t len;
        uint32_t cp;
    } rows[] = {
        {"a", 1, 'a'},
        {"\xC3\xA9", 2, 0xE9},
        {"\xE5\xB8\x82", 3, 0x5E02}, /* 市 */
        {"\xF0\x9F\x98\x80", 4, 0x1F600},
        {"\xED\xA0\x80", 0, 7}, /* a surrogate: cp untouched */
        {"\xE5\xB8", 0, 7},     /* truncated */
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        uint32_t cp = 7;
        CHECK_INT_EQ(utf8_decode(rows[i].s, strlen(rows[i].s), &cp), rows[i].len, "row %zu", i);
        CHECK_INT_EQ(cp, rows[i].cp, "code point of row %zu", i);
        CHECK_INT_EQ(utf8_seq(rows[i].s, strlen(rows[i].s)), rows[i].len, "seq of row %zu", i);
    }
}

TEST(mask_personal_data)
{
    static const struct {
        const char *in, *phone, *name;
    } rows[] = {
        {"13800138000", "138****8000", "1**********"},
        {"", "", ""},
        {"12345", "***45", "1****"},
        {"张三丰", "", "张**"},
    };
    char out[64];
    for (size_t i = 0; i < 3; i++) {
        mask_phone(rows[i].in, out, sizeof(out));
        CHECK_STR_EQ(out, rows[i].phone, "phone row %zu", i);
    }
    mask_name("张三丰", out, sizeof(out));
    CHECK_STR_EQ(out, "张**", "name");
}

/* The hand-written formatter against the C library's, over dates from 1900 to 2200 (a
 * pseudo-random walk of seconds, so every field takes many values) and the edges. */
TEST(clock_format_matches_gmtime)
{
    int64_t t = -2208988800; /* 1900-01-01 */
    uint64_t x = 88172645463325252u;
    int n = 0;
    while (t < 7258118400) { /* 2200-01-01 */
        char got[32], want[32];
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
        clock_format_utc(t, got);
        CHECK_STR_EQ(got, want, "t = %lld", (long long)t);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t += (int64_t)(x % 400000) + 1;
        n++;
    }
    CHECK(n > 20000, "walked %d dates", n);
    char out[32];
    clock_format_utc(0, out);
    CHECK_STR_EQ(out, "1970-01-01T00:00:00Z", "epoch");
    clock_format_utc(253402300799, out);
    CHECK_STR_EQ(out, "9999-12-31T23:59:59Z", "last four-digit year");
    clock_format_utc(253402300800, out);
    CHECK_STR_EQ(out, "10000-01-01T00:00:00Z", "five-digit year");
}

TEST(clock_rfc3339)
{
    static const struct {
        const char *s;
        int ok;
        int64_t want;
    } rows[] = {
        {"1970-01-01T00:00:00Z", 1, 0},
        {"2026-11-25T09:19:22Z", 1, 1795598362},
        {"2026-11-25T17:19:22+08:00", 1, 1795598362},
        {"2026-11-25T09:19:22.123Z", 1, 1795598362},
        {"2026-11-25", 1, 1795564800},
        {"2024-02-29T00:00:00Z", 1, 1709164800},
        {"2026-02-29T00:00:00Z", 0, 0},
        {"2026-13-01T00:00:00Z", 0, 0},
        {"2026-11-25T09:19:22", 0, 0},
        {"2026-11-25T25:00:00Z", 0, 0},
        {"yesterday", 0, 0},
        {"2026-11-25T09:19:22Zjunk", 0, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        int64_t t = -1;
        int rc = clock_parse_rfc3339(rows[i].s, &t);
        CHECK_INT_EQ(rc == 0, rows[i].ok, "row %zu: %s", i, rows[i].s);
        if (rows[i].ok)
            CHECK_INT_EQ(t, rows[i].want, "row %zu: %s", i, rows[i].s);
    }
    char out[32];
    clock_format_utc(1795598362, out);
    CHECK_STR_EQ(out, "2026-11-25T09:19:22Z", "format");
    struct clock c = clock_fixed(42);
    CHECK_INT_EQ(clock_now(&c), 42, "fixed clock");
}

TEST(buf_and_json_escape)
{
    struct buf b;
    buf_init(&b);
    CHECK_STR_EQ(b.p, "", "empty buf is a valid string");
    buf_json_str(&b, "a\"b\\c\n\x01市");
    CHECK_STR_EQ(b.p, "\"a\\\"b\\\\c\\n\\u0001市\"", "escaped");
    buf_reset(&b);
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%d,", i);
    CHECK_INT_EQ(b.len, strlen(b.p), "length tracks content");
    size_t n;
    char *p = buf_detach(&b, &n);
    CHECK_INT_EQ(n, 3890, "detached length");
    free(p);
    buf_release(&b);
}

/* What buf_json_str() must write, one character at a time through utf8_seq(): the fast
 * path for three-byte sequences has to agree with it on every byte string. */
static void json_str_reference(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (const char *c = s; *c;) {
        unsigned char u = (unsigned char)*c;
        size_t k = u >= 0x80 ? utf8_seq(c, 4) : 1;
        if (!k) {
            buf_puts(b, "\\ufffd");
            c++;
        } else if (u == '"' || u == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)u);
            c++;
        } else if (u < 0x20) {
            const char *named = u == '\n' ? "\\n" : u == '\r' ? "\\r" : u == '\t' ? "\\t" : NULL;
            if (named)
                buf_puts(b, named);
            else
                buf_printf(b, "\\u%04x", u);
            c++;
        } else {
            buf_append(b, c, k);
            c += k;
        }
    }
    buf_putc(b, '"');
}

TEST(json_escape_agrees_with_utf8_seq_on_every_sequence)
{
    /* Every lead byte, followed by every byte, then by a few that matter (continuation bytes
     * at each end, ASCII, a quote, NUL as the end), in the middle of text and at its end. */
    static const unsigned char thirds[] = {0x00, 0x80, 0xBF, 0xC0, 'a', '"', 0x9F, 0xA0};
    struct buf got, want;
    buf_init(&got);
    buf_init(&want);
    int compared = 0;
    for (int lead = 1; lead < 256; lead++)
        for (int second = 0; second < 256; second++)
            for (size_t t = 0; t < sizeof(thirds); t++)
                for (int tail = 0; tail < 2; tail++) {
                    char s[8] = {'x', (char)lead, (char)second, (char)thirds[t], 0};
                    if (tail && second && thirds[t]) {
                        s[4] = (char)0x80;
                        s[5] = 'y';
                    }
                    buf_reset(&got);
                    buf_reset(&want);
                    buf_json_str(&got, s);
                    json_str_reference(&want, s);
                    if (strcmp(got.p, want.p) != 0) {
                        CHECK_STR_EQ(got.p, want.p, "bytes %02x %02x %02x", lead, second,
                                     thirds[t]);
                        goto out;
                    }
                    compared++;
                }
    CHECK_INT_EQ(compared, 255 * 256 * (int)sizeof(thirds) * 2, "every string compared");
    buf_reset(&got);
    buf_json_str(&got, "市\xE5\xB8");
    CHECK_STR_EQ(got.p, "\"市\\ufffd\\ufffd\"", "a sequence cut at the end is two bad bytes");
out:
    buf_release(&got);
    buf_release(&want);
}

TEST(arena_alignment_and_large_blocks)
{
    struct arena a;
    arena_init(&a, 64);
    char *s = arena_strdup(&a, "hello");
    double *d = arena_alloc(&a, sizeof(double) * 3);
    CHECK(((uintptr_t)d % _Alignof(max_align_t)) == 0, "aligned");
    char *big = arena_alloc(&a, 10000);
    memset(big, 1, 10000);
    CHECK_STR_EQ(s, "hello", "earlier allocation intact");
    CHECK_STR_EQ(arena_printf(&a, "%d-%s", 7, "x"), "7-x", "printf");
    arena_release(&a);
}

TEST(utf8_prefix_cuts_between_characters)
{
    const char *s = "井盖aé丢失"; /* 3 + 3 + 1 + 2 + 3 + 3 bytes */
    CHECK_INT_EQ(utf8_prefix(s, 100), strlen(s), "short enough: all of it");
    CHECK_INT_EQ(utf8_prefix(s, 6), 6, "exactly two characters");
    CHECK_INT_EQ(utf8_prefix(s, 5), 3, "not half of the second");
    CHECK_INT_EQ(utf8_prefix(s, 8), 7, "é does not fit in 8");
    CHECK_INT_EQ(utf8_prefix(s, 9), 9, "é fits in 9");
    CHECK_INT_EQ(utf8_prefix(s, 0), 0, "nothing");
    CHECK_INT_EQ(utf8_prefix("", 3), 0, "empty");
}
