/*
 * libFuzzer target: the trusted_proxies list and the client address read from
 * X-Forwarded-For / Forwarded (http_proxy.c). The first byte picks what the rest is: a list
 * to parse, or a header value (X-Forwarded-For or Forwarded, a '\n' separating the
 * X-Forwarded-Proto value). A client found must be an address in canonical text.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] % 3;
    char *text = xmalloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    struct err err = ERR_INIT;
    struct http_proxies *p = NULL;
    if (mode == 0) {
        int rc = http_proxies_new(&p, text, NULL, &err);
        if (rc != 0 && rc != ERR_BAD_REQUEST)
            abort();
        http_proxies_free(p);
        free(text);
        return 0;
    }
    if (http_proxies_new(&p, "10.0.0.0/8, 127.0.0.1, fd00::/8", mode == 1 ? NULL : "forwarded",
                         &err) != 0)
        abort();
    char *proto = strchr(text, '\n');
    if (proto)
        *proto++ = '\0';
    char ip[64];
    int https = 0;
    memset(ip, 'x', sizeof(ip));
    if (http_proxy_client(p, text, proto, ip, sizeof(ip), &https)) {
        unsigned char a[16];
        if (!memchr(ip, '\0', sizeof(ip)) ||
            (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1))
            abort();
        if (https != 0 && https != 1)
            abort();
    }
    http_proxies_free(p);
    free(text);
    return 0;
}
