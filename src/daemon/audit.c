/* lwbsd — audit writer thread. */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "lwbs/buf.h"

/* A batch: JSON lines for the file, log lines for after, record count. */
struct batch {
	struct lwbs_buf json;
	struct lwbs_buf log;
	size_t n;
};

struct lwbs_audit {
	struct lwbs_loop *loop;
	struct lwbs_loop_fd efd_src;
	int fd, efd;
	enum lwbs_conf_fsync policy;
	struct batch pending;  /* loop thread only */
	struct batch inflight; /* owned by the writer while busy */
	bool busy;             /* loop thread only */
	unsigned long long written, errors;

	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool work, quit; /* under mu */
	int write_err;   /* set by the writer, read by the loop after the eventfd */
};

static void batch_init(struct batch *b)
{
	lwbs_buf_init(&b->json, 256u << 20);
	lwbs_buf_init(&b->log, 256u << 20);
	b->n = 0;
}

static void batch_reset(struct batch *b)
{
	lwbs_buf_reset(&b->json);
	lwbs_buf_reset(&b->log);
	b->n = 0;
}

static void batch_finish(struct batch *b)
{
	lwbs_buf_finish(&b->json);
	lwbs_buf_finish(&b->log);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_batch(struct lwbs_audit *a, const struct batch *b)
{
	const uint8_t *p = b->json.data, *end = p + b->json.len;
	int r = 0;

	if (a->policy != LWBS_CONF_FSYNC_ALWAYS) {
		r = write_all(a->fd, p, b->json.len);
		if (!r && a->policy == LWBS_CONF_FSYNC_BATCH && fdatasync(a->fd) < 0)
			r = -errno;
		return r;
	}
	while (p < end && !r) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		r = write_all(a->fd, p, n);
		if (!r && fdatasync(a->fd) < 0)
			r = -errno;
		p += n;
	}
	return r;
}

