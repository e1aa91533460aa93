/* lwbs — `lwbsctl dns check`: asks one DNS server for every name and type
 * the zone generator writes and compares the answers with what it would
 * write. c-ares is the transport only (ares_send of a query we build, so
 * URI records, which c-ares 1.18 cannot parse, come back as raw bytes);
 * the answers are parsed by dns/wire.c. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include <ares.h>

#include "dns_cmd.h"

struct query {
	const char *name; /* FQDN */
	uint16_t type;
	const struct lwbs_dns_rr **exp;
	size_t n_exp, cap_exp;
	bool done;
	int status; /* ARES_* */
	struct lwbs_dns_answer ans;
	int parse_err;
};

struct check {
	struct lwbs_arena *a;
	struct query *q;
	size_t n, cap;
	size_t pending;
	unsigned mismatches;
};

static struct query *find_or_add(struct check *c, const char *name, uint16_t type)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->q[i].type == type && !strcmp(c->q[i].name, name))
			return &c->q[i];
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct query *n = realloc(c->q, cap * sizeof(*n));
		if (!n)
			return NULL;
		c->q = n;
		c->cap = cap;
	}
	struct query *q = &c->q[c->n++];
	*q = (struct query){.name = name, .type = type};
	return q;
}

static int expect(struct check *c, const struct lwbs_dns_rr *rr)
{
	struct query *q = find_or_add(c, rr->owner, rr->type);

	if (!q)
		return -ENOMEM;
	if (q->n_exp == q->cap_exp) {
		size_t cap = q->cap_exp ? q->cap_exp * 2 : 4;
		const struct lwbs_dns_rr **n = lwbs_arena_alloc(c->a, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		if (q->n_exp)
			memcpy(n, q->exp, q->n_exp * sizeof(*n));
		q->exp = n;
		q->cap_exp = cap;
	}
	q->exp[q->n_exp++] = rr;
	return 0;
}

/* Every record of every zone, plus A, AAAA and TXT at each bootstrap name
 * even when the input has none of that type (then the answer must be empty). */
static int build(struct check *c, const struct lwbs_dns_input *in)
{
	static const uint16_t always[] = {LWBS_DNS_T_A, LWBS_DNS_T_AAAA, LWBS_DNS_T_TXT};
	char bs[LWBS_DNS_NAME_MAX];
	int r;

	for (size_t z = 0; z < lwbs_dns_zone_count(in); z++) {
		struct lwbs_dns_rr *rrs;
		size_t n;
		if ((r = lwbs_dns_zone_records(in, z, c->a, &rrs, &n)))
			return r;
		for (size_t i = 0; i < n; i++)
			if ((r = expect(c, &rrs[i])))
				return r;
	}
	for (size_t p = 0; p < in->n_plmns; p++) {
		if ((r = lwbs_dns_plmn_name(&in->plmns[p], in->label, in->suffix, bs, sizeof(bs))))
			return r;
		const char *name = lwbs_arena_strdup(c->a, bs);
		for (size_t t = 0; t < 3; t++)
			if (!name || !find_or_add(c, name, always[t]))
				return -ENOMEM;
	}
	return 0;
}

struct cb_arg {
	struct check *c;
	size_t idx;
};

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct cb_arg *ca = arg;
	struct check *c = ca->c;
	struct query *q = &c->q[ca->idx];

	q->done = true;
	q->status = status;
	c->pending--;
	if (status == ARES_SUCCESS && abuf)
		q->parse_err = lwbs_dns_answer_parse(abuf, (size_t)alen, q->name, q->type, c->a, &q->ans);
}

static void report(struct check *c, const char *what, const struct query *q, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report(struct check *c, const char *what, const struct query *q, const char *fmt, ...)
{
	va_list ap;

	printf("%s: %s %s ", what, q->name, lwbs_dns_type_name(q->type));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	c->mismatches++;
}

static void compare(struct check *c, const struct query *q)
{
	size_t ne = q->n_exp, ng = q->ans.n;
	bool ue[ne + 1], ug[ng + 1];

	memset(ue, 0, sizeof(ue));
	memset(ug, 0, sizeof(ug));
	/* 1. identical records; 2. same data, other TTL; 3. pair the rest in
	 * order as "differs"; 4. what is left over is missing or unexpected. */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t e = 0; e < ne; e++) {
			const struct lwbs_dns_rr *x = q->exp[e];
			for (size_t g = 0; g < ng && !ue[e]; g++) {
				const struct lwbs_dns_rr *y = &q->ans.rrs[g];
				bool same = !strcmp(x->rdata, y->rdata);
				if (ug[g] || (pass == 0 && (!same || x->ttl != y->ttl)) ||
				    (pass == 1 && !same))
					continue;
				ue[e] = ug[g] = true;
				if (pass == 1)
					report(c, "differs", q, "%s: TTL expected %u, got %u", x->rdata,
					       x->ttl, y->ttl);
				else if (pass == 2)
					report(c, "differs", q, "expected %u %s, got %u %s", x->ttl,
					       x->rdata, y->ttl, y->rdata);
			}
		}
	}
	for (size_t e = 0; e < ne; e++)
		if (!ue[e])
			report(c, "missing", q, "%u %s", q->exp[e]->ttl, q->exp[e]->rdata);
	for (size_t g = 0; g < ng; g++)
		if (!ug[g])
			report(c, "unexpected", q, "%u %s", q->ans.rrs[g].ttl, q->ans.rrs[g].rdata);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage_check(void)
{
	fprintf(stderr, "usage: lwbsctl dns check --server ADDR[:PORT] --plmns FILE "
			"[--timeout SECONDS]\n"
			"       (IPv6 with a port: --server [2001:db8::53]:5353)\n");
}

