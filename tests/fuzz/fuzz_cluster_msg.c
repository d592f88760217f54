/*
 * libFuzzer target: messages on the nodes' channel (src/app/app_cluster.c), which anyone
 * allowed to connect to the database could send. Any bytes (up to the first NUL, as
 * PostgreSQL delivers a payload) go through app_cluster_msg_parse(); the only outcomes
 * allowed are success or ERR_BAD_REQUEST, and the ids of a parsed message are all read
 * without leaving the payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = malloc(size + 1);
    memcpy(p, data, size);
    p[size] = 0;
    struct app_cluster_msg m;
    int rc = app_cluster_msg_parse(p, &m);
    if (rc != 0 && rc != ERR_BAD_REQUEST)
        abort();
    if (rc == 0) {
        int64_t id;
        const char *ids = m.ids;
        if (ids < p || ids > p + size)
            abort();
        if (m.kind != APP_MSG_SESSION && m.kind != APP_MSG_WAKE) {
            int n = 0;
            while (app_cluster_msg_next_id(&ids, &id)) {
                if (id < 0 || ids > p + size)
                    abort();
                n++;
            }
            if (n == 0 || *ids)
                abort(); /* a parsed list is read to its end */
        }
    }
    free(p);
    return 0;
}