static void *writer(void *arg)
{
	struct lwbs_audit *a = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->work && !a->quit)
			pthread_cond_wait(&a->cv, &a->mu);
		if (!a->work)
			break;
		pthread_mutex_unlock(&a->mu);
		a->write_err = write_batch(a, &a->inflight);
		pthread_mutex_lock(&a->mu);
		a->work = false;
		if (write(a->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow at this rate; nothing to do */
		}
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* The writer finished a batch: its log lines may now be written. */
static void batch_done(struct lwbs_audit *a)
{
	if (a->write_err) {
		a->errors += a->inflight.n;
		lwbs_log(LWBS_LOG_ERROR, "audit: writing %zu records failed: %s", a->inflight.n,
			 strerror(-a->write_err));
	} else {
		a->written += a->inflight.n;
	}
	lwbs_log_write_lines((const char *)a->inflight.log.data, a->inflight.log.len);
	batch_reset(&a->inflight);
	a->busy = false;
}

static void on_eventfd(void *arg, uint32_t events)
{
	struct lwbs_audit *a = arg;
	uint64_t v;

	if (read(a->efd, &v, sizeof(v)) < 0)
		return;
	if (!a->busy)
		return;
	pthread_mutex_lock(&a->mu);
	bool work = a->work;
	pthread_mutex_unlock(&a->mu);
	if (!work)
		batch_done(a);
	lwbs_audit_kick(a);
}

void lwbs_audit_kick(struct lwbs_audit *a)
{
	struct batch tmp;

	if (!a || a->busy || a->pending.n == 0)
		return;
	tmp = a->inflight;
	a->inflight = a->pending;
	a->pending = tmp;
	a->busy = true;
	pthread_mutex_lock(&a->mu);
	a->work = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

static void put_json_str(struct lwbs_buf *b, const char *key, const char *v)
{
	lwbs_buf_printf(b, ",\"%s\":", key);
	if (!v) {
		lwbs_buf_puts(b, "null");
		return;
	}
	lwbs_buf_putc(b, '"');
	lwbs_log_json_escape(b, v);
	lwbs_buf_putc(b, '"');
}

static void format_record(struct lwbs_buf *b, const struct lwbs_audit_record *r)
{
	char ts[40];
	time_t t = (time_t)(r->start_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	lwbs_buf_printf(b, "{\"time\":\"%s.%03dZ\",\"start_ms\":%lld,\"end_ms\":%lld,\"duration_ms\":%lld", ts,
			(int)(r->start_ms % 1000), (long long)r->start_ms, (long long)r->end_ms,
			(long long)(r->end_ms - r->start_ms));
	put_json_str(b, "endpoint", r->endpoint);
	put_json_str(b, "peer", r->peer);
	put_json_str(b, "transport", r->transport);
	put_json_str(b, "version", r->version);
	put_json_str(b, "format", r->format);
	put_json_str(b, "result", r->result);
	put_json_str(b, "reason", r->reason);
	put_json_str(b, "diagnostic", r->diagnostic);
	lwbs_buf_printf(b, ",\"requests\":%u}\n", r->requests);
}

void lwbs_audit_append(struct lwbs_audit *a, const struct lwbs_audit_record *r, const char *log_line,
		       size_t log_len)
{
	struct batch *b;

	if (!a || a->fd < 0) {
		lwbs_log_write_lines(log_line, log_len);
		return;
	}
	b = &a->pending;
	format_record(&b->json, r);
	lwbs_buf_put(&b->log, log_line, log_len);
	b->n++;
	if (lwbs_buf_err(&b->json) || lwbs_buf_err(&b->log)) {
		/* 256 MiB queued: the disk does not keep up; say so and drop */
		a->errors++;
		lwbs_log(LWBS_LOG_ERROR, "audit: queue full, record for %s dropped",
			 r->endpoint ? r->endpoint : "-");
		lwbs_buf_reset(&b->json);
		lwbs_buf_reset(&b->log);
		b->n = 0;
	}
}

size_t lwbs_audit_depth(const struct lwbs_audit *a)
{
	return a ? a->pending.n + (a->busy ? a->inflight.n : 0) : 0;
}

unsigned long long lwbs_audit_written(const struct lwbs_audit *a)
{
	return a ? a->written : 0;
}

unsigned long long lwbs_audit_errors(const struct lwbs_audit *a)
{
	return a ? a->errors : 0;
}

int lwbs_audit_create(struct lwbs_loop *loop, const char *path, enum lwbs_conf_fsync policy,
		      struct lwbs_audit **out, char *err, size_t err_cap)
{
	struct lwbs_audit *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	a->loop = loop;
	a->fd = -1;
	a->efd = -1;
	a->policy = policy;
	batch_init(&a->pending);
	batch_init(&a->inflight);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if (!path) {
		*out = a;
		return 0;
	}
	a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (a->fd < 0) {
		r = -errno;
		snprintf(err, err_cap, "audit file %s: %s", path, strerror(errno));
		goto fail;
	}
	a->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->efd < 0) {
		r = -errno;
		snprintf(err, err_cap, "eventfd: %s", strerror(errno));
		goto fail;
	}
	r = lwbs_loop_add_fd(loop, &a->efd_src, a->efd, EPOLLIN, on_eventfd, a);
	if (r) {
		snprintf(err, err_cap, "epoll: %s", strerror(-r));
		goto fail;
	}
	r = -pthread_create(&a->thread, NULL, writer, a);
	if (r) {
		lwbs_loop_del_fd(loop, &a->efd_src);
		snprintf(err, err_cap, "audit thread: %s", strerror(-r));
		goto fail;
	}
	a->thread_started = true;
	*out = a;
	return 0;
fail:
	lwbs_audit_destroy(a);
	return r;
}

void lwbs_audit_destroy(struct lwbs_audit *a)
{
	if (!a)
		return;
	if (a->thread_started) {
		/* drain: wait for the batch in flight, then write the rest */
		for (;;) {
			uint64_t v;
			bool work;

			pthread_mutex_lock(&a->mu);
			work = a->work;
			pthread_mutex_unlock(&a->mu);
			if (a->busy && !work) {
				if (read(a->efd, &v, sizeof(v)) < 0) {
					/* counter may already be read; state is what counts */
				}
				batch_done(a);
			}
			if (!a->busy && a->pending.n == 0)
				break;
			if (!a->busy)
				lwbs_audit_kick(a);
			else
				usleep(1000);
		}
		pthread_mutex_lock(&a->mu);
		a->quit = true;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thread, NULL);
		lwbs_loop_del_fd(a->loop, &a->efd_src);
	}
	if (a->efd >= 0)
		close(a->efd);
	if (a->fd >= 0)
		close(a->fd);
	batch_finish(&a->pending);
	batch_finish(&a->inflight);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}
