/*
 * Trusted reverse proxies: which socket peers may tell us the client's address, and reading
 * it from X-Forwarded-For or Forwarded (RFC 7239).
 *
 * Every proxy appends the address it received the request from, so the list reads client,
 * proxy1, proxy2, ... and only the entries added by our own proxies can be believed: the
 * client writes whatever it likes to the left of them. The client is therefore the rightmost
 * address that is not itself a trusted proxy. Only one of the two headers is read (the
 * setting names which): a proxy that sets one passes the other through from the client
 * untouched, so believing both would let the client choose its address.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/mem.h"
#include "http/http.h"

/* Longest list of hops looked at: only the rightmost ones can be ours. */
#define MAX_HOPS 32
#define MAX_PROXIES 256

struct cidr {
    unsigned char a[16]; /* IPv4 as ::ffff:a.b.c.d */
    int bits;            /* of the 128 */
};

struct http_proxies {
    enum http_proxy_header header;
    int n;
    struct cidr list[];
};

/* Parse an address: IPv4 dotted or IPv6 text, no brackets, no port. */
static int parse_addr(const char *s, size_t n, unsigned char out[16], int *v4)
{
    char tmp[INET6_ADDRSTRLEN + 1];
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    struct in_addr a4;
    if (inet_pton(AF_INET, tmp, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        *v4 = 1;
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, out) == 1) {
        *v4 = 0;
        return 0;
    }
    return -1;
}

static int in_cidr(const struct cidr *c, const unsigned char a[16])
{
    int full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->a, a, (size_t)full) != 0)
        return 0;
    if (rest) {
        unsigned char mask = (unsigned char)(0xff << (8 - rest));
        if ((c->a[full] & mask) != (a[full] & mask))
            return 0;
    }
    return 1;
}

static int trusted(const struct http_proxies *p, const unsigned char a[16])
{
    for (int i = 0; i < p->n; i++)
        if (in_cidr(&p->list[i], a))
            return 1;
    return 0;
}

static const struct {
    const char *name;
    enum http_proxy_header h;
} header_names[] = {{"x-forwarded-for", HTTP_PROXY_XFF}, {"forwarded", HTTP_PROXY_FORWARDED}};

int http_proxies_new(struct http_proxies **out, const char *list, const char *header,
                     struct err *err)
{
    *out = NULL;
    enum http_proxy_header h = HTTP_PROXY_XFF;
    size_t k;
    for (k = 0; k < sizeof(header_names) / sizeof(header_names[0]); k++)
        if (strcasecmp(header ? header : "x-forwarded-for", header_names[k].name) == 0)
            break;
    if (k == sizeof(header_names) / sizeof(header_names[0]))
        return err_field(err, ERR_BAD_REQUEST, "trusted_proxy_header",
                         "trusted_proxy_header '%s' must be 'x-forwarded-for' or 'forwarded'",
                         header);
    h = header_names[k].h;
    struct http_proxies *p = xcalloc(1, sizeof(*p) + MAX_PROXIES * sizeof(struct cidr));
    p->header = h;
    const char *s = list ? list : "";
    while (*s) {
        while (*s == ',' || isspace((unsigned char)*s))
            s++;
        size_t n = strcspn(s, ", \t\r\n");
        if (!n)
            break;
        const char *slash = memchr(s, '/', n);
        size_t alen = slash ? (size_t)(slash - s) : n;
        struct cidr c;
        int v4 = 0, bits = -1;
        if (parse_addr(s, alen, c.a, &v4) < 0)
            goto bad;
        if (slash) {
            const char *d = slash + 1;
            bits = 0;
            if (d == s + n || s + n - d > 3)
                goto bad;
            for (; d < s + n; d++) {
                if (!isdigit((unsigned char)*d))
                    goto bad;
                bits = bits * 10 + (*d - '0');
            }
            if (bits > (v4 ? 32 : 128))
                goto bad;
        }
        c.bits = bits < 0 ? 128 : v4 ? 96 + bits : bits;
        if (p->n == MAX_PROXIES) {
            free(p);
            return err_field(err, ERR_BAD_REQUEST, "trusted_proxies",
                             "trusted_proxies lists more than %d entries", MAX_PROXIES);
        }
        p->list[p->n++] = c;
        s += n;
        continue;
bad:
        free(p);
        return err_field(err, ERR_BAD_REQUEST, "trusted_proxies",
                         "trusted_proxies entry '%.*s' is not an address or address/prefix",
                         (int)(n > 64 ? 64 : n), s);
    }
    if (p->n == 0) {
        free(p);
        return 0; /* no proxies: the peer is the client */
    }
    *out = p;
    return 0;
}

void http_proxies_free(struct http_proxies *p)
{
    free(p);
}

enum http_proxy_header http_proxies_header(const struct http_proxies *p)
{
    return p->header;
}

int http_proxies_trust(const struct http_proxies *p, const char *ip)
{
    unsigned char a[16];
    int v4;
    return p && ip && parse_addr(ip, strlen(ip), a, &v4) == 0 && trusted(p, a);
}

/* One hop of the list: where its node address and proto are in the header text. */
struct hop {
    const char *node;
    size_t node_len;
    const char *proto;
    size_t proto_len;
};

