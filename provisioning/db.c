/* lwbs provisioning — libpq helpers (synchronous: lwbsctl is a CLI) and
 * the loader front end shared by validate, diff and apply. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pv.h"

PGconn *pv_connect(const char *dsn, const char *dsn_file)
{
	char line[4096] = "";
	PGconn *c;

	if (dsn_file) {
		FILE *f = fopen(dsn_file, "r");
		if (!f) {
			fprintf(stderr, "lwbsctl: %s: %s\n", dsn_file, strerror(errno));
			return NULL;
		}
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
		line[strcspn(line, "\r\n")] = 0;
		dsn = line;
	}
	c = PQconnectdb(dsn ? dsn : "");
	explicit_bzero(line, sizeof(line));
	if (!c || PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "lwbsctl: cannot connect to PostgreSQL: %s", c ? PQerrorMessage(c) : "out of memory\n");
		PQfinish(c);
		return NULL;
	}
	PQsetClientEncoding(c, "UTF8");
	return c;
}

static int check(PGconn *c, PGresult *r, const char *what)
{
	ExecStatusType st = PQresultStatus(r);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return 0;
	const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	fprintf(stderr, "lwbsctl: %s: %s", what, PQresultErrorMessage(r));
	if (detail && !strstr(PQresultErrorMessage(r), detail))
		fprintf(stderr, "  %s\n", detail);
	(void)c;
	return -1;
}

int pv_query(PGconn *c, const char *what, const char *sql, int n, const char *const *params, PGresult **out)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	int rc = check(c, r, what);

	if (!rc && out) {
		*out = r;
		return 0;
	}
	PQclear(r);
	return rc;
}

int pv_exec(PGconn *c, const char *what, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int rc = check(c, r, what);

	PQclear(r);
	return rc;
}

/* Collects the COPY's results: 0 when it succeeded. */
static int copy_result(PGconn *c, const char *what)
{
	PGresult *r;
	int rc = 0;

	while ((r = PQgetResult(c))) {
		if (check(c, r, what))
			rc = -1;
		PQclear(r);
	}
	return rc;
}

int pv_copy_begin(PGconn *c, const char *what, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COPY_IN) {
		check(c, r, what);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

int pv_copy_send(PGconn *c, const char *what, struct lwbs_buf *b, bool all)
{
	const size_t chunk = 1u << 20;
	size_t off = 0;

	if (lwbs_buf_err(b)) {
		fprintf(stderr, "lwbsctl: %s: out of memory\n", what);
		pv_copy_abort(c);
		return -1;
	}
	if (!all && b->len < chunk)
		return 0;
	for (; off < b->len; off += chunk) {
		size_t n = b->len - off < chunk ? b->len - off : chunk;
		if (PQputCopyData(c, (const char *)b->data + off, (int)n) != 1) {
			fprintf(stderr, "lwbsctl: %s: %s", what, PQerrorMessage(c));
			pv_copy_abort(c);
			return -1;
		}
	}
	lwbs_buf_reset(b);
	return 0;
}

int pv_copy_end(PGconn *c, const char *what, struct lwbs_buf *b)
{
	if (pv_copy_send(c, what, b, true))
		return -1;
	if (PQputCopyEnd(c, NULL) != 1) {
		fprintf(stderr, "lwbsctl: %s: %s", what, PQerrorMessage(c));
		return -1;
	}
	return copy_result(c, what);
}

void pv_copy_abort(PGconn *c)
{
	PGresult *r;

	if (PQputCopyEnd(c, "lwbsctl: aborted") != 1)
		return;
	while ((r = PQgetResult(c)))
		PQclear(r);
}

int pv_copy_in(PGconn *c, const char *what, const char *sql, const struct lwbs_buf *b)
{
	const size_t chunk = 1u << 20;

	if (pv_copy_begin(c, what, sql))
		return -1;
	for (size_t off = 0; off < b->len; off += chunk) {
		size_t n = b->len - off < chunk ? b->len - off : chunk;
		if (PQputCopyData(c, (const char *)b->data + off, (int)n) != 1)
			break;
	}
	if (PQputCopyEnd(c, NULL) != 1) {
		fprintf(stderr, "lwbsctl: %s: %s", what, PQerrorMessage(c));
		return -1;
	}
	return copy_result(c, what);
}

void pv_rollback(PGconn *c)
{
	PQclear(PQexec(c, "ROLLBACK"));
}

void pv_copy_text(struct lwbs_buf *b, const void *s, size_t n)
{
	const uint8_t *p = s;
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		char e;
		switch (p[i]) {
		case '\\': e = '\\'; break;
		case '\t': e = 't'; break;
		case '\n': e = 'n'; break;
		case '\r': e = 'r'; break;
		default: continue;
		}
		lwbs_buf_put(b, p + run, i - run);
		lwbs_buf_putc(b, '\\');
		lwbs_buf_putc(b, (uint8_t)e);
		run = i + 1;
	}
	lwbs_buf_put(b, p + run, n - run);
}

void pv_copy_bytea(struct lwbs_buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t *o;

	lwbs_buf_puts(b, "\\\\x");
	o = lwbs_buf_reserve(b, 2 * n);
	if (o)
		for (size_t i = 0; i < n; i++) {
			o[2 * i] = (uint8_t)hex[p[i] >> 4];
			o[2 * i + 1] = (uint8_t)hex[p[i] & 15];
		}
}

static void loaded(void *arg, size_t files_done)
{
	pv_progress_set(arg, files_done);
}

struct lwbs_prov *pv_load(char **files, int n, bool allow_redacted)
{
	struct lwbs_prov *p = lwbs_prov_create();
	struct pv_progress pg;
	char err[1024];

	if (!p) {
		fprintf(stderr, "lwbsctl: out of memory\n");
		return NULL;
	}
	p->allow_redacted = allow_redacted;
	pv_progress_start(&pg, "loading", (size_t)n);
	if (lwbs_prov_load_files(p, files, n, loaded, &pg, err, sizeof(err)))
		goto fail;
	if (lwbs_prov_finish(p, err, sizeof(err)) || lwbs_prov_build_plans(p, err, sizeof(err)))
		goto fail;
	pv_progress_end(&pg);
	return p;
fail:
	if (pg.tty)
		fputc('\n', stderr);
	fprintf(stderr, "%s\n", err);
	lwbs_prov_destroy(p);
	return NULL;
}
