/*
 * libFuzzer target: the CSV reader of src/tabular (encoding detection, GB18030 conversion,
 * RFC 4180 quoting, the limits), with the checks of tabular_check.h.
 */
#include "tabular_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Small limits, so that the fuzzer reaches them. */
    const struct tabular_limits lim = {.max_cols = 16, .max_cell = 64, .max_rows = 64};
    tabular_check(data, size, "csv", &lim);
    return 0;
}
