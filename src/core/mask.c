#include "core/mask.h"

#include <string.h>

void mask_phone(const char *phone, char *out, size_t n)
{
    size_t len = strlen(phone);
    if (n == 0)
        return;
    if (len == 0) {
        out[0] = '\0';
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < n; i++) {
        int keep = len >= 7 ? (i < 3 || i >= len - 4) : i >= len - (len > 2 ? 2 : len);
        out[o++] = keep ? phone[i] : '*';
    }
    out[o] = '\0';
}

void mask_name(const char *name, char *out, size_t n)
{
    size_t o = 0, chars = 0;
    if (n == 0)
        return;
    for (const unsigned char *p = (const unsigned char *)name; *p;) {
        size_t len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : 4;
        if (chars == 0) {
            for (size_t k = 0; k < len && p[k] && o + 1 < n; k++)
                out[o++] = (char)p[k];
        } else if (o + 1 < n) {
            out[o++] = '*';
        }
        for (size_t k = 0; k < len && *p; k++)
            p++;
        chars++;
    }
    out[o] = '\0';
}
