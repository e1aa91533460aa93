/* lwbsd — one background job at a time in a worker thread, its completion
 * reported back to the event loop through an eventfd: the group-commit
 * pattern (collect in the loop, write and fdatasync in the thread, answer
 * in the loop when done) without blocking the loop on the disk.
 *
 *   loop thread:   fill the job's input, lwbs_offload_start()
 *   worker thread: job(arg) runs (blocking I/O allowed; it must touch only
 *                  what the loop handed over)
 *   loop thread:   done(arg, result) runs from the loop; the next job may
 *                  be started from done().
 */
#ifndef LWBSD_OFFLOAD_H
#define LWBSD_OFFLOAD_H

#include <stdbool.h>

#include "loop.h"

typedef int (*lwbs_offload_job_fn)(void *arg);
typedef void (*lwbs_offload_done_fn)(void *arg, int result);

struct lwbs_offload;

/* Starts the worker thread; call with the loop's signals blocked. Caller
 * owns the result (lwbs_offload_destroy). 0 or a negative errno. */
int lwbs_offload_create(struct lwbs_loop *loop, lwbs_offload_job_fn job, lwbs_offload_done_fn done,
			void *arg, struct lwbs_offload **out);
/* Waits for the job in flight and any that its done() starts, then stops
 * the thread. NULL-safe. */
void lwbs_offload_destroy(struct lwbs_offload *o);

/* Runs job(arg) in the worker; -EBUSY while a job is in flight. */
int lwbs_offload_start(struct lwbs_offload *o);
/* A job was started and its done() has not run yet. */
bool lwbs_offload_busy(const struct lwbs_offload *o);
/* Blocks until the job in flight finishes and runs its done(); no-op when
 * idle. For shutdown paths. */
void lwbs_offload_wait(struct lwbs_offload *o);

#endif
