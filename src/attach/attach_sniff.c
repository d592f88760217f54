/*
 * Type detection and header reading: what a file is and how many pixels it claims, from its
 * first bytes only. Every read is bounds-checked against the length; nothing is allocated, so
 * this is the first thing untrusted bytes meet (and the fuzz target's main entry).
 */
#include <stdint.h>
#include <string.h>

#include "attach/attach.h"
#include "core/err.h"

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[1] << 8 | p[0];
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le24(const unsigned char *p)
{
    return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | le24(p);
}

static int malformed(struct err *err, const char *what)
{
    return err_set(err, ERR_BAD_REQUEST,
                   "the file starts like a %s image but its header is truncated or malformed",
                   what);
}

/* Orientation tag (0x0112) of IFD0 in an Exif APP1 payload ("Exif\0\0" + TIFF); 1 if absent. */
static int exif_orientation(const unsigned char *p, size_t n)
{
    if (n < 6 + 8 || memcmp(p, "Exif\0\0", 6) != 0)
        return 1;
    p += 6;
    n -= 6;
    int big = p[0] == 'M' && p[1] == 'M';
    if (!big && !(p[0] == 'I' && p[1] == 'I'))
        return 1;
#define U16(q) (big ? be16(q) : le16(q))
#define U32(q) (big ? be32(q) : le32(q))
    if (U16(p + 2) != 42)
        return 1;
    uint32_t ifd = U32(p + 4);
    if (ifd > n || n - ifd < 2)
        return 1;
    unsigned count = U16(p + ifd);
    for (unsigned i = 0; i < count; i++) {
        size_t at = (size_t)ifd + 2 + (size_t)i * 12;
        if (at + 12 > n)
            return 1;
        /* SHORT (type 3), one value, held in the first two bytes of the value field. */
        if (U16(p + at) == 0x0112 && U16(p + at + 2) == 3 && U32(p + at + 4) == 1) {
            unsigned v = U16(p + at + 8);
            return v >= 1 && v <= 8 ? (int)v : 1;
        }
    }
    return 1;
#undef U16
#undef U32
}

/* Walk the marker segments up to the first frame header (SOFn). */
static int sniff_jpeg(const unsigned char *p, size_t n, struct attach_info *out, struct err *err)
{
    size_t at = 2;
    out->orientation = 1;
    for (;;) {
        if (at >= n || p[at] != 0xFF)
            return malformed(err, "JPEG");
        while (at < n && p[at] == 0xFF) /* fill bytes */
            at++;
        if (at >= n)
            return malformed(err, "JPEG");
        unsigned m = p[at++];
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) /* TEM, RSTn, SOI: no length */
            continue;
        if (m == 0xD9 || m == 0xDA || m == 0x00) /* EOI or scan data before any frame */
            return malformed(err, "JPEG");
        if (at + 2 > n)
            return malformed(err, "JPEG");
        size_t seg = be16(p + at);
        if (seg < 2 || at + seg > n)
            return malformed(err, "JPEG");
        const unsigned char *d = p + at + 2;
        size_t dn = seg - 2;
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (dn < 6)
                return malformed(err, "JPEG");
            out->height = (int)be16(d + 1);
            out->width = (int)be16(d + 3);
            /* A height of 0 (defined later by a DNL marker) is legal JPEG but nothing a phone
             * writes; refusing it keeps the pixel limit checkable before decoding. */
            if (!out->width || !out->height)
                return malformed(err, "JPEG");
            return 0;
        }
        if (m == 0xE1 && out->orientation == 1)
            out->orientation = exif_orientation(d, dn);
        at += seg;
    }
}

static int sniff_webp(const unsigned char *p, size_t n, struct attach_info *out, struct err *err)
{
    const unsigned char *c = p + 12, *d = p + 20;
    if (n < 30)
        return malformed(err, "WebP");
    if (memcmp(c, "VP8 ", 4) == 0) {
        /* Lossy: 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height. */
        if (d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a)
            return malformed(err, "WebP");
        out->width = (int)(le16(d + 6) & 0x3fff);
        out->height = (int)(le16(d + 8) & 0x3fff);
    } else if (memcmp(c, "VP8L", 4) == 0) {
        /* Lossless: signature 0x2f, then width-1 and height-1 in 14 bits each. */
        if (d[0] != 0x2f)
            return malformed(err, "WebP");
        uint32_t bits = le32(d + 1);
        out->width = (int)(bits & 0x3fff) + 1;
        out->height = (int)((bits >> 14) & 0x3fff) + 1;
    } else if (memcmp(c, "VP8X", 4) == 0) {
        /* Extended: flags, 3 reserved bytes, canvas width-1 and height-1 in 24 bits each. */
        out->width = (int)le24(d + 4) + 1;
        out->height = (int)le24(d + 7) + 1;
    } else {
        return malformed(err, "WebP");
    }
    if (!out->width || !out->height)
        return malformed(err, "WebP");
    return 0;
}

int attach_sniff(const void *data, size_t len, struct attach_info *out, struct err *err)
{
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const unsigned char *p = data;
    memset(out, 0, sizeof(*out));
    out->orientation = 1;
    if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) {
        out->kind = ATTACH_JPEG;
        out->mime = "image/jpeg";
        return sniff_jpeg(p, len, out, err);
    }
    if (len >= 8 && memcmp(p, png_sig, 8) == 0) {
        out->kind = ATTACH_PNG;
        out->mime = "image/png";
        /* The first chunk must be IHDR (13 bytes): width and height are 31-bit, non-zero. */
        if (len < 24 || be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
            return malformed(err, "PNG");
        uint32_t w = be32(p + 16), h = be32(p + 20);
        if (!w || !h || w > INT32_MAX || h > INT32_MAX)
            return malformed(err, "PNG");
        out->width = (int)w;
        out->height = (int)h;
        return 0;
    }
    if (len >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0)) {
        out->kind = ATTACH_GIF;
        out->mime = "image/gif";
        /* The logical screen bounds every frame (the decoder refuses frames outside it). */
        if (len < 13)
            return malformed(err, "GIF");
        out->width = (int)le16(p + 6);
        out->height = (int)le16(p + 8);
        if (!out->width || !out->height)
            return malformed(err, "GIF");
        return 0;
    }
    if (len >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0) {
        out->kind = ATTACH_WEBP;
        out->mime = "image/webp";
        return sniff_webp(p, len, out, err);
    }
    return err_set(err, ERR_MEDIA_TYPE,
                   "the file is not a JPEG, PNG, GIF or WebP image (judged by its content, "
                   "whatever type was declared)");
}

void attach_display_size(const struct attach_info *info, int *width, int *height)
{
    int turned = info->orientation >= 5 && info->orientation <= 8;
    *width = turned ? info->height : info->width;
    *height = turned ? info->width : info->height;
}
