/*
 * gridloop audit verify: walk the audit hash chain and say where it breaks, if it does; with
 * --head, also check it against signed heads published earlier (a line, or a file of them
 * such as the server's log): entries cut off the end after a head, or a chain rewritten and
 * recomputed before it, no longer match (docs/security.md, "the audit anchor").
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "core/mem.h"
#include "store/store.h"

/* A log line can be long; a head line is under AUDIT_ANCHOR_MAX. */
#define HEAD_LINE_MAX 65536

struct heads {
    struct audit_anchor *v;
    size_t n, cap;
    long *line; /* where each came from (0: the command line) */
};

static void heads_add(struct heads *h, const struct audit_anchor *a, long line)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 8;
        h->v = xrealloc(h->v, mem_size_mul(h->cap, sizeof(*h->v)));
        h->line = xrealloc(h->line, mem_size_mul(h->cap, sizeof(*h->line)));
    }
    h->line[h->n] = line;
    h->v[h->n++] = *a;
}

/* --head: the line itself, or a file in which every line holding a head is one. */
static int read_heads(const char *arg, struct heads *h, struct err *err)
{
    struct audit_anchor a;
    int rc;
    if (strstr(arg, AUDIT_ANCHOR_PREFIX)) {
        if ((rc = audit_anchor_parse(arg, strlen(arg), &a, err)) < 0)
            return rc;
        heads_add(h, &a, 0);
        return 0;
    }
    FILE *f = fopen(arg, "r");
    if (!f)
        return err_field(err, ERR_BAD_REQUEST, "head",
                         "--head '%s' is neither a signed head nor a readable file: %s", arg,
                         strerror(errno));
    char *buf = xmalloc(HEAD_LINE_MAX);
    long no = 0;
    rc = 0;
    while (fgets(buf, HEAD_LINE_MAX, f)) {
        no++;
        if (!strstr(buf, AUDIT_ANCHOR_PREFIX))
            continue;
        if ((rc = audit_anchor_parse(buf, strlen(buf), &a, err)) < 0) {
            rc = err_field(err, ERR_BAD_REQUEST, "head", "%s, line %ld: %s", arg, no, err->msg);
            break;
        }
        heads_add(h, &a, no);
    }
    if (rc == 0 && h->n == 0)
        rc = err_field(err, ERR_BAD_REQUEST, "head", "no signed audit head in '%s'", arg);
    free(buf);
    fclose(f);
    return rc;
}

/* The key the heads must be signed with: given, or this server's own. */
static int trusted_key(const struct conf *cf, const char *hex, unsigned char pk[32],
                       struct err *err)
{
    unsigned char seed[32];
    size_t got = 0;
    if (hex) {
        if (strlen(hex) != 64 || sodium_hex2bin(pk, 32, hex, 64, NULL, &got, NULL) != 0 ||
            got != 32)
            return err_field(err, ERR_BAD_REQUEST, "public_key",
                             "--public-key must be 64 hex digits (as `gridloop init` printed)");
        return 0;
    }
    int rc = cli_load_audit_key(cf, seed, 0, err);
    if (rc < 0)
        return err_set(err, rc, "%s: give the auditors' copy with --public-key", err->msg);
    audit_anchor_public_key(seed, pk);
    sodium_memzero(seed, sizeof(seed));
    return 0;
}

static int check_heads(struct store_conn *c, const struct heads *h, const unsigned char pk[32],
                       struct err *err)
{
    struct audit_report rep;
    size_t newest = 0;
    int rc;
    for (size_t i = 0; i < h->n; i++) {
        const struct audit_anchor *a = &h->v[i];
        if (!audit_anchor_signed_by(a, pk))
            return err_field(err, ERR_INTEGRITY, "head",
                             "the signed head of line %ld (entry %lld) does not carry a valid "
                             "signature of the trusted key",
                             h->line[i], (long long)a->seq);
        if ((rc = audit_anchor_check(c, a, &rep, err)) < 0)
            return rc;
        if (rep.first_bad_seq) {
            printf("audit chain BROKEN at entry %lld: %s (signed head of line %ld, signed at "
                   "%lld)\n",
                   (long long)rep.first_bad_seq, rep.reason, h->line[i], (long long)a->at);
            return err_set(err, ERR_INTEGRITY,
                           "audit chain does not match a signed head at entry %lld",
                           (long long)rep.first_bad_seq);
        }
        if (a->seq > h->v[newest].seq)
            newest = i;
    }
    printf("signed heads agree: %zu, the newest covering entries 1 to %lld (signed at %lld)\n",
           h->n, (long long)h->v[newest].seq, (long long)h->v[newest].at);
    return 0;
}

int cli_audit(int argc, char **argv, const struct conf *cf, struct err *err)
{
    struct cli_opts o = {0};
    struct store *st = NULL;
    struct store_conn *c;
    struct audit_report rep;
    struct heads heads = {0};
    unsigned char pk[32];
    int rc;
    if (argc < 3)
        return err_set(err, ERR_BAD_REQUEST, "'%s' needs a subcommand (see gridloop --help)",
                       argv[1]);
    if ((rc = cli_parse_opts(argc, argv, 3, &o, err)) < 0)
        return rc;
    if (strcmp(argv[2], "verify") != 0)
        return err_set(err, ERR_BAD_REQUEST, "unknown command '%s' (see gridloop --help)", argv[1]);
    if (o.public_key && !o.head)
        return err_set(err, ERR_BAD_REQUEST, "--public-key needs --head");
    if (o.head && ((rc = read_heads(o.head, &heads, err)) < 0 ||
                   (rc = trusted_key(cf, o.public_key, pk, err)) < 0))
        goto out;
    if ((rc = cli_open_store(cf, &st, err)) < 0)
        goto out;
    if ((rc = store_conn(st, &c, err)) == 0 && (rc = audit_verify(c, &rep, err)) == 0) {
        if (rep.first_bad_seq) {
            printf("audit chain BROKEN at entry %lld: %s (%lld entries read)\n",
                   (long long)rep.first_bad_seq, rep.reason, (long long)rep.entries);
            rc = err_set(err, ERR_INTEGRITY, "audit chain broken at entry %lld",
                         (long long)rep.first_bad_seq);
        } else {
            printf("audit chain intact: %lld entries\n", (long long)rep.entries);
            if (heads.n)
                rc = check_heads(c, &heads, pk, err);
        }
    }
out:
    store_close(st);
    free(heads.v);
    free(heads.line);
    return rc;
}
