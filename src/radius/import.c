/* lwbsctl radius import / show (radius_cmd.h).
 *
 * import applies FreeRADIUS detail records with the listener's semantics
 * (lwbs_radius_table_apply over the table the journal replays to) and
 * appends the records that changed something, in one write and one
 * fdatasync. A record's time is its Event-Timestamp or detail Timestamp,
 * so importing the same file again gives the same bindings: a Start or
 * Interim that finds its binding identical writes nothing (a Start later
 * stopped in the same file is written again, with its Stop).
 *
 * With --dsn-file the bindings go to PostgreSQL instead: the table is
 * loaded from radius_bindings, the records applied, and the final state of
 * every address they touched written in one transaction. A record is
 * unchanged there when its binding's row would be (the fields the table
 * does not store are missing from the loaded bindings). */
#include "radius_cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "journal.h"
#include "lwbs/buf.h"
#include "lwbs/err.h"
#include "pg.h"

#define MAX_REPORTED 20

struct import_stats {
	size_t records, applied, unchanged, ignored, refused, syntax;
};

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			char *q = realloc(p, nc);

			if (!q) {
				free(p);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			p = q;
			cap = nc;
		}
		size_t r = fread(p + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(p);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	*len = n;
	return p;
}

/* The binding at b's address, if any (a copy). */
static bool current(const struct lwbs_radius_table *t, const struct lwbs_radius_binding *b,
		    struct lwbs_radius_binding *out)
{
	if (b->has & LWBS_RADIUS_HAS_IPV4)
		return lwbs_radius_table_lookup4(t, b->ipv4, out) == 0;
	if (b->has & LWBS_RADIUS_HAS_IPV6)
		return lwbs_radius_table_lookup6(t, b->ipv6, out) == 0;
	return false;
}

/* True when a and b give the same radius_bindings row (pg.h lists the
 * columns; the other fields are not stored, so a binding loaded from the
 * database lacks them). */
static bool same_row(const struct lwbs_radius_binding *a, const struct lwbs_radius_binding *b)
{
	const uint32_t addr = LWBS_RADIUS_HAS_IPV4 | LWBS_RADIUS_HAS_IPV6;
	const uint32_t nas = LWBS_RADIUS_HAS_NAS_IPV4 | LWBS_RADIUS_HAS_NAS_IPV6;

	if ((a->has & (addr | nas)) != (b->has & (addr | nas)) || a->updated != b->updated)
		return false;
	if ((a->has & LWBS_RADIUS_HAS_IPV4) && memcmp(a->ipv4, b->ipv4, 4))
		return false;
	if ((a->has & LWBS_RADIUS_HAS_IPV6) && (a->ipv6_plen != b->ipv6_plen || memcmp(a->ipv6, b->ipv6, 16)))
		return false;
	if (a->has & LWBS_RADIUS_HAS_NAS_IPV4) {
		if (memcmp(a->nas_ipv4, b->nas_ipv4, 4))
			return false;
	} else if (a->has & LWBS_RADIUS_HAS_NAS_IPV6) {
		if (memcmp(a->nas_ipv6, b->nas_ipv6, 16))
			return false;
	} else if (strcmp(a->nas_id, b->nas_id)) {
		return false;
	}
	return !strcmp(a->imsi, b->imsi) && !strcmp(a->msisdn, b->msisdn) && !strcmp(a->imeisv, b->imeisv) &&
	       !strcmp(a->apn, b->apn) && !strcmp(a->session_id, b->session_id) &&
	       !strcmp(a->sgsn_mcc_mnc, b->sgsn_mcc_mnc);
}

static int import_file(const char *path, struct lwbs_radius_table *t, struct lwbs_buf *out,
		       struct lwbs_radius_pg_batch *keys, struct import_stats *st, int64_t wall_ms)
{
	struct lwbs_radius_detail d;
	size_t len, reported = 0;
	char *text = read_text(path, &len);

