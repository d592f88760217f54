/*
 * Folding of citizen text for matching. Kept apart from triage_normalize() (the classifier's
 * normaliser) because matching wants digits and punctuation positions intact.
 */
#include "triage/triage_internal.h"

static uint32_t fold(uint32_t c)
{
    if (c >= 0xFF01 && c <= 0xFF5E) /* full-width ASCII block */
        c -= 0xFEE0;
    if (c == 0x3000 || c == '\t' || c == '\n' || c == '\r' || c == 0xA0)
        c = ' ';
    if (c >= 'A' && c <= 'Z')
        c += 'a' - 'A';
    return c;
}

uint32_t triage_fold_next(const char *in, size_t n, size_t *pos)
{
    const unsigned char *s = (const unsigned char *)in;
    while (*pos < n) {
        size_t i = *pos;
        unsigned char b = s[i];
        uint32_t c;
        size_t len;
        if (b < 0x80) {
            c = b;
            len = 1;
        } else if (b >= 0xC2 && b <= 0xDF) {
            c = b & 0x1Fu;
            len = 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            c = b & 0x0Fu;
            len = 3;
        } else if (b >= 0xF0 && b <= 0xF4) {
            c = b & 0x07u;
            len = 4;
        } else {
            (*pos)++;
            continue;
        }
        if (i + len > n) {
            (*pos)++;
            continue;
        }
        size_t k;
        for (k = 1; k < len && (s[i + k] & 0xC0) == 0x80; k++)
            c = (c << 6) | (s[i + k] & 0x3Fu);
        /* Truncated sequences, overlongs, surrogates and beyond U+10FFFF are skipped whole
         * up to the bad byte, so a stray byte never swallows the next good character. */
        if (k < len || (len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
            (c >= 0xD800 && c <= 0xDFFF)) {
            *pos = i + (k > 1 ? k : 1);
            continue;
        }
        *pos = i + len;
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            continue;
        if (c == 0x7F)
            continue;
        return fold(c);
    }
    return 0;
}

size_t triage_fold_utf8(const char *in, char *out, size_t cap)
{
    size_t n = 0, pos = 0, len = 0;
    uint32_t c;
    if (cap == 0)
        return 0;
    while (in[len])
        len++;
    while ((c = triage_fold_next(in, len, &pos)) != 0) {
        char e[4];
        size_t k;
        if (c < 0x80) {
            e[0] = (char)c;
            k = 1;
        } else if (c < 0x800) {
            e[0] = (char)(0xC0 | (c >> 6));
            e[1] = (char)(0x80 | (c & 0x3F));
            k = 2;
        } else if (c < 0x10000) {
            e[0] = (char)(0xE0 | (c >> 12));
            e[1] = (char)(0x80 | ((c >> 6) & 0x3F));
            e[2] = (char)(0x80 | (c & 0x3F));
            k = 3;
        } else {
            e[0] = (char)(0xF0 | (c >> 18));
            e[1] = (char)(0x80 | ((c >> 12) & 0x3F));
            e[2] = (char)(0x80 | ((c >> 6) & 0x3F));
            e[3] = (char)(0x80 | (c & 0x3F));
            k = 4;
        }
        if (n + k + 1 > cap)
            break;
        for (size_t j = 0; j < k; j++)
            out[n++] = e[j];
    }
    out[n] = '\0';
    return n;
}

size_t triage_fold_cps(const char *in, uint32_t *out, size_t cap)
{
    size_t n = 0, pos = 0, len = 0;
    uint32_t c;
    while (in[len])
        len++;
    while (n < cap && (c = triage_fold_next(in, len, &pos)) != 0)
        out[n++] = c;
    return n;
}

int triage_is_han(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF);
}

int triage_is_word(uint32_t c)
{
    return triage_is_han(c) || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
