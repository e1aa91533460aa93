/* lwbsd — the event loop: one epoll set, timers in a binary heap, and a
 * hook that runs once per iteration before the loop sleeps (flush logs,
 * hand audit records to the writer). Single-threaded; nothing here blocks
 * except epoll_wait itself. */
#ifndef LWBSD_LOOP_H
#define LWBSD_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct lwbs_loop;

typedef void (*lwbs_loop_fd_fn)(void *arg, uint32_t events);
typedef void (*lwbs_loop_timer_fn)(void *arg);
typedef void (*lwbs_loop_hook_fn)(void *arg);

/* A watched descriptor; caller memory, registered until lwbs_loop_del_fd(). */
struct lwbs_loop_fd {
	int fd;
	lwbs_loop_fd_fn fn;
	void *arg;
};

/* A one-shot timer; caller memory, initialised with lwbs_loop_timer_init().
 * Must be cancelled before its memory goes away. */
struct lwbs_loop_timer {
	int64_t due_ms; /* monotonic */
	size_t idx;     /* position in the heap, SIZE_MAX when not armed */
	lwbs_loop_timer_fn fn;
	void *arg;
};

/* Caller owns the loop (lwbs_loop_destroy); NULL on failure (errno set). */
struct lwbs_loop *lwbs_loop_create(void);
/* NULL-safe. Does not close registered descriptors. */
void lwbs_loop_destroy(struct lwbs_loop *l);

int lwbs_loop_add_fd(struct lwbs_loop *l, struct lwbs_loop_fd *src, int fd, uint32_t events,
		     lwbs_loop_fd_fn fn, void *arg);
int lwbs_loop_mod_fd(struct lwbs_loop *l, struct lwbs_loop_fd *src, uint32_t events);
void lwbs_loop_del_fd(struct lwbs_loop *l, struct lwbs_loop_fd *src);

void lwbs_loop_timer_init(struct lwbs_loop_timer *t, lwbs_loop_timer_fn fn, void *arg);
/* (Re)arms t to fire delay_ms from now. -ENOMEM when the heap cannot grow. */
int lwbs_loop_timer_arm(struct lwbs_loop *l, struct lwbs_loop_timer *t, int64_t delay_ms);
/* No-op when t is not armed. */
void lwbs_loop_timer_cancel(struct lwbs_loop *l, struct lwbs_loop_timer *t);
static inline int lwbs_loop_timer_armed(const struct lwbs_loop_timer *t) { return t->idx != SIZE_MAX; }

/* Runs fn(arg) once per iteration, before the loop sleeps. One hook. */
void lwbs_loop_set_hook(struct lwbs_loop *l, lwbs_loop_hook_fn fn, void *arg);

/* Monotonic milliseconds, updated once per iteration. */
int64_t lwbs_loop_now(const struct lwbs_loop *l);
/* Wall-clock milliseconds since the epoch, updated once per iteration. */
int64_t lwbs_loop_wall(const struct lwbs_loop *l);

/* Runs until lwbs_loop_stop(); returns 0 or a negative errno from epoll. */
int lwbs_loop_run(struct lwbs_loop *l);
void lwbs_loop_stop(struct lwbs_loop *l);

#endif
