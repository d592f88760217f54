/*
 * libFuzzer target: configuration files. The bytes are written to a temporary file and
 * read with conf_load_file(); any outcome but success or a bad-request error is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/gridloop-fuzz-conf-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    struct conf c;
    struct err err = ERR_INIT;
    conf_defaults(&c);
    int rc = conf_load_file(&c, path, &err);
    unlink(path);
    conf_release(&c);
    if (rc != 0 && rc != ERR_BAD_REQUEST)
        abort();
    return 0;
}
