/*
 * A VFS over SQLite's default one that gathers a connection's writes to its WAL file and hands
 * them to the kernel in one pwrite per commit.
 *
 * Why: SQLite writes each WAL frame as two pwrite calls, its 24-byte header and its page. A
 * case dirties ~15 pages (its row, ~30 index entries, events, the outbox...), so the store
 * writer made ~30 system calls per case in its commits, a tenth of its CPU time (the intake
 * profile in docs/benchmarks.md). The bytes copied are the same; the calls are not.
 *
 * When the gathered bytes reach the file: a frame whose header carries a commit mark (a
 * non-zero database size, bytes 4-7: the WAL file format) ends a transaction, and the
 * buffer is written out as soon as that frame's page has arrived, inside the xWrite that
 * brings it, so before SQLite publishes the new frames in the WAL index (readers and
 * checkpoints read only published frames, from the file). A failed write fails that xWrite,
 * and so the commit. Anything else that looks at the file first writes the buffer out: a
 * read, a sync, its size, a truncation, a file control, closing it. A write that does not
 * continue the buffer (a new WAL header at offset 0 after a checkpoint reset it, a frame
 * rewritten in place) writes the buffer out and goes on from there. Frames written before
 * a commit (a page cache spill) may wait in the buffer; SQLite reads them back through xRead,
 * which writes them out first. So at every point where SQLite or another connection can
 * look, the file holds what SQLite wrote: the durability rules are SQLite's own (the sync
 * thread's fdatasync comes after the commit returned, store_writer.c).
 *
 * Other files (the database, its journal) go to the default VFS unchanged. Each file handle
 * has its own buffer and is used by one connection, one thread at a time, as SQLite's are.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_walbuf.h"

#define WALBUF_CAP (1024 * 1024) /* larger transactions write out a MiB at a time */
#define WAL_HEADER 32
#define FRAME_HEADER 24

struct wal_file {
    sqlite3_file base;
    sqlite3_file *real; /* the default VFS's file, in the same allocation after this */
    unsigned char *buf;
    size_t len;
    sqlite3_int64 start;  /* the file offset of buf[0] */
    int page_size;        /* from the WAL header written through this handle, 0 unknown */
    sqlite3_int64 commit; /* the end of a commit frame not yet all in buf, 0 none */
};

static sqlite3_vfs walbuf_vfs;
static sqlite3_vfs *real_vfs;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static sqlite3_file *real(sqlite3_file *f)
{
    return ((struct wal_file *)f)->real;
}

/* Hand the gathered bytes to the file, in pieces the default VFS takes whole: its unixWrite
 * writes at most the low 17 bits of a length per pwrite, so 131,072 bytes of 135,960 were
 * never written (SQLITE_FULL) in a first try. */
#define DRAIN_PIECE (96 * 1024)
static int drain(struct wal_file *w)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; rc == SQLITE_OK && done < w->len; done += DRAIN_PIECE) {
        size_t n = w->len - done < DRAIN_PIECE ? w->len - done : DRAIN_PIECE;
        rc = w->real->pMethods->xWrite(w->real, w->buf + done, (int)n,
                                       w->start + (sqlite3_int64)done);
    }
    w->len = 0;
    return rc;
}

static int wal_close(sqlite3_file *f)
{
    struct wal_file *w = (struct wal_file *)f;
    int rc = drain(w);
    int rc2 = w->real->pMethods->xClose(w->real);
    free(w->buf);
    w->buf = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wal_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    int rc = drain((struct wal_file *)f);
    return rc != SQLITE_OK ? rc : real(f)->pMethods->xRead(real(f), p, n, off);
}

static int valid_page_size(uint32_t v)
{
    return v >= 512 && v <= 65536 && (v & (v - 1)) == 0 ? (int)v : 0;
}

/* Where a frame header of this write says "commit", note where that frame ends. The page
 * size comes from the WAL header: written through this handle, or read from the file for a
 * log this handle continues. */
static void note_commit(struct wal_file *w, const unsigned char *p, int n, sqlite3_int64 off)
{
    if (off == 0 && n >= WAL_HEADER)
        w->page_size = valid_page_size(be32(p + 8));
    if (!w->page_size && off >= WAL_HEADER) {
        unsigned char h[WAL_HEADER];
        if (w->real->pMethods->xRead(w->real, h, WAL_HEADER, 0) == SQLITE_OK)
            w->page_size = valid_page_size(be32(h + 8));
    }
    if (!w->page_size || off < WAL_HEADER)
        return;
    sqlite3_int64 frame = FRAME_HEADER + w->page_size;
    sqlite3_int64 first = off + (frame - (off - WAL_HEADER) % frame) % frame;
    for (sqlite3_int64 h = first; h + 8 <= off + n; h += frame)
        if (be32(p + (h - off) + 4) != 0)
            w->commit = h + frame;
}

