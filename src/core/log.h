/*
 * log: leveled diagnostics to stderr. The level is the one piece of process-wide state;
 * it is set once at start-up from the configuration, before any thread starts.
 * Lines are written with one write() each, so threads do not interleave within a line.
 */
#ifndef GRIDLOOP_CORE_LOG_H
#define GRIDLOOP_CORE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

void log_set_level(enum log_level level);
int log_level_from_name(const char *name); /* -1 if unknown */
int log_enabled(enum log_level level);
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks the level before formatting, so disabled debug lines cost one comparison. */
#define log_msg(level, ...)                                                                        \
    do {                                                                                           \
        if (log_enabled(level))                                                                    \
            log_write((level), __VA_ARGS__);                                                       \
    } while (0)

/* Write one preformatted line (newline appended) to stdout, atomically. */
void log_line_stdout(const char *line, unsigned long len);

#endif /* GRIDLOOP_CORE_LOG_H */
