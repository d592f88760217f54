/*
 * libFuzzer target: what an upload meets first. attach_check (size, type, pixels from the
 * header and the hash, before any decoding: it must agree with attach_sniff and name the
 * field "file" when it refuses), attach_sniff (type and header on any bytes) and, when the
 * header passes, attach_decode: libgd's decoders behind the pixel limit, the JPEG end check
 * and the thumbnail. The pixel limit is kept small so each run stays fast.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach/attach.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct attach_limits lim = {4u << 20, 1000000, 1, 1};
    static struct attach_store *st;
    struct attach_info info;
    struct attach_thumb thumb;
    struct attach_file file;
    struct err err = ERR_INIT;
    if (!st) {
        char dir[64];
        snprintf(dir, sizeof(dir), "/tmp/fuzz-attach-%d", (int)getpid());
        if (attach_store_open(&st, dir, &lim, &err) < 0)
            abort();
    }
    int checked = attach_check(st, data, size, &file, &err);
    if (checked < 0 && strcmp(err.field, "file") != 0)
        abort();
    err_clear(&err);
    int rc = attach_sniff(data, size, &info, &err);
    /* The check passes exactly when the header does and its size and pixels are within the
     * limits; then it names the content by a 64-digit hash. */
    int within =
        rc == 0 && size <= lim.max_bytes && (int64_t)info.width * info.height <= lim.max_pixels;
    if ((checked == 0) != within ||
        (checked == 0 && (strlen(file.sha256) != 64 || file.size != size)))
        abort();
    if (rc == 0 && (info.width <= 0 || info.height <= 0 || !info.mime || info.orientation < 1 ||
                    info.orientation > 8))
        abort();
    if (rc != 0 && rc != ERR_MEDIA_TYPE && rc != ERR_BAD_REQUEST)
        abort();
    if (rc < 0)
        return 0;
    rc = attach_decode(data, size, &lim, &info, &thumb, &err);
    if (rc == 0) {
        if (!thumb.data || !thumb.len || thumb.width < 1 || thumb.height < 1 ||
            thumb.width > ATTACH_THUMB_MAX || thumb.height > ATTACH_THUMB_MAX)
            abort();
        attach_thumb_release(&thumb);
    } else if (thumb.data || (rc != ERR_BAD_REQUEST && rc != ERR_TOO_LARGE)) {
        abort();
    }
    return 0;
}
