/* Declarations shared by the files of the http module only. */
#ifndef GRIDLOOP_HTTP_HTTP_INTERNAL_H
#define GRIDLOOP_HTTP_HTTP_INTERNAL_H

#include <stdint.h>

struct http_metrics;
struct http_res;

/* Gives up whatever the response owns for its current body (http_res.c). */
void http_res_drop(struct http_res *res);

struct http_metrics *http_metrics_new(void);
void http_metrics_free(struct http_metrics *m);
void http_metrics_observe(struct http_metrics *m, const char *route, int status, uint64_t ns);

/* The streams of one server (http_stream.c) and their keep-alive ticker thread. */
struct MHD_Connection;
struct MHD_Response;
struct http_stream;
struct http_streams;

struct http_streams *http_streams_new(void);
/* Register 'st' (taking the response's reference) and build its MHD response; NULL on
 * failure, in which case the reference has been dropped. */
struct MHD_Response *http_streams_response(struct http_streams *ss, struct http_stream *st,
                                           struct MHD_Connection *c);
int http_streams_count(struct http_streams *ss);
/* Close every stream (resuming suspended connections, which MHD_stop_daemon requires) and
 * refuse new ones; stops the ticker. */
void http_streams_close_all(struct http_streams *ss);
void http_streams_free(struct http_streams *ss);

#endif /* GRIDLOOP_HTTP_HTTP_INTERNAL_H */
