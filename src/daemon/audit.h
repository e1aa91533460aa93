/* lwbsd — the session audit file: one JSON object per line, appended by a
 * writer thread so that fdatasync never blocks the event loop.
 *
 * The loop queues a record together with the session's log line; the log
 * line is written (lwbs_log_write_lines) only once the record is durable per
 * the fsync policy:
 *   batch:  the writer appends everything queued so far, fdatasync()s once,
 *           then wakes the loop through an eventfd;
 *   always: one fdatasync() per record (still in the writer thread);
 *   never:  write() only.
 * Without an audit file the log line is written at once.
 */
#ifndef LWBSD_AUDIT_H
#define LWBSD_AUDIT_H

#include <stddef.h>

#include "conf.h"
#include "loop.h"
#include "lwbs/store.h"

struct lwbs_audit;

/* path NULL: no audit file. Caller owns the result (lwbs_audit_destroy).
 * Returns 0 or a negative errno (err filled). Call with the signals that
 * the loop handles blocked, so that the thread never takes them. */
int lwbs_audit_create(struct lwbs_loop *loop, const char *path, enum lwbs_conf_fsync policy,
		      struct lwbs_audit **out, char *err, size_t err_cap);
/* Writes every queued record (waiting for the writer), then stops the
 * thread and closes the file. NULL-safe. */
void lwbs_audit_destroy(struct lwbs_audit *a);

/* Queues r and the log line to write once r is durable. */
void lwbs_audit_append(struct lwbs_audit *a, const struct lwbs_audit_record *r, const char *log_line,
		       size_t log_len);
/* Hands the queued records to the writer if it is idle; called once per
 * loop iteration. */
void lwbs_audit_kick(struct lwbs_audit *a);
/* Records queued or being written. */
size_t lwbs_audit_depth(const struct lwbs_audit *a);
/* Records made durable so far; write errors so far. */
unsigned long long lwbs_audit_written(const struct lwbs_audit *a);
unsigned long long lwbs_audit_errors(const struct lwbs_audit *a);

#endif
