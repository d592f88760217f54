/*
 * libFuzzer target: the XLSX reader of src/tabular (libzip, libxml2's reader over the workbook,
 * its relationships, shared strings, styles and the first sheet), with the checks of
 * tabular_check.h.
 */
#include "tabular_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct tabular_limits lim = {
        .max_cols = 32, .max_cell = 256, .max_rows = 256, .max_unzipped = 1 << 20};
    tabular_check(data, size, "xlsx", &lim);
    return 0;
}
