/* lwbs-devsim — Bootstrap-Server discovery over DNS (see discover.h).
 *
 * c-ares is the transport only: queries are built with ares_create_query()
 * and sent with ares_send() to the one --dns server (c-ares 1.18 cannot
 * parse URI records); answers are parsed by dns/wire.c, whose presentation
 * text the pure helpers here read back. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <time.h>

#include <ares.h>

#include "device.h"
#include "discover.h"
#include "lwbs/arena.h"
#include "lwbs/dns.h"
#include "lwbs/err.h"

/* ---- pure helpers ---------------------------------------------------- */

static bool take(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* 1..5 decimal digits, at most 65535. */
static bool take_u16(const char **p, uint16_t *out)
{
	const char *s = *p;
	unsigned long v = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (++n > 5)
			return false;
		v = v * 10 + (unsigned long)(s[n - 1] - '0');
	}
	if (n == 0 || v > 65535)
		return false;
	*out = (uint16_t)v;
	*p = s + n;
	return true;
}

int devsim_dns_uri_rr_parse(const char *rdata, struct devsim_dns_target *out)
{
	struct devsim_dns_target t = {0};
	const char *p = rdata;
	size_t n = 0;

	if (!take_u16(&p, &t.priority) || !take(&p, ' ') || !take_u16(&p, &t.weight) ||
	    !take(&p, ' ') || !take(&p, '"'))
		return -EINVAL;
	while (*p && *p != '"') {
		unsigned c = (unsigned char)*p++;
		if (c == '\\') {
			if (p[0] >= '0' && p[0] <= '9') {
				if (!(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9'))
					return -EINVAL;
				c = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
				    (unsigned)(p[2] - '0');
				p += 3;
				if (c > 255)
					return -EINVAL;
			} else if (*p) {
				c = (unsigned char)*p++;
			} else {
				return -EINVAL;
			}
		}
		if (c == 0)
			return -EINVAL;
		if (n + 1 >= sizeof(t.target))
			return -ENAMETOOLONG;
		t.target[n++] = (char)c;
	}
	if (!take(&p, '"') || *p || n == 0)
		return -EINVAL;
	t.target[n] = 0;
	memcpy(out, &t, sizeof(t));
	return 0;
}

int devsim_dns_srv_rr_parse(const char *rdata, struct devsim_dns_target *out)
{
	struct devsim_dns_target t = {0};
	const char *p = rdata;
	size_t n;

	if (!take_u16(&p, &t.priority) || !take(&p, ' ') || !take_u16(&p, &t.weight) ||
	    !take(&p, ' ') || !take_u16(&p, &t.port) || !take(&p, ' '))
		return -EINVAL;
	if (!strcmp(p, "."))
		return -ENOENT;
	n = strlen(p);
	if (n < 2 || p[n - 1] != '.' || n - 1 >= sizeof(t.target))
		return -EINVAL;
	memcpy(t.target, p, n - 1);
	t.target[n - 1] = 0;
	if (lwbs_dns_name_check(t.target))
		return -EINVAL;
	memcpy(out, &t, sizeof(t));
	return 0;
}

int devsim_dns_target_pick(const struct devsim_dns_target *t, size_t n, size_t *idx)
{
	size_t best = 0;

	if (n == 0)
		return -ENOENT;
	for (size_t i = 1; i < n; i++)
		if (t[i].priority < t[best].priority ||
		    (t[i].priority == t[best].priority && t[i].weight > t[best].weight))
			best = i;
	*idx = best;
	return 0;
}

static uint16_t default_port(const char *scheme)
{
	if (!strcmp(scheme, "coap") || !strcmp(scheme, "coap+tcp"))
		return 5683;
	if (!strcmp(scheme, "coaps") || !strcmp(scheme, "coaps+tcp"))
		return 5684;
	return 0;
}

int devsim_uri_parse(const char *s, struct devsim_uri *out)
{
	struct devsim_uri u = {0};
	const char *p = s, *host, *hend, *aend;
	uint8_t ip[16];
	size_t n = 0;

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1) */
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	       (n > 0 && ((p[n] >= '0' && p[n] <= '9') || p[n] == '+' || p[n] == '-' || p[n] == '.'))) {
		if (n + 1 >= sizeof(u.scheme))
			return -EINVAL;
		char c = p[n];
		u.scheme[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	p += n;
	if (n == 0 || strncmp(p, "://", 3) != 0)
		return -EINVAL;
	host = p + 3;
	aend = host + strcspn(host, "/?#");
	if (memchr(host, '@', (size_t)(aend - host)))
		return -EINVAL; /* userinfo has no place in a server URI */
	if (*host == '[') {
		host++;
		hend = memchr(host, ']', (size_t)(aend - host));
		if (!hend || (size_t)(hend - host) >= sizeof(u.host))
			return -EINVAL;
		memcpy(u.host, host, (size_t)(hend - host));
		if (inet_pton(AF_INET6, u.host, ip) != 1)
			return -EINVAL;
		u.host_is_ip = true;
		p = hend + 1;
	} else {
		hend = memchr(host, ':', (size_t)(aend - host));
		if (!hend)
			hend = aend;
		n = (size_t)(hend - host);
		if (n && host[n - 1] == '.')
			n--; /* an absolute name */
		if (n == 0 || n >= sizeof(u.host))
			return -EINVAL;
		memcpy(u.host, host, n);
		u.host_is_ip = inet_pton(AF_INET, u.host, ip) == 1;
		if (!u.host_is_ip && lwbs_dns_name_check(u.host))
			return -EINVAL;
		p = hend;
	}
	u.port = default_port(u.scheme);
	if (p < aend) {
		/* ":" port; an empty port means the default (RFC 3986 §3.2.3) */
		if (*p++ != ':')
			return -EINVAL;
		if (p < aend && (!take_u16(&p, &u.port) || p != aend || u.port == 0))
			return -EINVAL;
	}
	if (u.port == 0)
		return -EINVAL;
	memcpy(out, &u, sizeof(u));
	return 0;
}

/* ---- I/O ------------------------------------------------------------- */

struct ctx {
	ares_channel ch;
	struct lwbs_arena *a;
	struct devsim_discovery *d;
	double deadline;
	bool any_step;
};

struct pending {
	struct ctx *x;
	const char *qname;
	uint16_t type;
	bool done;
	int status;
	int parse_err;
	struct lwbs_dns_answer ans;
};

static void why(struct devsim_discovery *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void why(struct devsim_discovery *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct pending *q = arg;

	q->done = true;
	q->status = status;
	if (status == ARES_SUCCESS && abuf)
		q->parse_err = lwbs_dns_answer_parse(abuf, (size_t)alen, q->qname, q->type, q->x->a,
						     &q->ans);
}

static void rcode_name(int rcode, char *out, size_t cap)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP", "REFUSED"};
	if (rcode >= 0 && rcode < 6)
		snprintf(out, cap, "%s", names[rcode]);
	else
		snprintf(out, cap, "RCODE %d", rcode);
}

static void step(struct ctx *x, const struct pending *q, const char *status)
{
	struct lwbs_buf *b = &x->d->steps;

	lwbs_buf_puts(b, x->any_step ? ",{\"query\":" : "{\"query\":");
	x->any_step = true;
	devsim_json_string(b, q->qname, strlen(q->qname));
	lwbs_buf_printf(b, ",\"type\":\"%s\",\"status\":", lwbs_dns_type_name(q->type));
	devsim_json_string(b, status, strlen(status));
	lwbs_buf_puts(b, ",\"records\":[");
	for (size_t i = 0; i < q->ans.n; i++) {
		if (i)
			lwbs_buf_putc(b, ',');
		devsim_json_string(b, q->ans.rrs[i].rdata, strlen(q->ans.rrs[i].rdata));
	}
	lwbs_buf_puts(b, "]}");
}

/* Asks for type at fqdn (trailing dot) and waits. 0 with *ans (possibly
 * no records) for NOERROR and NXDOMAIN; otherwise a negative code and the
 * reason. Either way the query is recorded in the steps. */
static int query(struct ctx *x, const char *fqdn, uint16_t type, struct lwbs_dns_answer *ans)
{
	struct pending q = {.x = x, .qname = fqdn, .type = type};
	char name[LWBS_DNS_NAME_MAX], status[64];
	unsigned char *qbuf;
	size_t nl = strlen(fqdn) - 1; /* without the trailing dot */
	int qlen, r;

	if (nl >= sizeof(name)) {
		why(x->d, "%s is too long a name", fqdn);
		return -ENAMETOOLONG;
	}
	memcpy(name, fqdn, nl);
	name[nl] = 0;
	/* RD set: a device asks its resolver, which may have to recurse */
	r = ares_create_query(name, 1 /* IN */, type, 0, 1, &qbuf, &qlen, 0);
	if (r != ARES_SUCCESS) {
		why(x->d, "cannot query %s: %s", fqdn, ares_strerror(r));
		return -EIO;
	}
	ares_send(x->ch, qbuf, qlen, on_answer, &q);
	ares_free_string(qbuf);
	while (!q.done) {
		fd_set rfds, wfds;
		struct timeval tv, maxtv, *tvp;
		double left = x->deadline - now_s();

		if (left <= 0) {
			ares_cancel(x->ch); /* on_answer runs with ARES_ECANCELLED */
			break;
		}
		FD_ZERO(&rfds);
		FD_ZERO(&wfds);
		int nfds = ares_fds(x->ch, &rfds, &wfds);
		maxtv.tv_sec = (time_t)left;
		maxtv.tv_usec = (suseconds_t)((left - (double)maxtv.tv_sec) * 1e6);
		tvp = ares_timeout(x->ch, &maxtv, &tv);
		if (select(nfds, &rfds, &wfds, NULL, tvp) < 0 && errno != EINTR) {
			ares_cancel(x->ch);
			break;
		}
		ares_process(x->ch, &rfds, &wfds);
	}

	r = 0;
	if (q.status == ARES_ECANCELLED || q.status == ARES_ETIMEOUT) {
		snprintf(status, sizeof(status), "timeout");
		r = -ETIMEDOUT;
	} else if (q.status != ARES_SUCCESS) {
		snprintf(status, sizeof(status), "%s", ares_strerror(q.status));
		r = -EIO;
	} else if (q.parse_err) {
		snprintf(status, sizeof(status), "bad answer");
		r = -EBADMSG;
	} else if (q.ans.rcode != 0 && q.ans.rcode != 3) {
		rcode_name(q.ans.rcode, status, sizeof(status));
		r = -EIO;
	} else {
		rcode_name(q.ans.rcode, status, sizeof(status));
	}
	if (r == -ETIMEDOUT)
		why(x->d, "got no answer to the %s query for %s", lwbs_dns_type_name(type), fqdn);
	else if (r)
		why(x->d, "%s query for %s failed: %s", lwbs_dns_type_name(type), fqdn, status);
	if (r)
		q.ans.n = 0;
	step(x, &q, status);
	if (!r)
		*ans = q.ans;
	return r;
}

static int set_addr(struct devsim_discovery *d, int family, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = {0};

	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, ip, &s4->sin_addr) != 1)
			return -EBADMSG;
		d->addr_len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			return -EBADMSG;
		d->addr_len = sizeof(*s6);
	}
	d->addr = ss;
	return 0;
}

