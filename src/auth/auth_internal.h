/* Between the files of the auth module only. */
#ifndef GRIDLOOP_AUTH_INTERNAL_H
#define GRIDLOOP_AUTH_INTERNAL_H

struct arena;
struct err;

/* Seal 'phone' under 'key': base64 secretbox, mask and keyed hash, in 'a'. "" seals to "". */
int auth_phone_seal(const unsigned char *key, const char *phone, struct arena *a, char **enc,
                    char **mask, char **hash, struct err *err);

/* Open a sealed phone ("" → ""); ERR_INTEGRITY when it does not decrypt with 'key'. */
int auth_phone_open(const unsigned char *key, const char *enc, struct arena *a, const char **out,
                    struct err *err);

#endif /* GRIDLOOP_AUTH_INTERNAL_H */
