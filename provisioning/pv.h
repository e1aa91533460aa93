/* lwbs provisioning — internal to provisioning/: the PostgreSQL helpers,
 * the progress bar and the commands' shared parts. */
#ifndef LWBS_PROVISIONING_PV_H
#define LWBS_PROVISIONING_PV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "lwbs/buf.h"
#include "lwbs/prov.h"

struct pv_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct pv_migration pv_migrations[];
extern const size_t pv_n_migrations;

/* Connection from --dsn, --dsn-file or (both NULL) the PG* environment /
 * PGSERVICE. Prints the reason and returns NULL on failure. */
PGconn *pv_connect(const char *dsn, const char *dsn_file);
/* Runs sql (no parameters); 0, or -1 with the server's message printed
 * after what. */
int pv_exec(PGconn *c, const char *what, const char *sql);
/* Like pv_exec with text parameters; the result (tuples) is returned in
 * *out when out is not NULL (caller PQclear()s it). */
int pv_query(PGconn *c, const char *what, const char *sql, int n, const char *const *params, PGresult **out);
/* Sends the COPY data in b (text format) for statement sql. */
int pv_copy_in(PGconn *c, const char *what, const char *sql, const struct lwbs_buf *b);
/* COPY FROM STDIN streamed while the rows are written: pv_copy_begin
 * starts it; pv_copy_send sends b (and empties it) once it holds 1 MiB, or
 * whatever it holds when all; pv_copy_end sends the rest and ends the
 * COPY (0 when the server took it); pv_copy_abort ends it as failed.
 * A failed send or end has ended the COPY already: roll back. */
int pv_copy_begin(PGconn *c, const char *what, const char *sql);
int pv_copy_send(PGconn *c, const char *what, struct lwbs_buf *b, bool all);
int pv_copy_end(PGconn *c, const char *what, struct lwbs_buf *b);
void pv_copy_abort(PGconn *c);
/* Ends a failed transaction quietly. */
void pv_rollback(PGconn *c);

/* COPY text format: appends s[0..n) escaped; pv_copy_bytea as \\x hex. */
void pv_copy_text(struct lwbs_buf *b, const void *s, size_t n);
void pv_copy_bytea(struct lwbs_buf *b, const uint8_t *p, size_t n);

/* Loads and checks FILES (validate, diff, apply): finish + plans. Prints
 * the error; NULL on failure. */
struct lwbs_prov *pv_load(char **files, int n, bool allow_redacted);

/* Progress on stderr when it is a terminal: "label [#####   ] 45%". */
struct pv_progress {
	bool tty;
	const char *label;
	size_t total;
	int64_t last_ms;
	int last_pct;
};
void pv_progress_start(struct pv_progress *p, const char *label, size_t total);
void pv_progress_set(struct pv_progress *p, size_t done);
void pv_progress_end(struct pv_progress *p);

#endif
