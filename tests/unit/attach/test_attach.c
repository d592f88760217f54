/*
 * Attachments: type detection from the bytes (a table of real and hostile headers), the
 * limits checked before decoding, decoding and thumbnails of real images made here with
 * libgd, EXIF orientation, the content-addressed store on disk and the metadata rows.
 */
#include <gd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach/attach.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include "test.h"

static const struct attach_limits limits = {20u << 20, 40000000, 2, 16};

/* ---- images made with libgd ---- */

enum fmt { F_PNG, F_JPEG, F_GIF, F_WEBP };

/* A w x h image, left half red and right half blue, encoded as 'f'; malloc'd. */
static unsigned char *make_image(enum fmt f, int w, int h, size_t *len)
{
    gdImagePtr im = gdImageCreateTrueColor(w, h);
    gdImageFilledRectangle(im, 0, 0, w / 2 - 1, h - 1, gdTrueColor(220, 20, 20));
    gdImageFilledRectangle(im, w / 2, 0, w - 1, h - 1, gdTrueColor(20, 20, 220));
    int size = 0;
    void *p = f == F_PNG    ? gdImagePngPtr(im, &size)
              : f == F_JPEG ? gdImageJpegPtr(im, &size, 90)
              : f == F_GIF  ? gdImageGifPtr(im, &size)
                            : gdImageWebpPtr(im, &size);
    gdImageDestroy(im);
    unsigned char *out = malloc((size_t)size);
    memcpy(out, p, (size_t)size);
    gdFree(p);
    *len = (size_t)size;
    return out;
}

