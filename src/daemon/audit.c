/* lwbsd — audit writer thread. */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "lwbs/buf.h"
#include "offload.h"

/* A batch: JSON lines for the file, log lines for after, record count. */
struct batch {
	struct lwbs_buf json;
	struct lwbs_buf log;
	size_t n;
};

struct lwbs_audit {
	int fd;
	enum lwbs_conf_fsync policy;
	struct batch pending;        /* loop thread only */
	struct batch inflight;       /* owned by the writer while busy */
	struct lwbs_offload *writer; /* NULL without a file */
	unsigned long long written, errors;
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

static int write_batch(struct lwbs_audit *a, const struct batch *b)
{
	const uint8_t *p = b->json.data, *end = p + b->json.len;
	int r = 0;

	if (a->policy != LWBS_CONF_FSYNC_ALWAYS) {
		r = lwbs_fd_write_all(a->fd, p, b->json.len);
		if (!r && a->policy == LWBS_CONF_FSYNC_BATCH && fdatasync(a->fd) < 0)
			r = -errno;
		return r;
	}
	while (p < end && !r) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		r = lwbs_fd_write_all(a->fd, p, n);
		if (!r && fdatasync(a->fd) < 0)
			r = -errno;
		p += n;
	}
	return r;
}

/* Writer thread: the batch in flight to the file. */
static int write_job(void *arg)
{
	struct lwbs_audit *a = arg;

	return write_batch(a, &a->inflight);
}

/* The writer finished a batch: its log lines may now be written, and the
 * next batch goes out. */
static void write_done(void *arg, int write_err)
{
	struct lwbs_audit *a = arg;

	if (write_err) {
		a->errors += a->inflight.n;
		lwbs_log(LWBS_LOG_ERROR, "audit: writing %zu records failed: %s", a->inflight.n,
			 strerror(-write_err));
	} else {
		a->written += a->inflight.n;
	}
	lwbs_log_write_lines((const char *)a->inflight.log.data, a->inflight.log.len);
	batch_reset(&a->inflight);
	lwbs_audit_kick(a);
}

void lwbs_audit_kick(struct lwbs_audit *a)
{
	struct batch tmp;

	if (!a || !a->writer || lwbs_offload_busy(a->writer) || a->pending.n == 0)
		return;
	tmp = a->inflight;
	a->inflight = a->pending;
	a->pending = tmp;
	lwbs_offload_start(a->writer);
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
	return a ? a->pending.n + (a->writer && lwbs_offload_busy(a->writer) ? a->inflight.n : 0) : 0;
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
	a->fd = -1;
	a->policy = policy;
	batch_init(&a->pending);
	batch_init(&a->inflight);
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
	r = lwbs_offload_create(loop, write_job, write_done, a, &a->writer);
	if (r) {
		snprintf(err, err_cap, "audit thread: %s", strerror(-r));
		goto fail;
	}
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
	if (a->writer) {
		/* drain: the batch in flight, then the rest (write_done starts
		 * each next one) */
		lwbs_audit_kick(a);
		lwbs_offload_destroy(a->writer);
	}
	if (a->fd >= 0)
		close(a->fd);
	batch_finish(&a->pending);
	batch_finish(&a->inflight);
	free(a);
}
