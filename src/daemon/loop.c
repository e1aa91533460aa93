/* lwbsd — epoll event loop with a timer heap. */
#include "loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 64

struct lwbs_loop {
	int epfd;
	bool stop;
	int64_t now_ms, wall_ms;
	struct lwbs_loop_timer **heap;
	size_t n_heap, cap_heap;
	lwbs_loop_hook_fn hook;
	void *hook_arg;
};

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void update_clock(struct lwbs_loop *l)
{
	l->now_ms = clock_ms(CLOCK_MONOTONIC);
	l->wall_ms = clock_ms(CLOCK_REALTIME);
}

struct lwbs_loop *lwbs_loop_create(void)
{
	struct lwbs_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	update_clock(l);
	return l;
}

void lwbs_loop_destroy(struct lwbs_loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l->heap);
	free(l);
}

int lwbs_loop_add_fd(struct lwbs_loop *l, struct lwbs_loop_fd *src, int fd, uint32_t events,
		     lwbs_loop_fd_fn fn, void *arg)
{
	struct epoll_event ev = {.events = events, .data.ptr = src};

	src->fd = fd;
	src->fn = fn;
	src->arg = arg;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int lwbs_loop_mod_fd(struct lwbs_loop *l, struct lwbs_loop_fd *src, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = src};

	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, src->fd, &ev) < 0)
		return -errno;
	return 0;
}

void lwbs_loop_del_fd(struct lwbs_loop *l, struct lwbs_loop_fd *src)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, src->fd, NULL);
}

void lwbs_loop_timer_init(struct lwbs_loop_timer *t, lwbs_loop_timer_fn fn, void *arg)
{
	t->due_ms = 0;
	t->idx = SIZE_MAX;
	t->fn = fn;
	t->arg = arg;
}

static void heap_set(struct lwbs_loop *l, size_t i, struct lwbs_loop_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

static void sift_up(struct lwbs_loop *l, size_t i)
{
	struct lwbs_loop_timer *t = l->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (l->heap[p]->due_ms <= t->due_ms)
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void sift_down(struct lwbs_loop *l, size_t i)
{
	struct lwbs_loop_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->n_heap)
			break;
		if (c + 1 < l->n_heap && l->heap[c + 1]->due_ms < l->heap[c]->due_ms)
			c++;
		if (t->due_ms <= l->heap[c]->due_ms)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void lwbs_loop_timer_cancel(struct lwbs_loop *l, struct lwbs_loop_timer *t)
{
	size_t i = t->idx;

	if (i == SIZE_MAX)
		return;
	t->idx = SIZE_MAX;
	l->n_heap--;
	if (i == l->n_heap)
		return;
	struct lwbs_loop_timer *m = l->heap[l->n_heap];

	heap_set(l, i, m);
	sift_up(l, i);
	sift_down(l, m->idx);
}

int lwbs_loop_timer_arm(struct lwbs_loop *l, struct lwbs_loop_timer *t, int64_t delay_ms)
{
	lwbs_loop_timer_cancel(l, t);
	if (l->n_heap == l->cap_heap) {
		size_t cap = l->cap_heap ? l->cap_heap * 2 : 256;
		struct lwbs_loop_timer **h = realloc(l->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->cap_heap = cap;
	}
	t->due_ms = l->now_ms + delay_ms;
	heap_set(l, l->n_heap, t);
	l->n_heap++;
	sift_up(l, t->idx);
	return 0;
}

void lwbs_loop_set_hook(struct lwbs_loop *l, lwbs_loop_hook_fn fn, void *arg)
{
	l->hook = fn;
	l->hook_arg = arg;
}

int64_t lwbs_loop_now(const struct lwbs_loop *l)
{
	return l->now_ms;
}

int64_t lwbs_loop_wall(const struct lwbs_loop *l)
{
	return l->wall_ms;
}

void lwbs_loop_stop(struct lwbs_loop *l)
{
	l->stop = true;
}

static void run_timers(struct lwbs_loop *l)
{
	while (l->n_heap > 0 && l->heap[0]->due_ms <= l->now_ms) {
		struct lwbs_loop_timer *t = l->heap[0];

		lwbs_loop_timer_cancel(l, t);
		t->fn(t->arg);
	}
}

int lwbs_loop_run(struct lwbs_loop *l)
{
	struct epoll_event evs[MAX_EVENTS];

	l->stop = false;
	while (!l->stop) {
		int timeout = -1, n;

		update_clock(l);
		run_timers(l);
		if (l->hook)
			l->hook(l->hook_arg);
		if (l->stop)
			break;
		if (l->n_heap > 0) {
			int64_t d = l->heap[0]->due_ms - l->now_ms;

			timeout = d < 0 ? 0 : d > 60000 ? 60000 : (int)d;
		}
		n = epoll_wait(l->epfd, evs, MAX_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		update_clock(l);
		for (int i = 0; i < n; i++) {
			struct lwbs_loop_fd *src = evs[i].data.ptr;

			src->fn(src->arg, evs[i].events);
		}
	}
	return 0;
}
