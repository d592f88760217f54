/*
 * citizen: residents as users. Sign-up and sign-in with a mobile number and a one-time code
 * sent by SMS (through the SMS outbox, src/notify): the code is 6 digits, kept only as a hash
 * keyed with the data key, valid CITIZEN_CODE_TTL seconds and CITIZEN_CODE_ATTEMPTS tries;
 * requests are limited per number and per client address. Every answer is the same whether or
 * not the number has an account: the first correct code creates it (role citizen).
 * Ownership: strings in the arena given to the call.
 */
#ifndef GRIDLOOP_CITIZEN_CITIZEN_H
#define GRIDLOOP_CITIZEN_CITIZEN_H

#include <stdint.h>

struct arena;
struct err;
struct store_conn;

#define CITIZEN_CODE_DIGITS 6
#define CITIZEN_CODE_TTL 300      /* seconds a code is valid */
#define CITIZEN_CODE_ATTEMPTS 5   /* wrong tries before a code is dead */
#define CITIZEN_CODE_GAP 60       /* seconds between two codes to one number */
#define CITIZEN_CODES_PER_PHONE 5 /* codes to one number per hour */
#define CITIZEN_CODES_PER_IP 20   /* codes asked from one address per hour */

/* 0 if 'phone' is a mainland mobile number (valid_mobile: 11 digits 1[3-9]..., a +86 prefix,
 * spaces and '-' allowed); the 11 digits go to 'out' (12 bytes). ERR_BAD_REQUEST on field
 * 'phone' otherwise. */
int citizen_mobile_check(const char *phone, char out[12], struct err *err);

/* Queue a sign-in code for 'phone' asked from 'ip', inside the caller's transaction. Past a
 * limit ERR_THROTTLED with '*retry_after' seconds, the same whether or not the number has an
 * account. 'key' is the 32-byte data key. '*mask' gets the masked number (arena). */
int citizen_code_request(struct store_conn *c, const unsigned char *key, const char *phone,
                         const char *ip, int64_t now, struct arena *a, const char **mask,
                         int *retry_after, struct err *err);

/*
 * Check 'code' for 'phone' inside the caller's transaction: the newest live code of the
 * number (unused, unexpired, tries left). Right: the code is used up, and '*user_id' is the
 * number's citizen account, created now when it has none ('*created' = 1). Wrong or none:
 * ERR_UNAUTHORIZED on field 'code', with '*code_id' the code that was tried (0 = none): the
 * caller rolls back and counts the try with citizen_code_failed in a transaction of its own.
 */
int citizen_code_verify(struct store_conn *c, const unsigned char *key, const char *phone,
                        const char *code, int64_t now, struct arena *a, int64_t *code_id,
                        int64_t *user_id, int *created, struct err *err);
int citizen_code_failed(struct store_conn *c, int64_t code_id, struct err *err);

/* ---- the profile the citizen controls ---- */
#define CITIZEN_NAME_MAX 50
#define CITIZEN_ADDRESS_MAX 200
#define CITIZEN_RELATION_MAX 20
#define CITIZEN_HOUSEHOLD_MAX 20

struct citizen_member {
    const char *name, *relation; /* 配偶, 子女, 父母 ... as the citizen writes it */
};

struct citizen_profile {
    const char *name;
    const char *id_number;   /* in: clear ("" = none); out: masked */
    int64_t region_id;       /* 0 = none */
    const char *region_name; /* out only */
    const char *address;
    int consent_offers; /* agrees to proactive offers (免申即享) */
    struct citizen_member *household;
    int nhousehold;
    int64_t updated_at; /* 0 = never saved */
};

/* The profile of 'user_id' (empty when never saved). */
int citizen_profile_get(struct store_conn *c, int64_t user_id, struct arena *a,
                        struct citizen_profile *out, struct err *err);
/* Replace it, inside the caller's transaction: the ID number checked as GB 11643 (field
 * 'id_number') and sealed with 'key'; the region must exist ('region_id'); lengths checked
 * ('name', 'address', 'household[i].name', 'household[i].relation'). 'today_ymd' YYYYMMDD. */
int citizen_profile_set(struct store_conn *c, const unsigned char *key, int64_t user_id,
                        const struct citizen_profile *in, int today_ymd, int64_t now,
                        struct arena *a, struct err *err);

/* The cases citizen 'user_id' reported, newest first (at most 'limit'). */
struct citizen_case {
    int64_t id;
    const char *number, *title, *state;
    int64_t created_at;
};
int citizen_cases(struct store_conn *c, int64_t user_id, int limit, struct arena *a,
                  struct citizen_case **out, struct err *err);

/* Delete the account of citizen 'user_id', inside the caller's transaction: the profile and
 * household gone; the account deactivated with its name, phone and sessions erased; its cases
 * kept with the reporter's name and phone erased; texts to its phone unlinked from the number.
 * '*cases' gets the number of cases kept. */
int citizen_erase(struct store_conn *c, int64_t user_id, int64_t now, int64_t *cases,
                  struct err *err);

#endif /* GRIDLOOP_CITIZEN_CITIZEN_H */