static const char *skip_ows(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

static size_t trim_len(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n;
}

/* Keep the last MAX_HOPS hops: the rightmost are the ones our proxies wrote. */
static void push_hop(struct hop *hops, int *n, struct hop h)
{
    if (*n == MAX_HOPS) {
        memmove(hops, hops + 1, (MAX_HOPS - 1) * sizeof(*hops));
        (*n)--;
    }
    hops[(*n)++] = h;
}

static int split_xff(const char *v, struct hop *hops)
{
    int n = 0;
    const char *end = v + strlen(v);
    while (v <= end) {
        const char *comma = memchr(v, ',', (size_t)(end - v));
        const char *e = comma ? comma : end;
        const char *s = skip_ows(v, e);
        size_t len = trim_len(s, (size_t)(e - s));
        if (len)
            push_hop(hops, &n, (struct hop){s, len, NULL, 0});
        if (!comma)
            break;
        v = comma + 1;
    }
    return n;
}

/* A token or quoted-string value starting at s; its content (unquoted, escapes left in: a
 * node or proto never has them) goes to *val. Returns the position after it. */
static const char *forwarded_value(const char *s, const char *end, const char **val, size_t *len)
{
    if (s < end && *s == '"') {
        const char *q = ++s;
        while (q < end && *q != '"') {
            if (*q == '\\' && q + 1 < end)
                q++;
            q++;
        }
        *val = s;
        *len = (size_t)(q - s);
        return q < end ? q + 1 : q;
    }
    const char *t = s;
    while (t < end && *t != ';' && *t != ',' && *t != ' ' && *t != '\t')
        t++;
    *val = s;
    *len = (size_t)(t - s);
    return t;
}

static int split_forwarded(const char *v, struct hop *hops)
{
    int n = 0;
    const char *end = v + strlen(v);
    struct hop h = {0};
    const char *s = v;
    while (s < end) {
        s = skip_ows(s, end);
        if (s < end && (*s == ',' || *s == ';')) {
            if (*s == ',') {
                if (h.node || h.proto)
                    push_hop(hops, &n, h);
                memset(&h, 0, sizeof(h));
            }
            s++;
            continue;
        }
        const char *name = s;
        while (s < end && *s != '=' && *s != ';' && *s != ',')
            s++;
        size_t nlen = trim_len(name, (size_t)(s - name));
        if (s == end || *s != '=')
            continue; /* a pair without a value: skipped */
        const char *val;
        size_t vlen;
        s = forwarded_value(skip_ows(s + 1, end), end, &val, &vlen);
        if (nlen == 3 && strncasecmp(name, "for", 3) == 0) {
            h.node = val;
            h.node_len = vlen;
        } else if (nlen == 5 && strncasecmp(name, "proto", 5) == 0) {
            h.proto = val;
            h.proto_len = vlen;
        }
    }
    if (h.node || h.proto)
        push_hop(hops, &n, h);
    return n;
}

/* A hop's node as an address: "1.2.3.4", "1.2.3.4:80", "[v6]", "[v6]:80" or a bare IPv6. */
static int node_addr(const struct hop *h, unsigned char a[16], int *v4)
{
    const char *s = h->node;
    size_t n = h->node_len;
    if (!s)
        return -1;
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return -1;
        return parse_addr(s + 1, (size_t)(close - s - 1), a, v4);
    }
    if (parse_addr(s, n, a, v4) == 0)
        return 0;
    const char *colon = memchr(s, ':', n);
    if (colon && !memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)))
        return parse_addr(s, (size_t)(colon - s), a, v4) == 0 && *v4 ? 0 : -1;
    return -1;
}

static int is_https(const char *s, size_t n)
{
    n = trim_len(s, n);
    return n == 5 && strncasecmp(s, "https", 5) == 0;
}

int http_proxy_client(const struct http_proxies *p, const char *fwd, const char *xf_proto, char *ip,
                      size_t ip_size, int *https)
{
    struct hop hops[MAX_HOPS];
    int n = 0, found = -1;
    unsigned char a[16], client[16];
    int v4 = 0, client_v4 = 0;
    if (!p || !fwd)
        return 0;
    n = p->header == HTTP_PROXY_FORWARDED ? split_forwarded(fwd, hops) : split_xff(fwd, hops);
    /* Walk from the right past our own proxies; the first other address is the client. A
     * hop that is no address ("unknown", an obfuscated name) ends the walk: what lies left
     * of it cannot be checked, so the peer stays the client. */
    for (int i = n - 1; i >= 0; i--) {
        if (node_addr(&hops[i], a, &v4) < 0)
            return 0;
        memcpy(client, a, 16);
        client_v4 = v4;
        found = i;
        if (!trusted(p, a))
            break;
    }
    if (found < 0)
        return 0;
    if (client_v4)
        inet_ntop(AF_INET, client + 12, ip, (socklen_t)ip_size);
    else
        inet_ntop(AF_INET6, client, ip, (socklen_t)ip_size);
    if (p->header == HTTP_PROXY_FORWARDED) {
        *https = hops[found].proto && is_https(hops[found].proto, hops[found].proto_len);
    } else if (xf_proto) {
        /* The proxy that spoke to us set it last. */
        const char *last = strrchr(xf_proto, ',');
        last = last ? last + 1 : xf_proto;
        last = skip_ows(last, last + strlen(last));
        *https = is_https(last, strlen(last));
    }
    return 1;
}
