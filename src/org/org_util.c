/*
 * Shared helpers of the org module: text checks and list building.
 */
#include "org/org_internal.h"

#include <string.h>

#include "core/err.h"
#include "core/utf8.h"

int org_check_text(const char *s, const char *field, size_t max_cp, int required,
                   struct err *err)
{
    size_t n;
    int blank = 1;

    if (!s)
        s = "";
    n = strlen(s);
    if (utf8_invalid_at(s, n) >= 0)
        return err_field(err, ERR_BAD_REQUEST, field, "%s is not valid UTF-8", field);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        /* Tabs and newlines too: these are one-line labels shown in lists and exports. */
        if (ch < 0x20 || ch == 0x7f)
            return err_field(err, ERR_BAD_REQUEST, field, "%s contains a control character",
                             field);
        if (ch != ' ')
            blank = 0;
    }
    if (required && blank)
        return err_field(err, ERR_BAD_REQUEST, field, "%s is required", field);
    if (utf8_len(s) > max_cp)
        return err_field(err, ERR_BAD_REQUEST, field, "%s is longer than %zu characters", field,
                         max_cp);
    return 0;
}

int org_conflict(int rc, struct err *err, const char *what)
{
    if (rc == ERR_CONFLICT)
        return err_set(err, ERR_CONFLICT, "%s", what);
    return rc;
}
