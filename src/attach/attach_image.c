/*
 * Decoding and thumbnails with libgd (JPEG, PNG, GIF and WebP readers, a JPEG writer and a
 * resampling copy, in one small C library Debian ships as libgd-dev). The limits are checked
 * on the header before libgd sees the bytes: libgd itself would allocate whatever a header
 * claims.
 */
#include <gd.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attach.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"

#define THUMB_QUALITY 82

/* libgd reports through one process-wide callback that prints to stderr by default; its
 * complaints about a bad upload are the uploader's problem, so they go to the debug log. */
static void gd_quiet(int priority, const char *fmt, va_list ap)
{
    char line[256];
    (void)priority;
    if (!log_enabled(LOG_DEBUG))
        return;
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_write(LOG_DEBUG, "libgd: %s", line);
}

static pthread_once_t gd_once = PTHREAD_ONCE_INIT;

static void gd_setup(void)
{
    gdSetErrorMethod(gd_quiet);
}

/*
 * 1 if a JPEG has its end marker after the first scan. libjpeg treats a file cut short as a
 * warning and fills the missing rows with grey, so libgd would accept half a photo. The
 * segments before the scan are skipped by their lengths, so the end marker of an embedded
 * Exif thumbnail does not count.
 */
static int jpeg_complete(const unsigned char *p, size_t n)
{
    size_t at = 2;
    while (at + 4 <= n && p[at] == 0xFF) {
        unsigned m = p[at + 1];
        if (m == 0xFF) {
            at++;
            continue;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) {
            at += 2;
            continue;
        }
        size_t seg = (size_t)p[at + 2] << 8 | p[at + 3];
        if (seg < 2)
            return 0;
        at += 2 + seg;
        if (m == 0xDA)
            return at <= n && memmem(p + at, n - at, "\xFF\xD9", 2) != NULL;
    }
    return 0;
}

/* A new image showing 'src' as EXIF 'orientation' says it should be seen (1..8). */
static gdImagePtr orient(gdImagePtr src, int orientation)
{
    int w = gdImageSX(src), h = gdImageSY(src);
    int turned = orientation >= 5;
    gdImagePtr dst = gdImageCreateTrueColor(turned ? h : w, turned ? w : h);
    if (!dst)
        return NULL;
    for (int y = 0; y < gdImageSY(dst); y++) {
        for (int x = 0; x < gdImageSX(dst); x++) {
            int sx, sy;
            switch (orientation) {
            case 2:
                sx = w - 1 - x;
                sy = y;
                break; /* mirrored */
            case 3:
                sx = w - 1 - x;
                sy = h - 1 - y;
                break; /* upside down */
            case 4:
                sx = x;
                sy = h - 1 - y;
                break; /* mirrored vertically */
            case 5:
                sx = y;
                sy = x;
                break; /* transposed */
            case 6:
                sx = y;
                sy = h - 1 - x;
                break; /* turn clockwise */
            case 7:
                sx = w - 1 - y;
                sy = h - 1 - x;
                break; /* transversed */
            case 8:
                sx = w - 1 - y;
                sy = x;
                break; /* turn anticlockwise */
            default:
                sx = x;
                sy = y;
                break;
            }
            dst->tpixels[y][x] = src->tpixels[sy][sx];
        }
    }
    return dst;
}