/* The address of host: the literal itself, else the first A record, else
 * the first AAAA record. */
static int resolve_host(struct ctx *x, const struct devsim_uri *u)
{
	static const uint16_t types[] = {LWBS_DNS_T_A, LWBS_DNS_T_AAAA};
	char fqdn[LWBS_DNS_NAME_MAX];
	struct lwbs_dns_answer ans;
	int r;

	if (u->host_is_ip)
		return set_addr(x->d, strchr(u->host, ':') ? AF_INET6 : AF_INET, u->host, u->port);
	if (snprintf(fqdn, sizeof(fqdn), "%s.", u->host) >= (int)sizeof(fqdn))
		return -ENAMETOOLONG; /* cannot happen: the host passed lwbs_dns_name_check() */
	for (size_t i = 0; i < 2; i++) {
		if ((r = query(x, fqdn, types[i], &ans)))
			return r;
		if (ans.n)
			return set_addr(x->d, types[i] == LWBS_DNS_T_A ? AF_INET : AF_INET6,
					ans.rrs[0].rdata, u->port);
	}
	why(x->d, "no A or AAAA record for %s", fqdn);
	return -ENOENT;
}

/* The usable URI records of ans, parsed into t[] (ans.n entries). */
static size_t usable_uris(const struct lwbs_dns_answer *ans, struct devsim_dns_target *t)
{
	struct devsim_uri u;
	size_t n = 0;

	for (size_t i = 0; i < ans->n; i++)
		if (!devsim_dns_uri_rr_parse(ans->rrs[i].rdata, &t[n]) &&
		    !devsim_uri_parse(t[n].target, &u))
			n++;
	return n;
}

