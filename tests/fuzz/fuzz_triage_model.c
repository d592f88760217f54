/*
 * libFuzzer target: the triage model loader. Any bytes must give a model or ERR_BAD_REQUEST;
 * a model that loads must classify without reading out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"
#include "triage/triage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    struct triage_model *m = NULL;
    int rc = triage_model_parse(data, size, &m, &err);
    if (rc != 0 && (rc != ERR_BAD_REQUEST || m))
        abort();
    if (m) {
        struct triage_result r;
        triage_classify(m, "小区 停水 三天, 路灯不亮 13800138000", &r);
        if (r.label < 0 || r.label >= triage_model_nlabels(m) || r.ntop < 1)
            abort();
        triage_model_free(m);
    }
    return 0;
}