static int make_thumb(gdImagePtr im, int orientation, struct attach_thumb *out, struct err *err)
{
    int sw = gdImageSX(im), sh = gdImageSY(im), tw = sw, th = sh;
    gdImagePtr t = NULL, o = NULL;
    int rc = 0;
    if (sw > ATTACH_THUMB_MAX || sh > ATTACH_THUMB_MAX) {
        if (sw >= sh) {
            tw = ATTACH_THUMB_MAX;
            th = (int)(((int64_t)sh * ATTACH_THUMB_MAX + sw / 2) / sw);
        } else {
            th = ATTACH_THUMB_MAX;
            tw = (int)(((int64_t)sw * ATTACH_THUMB_MAX + sh / 2) / sh);
        }
        tw = tw < 1 ? 1 : tw;
        th = th < 1 ? 1 : th;
    }
    if (!(t = gdImageCreateTrueColor(tw, th))) {
        rc = err_set(err, ERR_INTERNAL, "cannot create a %dx%d thumbnail", tw, th);
        goto out;
    }
    /* Transparent parts (PNG, GIF) come out white: JPEG has no alpha. */
    gdImageAlphaBlending(t, 1);
    gdImageFilledRectangle(t, 0, 0, tw - 1, th - 1, gdTrueColor(255, 255, 255));
    gdImageCopyResampled(t, im, 0, 0, 0, 0, tw, th, sw, sh);
    if (orientation > 1 && orientation <= 8) {
        if (!(o = orient(t, orientation))) {
            rc = err_set(err, ERR_INTERNAL, "cannot turn the thumbnail");
            goto out;
        }
        gdImageDestroy(t);
        t = o;
    }
    int size = 0;
    void *jpeg = gdImageJpegPtr(t, &size, THUMB_QUALITY);
    if (!jpeg || size <= 0) {
        gdFree(jpeg);
        rc = err_set(err, ERR_INTERNAL, "cannot encode the thumbnail");
        goto out;
    }
    out->data = xmalloc((size_t)size);
    memcpy(out->data, jpeg, (size_t)size);
    out->len = (size_t)size;
    out->width = gdImageSX(t);
    out->height = gdImageSY(t);
    gdFree(jpeg);
out:
    if (t)
        gdImageDestroy(t);
    return rc;
}

int attach_decode(const void *data, size_t len, const struct attach_limits *lim,
                  struct attach_info *info, struct attach_thumb *thumb, struct err *err)
{
    gdImagePtr im = NULL;
    int rc;
    memset(thumb, 0, sizeof(*thumb));
    if (len > lim->max_bytes || len > INT_MAX)
        return err_set(err, ERR_TOO_LARGE, "the file is %zu bytes; at most %zu are accepted", len,
                       lim->max_bytes);
    if ((rc = attach_sniff(data, len, info, err)) < 0)
        return rc;
    if ((int64_t)info->width * info->height > lim->max_pixels)
        return err_set(
            err, ERR_TOO_LARGE,
            "the image claims %dx%d pixels; at most %lld pixels (%.0f megapixels) are accepted",
            info->width, info->height, (long long)lim->max_pixels, (double)lim->max_pixels / 1e6);
    pthread_once(&gd_once, gd_setup);
    void *bytes =
        (void *)(uintptr_t)data; /* libgd's readers take a non-const pointer but only read */
    switch (info->kind) {
    case ATTACH_JPEG:
        if (!jpeg_complete(data, len))
            return err_set(err, ERR_BAD_REQUEST,
                           "the JPEG image is truncated (no end marker after its scan)");
        im = gdImageCreateFromJpegPtrEx((int)len, bytes, 0);
        break;
    case ATTACH_PNG: im = gdImageCreateFromPngPtr((int)len, bytes); break;
    case ATTACH_GIF: im = gdImageCreateFromGifPtr((int)len, bytes); break;
    case ATTACH_WEBP: im = gdImageCreateFromWebpPtr((int)len, bytes); break;
    case ATTACH_NONE: BUG("attach_sniff accepted a file of no known kind");
    }
    if (!im)
        return err_set(err, ERR_BAD_REQUEST, "the %s image does not decode (damaged or truncated)",
                       info->mime);
    /* The header was checked, but the decoder has the last word on what it built. */
    if ((int64_t)gdImageSX(im) * gdImageSY(im) > lim->max_pixels) {
        rc = err_set(err, ERR_TOO_LARGE, "the image has more than %lld pixels",
                     (long long)lim->max_pixels);
        goto out;
    }
    rc = make_thumb(im, info->orientation, thumb, err);
out:
    gdImageDestroy(im);
    return rc;
}

void attach_thumb_release(struct attach_thumb *t)
{
    free(t->data);
    memset(t, 0, sizeof(*t));
}
