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
 * in fan-out directories (ab/cd/abcd...), the thumbnail beside it (abcd....thumb.jpg).
 * Metadata lives in the attachments table (one row per content hash); case_attachments links
 * them to cases and is written by the case module (case_attach), which records the timeline
 * event. An upload is staged under temporary names (fsynced), then placed (renamed, the
 * directory fsynced) inside the transaction that references it, after its checks and just
 * before its commit, or removed when the transaction fails before that: a refused upload
 * leaves nothing on disk, and a committed row always finds its file (a backup of the database
 * taken before the files holds no row without its file: docs/backup.md). What a crash or a
 * failed commit leaves (temporaries, or a file whose row never committed) attach_sweep removes.
 *
 * The order of an upload, cheapest first: attach_check (size, type, pixels from the header,
 * SHA-256 of the bytes: no decoding), the caller's checks against the database (the per-case
 * limit, the same content already attached), then attach_submit: the decode, the thumbnail
 * and the staging run on the store's own decoding threads, never on the caller's. A full
 * queue is refused at once (ERR_UNAVAILABLE), as is a caller with too many uploads waiting
 * (ERR_THROTTLED), rather than blocking a thread that serves other requests.
 *
 * Threading: struct attach_store is shared by all threads; its queue has a lock. Its
 * decoding threads start on the first attach_submit and stop in attach_store_stop (which
 * first runs what is queued). Ownership: the store owns its directory path; struct attach_rec
 * strings live in the caller's arena; struct attach_thumb data is malloc'd
 * (attach_thumb_release); a struct attach_job is the caller's until its done() returns.
 */
#ifndef GRIDLOOP_ATTACH_ATTACH_H
#define GRIDLOOP_ATTACH_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h" /* struct attach_job holds its error */

struct arena;
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
    int decode_slots;   /* decoding threads of one store: images decoded at once (0 = 2) */
    int queue_max;      /* uploads waiting for a decoding thread before more are refused (0 = 16) */
};

/* Uploads of one owner (user) queued or decoding at once; more are ERR_THROTTLED. A phone
 * sends a few photos together; one citizen must not fill the queue for everyone. */
#define ATTACH_MAX_PER_OWNER 4

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
/* The directory, without a trailing slash. */
const char *attach_store_dir(const struct attach_store *st);
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
 * The cheap look at an upload, before anything is decoded: its size, type and dimensions
 * (from the header) against the store's limits, and the SHA-256 of its bytes. Fills 'out'
 * (existed = 0). Errors name the field "file": ERR_BAD_REQUEST (empty, malformed header),
 * ERR_MEDIA_TYPE, ERR_TOO_LARGE (bytes, or pixels as the header claims them).
 */
int attach_check(const struct attach_store *st, const void *data, size_t len,
                 struct attach_file *out, struct err *err);

/* 1 if the file and its thumbnail of 'sha256' are both in place (a retried upload needs no
 * decode), else 0. */
int attach_store_has(const struct attach_store *st, const char *sha256, size_t size);

#define ATTACH_PATH_MAX 1024

/* One upload on its way through the decoding threads. */
struct attach_job {
    /* Set by the caller. */
    const void *data; /* the bytes, valid until done() returns */
    size_t len;
    struct attach_file file; /* from attach_check */
    int64_t owner;           /* who uploads (a user id): bounds their jobs in the queue */
    void (*done)(struct attach_job *job); /* on a decoding thread, once */
    void *arg;
    /* Set before done(): 0, or the error of the decode or the staging (as attach_decode,
     * or ERR_IO). On success the files are staged: attach_job_place or attach_job_discard
     * must follow. */
    int rc;
    struct err err;
    /* Private: the staged temporaries ("" when the file was already in place). */
    char tmp[ATTACH_PATH_MAX], thumb_tmp[ATTACH_PATH_MAX];
    struct attach_job *next;
};

/*
 * Queue 'job' for a decoding thread, which decodes, makes the thumbnail, stages both and
 * calls job->done. Never waits: ERR_UNAVAILABLE when queue_max jobs wait already (or the
 * store is stopping), ERR_THROTTLED when the owner has ATTACH_MAX_PER_OWNER in the queue;
 * done is then not called.
 */
int attach_submit(struct attach_store *st, struct attach_job *job, struct err *err);

/* Room left in the queue now (a hint: another thread may take it). */
int attach_queue_room(struct attach_store *st);

/* In the transaction referencing the file, before its commit (case_attach): rename the staged
 * files to their names (the thumbnail first) and make that durable. 0 or ERR_IO; the
 * temporaries are gone either way. */
int attach_job_place(struct attach_store *st, struct attach_job *job, struct err *err);

/* The transaction failed: remove the staged files. */
void attach_job_discard(struct attach_store *st, struct attach_job *job);

/* Decode and stage 'data' on the calling thread (what a decoding thread does for a job). */
int attach_stage(struct attach_store *st, struct attach_job *job, struct err *err);

/*
 * Validate 'data' and put it with its thumbnail under its content hash at once, without a
 * transaction (tools and tests; uploads use attach_submit). Idempotent: the same bytes again
 * find the stored files (and rewrite any that are missing or of the wrong size).
 */
int attach_store_put(struct attach_store *st, const void *data, size_t len, struct attach_file *out,
                     struct err *err);

/* Stop taking jobs, let the decoding threads finish what is queued (calling each done), and
 * join them. Idempotent; attach_store_free calls it. */
void attach_store_stop(struct attach_store *st);

/* ---- unreferenced files ---- */

struct attach_sweep_report {
    int removed;   /* files removed (originals, thumbnails, temporaries) */
    int64_t bytes; /* their size */
    int young;     /* files of the store within the grace period: not looked at */
};

/*
 * Remove from the directory what no attachments row references and was last written more
 * than 'grace' seconds before 'now' (wall-clock seconds): files a crash left between staging
 * and commit, temporaries, and files of uploads refused before this order existed. Files
 * that are not the store's (other names) are left alone. Each removal is logged.
 */
int attach_sweep(struct attach_store *st, struct store_conn *c, int64_t now, int64_t grace,
                 struct attach_sweep_report *rep, struct err *err);

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
    /* attach_list_for_case only: the case's state when the file was linked to it (its 'attach'
     * event), NULL if unknown or read otherwise. */
    const char *case_state;
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
