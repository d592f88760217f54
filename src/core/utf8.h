/*
 * utf8: strict UTF-8 validation of outside input (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). Pure functions; no state.
 */
#ifndef GRIDLOOP_CORE_UTF8_H
#define GRIDLOOP_CORE_UTF8_H

#include <stddef.h>

/* Returns -1 if 's' is valid UTF-8, else the byte offset of the first invalid sequence. */
long utf8_invalid_at(const char *s, size_t n);

/* Number of code points in a valid UTF-8 string. */
size_t utf8_len(const char *s);

/* Bytes in the longest prefix of valid UTF-8 's' that is at most 'max' bytes long and ends
 * between two code points (so cutting there never splits a character). */
size_t utf8_prefix(const char *s, size_t max);

#endif /* GRIDLOOP_CORE_UTF8_H */
