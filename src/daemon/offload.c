/* lwbsd — background job runner (offload.h). */
#include "offload.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct lwbs_offload {
	struct lwbs_loop *loop;
	struct lwbs_loop_fd efd_src;
	int efd;
	lwbs_offload_job_fn job;
	lwbs_offload_done_fn done;
	void *arg;
	bool busy; /* loop thread only */

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool work, finished, quit; /* under mu */
	int result;                /* under mu */
};

static void *worker(void *arg)
{
	struct lwbs_offload *o = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (!o->work && !o->quit)
			pthread_cond_wait(&o->cv, &o->mu);
		if (!o->work)
			break;
		pthread_mutex_unlock(&o->mu);
		int r = o->job(o->arg);
		pthread_mutex_lock(&o->mu);
		o->result = r;
		o->work = false;
		o->finished = true;
		pthread_cond_broadcast(&o->cv);
		if (write(o->efd, &one, sizeof(one)) < 0) {
			/* an eventfd counter does not overflow at one write per job */
		}
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

/* Runs done() if the job has finished; true if it did. */
static bool reap(struct lwbs_offload *o)
{
	int r;

	pthread_mutex_lock(&o->mu);
	bool fin = o->finished;
	o->finished = false;
	r = o->result;
	pthread_mutex_unlock(&o->mu);
	if (!fin)
		return false;
	o->busy = false;
	o->done(o->arg, r);
	return true;
}

static void on_eventfd(void *arg, uint32_t events)
{
	struct lwbs_offload *o = arg;
	uint64_t v;

	if (read(o->efd, &v, sizeof(v)) < 0)
		return;
	reap(o);
}

int lwbs_offload_create(struct lwbs_loop *loop, lwbs_offload_job_fn job, lwbs_offload_done_fn done,
			void *arg, struct lwbs_offload **out)
{
	struct lwbs_offload *o = calloc(1, sizeof(*o));
	int r;

	if (!o)
		return -ENOMEM;
	o->loop = loop;
	o->job = job;
	o->done = done;
	o->arg = arg;
	o->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (o->efd < 0) {
		r = -errno;
		goto fail_free;
	}
	r = lwbs_loop_add_fd(loop, &o->efd_src, o->efd, EPOLLIN, on_eventfd, o);
	if (r)
		goto fail_close;
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	r = -pthread_create(&o->thread, NULL, worker, o);
	if (r)
		goto fail_del;
	*out = o;
	return 0;
fail_del:
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	lwbs_loop_del_fd(loop, &o->efd_src);
fail_close:
	close(o->efd);
fail_free:
	free(o);
	return r;
}

int lwbs_offload_start(struct lwbs_offload *o)
{
	if (o->busy)
		return -EBUSY;
	o->busy = true;
	pthread_mutex_lock(&o->mu);
	o->work = true;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
	return 0;
}

bool lwbs_offload_busy(const struct lwbs_offload *o)
{
	return o->busy;
}

void lwbs_offload_wait(struct lwbs_offload *o)
{
	if (!o->busy)
		return;
	pthread_mutex_lock(&o->mu);
	while (!o->finished)
		pthread_cond_wait(&o->cv, &o->mu);
	pthread_mutex_unlock(&o->mu);
	reap(o);
}

void lwbs_offload_destroy(struct lwbs_offload *o)
{
	if (!o)
		return;
	while (o->busy) /* done() may start the next job */
		lwbs_offload_wait(o);
	pthread_mutex_lock(&o->mu);
	o->quit = true;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
	pthread_join(o->thread, NULL);
	lwbs_loop_del_fd(o->loop, &o->efd_src);
	close(o->efd);
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	free(o);
}