	if (!text) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	lwbs_radius_detail_init(&d, text, len);
	for (;;) {
		struct lwbs_radius_binding b, before, after;
		enum lwbs_radius_reason why;
		enum lwbs_radius_apply res;
		int r = lwbs_radius_detail_next(&d, &b, &why);

		if (r == -ENOENT)
			break;
		if (r == LWBS_ETRUNC) {
			fprintf(stderr, "%s:%u: the file ends inside a record (still being written?); rest ignored\n",
				path, d.line);
			st->syntax++;
			break;
		}
		st->records++;
		if (r == LWBS_ESYNTAX) {
			st->syntax++;
			if (reported++ < MAX_REPORTED)
				fprintf(stderr, "%s:%u: syntax error, record skipped\n", path, d.err_line);
			continue;
		}
		if (r) {
			st->refused++;
			if (reported++ < MAX_REPORTED)
				fprintf(stderr, "%s:%u: record refused: %s\n", path, d.rec_line,
					lwbs_radius_reason_str(why));
			continue;
		}
		int64_t now = (b.has & LWBS_RADIUS_HAS_EVENT_TIME) ? (int64_t)b.event_time * 1000 : wall_ms;
		bool had = current(t, &b, &before);
		if (keys)
			lwbs_radius_pg_batch_before(keys, t, &b);
		r = lwbs_radius_table_apply(t, &b, now, &res, NULL);
		if (r) {
			free(text);
			fprintf(stderr, "%s:%u: %s\n", path, d.rec_line, strerror(-r));
			return r;
		}
		if (res == LWBS_RADIUS_IGNORED ||
		    (res == LWBS_RADIUS_REFRESHED && had && current(t, &b, &after) &&
		     (keys ? same_row(&before, &after) : !memcmp(&before, &after, sizeof(before))))) {
			if (res == LWBS_RADIUS_IGNORED)
				st->ignored++;
			else
				st->unchanged++;
			continue;
		}
		st->applied++;
		if (keys)
			lwbs_radius_pg_batch_touch(keys, &b);
		else
			lwbs_radius_journal_encode(out, &b, now);
	}
	free(text);
	return 0;
}

static int usage(const char *cmd, FILE *f)
{
	if (!strcmp(cmd, "import"))
		fprintf(f, "usage: lwbsctl radius import --journal PATH | --dsn-file FILE  DETAIL...\n"
			   "Applies FreeRADIUS detail files to lwbsd's binding journal (stop lwbsd first)\n"
			   "or to radius_bindings in PostgreSQL.\n");
	else
		fprintf(f, "usage: lwbsctl radius show --journal PATH [ADDRESS]\n"
			   "Prints the bindings of the journal, or the one for ADDRESS (exit 1 if none).\n");
	return f == stdout ? 0 : 2;
}

static const char *parse_journal_opt(int argc, char **argv, int *first, const char **dsn_file)
{
	static const struct option opts[] = {
		{"journal", required_argument, NULL, 'j'},
		{"dsn-file", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *journal = NULL;
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'j') {
			journal = optarg;
		} else if (o == 'd' && dsn_file) {
			*dsn_file = optarg;
		} else if (o == 'h') {
			*first = -1;
			return NULL;
		} else {
			*first = -2;
			return NULL;
		}
	}
	*first = optind;
	return journal;
}

