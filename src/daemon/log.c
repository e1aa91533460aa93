/* lwbsd — buffered logger. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lwbs/buf.h"
#include "lwbs/codec.h"

#define LOG_FLUSH_AT (256 * 1024)

static struct {
	int fd;
	char *path; /* NULL: stderr */
	bool json;
	enum lwbs_log_level level;
	struct lwbs_buf buf;
	bool buf_ready;
	/* cached "YYYY-MM-DDTHH:MM:SS" for cached_sec */
	int64_t cached_sec;
	char cached[24];
} lg = {.fd = 2, .level = LWBS_LOG_INFO, .cached_sec = -1};

static const char *const level_names[] = {"error", "warning", "info", "debug"};

int lwbs_log_level_parse(const char *s, enum lwbs_log_level *out)
{
	for (int i = 0; i <= LWBS_LOG_DEBUG; i++) {
		if (!strcmp(s, level_names[i])) {
			*out = (enum lwbs_log_level)i;
			return 0;
		}
	}
	if (!strcmp(s, "warn")) {
		*out = LWBS_LOG_WARN;
		return 0;
	}
	return -EINVAL;
}

static struct lwbs_buf *buf(void)
{
	if (!lg.buf_ready) {
		lwbs_buf_init(&lg.buf, 64 * 1024 * 1024);
		lg.buf_ready = true;
	}
	return &lg.buf;
}

static int open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	return fd < 0 ? -errno : fd;
}

int lwbs_log_open(const char *path, bool json, enum lwbs_log_level level)
{
	int fd = 2;

	if (path && strcmp(path, "stderr") != 0) {
		fd = open_file(path);
		if (fd < 0)
			return fd;
		lg.path = strdup(path);
		if (!lg.path) {
			close(fd);
			return -ENOMEM;
		}
	}
	lwbs_log_flush();
	lg.fd = fd;
	lg.json = json;
	lg.level = level;
	return 0;
}

int lwbs_log_reopen(void)
{
	int fd;

	if (!lg.path)
		return 0;
	lwbs_log_flush();
	fd = open_file(lg.path);
	if (fd < 0)
		return fd;
	close(lg.fd);
	lg.fd = fd;
	return 0;
}

void lwbs_log_close(void)
{
	lwbs_log_flush();
	if (lg.path) {
		close(lg.fd);
		free(lg.path);
		lg.path = NULL;
	}
	lg.fd = 2;
	if (lg.buf_ready) {
		lwbs_buf_finish(&lg.buf);
		lg.buf_ready = false;
	}
}

bool lwbs_log_enabled(enum lwbs_log_level level)
{
	return level <= lg.level;
}

void lwbs_log_flush(void)
{
	struct lwbs_buf *b;
	size_t off = 0;

	if (!lg.buf_ready)
		return;
	b = &lg.buf;
	while (off < b->len) {
		ssize_t n = write(lg.fd, b->data + off, b->len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break; /* nowhere left to report it */
		}
		off += (size_t)n;
	}
	lwbs_buf_reset(b);
}

/* "2025-01-02T03:04:05.678Z" into out (>= 25 bytes). */
static void format_time(int64_t ms, char *out)
{
	int64_t sec = ms / 1000;

	if (sec != lg.cached_sec) {
		time_t t = (time_t)sec;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(lg.cached, sizeof(lg.cached), "%Y-%m-%dT%H:%M:%S", &tm);
		lg.cached_sec = sec;
	}
	snprintf(out, 32, "%.20s.%03dZ", lg.cached, (int)(ms % 1000));
}

static int64_t now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lwbs_log_json_escape(struct lwbs_buf *b, const char *s)
{
	/* text that is not UTF-8 (a client's bytes) gets its high bytes
	 * escaped one by one, so that every line stays valid JSON */
	bool utf8 = lwbs_utf8_valid((const uint8_t *)s, strlen(s));

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			lwbs_buf_putc(b, '\\');
			lwbs_buf_putc(b, c);
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
			lwbs_buf_printf(b, "\\u%04x", c);
		} else {
			lwbs_buf_putc(b, c);
		}
	}
}

static void put_escaped(struct lwbs_buf *b, const char *s)
{
	lwbs_log_json_escape(b, s);
}