static size_t usable_srvs(const struct lwbs_dns_answer *ans, struct devsim_dns_target *t)
{
	size_t n = 0;

	for (size_t i = 0; i < ans->n; i++)
		if (!devsim_dns_srv_rr_parse(ans->rrs[i].rdata, &t[n]))
			n++;
	return n;
}

static int find(struct ctx *x, const struct devsim_discover_conf *c, const char *owner)
{
	struct devsim_discovery *d = x->d;
	struct lwbs_dns_answer ans;
	struct devsim_dns_target *t;
	struct devsim_uri u;
	size_t n, best;
	int r;

	/* 1. URI records: the whole URI */
	if ((r = query(x, owner, LWBS_DNS_T_URI, &ans)))
		return r;
	t = lwbs_arena_alloc(x->a, sizeof(*t) * (ans.n ? ans.n : 1));
	if (!t)
		return -ENOMEM;
	n = usable_uris(&ans, t);
	if (n) {
		devsim_dns_target_pick(t, n, &best);
		memcpy(d->uri, t[best].target, sizeof(d->uri));
		devsim_uri_parse(d->uri, &u);
	} else {
		/* 2. SRV records: host and port; the URI is put together here */
		bool had_uri = ans.n > 0;
		if ((r = query(x, owner, LWBS_DNS_T_SRV, &ans)))
			return r;
		t = lwbs_arena_alloc(x->a, sizeof(*t) * (ans.n ? ans.n : 1));
		if (!t)
			return -ENOMEM;
		n = usable_srvs(&ans, t);
		if (!n) {
			why(d, "no %sURI or SRV record for %s", had_uri || ans.n ? "usable " : "",
			    owner);
			return -ENOENT;
		}
		devsim_dns_target_pick(t, n, &best);
		int len = snprintf(d->uri, sizeof(d->uri), "%s://%s:%u", c->scheme, t[best].target,
				   t[best].port);
		if (len >= (int)sizeof(d->uri) || devsim_uri_parse(d->uri, &u)) {
			why(d, "SRV target gives no usable URI: %s", d->uri);
			return -ENOENT;
		}
	}
	if (strcmp(u.scheme, "coap") != 0) {
		why(d, "discovered %s, but lwbs-devsim can bootstrap only over coap:// (NoSec UDP) today",
		    d->uri);
		return -ENOTSUP;
	}
	/* 3. the host's address */
	return resolve_host(x, &u);
}

