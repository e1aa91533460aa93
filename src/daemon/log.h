/* lwbsd — the log: one process-wide logger that buffers lines in memory and
 * writes them with one write() per loop iteration (lwbs_log_flush), as text
 * ("2025-01-02T03:04:05.678Z info message") or as JSON objects, one per line.
 * Loop thread only. */
#ifndef LWBSD_LOG_H
#define LWBSD_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "lwbs/buf.h"
#include "lwbs/store.h"

enum lwbs_log_level {
	LWBS_LOG_ERROR = 0,
	LWBS_LOG_WARN,
	LWBS_LOG_INFO,
	LWBS_LOG_DEBUG,
};

/* "error", "warning", "info", "debug"; -EINVAL for anything else. */
int lwbs_log_level_parse(const char *s, enum lwbs_log_level *out);

/* path NULL or "stderr": standard error; else the file, opened for append
 * (and reopened by lwbs_log_reopen). Until called, lines go to stderr as
 * text at level info. */
int lwbs_log_open(const char *path, bool json, enum lwbs_log_level level);
/* Reopens the file (after rotation); 0 or a negative errno (old fd kept). */
int lwbs_log_reopen(void);
/* Flushes and closes. */
void lwbs_log_close(void);

bool lwbs_log_enabled(enum lwbs_log_level level);
void lwbs_log(enum lwbs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats the session outcome line for r, newline included, into out
 * (NUL-terminated); returns its length, 0 when it does not fit in cap.
 * The line is written later with lwbs_log_write_lines, once the audit
 * record is durable. */
size_t lwbs_log_format_session(const struct lwbs_audit_record *r, char *out, size_t cap);
/* Appends already formatted lines (text ends with a newline). Dropped when
 * the level is below info. */
void lwbs_log_write_lines(const char *text, size_t len);

/* Appends s with JSON string escapes (no quotes); bytes of text that is not
 * UTF-8 are escaped as \u00XX. */
void lwbs_log_json_escape(struct lwbs_buf *b, const char *s);

/* Writes the buffered lines (one write per call). */
void lwbs_log_flush(void);

#endif