static void put_quoted(struct lwbs_buf *b, const char *s)
{
	lwbs_buf_putc(b, '"');
	put_escaped(b, s);
	lwbs_buf_putc(b, '"');
}

/* Text value: bare when it has no space, quote, backslash or control
 * character, else quoted and escaped. */
static void put_text_value(struct lwbs_buf *b, const char *s)
{
	const char *p;

	if (!*s) {
		lwbs_buf_puts(b, "\"\"");
		return;
	}
	bool utf8 = lwbs_utf8_valid((const uint8_t *)s, strlen(s));

	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c == '"' || c == '\\' || c == 0x7f || c == '=' || (c >= 0x80 && !utf8))
			break;
	}
	if (*p)
		put_quoted(b, s);
	else
		lwbs_buf_puts(b, s);
}

static void line_start(struct lwbs_buf *b, int64_t ms, enum lwbs_log_level level, const char *msg)
{
	char ts[32];

	format_time(ms, ts);
	if (lg.json) {
		lwbs_buf_printf(b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_names[level]);
		put_quoted(b, msg);
	} else {
		lwbs_buf_printf(b, "%s %s %s", ts, level_names[level], msg);
	}
}

static void field_str(struct lwbs_buf *b, const char *key, const char *v)
{
	if (!v)
		return;
	if (lg.json) {
		lwbs_buf_printf(b, ",\"%s\":", key);
		put_quoted(b, v);
	} else {
		lwbs_buf_printf(b, " %s=", key);
		put_text_value(b, v);
	}
}

/* A value that may be unknown: "-" in text, null in JSON. */
static void field_opt(struct lwbs_buf *b, const char *key, const char *v)
{
	if (lg.json && !v)
		lwbs_buf_printf(b, ",\"%s\":null", key);
	else
		field_str(b, key, v ? v : "-");
}

static void field_num(struct lwbs_buf *b, const char *key, long long v)
{
	if (lg.json)
		lwbs_buf_printf(b, ",\"%s\":%lld", key, v);
	else
		lwbs_buf_printf(b, " %s=%lld", key, v);
}

static void line_end(struct lwbs_buf *b)
{
	if (lg.json)
		lwbs_buf_putc(b, '}');
	lwbs_buf_putc(b, '\n');
}

void lwbs_log(enum lwbs_log_level level, const char *fmt, ...)
{
	struct lwbs_buf *b = buf();
	char msg[1024];
	va_list ap;

	if (!lwbs_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lg.json) {
		line_start(b, now_wall(), level, msg);
	} else {
		char ts[32];

		/* free text: keep it on one line */
		for (char *p = msg; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		format_time(now_wall(), ts);
		lwbs_buf_printf(b, "%s %s %s", ts, level_names[level], msg);
	}
	line_end(b);
	if (b->len >= LOG_FLUSH_AT || level == LWBS_LOG_ERROR)
		lwbs_log_flush();
}

size_t lwbs_log_format_session(const struct lwbs_audit_record *r, char *out, size_t cap)
{
	struct lwbs_buf b;
	size_t n;

	lwbs_buf_init_fixed(&b, out, cap);
	line_start(&b, r->end_ms, LWBS_LOG_INFO, "session");
	field_opt(&b, "ep", r->endpoint);
	field_str(&b, "peer", r->peer);
	field_str(&b, "transport", r->transport);
	field_opt(&b, "lwm2m", r->version);
	field_opt(&b, "format", r->format);
	field_str(&b, "result", r->result);
	field_str(&b, "reason", r->reason);
	field_num(&b, "ms", (long long)(r->end_ms - r->start_ms));
	field_num(&b, "requests", (long long)r->requests);
	field_str(&b, "diag", r->diagnostic);
	if (lg.json)
		lwbs_buf_putc(&b, '}');
	lwbs_buf_putc(&b, '\n');
	lwbs_buf_putc(&b, '\0');
	if (lwbs_buf_err(&b))
		return 0; /* callers bound every field so that this does not happen */
	n = b.len - 1;
	return n;
}

void lwbs_log_write_lines(const char *text, size_t len)
{
	struct lwbs_buf *b = buf();

	if (!lwbs_log_enabled(LWBS_LOG_INFO) || len == 0)
		return;
	lwbs_buf_put(b, text, len);
	if (b->len >= LOG_FLUSH_AT)
		lwbs_log_flush();
}
