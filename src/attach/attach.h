/*
 * attach: files citizens and staff attach to cases (phone photos at intake, photos of the
 * finished work with a reply). Knows nothing of HTTP: it takes bytes and gives back a
 * content hash, a type, dimensions and a thumbnail on disk.
 *
 * Trust nothing the client says about a file. The type comes from the magic bytes, the
 * dimensions from the header, both before any decoding, so a "decompression bomb" (a small
 * file that claims 100000 x 100000 pixels) is refused without allocating its pixels. Then the
 * whole image is decoded with libgd: a file that does not decode is refused, and a thumbnail
 * (JPEG, long side at most ATTACH_THUMB_MAX, EXIF orientation applied) is made from it.
 *
 * Storage: one file per distinct content under the store's directory, named by its SHA-256
 * in fan-out directories (ab/cd/abcd...), the thumbnail beside it (abcd....thumb.jpg). Files
 * are written to a temporary name, fsynced and renamed, so a reader never sees half a file;
 * identical content is stored once. Metadata lives in the attachments table (one row per
 * content hash); case_attachments links them to cases and is written by the case module
 * (case_attach), which records the timeline event.
 *
 * Threading: struct attach_store is shared by all threads; it has no mutable state except a
 * small semaphore that bounds how many images are decoded at once (a 40-megapixel decode
 * takes 160 MB). Ownership: the store owns its directory path; struct attach_rec strings
 * live in the caller's arena; struct attach_thumb data is malloc'd (attach_thumb_release).
 */
#ifndef GRIDLOOP_ATTACH_ATTACH_H
#define GRIDLOOP_ATTACH_ATTACH_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define ATTACH_THUMB_MAX 320 /* long side of thumbnails, pixels */
#define ATTACH_SHA256_HEX 65 /* 64 hex digits and a NUL */

enum attach_kind { ATTACH_NONE, ATTACH_JPEG, ATTACH_PNG, ATTACH_GIF, ATTACH_WEBP };

/* What the first bytes of a file say about it. */
struct attach_info {
    enum attach_kind kind;
    const char *mime;  /* static: "image/jpeg", ... */
    int width, height; /* as encoded, before orientation */
    int orientation;   /* EXIF orientation 1..8 (JPEG only; 1 when absent) */
};

/*
 * Detect the type from the magic bytes and read the dimensions from the header, without
 * decoding. ERR_MEDIA_TYPE when the bytes are not JPEG, PNG, GIF or WebP (whatever the
 * client declared); ERR_BAD_REQUEST when they start like one but the header is truncated or
 * malformed (or claims zero pixels). Pure, no allocation: safe on any input.
 */
int attach_sniff(const void *data, size_t len, struct attach_info *out, struct err *err);

struct attach_limits {
    size_t max_bytes;   /* larger files: ERR_TOO_LARGE */
    int64_t max_pixels; /* width x height above this: ERR_TOO_LARGE, before decoding */
    int decode_slots;   /* images decoded at once by one store (0 = 2) */
};

struct attach_thumb {
    unsigned char *data; /* JPEG bytes, malloc'd */
    size_t len;
    int width, height;
};

/*
 * Sniff, check the limits, decode the whole image and make its thumbnail. ERR_BAD_REQUEST
 * when the image does not decode. On success 'info' describes the file and 'thumb' holds a
 * thumbnail the caller releases with attach_thumb_release(); on failure 'thumb' is empty.
 */
int attach_decode(const void *data, size_t len, const struct attach_limits *lim,
                  struct attach_info *info, struct attach_thumb *thumb, struct err *err);
void attach_thumb_release(struct attach_thumb *t);

/* Width and height as displayed: swapped for the EXIF orientations that turn by 90 degrees. */
void attach_display_size(const struct attach_info *info, int *width, int *height);

/* ---- files on disk ---- */

struct attach_store;

/* Use 'dir' (created if absent, with its parents) for the files. */
int attach_store_open(struct attach_store **out, const char *dir, const struct attach_limits *lim,
                      struct err *err);
/* NULL is accepted. */
void attach_store_free(struct attach_store *st);

/* A file as stored. */
struct attach_file {
    char sha256[ATTACH_SHA256_HEX];
    const char *mime; /* static */
    size_t size;
    int width, height; /* as displayed */
    int existed;       /* the same content was already stored */
};

/*
 * Validate 'data' (attach_decode) and store it with its thumbnail under its content hash.
 * Idempotent: the same bytes again find the stored files (and rewrite any that are missing
 * or of the wrong size). Errors as attach_decode, or ERR_IO naming the path.
 */
int attach_store_put(struct attach_store *st, const void *data, size_t len, struct attach_file *out,
                     struct err *err);

/*
 * Open a stored file (or its thumbnail) for reading. '*fd' is owned by the caller.
 * ERR_BAD_REQUEST for a malformed hash, ERR_NOT_FOUND when the file is missing.
 */
int attach_store_open_file(const struct attach_store *st, const char *sha256, int thumbnail,
                           int *fd, uint64_t *size, struct err *err);

/* The path of a stored file (or its thumbnail) into 'out'; 0 or ERR_BAD_REQUEST. */
int attach_store_path(const struct attach_store *st, const char *sha256, int thumbnail, char *out,
                      size_t n, struct err *err);

/* ---- metadata ---- */

struct attach_rec {
    int64_t id;
    const char *sha256; /* arena */
    const char *mime;   /* arena */
    int64_t size;
    int width, height;
    int64_t created_at;
    int64_t created_by; /* 0 = unknown */
};

/*
 * The attachments row of a stored file: inserted, or the existing one with the same hash.
 * Runs inside the caller's transaction. Returns 0 and the id.
 */
int attach_record(struct store_conn *c, const struct attach_file *f, int64_t user_id, int64_t now,
                  int64_t *id, struct err *err);

/* One attachment by id; ERR_NOT_FOUND when there is none. */
int attach_get(struct store_conn *c, int64_t id, struct arena *a, struct attach_rec *out,
               struct err *err);

/* The cases an attachment is linked to (at most 'max', lowest ids first); '*n' is how many. */
int attach_cases(struct store_conn *c, int64_t id, int64_t *case_ids, size_t max, size_t *n,
                 struct err *err);

/* The attachments of a case in the order they were added; '*out' in the arena. */
int attach_list_for_case(struct store_conn *c, int64_t case_id, struct arena *a,
                         struct attach_rec **out, size_t *n, struct err *err);

#endif /* GRIDLOOP_ATTACH_ATTACH_H */
