/*
 * libFuzzer target: request framing from Content-Length / Transfer-Encoding values
 * (http_head.c) and the query parameter count. The input is split at the first two '\n' into
 * the Content-Length value, the Transfer-Encoding value and a request target (an empty part
 * is an absent header). A decision must be one of the statuses the server answers, an
 * accepted request must be framed one way only, and an accepted length must be the value
 * every element of the list states.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *te = strchr(text, '\n');
    char *uri = NULL;
    if (te) {
        *te++ = '\0';
        uri = strchr(te, '\n');
        if (uri)
            *uri++ = '\0';
    }
    const char *cl = *text ? text : NULL;
    if (te && !*te)
        te = NULL;
    struct http_framing f;
    int status = http_framing_decide(cl, te, size && (data[0] & 1), &f);
    if (status != f.status || (status != 0 && status != 400 && status != 501))
        abort();
    if (status == 0) {
        if (f.chunked && f.has_length)
            abort();
        if (f.chunked != (te != NULL) || f.has_length != (cl != NULL))
            abort();
        if (!f.chunked && !f.has_length && f.length)
            abort();
    } else if (!f.why || !*f.why) {
        abort();
    }
    if (uri) {
        size_t n = http_query_count(uri);
        size_t amps = 0;
        const char *q = strchr(uri, '?');
        for (const char *p = q; p && *p && *p != ' '; p++)
            amps += *p == '&';
        if (n != (q ? amps + 1 : 0))
            abort();
    }
    free(text);
    return 0;
}
