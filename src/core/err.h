/*
 * err: the one error vocabulary of gridloop.
 *
 * Functions return 0 on success or a negative ERR_* code, and fill a caller-supplied
 * struct err with a message (and, for input errors, the offending field). The table below
 * is the only place a code is tied to its name and to the HTTP status the API answers with.
 *
 * Threading: no shared state. Ownership: struct err is a plain value owned by the caller.
 */
#ifndef GRIDLOOP_CORE_ERR_H
#define GRIDLOOP_CORE_ERR_H

#include <stdarg.h>
#include <stddef.h>

/*        name              value  http  code string          default message */
/* clang-format off */
#define GRIDLOOP_ERR_MAP(X)                                                                  \
    X(BAD_REQUEST,         -1,   400, "bad_request",         "malformed request")          \
    X(UNAUTHORIZED,        -2,   401, "unauthorized",        "authentication required")    \
    X(FORBIDDEN,           -3,   403, "forbidden",           "not allowed")                \
    X(NOT_FOUND,           -4,   404, "not_found",           "no such resource")           \
    X(METHOD,              -5,   405, "method_not_allowed",  "method not allowed")         \
    X(CONFLICT,            -6,   409, "conflict",            "conflicting state")          \
    X(TOO_LARGE,           -7,   413, "payload_too_large",   "request body too large")     \
    X(HEADERS_TOO_LARGE,   -15,  431, "request_header_fields_too_large", "request headers too large") \
    X(MEDIA_TYPE,          -8,   415, "unsupported_media_type", "unsupported media type")  \
    X(THROTTLED,           -9,   429, "too_many_requests",   "too many requests")          \
    X(STORE,               -10,  500, "store_error",         "storage failure")            \
    X(INTERNAL,            -11,  500, "internal",            "internal error")             \
    X(IO,                  -12,  500, "io_error",            "input/output failure")       \
    X(UNAVAILABLE,         -13,  503, "unavailable",         "service unavailable")        \
    X(INTEGRITY,           -14,  500, "integrity",           "integrity check failed")     \
    X(URI_TOO_LONG,        -16,  414, "uri_too_long",        "request target too long")    \
    X(NOT_IMPLEMENTED,     -17,  501, "not_implemented",     "not implemented")
/* clang-format on */

enum err_code {
    ERR_OK = 0,
#define X(name, val, http, str, msg) ERR_##name = (val),
    GRIDLOOP_ERR_MAP(X)
#undef X
};

#define ERR_MSG_MAX 256
#define ERR_FIELD_MAX 64

struct err {
    int code;                  /* 0 or ERR_* */
    char msg[ERR_MSG_MAX];     /* human readable, lowercase first word, no final stop */
    char field[ERR_FIELD_MAX]; /* input field the error concerns, "" if none */
    /* Why a refusal (ERR_FORBIDDEN) refused, as one of the ERR_REASON_* words, or NULL: the
     * message is English for logs; the web words its sentence from the code, field and this. */
    const char *reason;
};

#define ERR_INIT                                                                                   \
    {                                                                                              \
        0, "", "", NULL                                                                            \
    }

/* Fill 'e' (when not NULL) and return 'code', so callers can 'return err_set(...)'. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As err_set(), naming the input field the error is about. */
int err_field(struct err *e, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reasons of a refusal (struct err.reason; the API's error.reason). */
#define ERR_REASON_ROLE "role"   /* the caller's roles do not include the route's or action's */
#define ERR_REASON_SCOPE "scope" /* the case, department or region is not in the caller's scope */
#define ERR_REASON_OWNER "owner" /* only the record's owner (its reporter, the account) may */
#define ERR_REASON_CSRF "csrf"   /* a cookie-authenticated write without the CSRF token */
#define ERR_REASON_LEAD "lead"   /* only the case's lead (or an assisting) department may */
#define ERR_REASON_ANONYMOUS "anonymous" /* the citizen asked to stay anonymous */

/* ERR_FORBIDDEN with its reason (one of the ERR_REASON_* strings, kept by pointer). */
int err_deny(struct err *e, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset to the "no error" state. */
void err_clear(struct err *e);

/* Stable lowercase code string for the API ("not_found"); "internal" for unknown codes. */
const char *err_code_name(int code);

/* HTTP status for a code (500 for unknown codes). */
int err_http_status(int code);

/* Default message for a code. */
const char *err_default_message(int code);

/*
 * BUG: a state the code makes impossible was reached (an enum value no switch case covers, a
 * table row that the unit tests would have caught). That is a programming error, not an input
 * error: carrying on with a made-up value would hide it, so BUG() writes "BUG: file:line: ..."
 * to stderr and aborts (a core dump shows where). Never use it for anything outside input,
 * the database or the system can cause: those return an ERR_* code.
 */
#define BUG(...) err_bug(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void err_bug(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* GRIDLOOP_CORE_ERR_H */