static int wal_write(sqlite3_file *f, const void *data, int n, sqlite3_int64 off)
{
    struct wal_file *w = (struct wal_file *)f;
    const unsigned char *p = data;
    int rc;
    note_commit(w, p, n, off);
    if (!(w->len && off == w->start + (sqlite3_int64)w->len) || w->len + (size_t)n > WALBUF_CAP) {
        if ((rc = drain(w)) != SQLITE_OK)
            return rc;
    }
    if (w->page_size && !w->buf)
        w->buf = malloc(WALBUF_CAP); /* on the first write: readers never need one */
    if (!w->page_size || !w->buf || n > DRAIN_PIECE) {
        /* Frames that cannot be told apart (no page size known), no buffer to be had, or a
         * write larger than a piece: straight through, after what is gathered. */
        if ((rc = drain(w)) != SQLITE_OK ||
            (rc = real(f)->pMethods->xWrite(real(f), data, n, off)) != SQLITE_OK)
            return rc;
    } else {
        if (!w->len)
            w->start = off;
        memcpy(w->buf + w->len, p, (size_t)n);
        w->len += (size_t)n;
    }
    if (w->commit && off + n >= w->commit) {
        w->commit = 0;
        return drain(w);
    }
    return SQLITE_OK;
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    int rc = drain((struct wal_file *)f);
    return rc != SQLITE_OK ? rc : real(f)->pMethods->xTruncate(real(f), size);
}

static int wal_sync(sqlite3_file *f, int flags)
{
    int rc = drain((struct wal_file *)f);
    return rc != SQLITE_OK ? rc : real(f)->pMethods->xSync(real(f), flags);
}

static int wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    int rc = drain((struct wal_file *)f);
    return rc != SQLITE_OK ? rc : real(f)->pMethods->xFileSize(real(f), size);
}

static int wal_lock(sqlite3_file *f, int level)
{
    return real(f)->pMethods->xLock(real(f), level);
}

static int wal_unlock(sqlite3_file *f, int level)
{
    return real(f)->pMethods->xUnlock(real(f), level);
}

static int wal_check_reserved(sqlite3_file *f, int *out)
{
    return real(f)->pMethods->xCheckReservedLock(real(f), out);
}

static int wal_file_control(sqlite3_file *f, int op, void *arg)
{
    int rc = drain((struct wal_file *)f);
    return rc != SQLITE_OK ? rc : real(f)->pMethods->xFileControl(real(f), op, arg);
}

static int wal_sector_size(sqlite3_file *f)
{
    return real(f)->pMethods->xSectorSize(real(f));
}

static int wal_device(sqlite3_file *f)
{
    return real(f)->pMethods->xDeviceCharacteristics(real(f));
}

static const sqlite3_io_methods wal_methods = {
    .iVersion = 1,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_reserved,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device,
};

/* WAL files get a buffer; every other file is the default VFS's own, opened in place (this
 * VFS's file size is larger than the default's). */
static int walbuf_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                       int *out_flags)
{
    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL))
        return real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
    struct wal_file *w = (struct wal_file *)f;
    memset(w, 0, sizeof(*w));
    w->real = (sqlite3_file *)(w + 1);
    int rc = real_vfs->xOpen(real_vfs, name, w->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        w->base.pMethods = NULL;
        return rc;
    }
    w->base.pMethods = &wal_methods;
    return SQLITE_OK;
}

static int walbuf_delete(sqlite3_vfs *v, const char *name, int sync)
{
    (void)v;
    return real_vfs->xDelete(real_vfs, name, sync);
}
static int walbuf_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    (void)v;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int walbuf_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static void *walbuf_dlopen(sqlite3_vfs *v, const char *name)
{
    (void)v;
    return real_vfs->xDlOpen(real_vfs, name);
}
static void walbuf_dlerror(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    real_vfs->xDlError(real_vfs, n, out);
}
static void (*walbuf_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    (void)v;
    return real_vfs->xDlSym(real_vfs, h, sym);
}
static void walbuf_dlclose(sqlite3_vfs *v, void *h)
{
    (void)v;
    real_vfs->xDlClose(real_vfs, h);
}
static int walbuf_randomness(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return real_vfs->xRandomness(real_vfs, n, out);
}
static int walbuf_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return real_vfs->xSleep(real_vfs, us);
}
static int walbuf_current_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return real_vfs->xCurrentTime(real_vfs, out);
}
static int walbuf_last_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}
static int walbuf_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static int registered;
static void walbuf_register(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs || real_vfs->iVersion < 2)
        return;
    int size = (int)sizeof(struct wal_file) + real_vfs->szOsFile;
    walbuf_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = size, /* room for a wal_file and the default VFS's file after it */
        .mxPathname = real_vfs->mxPathname,
        .zName = STORE_WALBUF_VFS,
        .xOpen = walbuf_open,
        .xDelete = walbuf_delete,
        .xAccess = walbuf_access,
        .xFullPathname = walbuf_full_pathname,
        .xDlOpen = walbuf_dlopen,
        .xDlError = walbuf_dlerror,
        .xDlSym = walbuf_dlsym,
        .xDlClose = walbuf_dlclose,
        .xRandomness = walbuf_randomness,
        .xSleep = walbuf_sleep,
        .xCurrentTime = walbuf_current_time,
        .xGetLastError = walbuf_last_error,
        .xCurrentTimeInt64 = walbuf_current_time_int64,
    };
    registered = sqlite3_vfs_register(&walbuf_vfs, 0) == SQLITE_OK;
}

const char *store_walbuf_vfs(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, walbuf_register);
    return registered ? STORE_WALBUF_VFS : NULL;
}
