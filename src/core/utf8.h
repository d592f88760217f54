/*
 * utf8: strict UTF-8 validation of outside input (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). Pure functions; no state.
 */
#ifndef GRIDLOOP_CORE_UTF8_H
#define GRIDLOOP_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;

/* Bytes of the valid UTF-8 sequence at the start of 's' (n bytes available): 1 to 4, or 0
 * when it is invalid (or n is 0). */
size_t utf8_seq(const char *s, size_t n);

/* utf8_seq(), and the sequence's code point in '*cp' (untouched when the sequence is invalid). */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Returns -1 if 's' is valid UTF-8, else the byte offset of the first invalid sequence. */
long utf8_invalid_at(const char *s, size_t n);

/* Number of code points in a valid UTF-8 string. */
size_t utf8_len(const char *s);

/* Bytes in the longest prefix of valid UTF-8 's' that is at most 'max' bytes long and ends
 * between two code points (so cutting there never splits a character). */
size_t utf8_prefix(const char *s, size_t max);

/* Byte offset of the first bidirectional embedding, override or isolate control in 's'
 * (U+202A..U+202E, U+2066..U+2069: they reorder how the text around them is shown, so a
 * title can display differently from what it says), or -1 when there is none. */
long utf8_bidi_control_at(const char *s);

/* 's' itself when it is valid UTF-8, else a copy in 'a' with each invalid byte replaced by
 * U+FFFD: for text that goes back out (an error message quoting the client's bytes). */
char *utf8_scrub(struct arena *a, const char *s);

/* The length check of a free-text field: valid UTF-8 of min..max code points ('v' NULL counts
 * as empty); otherwise ERR_BAD_REQUEST naming 'field'. */
int utf8_check_field(const char *v, const char *field, size_t min, size_t max, struct err *err);

#endif /* GRIDLOOP_CORE_UTF8_H */
