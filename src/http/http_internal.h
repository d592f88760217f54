/* Declarations shared by the files of the http module only. */
#ifndef GRIDLOOP_HTTP_HTTP_INTERNAL_H
#define GRIDLOOP_HTTP_HTTP_INTERNAL_H

#include <stdint.h>

struct http_metrics;

struct http_metrics *http_metrics_new(void);
void http_metrics_free(struct http_metrics *m);
void http_metrics_observe(struct http_metrics *m, const char *route, int status, uint64_t ns);

#endif /* GRIDLOOP_HTTP_HTTP_INTERNAL_H */
