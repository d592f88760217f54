/*
 * banned: C library functions gridloop code must not call, as git's banned.h.
 *
 *   strcpy, strcat      no bound: use snprintf(dst, size, "%s", src) or memcpy with a length
 *   sprintf, vsprintf   no bound: use snprintf / vsnprintf, or buf_printf / arena_printf
 *   gets                cannot be used safely at all (gone from C11)
 *   strtok              hidden static state, not thread-safe: use strtok_r or strchr
 *   atoi                no error report: use strtol and check 'end' and errno
 *
 * A use expands to an undeclared identifier named after the function, so the build fails
 * with "sorry_strcpy_is_a_banned_function undeclared".
 *
 * How it is included: CMakeLists.txt compiles every source file under src/ with
 * `-include src/core/banned.h` (BANNED_FLAGS), so no file can forget it. git includes banned.h at the end of git-compat-util.h, after the
 * system headers, because the system headers declare these names (and, with
 * _FORTIFY_SOURCE, define inline wrappers of them) and a macro defined first would mangle
 * those declarations. A forced include comes before the file's own includes, so this header
 * plays git-compat-util.h's part: it includes the three system headers that declare the
 * banned names first; their include guards make the file's later #include of them a no-op.
 * Tests and benchmarks are not compiled with it.
 */
#ifndef GRIDLOOP_CORE_BANNED_H
#define GRIDLOOP_CORE_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)

#endif /* GRIDLOOP_CORE_BANNED_H */