/* The Exif APP1 segment of one IFD0 entry: orientation 'o', little-endian TIFF. */
static const unsigned char exif_o6[] = {
    0xFF, 0xE1, 0x00, 0x22, 'E',  'x',  'i',  'f',  0,    0,    'I',  'I',
    0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x01, 0x03, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* A JPEG with the Exif segment spliced in after SOI. */
static unsigned char *with_exif(const unsigned char *jpeg, size_t len, size_t *out_len)
{
    unsigned char *out = malloc(len + sizeof(exif_o6));
    memcpy(out, jpeg, 2);
    memcpy(out + 2, exif_o6, sizeof(exif_o6));
    memcpy(out + 2 + sizeof(exif_o6), jpeg + 2, len - 2);
    *out_len = len + sizeof(exif_o6);
    return out;
}

/* ---- type detection ---- */

#define PNG_SIG 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
#define IHDR(w3, w2, w1, w0, h3, h2, h1, h0)                                                       \
    0, 0, 0, 13, 'I', 'H', 'D', 'R', w3, w2, w1, w0, h3, h2, h1, h0, 8, 2, 0, 0, 0, 0xde, 0xad,    \
        0xbe, 0xef

static const unsigned char png_3x2_garbage[] = {
    PNG_SIG, IHDR(0, 0, 0, 3, 0, 0, 0, 2), 'g', 'a', 'r', 'b', 'a', 'g', 'e'};
static const unsigned char png_bomb[] = {
    PNG_SIG, IHDR(0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0)}; /* 100000 x 100000 */
static const unsigned char png_sig_only[] = {PNG_SIG};
static const unsigned char png_zero[] = {PNG_SIG, IHDR(0, 0, 0, 0, 0, 0, 0, 2)};
static const unsigned char png_not_ihdr[] = {PNG_SIG, 0, 0, 0, 13, 'I', 'D', 'A', 'T',
                                             0,       0, 0, 3, 0,  0,   0,   2};
static const unsigned char png_huge_w[] = {PNG_SIG, IHDR(0x80, 0, 0, 0, 0, 0, 0, 2)};

#define JFIF 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0
static const unsigned char jpeg_3x2[] = {JFIF, 0xFF, 0xC0, 0x00, 0x11, 8,    0, 2, 0,    3,
                                         3,    1,    0x22, 0,    2,    0x11, 1, 3, 0x11, 1};
static const unsigned char jpeg_progressive[] = {JFIF, 0xFF, 0xC2, 0x00, 0x0B, 8,    0x01,
                                                 0x00, 0x00, 0x02, 1,    1,    0x11, 0};
static const unsigned char jpeg_cut[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F'};
static const unsigned char jpeg_soi[] = {0xFF, 0xD8, 0xFF};
static const unsigned char jpeg_zero_h[] = {JFIF, 0xFF, 0xC0, 0x00, 0x0B, 8,    0,
                                            0,    0,    3,    1,    1,    0x11, 0};
static const unsigned char jpeg_sos_first[] = {JFIF, 0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3f, 0};
static const unsigned char jpeg_bad_len[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0};
static const unsigned char jpeg_exif_mm[] = {
    0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x22, 'E',  'x',  'i',  'f',  0,    0,    'M',
    'M',  0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x01, 0x12, 0x00, 0x03,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF,
    0xC0, 0x00, 0x0B, 8,    0,    20,   0,    40,   1,    1,    0x11, 0};
static const unsigned char jpeg_exif_bad_ifd[] = {
    0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, 'E',  'x', 'i', 'f', 0, 0,  'I', 'I', 0x2A, 0x00, 0xff,
    0xff, 0xff, 0x7f, 0xFF, 0xC0, 0x00, 0x0B, 8,   0,   20,  0, 40, 1,   1,   0x11, 0};

static const unsigned char gif_5x4[] = {'G', 'I', 'F', '8', '9', 'a', 5, 0, 4, 0, 0, 0, 0};
static const unsigned char gif_cut[] = {'G', 'I', 'F', '8', '9', 'a', 5, 0};
static const unsigned char gif_88[] = {'G', 'I', 'F', '8', '8', 'a', 5, 0, 4, 0, 0, 0, 0};

#define RIFF(c0, c1, c2, c3)                                                                       \
    'R', 'I', 'F', 'F', 22, 0, 0, 0, 'W', 'E', 'B', 'P', c0, c1, c2, c3, 10, 0, 0, 0
static const unsigned char webp_lossless[] = {
    RIFF('V', 'P', '8', 'L'), 0x2f, 0x03, 0x80, 0x00, 0x00, 0, 0, 0, 0, 0};
static const unsigned char webp_lossy[] = {
    RIFF('V', 'P', '8', ' '), 0, 0, 0, 0x9d, 0x01, 0x2a, 7, 0, 5, 0};
static const unsigned char webp_lossy_bad[] = {
    RIFF('V', 'P', '8', ' '), 0, 0, 0, 0x9d, 0x01, 0x2b, 7, 0, 5, 0};
static const unsigned char webp_ext[] = {
    RIFF('V', 'P', '8', 'X'), 0, 0, 0, 0, 0x7f, 0x02, 0x00, 0xdf, 0x01, 0x00};
static const unsigned char webp_odd[] = {RIFF('A', 'B', 'C', 'D'), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const unsigned char webp_cut[] = {'R', 'I', 'F', 'F', 22,  0,   0,
                                         0,   'W', 'E', 'B', 'P', 'V', 'P'};

static const unsigned char pdf[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj";
static const unsigned char bmp[] = {'B', 'M', 0x36, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0x28, 0};
static const unsigned char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
static const unsigned char text[] = "just some text claiming to be image/png";

TEST(attach_sniff_table)
{
    static const struct {
        const char *name;
        const unsigned char *p;
        size_t n;
        int rc;
        enum attach_kind kind;
        int w, h, orientation;
    } rows[] = {
#define ROW(name, arr, rc, kind, w, h, o) {name, arr, sizeof(arr), rc, kind, w, h, o}
        ROW("png header on garbage", png_3x2_garbage, 0, ATTACH_PNG, 3, 2, 1),
        ROW("png bomb header", png_bomb, 0, ATTACH_PNG, 100000, 100000, 1),
        ROW("png signature only", png_sig_only, ERR_BAD_REQUEST, ATTACH_PNG, 0, 0, 1),
        ROW("png zero width", png_zero, ERR_BAD_REQUEST, ATTACH_PNG, 0, 0, 1),
        ROW("png without IHDR first", png_not_ihdr, ERR_BAD_REQUEST, ATTACH_PNG, 0, 0, 1),
        ROW("png width over 2^31-1", png_huge_w, ERR_BAD_REQUEST, ATTACH_PNG, 0, 0, 1),
        ROW("jpeg baseline header", jpeg_3x2, 0, ATTACH_JPEG, 3, 2, 1),
        ROW("jpeg progressive header", jpeg_progressive, 0, ATTACH_JPEG, 2, 256, 1),
        ROW("jpeg cut inside APP0", jpeg_cut, ERR_BAD_REQUEST, ATTACH_JPEG, 0, 0, 1),
        ROW("jpeg SOI only", jpeg_soi, ERR_BAD_REQUEST, ATTACH_JPEG, 0, 0, 1),
        ROW("jpeg height 0 (DNL)", jpeg_zero_h, ERR_BAD_REQUEST, ATTACH_JPEG, 0, 0, 1),
        ROW("jpeg scan before frame", jpeg_sos_first, ERR_BAD_REQUEST, ATTACH_JPEG, 0, 0, 1),
        ROW("jpeg segment length 1", jpeg_bad_len, ERR_BAD_REQUEST, ATTACH_JPEG, 0, 0, 1),
        ROW("jpeg big-endian exif orientation 8", jpeg_exif_mm, 0, ATTACH_JPEG, 40, 20, 8),
        ROW("jpeg exif IFD offset out of range", jpeg_exif_bad_ifd, 0, ATTACH_JPEG, 40, 20, 1),
        ROW("gif 5x4", gif_5x4, 0, ATTACH_GIF, 5, 4, 1),
        ROW("gif cut in screen descriptor", gif_cut, ERR_BAD_REQUEST, ATTACH_GIF, 0, 0, 1),
        ROW("gif88a is no gif", gif_88, ERR_MEDIA_TYPE, ATTACH_NONE, 0, 0, 1),
        ROW("webp lossless 4x3", webp_lossless, 0, ATTACH_WEBP, 4, 3, 1),
        ROW("webp lossy 7x5", webp_lossy, 0, ATTACH_WEBP, 7, 5, 1),
        ROW("webp lossy bad start code", webp_lossy_bad, ERR_BAD_REQUEST, ATTACH_WEBP, 0, 0, 1),
        ROW("webp extended 640x480", webp_ext, 0, ATTACH_WEBP, 640, 480, 1),
        ROW("webp unknown chunk", webp_odd, ERR_BAD_REQUEST, ATTACH_WEBP, 0, 0, 1),
        ROW("webp cut", webp_cut, ERR_BAD_REQUEST, ATTACH_WEBP, 0, 0, 1),
        ROW("pdf", pdf, ERR_MEDIA_TYPE, ATTACH_NONE, 0, 0, 1),
        ROW("bmp", bmp, ERR_MEDIA_TYPE, ATTACH_NONE, 0, 0, 1),
        ROW("svg", svg, ERR_MEDIA_TYPE, ATTACH_NONE, 0, 0, 1),
        ROW("text", text, ERR_MEDIA_TYPE, ATTACH_NONE, 0, 0, 1),
#undef ROW
        {"empty", pdf, 0, ERR_MEDIA_TYPE, ATTACH_NONE, 0, 0, 1},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        struct attach_info info;
        struct err e = ERR_INIT;
        int rc = attach_sniff(rows[i].p, rows[i].n, &info, &e);
        CHECK_INT_EQ(rc, rows[i].rc, "row %zu (%s): %s", i, rows[i].name, e.msg);
        CHECK_INT_EQ(info.kind, rows[i].kind, "row %zu (%s): kind", i, rows[i].name);
        if (rc == 0) {
            CHECK_INT_EQ(info.width, rows[i].w, "row %zu (%s): width", i, rows[i].name);
            CHECK_INT_EQ(info.height, rows[i].h, "row %zu (%s): height", i, rows[i].name);
            CHECK_INT_EQ(info.orientation, rows[i].orientation, "row %zu (%s): orientation", i,
                         rows[i].name);
        }
    }
}

/* Every prefix of a valid header is refused cleanly (no read past the end under ASan). */
TEST(attach_sniff_prefixes)
{
    size_t len;
    unsigned char *jpeg = make_image(F_JPEG, 40, 20, &len);
    size_t elen;
    unsigned char *exif = with_exif(jpeg, len, &elen);
    for (size_t n = 0; n < 200 && n < elen; n++) {
        unsigned char *copy = malloc(n ? n : 1);
        memcpy(copy, exif, n);
        struct attach_info info;
        int rc = attach_sniff(copy, n, &info, NULL);
        CHECK(rc == 0 || rc == ERR_BAD_REQUEST || rc == ERR_MEDIA_TYPE, "prefix %zu: rc %d", n, rc);
        free(copy);
    }
    free(exif);
    free(jpeg);
}

/* ---- decoding and thumbnails ---- */

TEST(attach_decode_real_images)
{
    static const struct {
        enum fmt f;
        int w, h;
        enum attach_kind kind;
        int tw, th;
    } rows[] = {
        {F_PNG, 1000, 500, ATTACH_PNG, 320, 160},  {F_PNG, 40, 20, ATTACH_PNG, 40, 20},
        {F_JPEG, 300, 900, ATTACH_JPEG, 107, 320}, {F_GIF, 641, 100, ATTACH_GIF, 320, 50},
        {F_WEBP, 330, 330, ATTACH_WEBP, 320, 320}, {F_PNG, 2000, 1, ATTACH_PNG, 320, 1},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        size_t len;
        unsigned char *img = make_image(rows[i].f, rows[i].w, rows[i].h, &len);
        struct attach_info info;
        struct attach_thumb t;
        struct err e = ERR_INIT;
        CHECK_INT_EQ(attach_decode(img, len, &limits, &info, &t, &e), 0, "row %zu: %s", i, e.msg);
        CHECK_INT_EQ(info.kind, rows[i].kind, "row %zu", i);
        CHECK_INT_EQ(info.width, rows[i].w, "row %zu", i);
        CHECK_INT_EQ(info.height, rows[i].h, "row %zu", i);
        CHECK_INT_EQ(t.width, rows[i].tw, "row %zu: thumbnail width", i);
        CHECK_INT_EQ(t.height, rows[i].th, "row %zu: thumbnail height", i);
        /* The thumbnail is a JPEG of those dimensions. */
        gdImagePtr back = t.data ? gdImageCreateFromJpegPtr((int)t.len, t.data) : NULL;
        CHECK(back != NULL, "row %zu: thumbnail decodes", i);
        if (back) {
            CHECK_INT_EQ(gdImageSX(back), rows[i].tw, "row %zu", i);
            CHECK_INT_EQ(gdImageSY(back), rows[i].th, "row %zu", i);
            gdImageDestroy(back);
        }
        attach_thumb_release(&t);
        free(img);
    }
}

TEST(attach_decode_refusals)
{
    size_t plen, jlen;
    unsigned char *png = make_image(F_PNG, 200, 100, &plen);
    unsigned char *jpeg = make_image(F_JPEG, 200, 100, &jlen);
    struct attach_limits small = {100, 40000000, 1, 16};
    struct attach_limits few_pixels = {20u << 20, 100 * 100 - 1, 1, 16};
    const struct {
        const char *name;
        int which;  /* 0 png, 1 jpeg, 2 png header on garbage, 3 bomb */
        size_t cut; /* bytes kept; 0 = all */
        const struct attach_limits *lim;
        int rc;
    } rows[] = {
        {"png header on garbage", 2, 0, &limits, ERR_BAD_REQUEST},
        {"bomb header 100000x100000", 3, 0, &limits, ERR_TOO_LARGE},
        {"png cut in half", 0, 1, &limits, ERR_BAD_REQUEST},
        {"jpeg cut in half", 1, 1, &limits, ERR_BAD_REQUEST},
        {"over the byte limit", 1, 0, &small, ERR_TOO_LARGE},
        {"over the pixel limit", 0, 0, &few_pixels, ERR_TOO_LARGE},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        const unsigned char *p = rows[i].which == 0   ? png
                                 : rows[i].which == 1 ? jpeg
                                 : rows[i].which == 2 ? png_3x2_garbage
                                                      : png_bomb;
        size_t n = rows[i].which == 0   ? plen
                   : rows[i].which == 1 ? jlen
                   : rows[i].which == 2 ? sizeof(png_3x2_garbage)
                                        : sizeof(png_bomb);
        if (rows[i].cut)
            n /= 2;
        struct attach_info info;
        struct attach_thumb t;
        struct err e = ERR_INIT;
        CHECK_INT_EQ(attach_decode(p, n, rows[i].lim, &info, &t, &e), rows[i].rc,
                     "row %zu (%s): %s", i, rows[i].name, e.msg);
        CHECK(t.data == NULL && t.len == 0, "row %zu: no thumbnail on failure", i);
        CHECK(e.msg[0] != '\0', "row %zu: a message", i);
    }
    free(png);
    free(jpeg);
}

/* Orientation 6 (turn clockwise): a 40x20 photo, red left and blue right, is shown 20x40 with
 * red on top. */
TEST(attach_exif_orientation)
{
    size_t len, elen;
    unsigned char *jpeg = make_image(F_JPEG, 40, 20, &len);
    unsigned char *exif = with_exif(jpeg, len, &elen);
    struct attach_info info;
    struct attach_thumb t;
    struct err e = ERR_INIT;
    CHECK_INT_EQ(attach_decode(exif, elen, &limits, &info, &t, &e), 0, "%s", e.msg);
    CHECK_INT_EQ(info.orientation, 6, "orientation");
    int w, h;
    attach_display_size(&info, &w, &h);
    CHECK_INT_EQ(w, 20, "display width");
    CHECK_INT_EQ(h, 40, "display height");
    CHECK_INT_EQ(t.width, 20, "thumbnail width");
    CHECK_INT_EQ(t.height, 40, "thumbnail height");
    gdImagePtr back = gdImageCreateFromJpegPtr((int)t.len, t.data);
    CHECK(back != NULL, "thumbnail decodes");
    if (back) {
        int top = gdImageGetTrueColorPixel(back, 10, 5),
            bottom = gdImageGetTrueColorPixel(back, 10, 34);
        CHECK(gdTrueColorGetRed(top) > 150 && gdTrueColorGetBlue(top) < 100, "top is red: %06x",
              top);
        CHECK(gdTrueColorGetBlue(bottom) > 150 && gdTrueColorGetRed(bottom) < 100,
              "bottom is blue: %06x", bottom);
        gdImageDestroy(back);
    }
    attach_thumb_release(&t);
    free(exif);
    free(jpeg);
}

/* ---- the store on disk ---- */

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(p, 1, (size_t)n, f);
    fclose(f);
    return p;
}

TEST(attach_store_dedupes_by_hash)
{
    char dir[512], path[1024], tpath[1100];
    struct attach_store *st;
    struct attach_file a, b, c;
    struct err e = ERR_INIT;
    size_t len, len2;
    CHECK(sodium_init() >= 0, "libsodium");
    snprintf(dir, sizeof(dir), "%s/attach-files/", test_tmpdir());
    CHECK_INT_EQ(attach_store_open(&st, dir, &limits, &e), 0, "open: %s", e.msg);
    unsigned char *png = make_image(F_PNG, 640, 480, &len);
    unsigned char *other = make_image(F_PNG, 641, 480, &len2);

    CHECK_INT_EQ(attach_store_put(st, png, len, &a, &e), 0, "put: %s", e.msg);
    unsigned char h[32];
    char hex[65];
    crypto_hash_sha256(h, png, len);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    CHECK_STR_EQ(a.sha256, hex, "named by SHA-256");
    CHECK_STR_EQ(a.mime, "image/png", "mime");
    CHECK_INT_EQ(a.size, len, "size");
    CHECK_INT_EQ(a.width, 640, "width");
    CHECK_INT_EQ(a.existed, 0, "new content");

    /* Fan-out layout: <dir>/ab/cd/abcd..., thumbnail beside it. */
    snprintf(path, sizeof(path), "%s/attach-files/%.2s/%.2s/%s", test_tmpdir(), hex, hex + 2, hex);
    snprintf(tpath, sizeof(tpath), "%s.thumb.jpg", path);
    size_t got_len = 0, tlen = 0;
    unsigned char *got = read_file(path, &got_len);
    CHECK(got && got_len == len && memcmp(got, png, len) == 0, "stored byte for byte at %s", path);
    free(got);
    unsigned char *thumb = read_file(tpath, &tlen);
    CHECK(thumb != NULL && tlen > 0, "thumbnail at %s", tpath);
    gdImagePtr ti = thumb ? gdImageCreateFromJpegPtr((int)tlen, thumb) : NULL;
    CHECK(ti && gdImageSX(ti) == 320 && gdImageSY(ti) == 240, "thumbnail is 320x240");
    if (ti)
        gdImageDestroy(ti);
    free(thumb);
    char check[1024];
    CHECK_INT_EQ(attach_store_path(st, hex, 1, check, sizeof(check), &e), 0, "path");
    CHECK(strstr(check, "/attach-files/") && !strstr(check, "//"), "one slash between parts: %s",
          check);

    /* The same bytes again: found, not written twice. */
    CHECK_INT_EQ(attach_store_put(st, png, len, &b, &e), 0, "again: %s", e.msg);
    CHECK_STR_EQ(b.sha256, a.sha256, "same hash");
    CHECK_INT_EQ(b.existed, 1, "existing content");

    /* A lost thumbnail is made again. */
    unlink(tpath);
    CHECK_INT_EQ(attach_store_put(st, png, len, &b, &e), 0, "again: %s", e.msg);
    CHECK_INT_EQ(b.existed, 0, "thumbnail was missing");
    struct stat sb;
    CHECK(stat(tpath, &sb) == 0, "thumbnail rewritten");

    CHECK_INT_EQ(attach_store_put(st, other, len2, &c, &e), 0, "other: %s", e.msg);
    CHECK(strcmp(c.sha256, a.sha256) != 0, "different content, different name");

    int fd;
    uint64_t size;
    CHECK_INT_EQ(attach_store_open_file(st, a.sha256, 0, &fd, &size, &e), 0, "open file: %s",
                 e.msg);
    CHECK_INT_EQ(size, len, "size on disk");
    close(fd);
    CHECK_INT_EQ(attach_store_open_file(st, "../../../../etc/passwd", 0, &fd, &size, &e),
                 ERR_BAD_REQUEST, "no paths");
    CHECK_INT_EQ(attach_store_open_file(
                     st, "00000000000000000000000000000000000000000000000000000000000000ff", 1, &fd,
                     &size, &e),
                 ERR_NOT_FOUND, "missing");
    CHECK_INT_EQ(attach_store_put(st, text, sizeof(text), &c, &e), ERR_MEDIA_TYPE, "text refused");
    CHECK_INT_EQ(attach_store_put(st, png_bomb, sizeof(png_bomb), &c, &e), ERR_TOO_LARGE,
                 "bomb refused");
    free(png);
    free(other);
    attach_store_free(st);
}

/* A job's done(): counted, under a lock the test waits on. */
static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_cond = PTHREAD_COND_INITIALIZER;
static int jobs_done;

static void job_done(struct attach_job *job)
{
    (void)job;
    pthread_mutex_lock(&jobs_lock);
    jobs_done++;
    pthread_cond_broadcast(&jobs_cond);
    pthread_mutex_unlock(&jobs_lock);
}

static void wait_jobs(int n)
{
    pthread_mutex_lock(&jobs_lock);
    while (jobs_done < n)
        pthread_cond_wait(&jobs_cond, &jobs_lock);
    pthread_mutex_unlock(&jobs_lock);
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Staged files reach their names only when placed; discarded, nothing is left. */
TEST(attach_jobs_stage_place_discard)
{
    static const struct attach_limits one = {20u << 20, 40000000, 1, 1};
    char dir[512], path[1024], tpath[1100];
    struct attach_store *st;
    struct attach_job a, b, c;
    struct err e = ERR_INIT;
    size_t la, lb;
    snprintf(dir, sizeof(dir), "%s/attach-jobs", test_tmpdir());
    CHECK_INT_EQ(attach_store_open(&st, dir, &one, &e), 0, "open: %s", e.msg);
    unsigned char *pa = make_image(F_PNG, 300, 200, &la);
    unsigned char *pb = make_image(F_PNG, 301, 200, &lb);
    jobs_done = 0;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.data = pa, a.len = la, a.owner = 7, a.done = job_done;
    b.data = pb, b.len = lb, b.owner = 7, b.done = job_done;
    CHECK_INT_EQ(attach_check(st, pa, la, &a.file, &e), 0, "check: %s", e.msg);
    CHECK_INT_EQ(attach_check(st, pb, lb, &b.file, &e), 0, "check: %s", e.msg);
    CHECK_INT_EQ(attach_submit(st, &a, &e), 0, "submit: %s", e.msg);
    wait_jobs(1);
    CHECK_INT_EQ(a.rc, 0, "staged: %s", a.err.msg);
    snprintf(path, sizeof(path), "%s/%.2s/%.2s/%s", dir, a.file.sha256, a.file.sha256 + 2,
             a.file.sha256);
    snprintf(tpath, sizeof(tpath), "%s.thumb.jpg", path);
    CHECK(!exists(path) && !exists(tpath), "not in place before the commit");
    CHECK(!attach_store_has(st, a.file.sha256, la), "not stored yet");
    attach_job_discard(st, &a);
    CHECK(!exists(path) && !exists(tpath), "discarded");

    /* Staged again and placed: both in place, no temporary left. */
    CHECK_INT_EQ(attach_submit(st, &a, &e), 0, "submit: %s", e.msg);
    wait_jobs(2);
    CHECK_INT_EQ(attach_job_place(st, &a, &e), 0, "place: %s", e.msg);
    CHECK(attach_store_has(st, a.file.sha256, la), "in place");
    CHECK_INT_EQ(a.tmp[0] + a.thumb_tmp[0], 0, "no temporaries");

    /* A damaged body with a good header fails in the decoder, and stages nothing. */
    memset(&c, 0, sizeof(c));
    unsigned char broken[64];
    memcpy(broken, pb, 33);
    memset(broken + 33, 'x', sizeof(broken) - 33);
    c.data = broken, c.len = sizeof(broken), c.done = job_done;
    CHECK_INT_EQ(attach_check(st, broken, sizeof(broken), &c.file, &e), 0, "header: %s", e.msg);
    CHECK_INT_EQ(attach_submit(st, &c, &e), 0, "submit: %s", e.msg);
    wait_jobs(3);
    CHECK_INT_EQ(c.rc, ERR_BAD_REQUEST, "does not decode");
    CHECK(!c.tmp[0] && !c.thumb_tmp[0], "nothing staged");

    /* The queue never waits: past its room, or the owner's share, a refusal at once. */
    int refused = 0, taken = 0;
    struct attach_job many[ATTACH_MAX_PER_OWNER + 2];
    memset(many, 0, sizeof(many));
    for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++) {
        many[i] = b;
        int rc = attach_submit(st, &many[i], &e);
        CHECK(rc == 0 || rc == ERR_UNAVAILABLE || rc == ERR_THROTTLED, "refusal %d", rc);
        refused += rc < 0;
        taken += rc == 0;
    }
    CHECK(refused >= 2, "%d refused", refused);
    wait_jobs(3 + taken);
    for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
        attach_job_discard(st, &many[i]);
    free(pa);
    free(pb);
    attach_store_free(st);
}

TEST(attach_metadata_rows)
{
    char path[512];
    struct store *db;
    struct store_conn *c;
    struct err e = ERR_INIT;
    struct attach_file f = {.mime = "image/png", .size = 1234, .width = 30, .height = 20};
    struct attach_rec r;
    struct arena a;
    int64_t id1, id2, id3;
    log_set_level(LOG_WARN);
    snprintf(path, sizeof(path), "%s/attach.db", test_tmpdir());
    struct store_options o = {.path = path};
    CHECK_INT_EQ(store_open(&db, &o, &e), 0, "open: %s", e.msg);
    CHECK_INT_EQ(store_conn(db, &c, &e), 0, "conn");
    memset(f.sha256, 'a', 64);
    CHECK_INT_EQ(attach_record(c, &f, 0, 1000, &id1, &e), 0, "record: %s", e.msg);
    CHECK_INT_EQ(attach_record(c, &f, 0, 2000, &id2, &e), 0, "record again: %s", e.msg);
    CHECK_INT_EQ(id2, id1, "one row per content");
    memset(f.sha256, 'b', 64);
    CHECK_INT_EQ(attach_record(c, &f, 0, 3000, &id3, &e), 0, "record other: %s", e.msg);
    CHECK(id3 != id1, "another row");
    arena_init(&a, 1024);
    CHECK_INT_EQ(attach_get(c, id1, &a, &r, &e), 0, "get: %s", e.msg);
    CHECK_INT_EQ(r.created_at, 1000, "first upload kept");
    CHECK_INT_EQ(r.width, 30, "width");
    CHECK_STR_EQ(r.mime, "image/png", "mime");
    CHECK_INT_EQ(attach_get(c, 999, &a, &r, &e), ERR_NOT_FOUND, "missing");
    int64_t cases[4];
    size_t n = 9;
    CHECK_INT_EQ(attach_cases(c, id1, cases, 4, &n, &e), 0, "cases");
    CHECK_INT_EQ(n, 0, "not linked yet");
    struct attach_rec *list;
    CHECK_INT_EQ(attach_list_for_case(c, 1, &a, &list, &n, &e), 0, "list");
    CHECK_INT_EQ(n, 0, "empty list");
    arena_release(&a);
    store_close(db);
}