int lwbs_radius_cmd_import(int argc, char **argv)
{
	struct lwbs_radius_table *t;
	struct lwbs_radius_journal *j = NULL;
	struct lwbs_radius_pg *pg = NULL;
	struct lwbs_radius_journal_info info;
	struct lwbs_radius_pg_batch keys;
	struct import_stats st = {0};
	struct lwbs_buf out;
	struct timeval tv;
	char err[512];
	size_t rows;
	int first, r, status = 0;
	const char *dsn_file = NULL;
	const char *journal = parse_journal_opt(argc, argv, &first, &dsn_file);

	if (first == -1)
		return usage("import", stdout);
	if (first < 0 || !journal == !dsn_file || first >= argc)
		return usage("import", stderr);
	t = lwbs_radius_table_create();
	if (!t) {
		fprintf(stderr, "lwbsctl: out of memory\n");
		return 1;
	}
	if (journal)
		r = lwbs_radius_journal_open(journal, t, &j, &info, err, sizeof(err));
	else
		r = lwbs_radius_pg_open(dsn_file, t, &rows, &pg, err, sizeof(err));
	if (r) {
		fprintf(stderr, "%s\n", err);
		lwbs_radius_table_destroy(t);
		return 1;
	}
	gettimeofday(&tv, NULL);
	lwbs_buf_init(&out, (size_t)1 << 31);
	lwbs_radius_pg_batch_init(&keys);
	for (int i = first; i < argc; i++) {
		if (import_file(argv[i], t, &out, pg ? &keys : NULL, &st,
				(int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000)) {
			status = 1;
			goto out;
		}
	}
	if (pg && (r = lwbs_radius_pg_batch_sql(&keys, t, &out))) {
		fprintf(stderr, "lwbsctl: %s\n", strerror(-r));
		status = 1;
		goto out;
	}
	if (lwbs_buf_err(&out)) {
		fprintf(stderr, "lwbsctl: %s\n", strerror(-lwbs_buf_err(&out)));
		status = 1;
		goto out;
	}
	if (out.len) {
		r = pg ? lwbs_radius_pg_exec(pg, (const char *)out.data) : lwbs_radius_journal_append(j, out.data, out.len);
		if (r) {
			fprintf(stderr, "%s: %s (nothing imported)\n", pg ? "PostgreSQL" : journal,
				pg ? lwbs_radius_pg_error(pg) : strerror(-r));
			status = 1;
			goto out;
		}
	}
	printf("%zu records: %zu applied, %zu unchanged, %zu ignored (stale Stop/Interim), %zu refused, "
	       "%zu syntax errors; %zu bindings\n",
	       st.records, st.applied, st.unchanged, st.ignored, st.refused, st.syntax,
	       lwbs_radius_table_count(t));
	if (st.syntax)
		status = 1;
out:
	lwbs_buf_finish(&out);
	lwbs_radius_pg_batch_finish(&keys);
	lwbs_radius_pg_close(pg);
	lwbs_radius_journal_close(j);
	lwbs_radius_table_destroy(t);
	return status;
}

static void print_binding(const struct lwbs_radius_binding *b)
{
	char a[INET6_ADDRSTRLEN], n[INET6_ADDRSTRLEN];

	if (b->has & LWBS_RADIUS_HAS_IPV4) {
		inet_ntop(AF_INET, b->ipv4, a, sizeof(a));
		printf("%s", a);
	}
	if (b->has & LWBS_RADIUS_HAS_IPV6) {
		inet_ntop(AF_INET6, b->ipv6, a, sizeof(a));
		printf("%s%s/%u", (b->has & LWBS_RADIUS_HAS_IPV4) ? "," : "", a, b->ipv6_plen);
	}
	if (b->has & LWBS_RADIUS_HAS_NAS_IPV4)
		inet_ntop(AF_INET, b->nas_ipv4, n, sizeof(n));
	else if (b->has & LWBS_RADIUS_HAS_NAS_IPV6)
		inet_ntop(AF_INET6, b->nas_ipv6, n, sizeof(n));
	else
		snprintf(n, sizeof(n), "-");
	printf(" imsi=%s msisdn=%s imeisv=%s mcc_mnc=%s serving=%s apn=%s nas=%s%s%s session=%s",
	       b->imsi[0] ? b->imsi : "-", b->msisdn[0] ? b->msisdn : "-", b->imeisv[0] ? b->imeisv : "-",
	       b->mcc_mnc[0] ? b->mcc_mnc : "-", b->sgsn_mcc_mnc[0] ? b->sgsn_mcc_mnc : "-",
	       b->apn[0] ? b->apn : "-", n, b->nas_id[0] ? "/" : "", b->nas_id, b->session_id);
	if (b->has & LWBS_RADIUS_HAS_RAT)
		printf(" rat=%u", b->rat_type);
	printf(" updated_ms=%lld\n", (long long)b->updated);
}

static int show_one(void *arg, const struct lwbs_radius_binding *b)
{
	print_binding(b);
	return 0;
}

int lwbs_radius_cmd_show(int argc, char **argv)
{
	struct lwbs_radius_journal_info info;
	struct lwbs_radius_binding b;
	struct lwbs_radius_table *t;
	char err[512];
	int first, status = 0;
	const char *journal = parse_journal_opt(argc, argv, &first, NULL);

	if (first == -1)
		return usage("show", stdout);
	if (first < 0 || !journal || argc - first > 1)
		return usage("show", stderr);
	t = lwbs_radius_table_create();
	if (!t || lwbs_radius_journal_load(journal, t, &info, err, sizeof(err))) {
		fprintf(stderr, "%s\n", t ? err : "lwbsctl: out of memory");
		lwbs_radius_table_destroy(t);
		return 1;
	}
	if (first == argc) {
		lwbs_radius_table_foreach(t, show_one, NULL);
	} else {
		uint8_t a[16];
		int r;

		if (inet_pton(AF_INET, argv[first], a) == 1)
			r = lwbs_radius_table_lookup4(t, a, &b);
		else if (inet_pton(AF_INET6, argv[first], a) == 1)
			r = lwbs_radius_table_lookup6(t, a, &b);
		else {
			fprintf(stderr, "lwbsctl: %s: not an IP address\n", argv[first]);
			lwbs_radius_table_destroy(t);
			return 2;
		}
		if (r == 0)
			print_binding(&b);
		else
			status = 1;
	}
	lwbs_radius_table_destroy(t);
	return status;
}
