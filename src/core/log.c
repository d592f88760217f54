#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_threshold = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void log_set_level(enum log_level level)
{
    log_threshold = level;
}

int log_level_from_name(const char *name)
{
    for (int i = 0; i <= LOG_OFF; i++)
        if (strcmp(level_names[i], name) == 0)
            return i;
    return -1;
}

int log_enabled(enum log_level level)
{
    return level >= log_threshold && log_threshold != LOG_OFF;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n =
        snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02dZ %s ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

void log_line_stdout(const char *line, unsigned long len)
{
    struct iovec iov[2] = {{(void *)line, len}, {(void *)"\n", 1}};
    ssize_t w = writev(STDOUT_FILENO, iov, 2);
    (void)w;
}
