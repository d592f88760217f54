/*
 * Validators for identifiers that imported and shared data carry (issue 17): the GB 11643
 * citizen ID, the GB 32100 unified social credit code, mainland mobile and fixed-line numbers,
 * and the date/integer/number parsers importers use. Pure functions: no database, no clock
 * (the caller passes today's date), no allocation. Each validator answers VALID_OK or a reason
 * code; valid_reason_key() names it for the web's strings and valid_reason_zh() gives the
 * Chinese text the API answers.
 */
#ifndef GRIDLOOP_VALID_VALID_H
#define GRIDLOOP_VALID_VALID_H

#include <stddef.h>
#include <stdint.h>

enum valid_reason {
    VALID_OK = 0,
    VALID_EMPTY,     /* nothing given */
    VALID_LENGTH,    /* wrong number of characters */
    VALID_CHARS,     /* a character outside the allowed set */
    VALID_REGION,    /* ID card: administrative region code not plausible */
    VALID_BIRTH,     /* ID card: birth date not a real date, or in the future */
    VALID_CHECK,     /* the final check character does not match */
    VALID_AUTHORITY, /* credit code: registration authority code unknown */
    VALID_ORG_TYPE,  /* credit code: organisation type code unknown for the authority */
    VALID_ORG_CHECK, /* credit code: the GB 11714 check character (position 17) wrong */
    VALID_PREFIX,    /* mobile: not 1[3-9]; fixed line: area code wrong */
    VALID_EXTENSION, /* fixed line: extension malformed */
    VALID_DATE,      /* date parser: not a date */
    VALID_NUMBER,    /* integer/number parser: not a number or out of range */
    VALID_NREASONS
};

/* "valid.check" etc.: stable key for translations. */
const char *valid_reason_key(enum valid_reason r);
/* Chinese reason, e.g. "校验码错误"; "" for VALID_OK. */
const char *valid_reason_zh(enum valid_reason r);

/*
 * GB 11643-1999 citizen ID: 18 characters, region prefix among the real provinces, birth date
 * real and not after today_ymd (YYYYMMDD; 0 = do not compare), MOD 11-2 check (x accepted).
 */
enum valid_reason valid_id_card(const char *s, int today_ymd);

/*
 * GB 32100-2015 unified social credit code: character set, registration authority and type,
 * region, MOD 31 check at position 18; then the GB 11714 organisation code check at position 17
 * when strict_org is VALID_ORG_ALWAYS, or VALID_ORG_USUAL (every code but a 个体工商户's, 92...,
 * whose body is often a registration number, not an organisation code); 0 skips it.
 */
enum { VALID_ORG_SKIP = 0, VALID_ORG_USUAL = 1, VALID_ORG_ALWAYS = 2 };
enum valid_reason valid_credit_code(const char *s, int strict_org);

/* The GB 11714 organisation code check character for 8 characters, or 0 if a char is bad. */
char valid_org_code_check(const char *eight);

/*
 * Mainland mobile: optional +86 / 86 / 0086 prefix, spaces and dashes tolerated, then 11 digits
 * 1[3-9]xxxxxxxxx. If out is non-NULL (12 bytes) the 11 digits are written there.
 */
enum valid_reason valid_mobile(const char *s, char out[12]);

/*
 * Fixed line: area code 0xx or 0xxx (written with or without parentheses, dash or space),
 * 7-8 digit subscriber number not starting with 0, optional extension
 * ("-123", "转123", "ext 123", "x123", 1-6 digits).
 */
enum valid_reason valid_phone(const char *s);

/*
 * Dates: 2026-01-05, 2026/1/5, 2026.1.5, 20260105, 2026年1月5日 (surrounding spaces allowed; an
 * ISO time part "T..." or " hh:mm[:ss]" after the date is ignored). *ymd = 20260105.
 */
enum valid_reason valid_parse_date(const char *s, int *ymd);
/* Days in month, 0 if the month is out of range. */
int valid_days_in_month(int y, int m);
/* Signed decimal integer, thousands separators "," allowed; spaces around. */
enum valid_reason valid_parse_int(const char *s, int64_t *out);
/* Decimal number (sign, digits, optional fraction, optional exponent, "," separators, trailing %). */
enum valid_reason valid_parse_number(const char *s, double *out);

/* ---- masking (GB/T 35273 style), valid_mask.c ---- */

enum valid_mask_rule {
    MASK_NONE = 0,
    MASK_FULL,
    MASK_NAME,
    MASK_ID_CARD,
    MASK_MOBILE,
    MASK_PHONE,
    MASK_ADDRESS,
    MASK_CREDIT_CODE,
    MASK_EMAIL,
    MASK_YEAR,
    MASK_NRULES
};

/* "name" → MASK_NAME; -1 if unknown. */
int valid_mask_rule_parse(const char *name);
const char *valid_mask_rule_name(enum valid_mask_rule r);

/*
 * Masks the UTF-8 string in into out (cap bytes, NUL-terminated). Counts characters, not bytes.
 * Returns the length written, or -1 if out is too small (out then holds "").
 * address_keep: characters kept when the address has no 社区/村/小区 marker (0 = 6).
 */
int valid_mask(enum valid_mask_rule r, const char *in, char *out, size_t cap, int address_keep);

#endif