int lwbs_dns_cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"plmns", required_argument, NULL, 'p'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *server = NULL, *plmns = NULL;
	double timeout = 10;
	struct check c = {0};
	struct lwbs_dns_input in;
	struct cb_arg *args = NULL;
	ares_channel ch = NULL;
	struct ares_options ao = {0};
	int opt, r, rc = 1;
	unsigned errors = 0, expected = 0;

	while ((opt = getopt_long(argc, argv, "s:p:t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': server = optarg; break;
		case 'p': plmns = optarg; break;
		case 't': {
			char *end;
			timeout = strtod(optarg, &end);
			if (*end || !(timeout > 0 && timeout <= 3600)) {
				fprintf(stderr, "lwbsctl dns check: bad --timeout \"%s\"\n", optarg);
				return 2;
			}
			break;
		}
		case 'h': usage_check(); return 0;
		default: usage_check(); return 2;
		}
	}
	if (!server || !plmns || optind != argc || strchr(server, ',')) {
		usage_check();
		return 2;
	}
	c.a = lwbs_arena_create(0);
	if (!c.a || lwbs_dns_load_plmns(plmns, c.a, &in))
		goto out;
	if ((r = build(&c, &in))) {
		fprintf(stderr, "lwbsctl dns check: %s\n", strerror(-r));
		goto out;
	}

	if ((r = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		fprintf(stderr, "lwbsctl dns check: c-ares: %s\n", ares_strerror(r));
		goto out;
	}
	/* REFUSED or SERVFAIL come back as answers, reported with their code */
	ao.flags = ARES_FLAG_NOCHECKRESP;
	ao.timeout = 2000;
	ao.tries = 3;
	r = ares_init_options(&ch, &ao, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (r == ARES_SUCCESS)
		r = ares_set_servers_ports_csv(ch, server);
	if (r != ARES_SUCCESS) {
		fprintf(stderr, "lwbsctl dns check: --server %s: %s\n", server, ares_strerror(r));
		goto out_lib;
	}

	args = calloc(c.n ? c.n : 1, sizeof(*args));
	if (!args)
		goto out_lib;
	for (size_t i = 0; i < c.n; i++) {
		unsigned char *qbuf;
		int qlen;
		size_t nl = strlen(c.q[i].name);
		char name[LWBS_DNS_NAME_MAX];

		snprintf(name, sizeof(name), "%.*s", (int)(nl - 1), c.q[i].name);
		r = ares_create_query(name, 1 /* IN */, c.q[i].type, 0, 0, &qbuf, &qlen, 0);
		if (r != ARES_SUCCESS) {
			fprintf(stderr, "lwbsctl dns check: %s: %s\n", c.q[i].name, ares_strerror(r));
			goto out_lib;
		}
		args[i] = (struct cb_arg){&c, i};
		c.pending++;
		ares_send(ch, qbuf, qlen, on_answer, &args[i]);
		ares_free_string(qbuf);
	}

	double deadline = now_s() + timeout;
	while (c.pending) {
		fd_set rfds, wfds;
		struct timeval tv, maxtv, *tvp;
		double left = deadline - now_s();

		if (left <= 0) {
			ares_cancel(ch); /* callbacks run with ARES_ECANCELLED */
			break;
		}
		FD_ZERO(&rfds);
		FD_ZERO(&wfds);
		int nfds = ares_fds(ch, &rfds, &wfds);
		maxtv.tv_sec = (time_t)left;
		maxtv.tv_usec = (suseconds_t)((left - (double)maxtv.tv_sec) * 1e6);
		tvp = ares_timeout(ch, &maxtv, &tv);
		if (select(nfds, &rfds, &wfds, NULL, tvp) < 0 && errno != EINTR) {
			perror("select");
			goto out_lib;
		}
		ares_process(ch, &rfds, &wfds);
	}

	for (size_t i = 0; i < c.n; i++) {
		struct query *q = &c.q[i];
		expected += (unsigned)q->n_exp;
		if (!q->done || q->status != ARES_SUCCESS) {
			report(&c, "error", q, "no answer: %s",
			       q->done ? ares_strerror(q->status) : "timeout");
			errors++;
		} else if (q->parse_err) {
			report(&c, "error", q, "bad answer: %s", strerror(-q->parse_err));
			errors++;
		} else if (q->ans.rcode != 0 && q->ans.rcode != 3) {
			report(&c, "error", q, "answer code %d", q->ans.rcode);
			errors++;
		} else {
			compare(&c, q);
		}
	}
	printf("dns check: %zu queries to %s, %u records expected, %u mismatches (%u errors)\n",
	       c.n, server, expected, c.mismatches, errors);
	rc = c.mismatches ? 1 : 0;
out_lib:
	if (ch)
		ares_destroy(ch);
	ares_library_cleanup();
out:
	free(args);
	free(c.q);
	lwbs_arena_destroy(c.a);
	return rc;
}
