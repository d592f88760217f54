/*
 * libFuzzer target: signed audit heads (src/audit/audit.c), which `gridloop audit verify
 * --head` reads from a file or a log anyone may have edited. Any bytes go through
 * audit_anchor_parse(); the only outcomes allowed are success or ERR_BAD_REQUEST naming the
 * field "head", and a parsed head has a 64-digit hash and non-negative numbers. Its
 * signature is checked (against its own key) to run that path on whatever was parsed.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (sodium_init() < 0)
            abort();
        ready = 1;
    }
    struct audit_anchor a;
    struct err err = ERR_INIT;
    int rc = audit_anchor_parse((const char *)data, size, &a, &err);
    if (rc != 0 && (rc != ERR_BAD_REQUEST || strcmp(err.field, "head") != 0))
        abort();
    if (rc == 0) {
        if (a.seq < 0 || a.at < 0 || strlen(a.hash) != 64)
            abort();
        (void)audit_anchor_signed_by(&a, a.public_key);
    }
    return 0;
}
