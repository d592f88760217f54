/*
 * libFuzzer target: backup manifests (manifest.json of a backup directory, read by gridloop
 * restore). Any bytes go through app_backup_manifest_parse(); the only outcomes allowed are
 * success or ERR_BAD_REQUEST, and a manifest that parses must write back to JSON that parses
 * to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/err.h"
#include "core/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct app_backup_manifest m, again;
    struct arena a;
    struct err err = ERR_INIT;
    arena_init(&a, 1024);
    int rc = app_backup_manifest_parse((const char *)data, size, &a, &m, &err);
    if (rc != 0 && rc != ERR_BAD_REQUEST)
        abort();
    if (rc == 0) {
        char *json = app_backup_manifest_json(&m);
        if (app_backup_manifest_parse(json, strlen(json), &a, &again, &err) != 0 ||
            again.cases != m.cases || again.audit_seq != m.audit_seq ||
            strcmp(again.audit_hash, m.audit_hash) != 0 || strcmp(again.source, m.source) != 0 ||
            again.files[APP_BACKUP_DATABASE].size != m.files[APP_BACKUP_DATABASE].size)
            abort();
        free(json);
    }
    arena_release(&a);
    return 0;
}