int devsim_discover(const struct devsim_discover_conf *c, struct devsim_discovery *d)
{
	struct ares_options ao = {0};
	struct lwbs_dns_plmn plmn;
	struct ctx x = {.d = d};
	char name[LWBS_DNS_NAME_MAX], owner[LWBS_DNS_NAME_MAX + 16];
	int r;

	memset(d, 0, sizeof(*d));
	lwbs_buf_init(&d->steps, 0);
	lwbs_buf_putc(&d->steps, '[');
	if (strcmp(c->scheme, "coap") != 0 && strcmp(c->scheme, "coaps") != 0) {
		why(d, "--scheme must be coap or coaps");
		r = -EINVAL;
		goto out;
	}
	if (lwbs_dns_plmn_from_imsi(&plmn, c->imsi, c->mnc_len)) {
		why(d, "--imsi must be 6..15 digits and --mnc-len 2 or 3");
		r = -EINVAL;
		goto out;
	}
	if (lwbs_dns_plmn_name(&plmn, c->label, c->suffix, name, sizeof(name)) ||
	    lwbs_dns_name_check(name)) {
		why(d, "--label/--suffix give no valid name");
		r = -EINVAL;
		goto out;
	}
	snprintf(owner, sizeof(owner), "_%s._udp.%s", c->scheme, name);
	if (strlen(owner) > 254) {
		why(d, "%s is too long a name", owner);
		r = -EINVAL;
		goto out;
	}
	if (strchr(c->dns, ',')) {
		why(d, "--dns takes one server");
		r = -EINVAL;
		goto out;
	}

	x.a = lwbs_arena_create(0);
	if (!x.a) {
		why(d, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	if ((r = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		why(d, "c-ares: %s", ares_strerror(r));
		r = -EIO;
		goto out_arena;
	}
	/* REFUSED or SERVFAIL come back as answers and are reported as such */
	ao.flags = ARES_FLAG_NOCHECKRESP;
	ao.timeout = 1000;
	ao.tries = 3;
	r = ares_init_options(&x.ch, &ao, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (r == ARES_SUCCESS)
		r = ares_set_servers_ports_csv(x.ch, c->dns);
	if (r != ARES_SUCCESS) {
		why(d, "--dns %s: %s", c->dns, ares_strerror(r));
		r = -EINVAL;
		goto out_lib;
	}
	x.deadline = now_s() + c->timeout;
	r = find(&x, c, owner);
	if (r && !d->reason[0])
		why(d, "%s", lwbs_strerror(r));
out_lib:
	if (x.ch)
		ares_destroy(x.ch);
	ares_library_cleanup();
out_arena:
	lwbs_arena_destroy(x.a);
out:
	lwbs_buf_puts(&d->steps, "]");
	lwbs_buf_putc(&d->steps, 0);
	if (r && r != -ENOTSUP)
		d->uri[0] = 0;
	return r;
}

void devsim_discovery_finish(struct devsim_discovery *d)
{
	lwbs_buf_finish(&d->steps);
}

void devsim_discovery_print_failure(const struct devsim_discovery *d, const char *lwm2m)
{
	struct lwbs_buf b;

	lwbs_buf_init(&b, 0);
	lwbs_buf_puts(&b, "{\"result\":\"failed\",\"reason\":");
	devsim_json_string(&b, d->reason, strlen(d->reason));
	lwbs_buf_puts(&b, ",\"discovered\":");
	if (d->uri[0])
		devsim_json_string(&b, d->uri, strlen(d->uri));
	else
		lwbs_buf_puts(&b, "null");
	lwbs_buf_puts(&b, ",\"discovery\":");
	if (!lwbs_buf_err(&d->steps))
		lwbs_buf_puts(&b, (const char *)d->steps.data);
	else
		lwbs_buf_puts(&b, "[]");
	lwbs_buf_printf(&b, ",\"lwm2m\":\"%s\"}\n", lwm2m);
	if (!lwbs_buf_err(&b))
		fwrite(b.data, 1, b.len, stdout);
	fflush(stdout);
	lwbs_buf_finish(&b);
}
