/*
 * libFuzzer target: what an upload meets first. attach_sniff (type and header on any bytes)
 * and, when the header passes, attach_decode: libgd's decoders behind the pixel limit, the
 * JPEG end check and the thumbnail. The pixel limit is kept small so each run stays fast.
 */
#include <stdint.h>
#include <stdlib.h>

#include "attach/attach.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct attach_limits lim = {4u << 20, 1000000, 1, 1};
    struct attach_info info;
    struct attach_thumb thumb;
    struct err err = ERR_INIT;
    int rc = attach_sniff(data, size, &info, &err);
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
