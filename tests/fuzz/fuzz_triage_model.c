/*
 * libFuzzer target: the triage model loader. Any bytes must give a model or ERR_BAD_REQUEST;
 * a model that loads must classify without reading out of bounds. Each input is tried as
 * given and with its checksum made right, so the fuzzer also reaches the checks behind it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "triage/triage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_parse(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    struct triage_model *m = NULL;
    int rc = triage_model_parse(data, size, &m, &err);
    if (rc != 0 && (rc != ERR_BAD_REQUEST || m))
        abort();
    if (m) {
        struct triage_result r;
        triage_classify(m, "小区 停水 三天, 路灯不亮 13800138000", &r);
        if (r.label < 0 || r.label >= triage_model_nlabels(m) || r.ntop < 1 || r.nwhy > TRIAGE_WHY)
            abort();
        triage_model_free(m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try_parse(data, size);
    if (size >= 16) {
        uint8_t *copy = malloc(size);
        memcpy(copy, data, size);
        /* The format's trailer: FNV-1a 64 of everything before it, little-endian. */
        uint64_t h = 0xCBF29CE484222325ULL;
        for (size_t i = 0; i < size - 8; i++)
            h = (h ^ copy[i]) * 0x100000001B3ULL;
        for (int i = 0; i < 8; i++)
            copy[size - 8 + (size_t)i] = (uint8_t)(h >> (8 * i));
        try_parse(copy, size);
        free(copy);
    }
    return 0;
}
