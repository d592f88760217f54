/*
 * store_walbuf: SQLite's default VFS with a connection's WAL writes gathered into one write
 * per commit (store_walbuf.c says when the bytes reach the file, and why that keeps SQLite's
 * rules). Internal to the store's SQLite backend.
 */
#ifndef GRIDLOOP_STORE_WALBUF_H
#define GRIDLOOP_STORE_WALBUF_H

#define STORE_WALBUF_VFS "gridloop-walbuf"

/* The VFS's name for sqlite3_open_v2(), registering it on the first call (thread-safe); NULL
 * if it could not be registered (the default VFS is then used). */
const char *store_walbuf_vfs(void);

#endif
