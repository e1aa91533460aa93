/* lwbs — zone file text for bootstrap-server discovery (STANDARDS.md §5.4).
 * Pure and deterministic: the same input and serial give the same bytes. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lwbs/dns.h"

static const struct {
	const char *name, *owner;
} schemes[] = {
	[LWBS_DNS_COAP] = {"coap", "_coap._udp"},
	[LWBS_DNS_COAPS] = {"coaps", "_coaps._udp"},
	[LWBS_DNS_COAP_TCP] = {"coap+tcp", "_coap._tcp"},
	[LWBS_DNS_COAPS_TCP] = {"coaps+tcp", "_coaps._tcp"},
};

const char *lwbs_dns_scheme_owner(enum lwbs_dns_scheme s) { return schemes[s].owner; }
const char *lwbs_dns_scheme_name(enum lwbs_dns_scheme s) { return schemes[s].name; }

const char *lwbs_dns_type_name(uint16_t type)
{
	switch (type) {
	case LWBS_DNS_T_A: return "A";
	case LWBS_DNS_T_NS: return "NS";
	case LWBS_DNS_T_SOA: return "SOA";
	case LWBS_DNS_T_TXT: return "TXT";
	case LWBS_DNS_T_AAAA: return "AAAA";
	case LWBS_DNS_T_SRV: return "SRV";
	case LWBS_DNS_T_URI: return "URI";
	default: return "TYPE?";
	}
}

size_t lwbs_dns_zone_count(const struct lwbs_dns_input *in)
{
	return in->layout == LWBS_DNS_COMBINED ? 1 : in->n_plmns;
}

int lwbs_dns_zone_apex(const struct lwbs_dns_input *in, size_t i, char *out, size_t cap)
{
	if (i >= lwbs_dns_zone_count(in))
		return -EINVAL;
	if (in->layout == LWBS_DNS_COMBINED) {
		int n = snprintf(out, cap, "%s", in->suffix);
		return n < 0 || (size_t)n >= cap ? -ENOBUFS : 0;
	}
	int r = lwbs_dns_plmn_name(&in->plmns[i], in->label, in->suffix, out, cap);
	if (r)
		return r;
	out[strlen(out) - 1] = 0; /* drop the trailing dot */
	return 0;
}

/* Lower-case FQDN of name (absolute with '.', else relative to apex). */
static char *abs_name(struct lwbs_arena *a, const char *name, const char *apex)
{
	size_t n = strlen(name);
	char buf[LWBS_DNS_NAME_MAX * 2];

	if (n && name[n - 1] == '.')
		snprintf(buf, sizeof(buf), "%s", name);
	else
		snprintf(buf, sizeof(buf), "%s.%s.", name, apex);
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return lwbs_arena_strdup(a, buf);
}

bool lwbs_dns_in_zone(const char *name, const char *apex)
{
	size_t n = strlen(name), al = strlen(apex);

	if (!n || name[n - 1] != '.')
		return true;
	n--;
	if (n == al)
		return strncasecmp(name, apex, al) == 0;
	return n > al && name[n - al - 1] == '.' && strncasecmp(name + n - al, apex, al) == 0;
}

struct rrlist {
	struct lwbs_arena *a;
	struct lwbs_dns_rr *rrs;
	size_t n, cap;
	int err;
};

static void add(struct rrlist *l, const char *owner, uint16_t type, uint32_t ttl, const char *rdata)
{
	if (l->err)
		return;
	if (!owner || !rdata) {
		l->err = -ENOMEM;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct lwbs_dns_rr *n = lwbs_arena_alloc(l->a, cap * sizeof(*n));
		if (!n) {
			l->err = -ENOMEM;
			return;
		}
		if (l->n)
			memcpy(n, l->rrs, l->n * sizeof(*n));
		l->rrs = n;
		l->cap = cap;
	}
	l->rrs[l->n++] = (struct lwbs_dns_rr){owner, type, ttl, rdata};
}

static const char *addr_text(struct lwbs_arena *a, const struct lwbs_dns_addr *ad)
{
	char ip[INET6_ADDRSTRLEN];

	if (!inet_ntop(ad->family, ad->bytes, ip, sizeof(ip)))
		return NULL;
	return lwbs_arena_strdup(a, ip);
}

static void add_addrs(struct rrlist *l, const char *owner, const struct lwbs_dns_addr *addrs,
		      size_t n, uint32_t ttl)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++)
			if (addrs[i].family == (pass ? AF_INET6 : AF_INET))
				add(l, owner, pass ? LWBS_DNS_T_AAAA : LWBS_DNS_T_A, ttl,
				    addr_text(l->a, &addrs[i]));
}

static const char *printf_a(struct lwbs_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *printf_a(struct lwbs_arena *a, const char *fmt, ...)
{
	struct lwbs_buf b;
	va_list ap;
	const char *s = NULL;

	lwbs_buf_init(&b, 4096);
	va_start(ap, fmt);
	lwbs_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (!lwbs_buf_putc(&b, 0))
		s = lwbs_arena_strdup(a, (const char *)b.data);
	lwbs_buf_finish(&b);
	return s;
}

static const char *quoted_a(struct lwbs_arena *a, const char *s)
{
	struct lwbs_buf b;
	const char *q = NULL;

	lwbs_buf_init(&b, 4096);
	lwbs_dns_quote(&b, (const uint8_t *)s, strlen(s));
	if (!lwbs_buf_putc(&b, 0))
		q = lwbs_arena_strdup(a, (const char *)b.data);
	lwbs_buf_finish(&b);
	return q;
}

static void add_plmn(struct rrlist *l, const struct lwbs_dns_input *in,
		     const struct lwbs_dns_plmn *p)
{
	char bs[LWBS_DNS_NAME_MAX];

	if (l->err)
		return;
	l->err = lwbs_dns_plmn_name(p, in->label, in->suffix, bs, sizeof(bs));
	if (l->err)
		return;
	const char *owner = lwbs_arena_strdup(l->a, bs);
	add_addrs(l, owner, in->addrs, in->n_addrs, in->ttl.address);
	for (size_t i = 0; i < in->n_txt; i++)
		add(l, owner, LWBS_DNS_T_TXT, in->ttl.txt, quoted_a(l->a, in->txt[i]));
	for (size_t i = 0; i < in->n_services; i++) {
		const struct lwbs_dns_service *s = &in->services[i];
		const char *so = printf_a(l->a, "%s.%s", schemes[s->scheme].owner, bs);
		add(l, so, LWBS_DNS_T_SRV, in->ttl.srv,
		    printf_a(l->a, "%u %u %u %s", s->priority, s->weight, s->port, bs));
		char uri[LWBS_DNS_NAME_MAX + 32];
		snprintf(uri, sizeof(uri), "%s://%.*s:%u", schemes[s->scheme].name,
			 (int)strlen(bs) - 1, bs, s->port);
		add(l, so, LWBS_DNS_T_URI, in->ttl.uri,
		    printf_a(l->a, "%u %u %s", s->priority, s->weight, quoted_a(l->a, uri)));
	}
}

int lwbs_dns_zone_records(const struct lwbs_dns_input *in, size_t i, struct lwbs_arena *a,
			  struct lwbs_dns_rr **rrs, size_t *n)
{
	char apex[LWBS_DNS_NAME_MAX];
	struct rrlist l = {.a = a};
	int r = lwbs_dns_zone_apex(in, i, apex, sizeof(apex));

	if (r)
		return r;
	const char *apex_fq = printf_a(a, "%s.", apex);
	for (size_t k = 0; k < in->n_ns; k++)
		add(&l, apex_fq, LWBS_DNS_T_NS, in->ttl.ns, abs_name(a, in->ns[k].name, apex));
	for (size_t k = 0; k < in->n_ns; k++)
		if (lwbs_dns_in_zone(in->ns[k].name, apex))
			add_addrs(&l, abs_name(a, in->ns[k].name, apex), in->ns[k].addrs,
				  in->ns[k].n_addrs, in->ttl.address);
	if (in->layout == LWBS_DNS_COMBINED)
		for (size_t k = 0; k < in->n_plmns; k++)
			add_plmn(&l, in, &in->plmns[k]);
	else
		add_plmn(&l, in, &in->plmns[i]);
	if (l.err)
		return l.err;
	*rrs = l.rrs;
	*n = l.n;
	return 0;
}

/* owner relative to the apex: "@", "_coaps._udp", or the FQDN itself. */
static const char *rel_owner(const char *owner, const char *apex, int *len)
{
	size_t on = strlen(owner), an = strlen(apex);

	if (on == an + 1 && strncmp(owner, apex, an) == 0) {
		*len = 1;
		return "@";
	}
	if (on > an + 2 && owner[on - an - 2] == '.' && strncmp(owner + on - an - 1, apex, an) == 0)
		*len = (int)(on - an - 2);
	else
		*len = (int)on;
	return owner;
}

static void put_owner(struct lwbs_buf *b, const char *owner, const char *apex, int width)
{
	int len;
	const char *s = rel_owner(owner, apex, &len);

	lwbs_buf_printf(b, "%-*.*s ", width, len, s);
}

int lwbs_dns_zone_render(const struct lwbs_dns_input *in, size_t i, uint32_t serial,
			 struct lwbs_buf *out)
{
	char apex[LWBS_DNS_NAME_MAX], dom[16];
	struct lwbs_arena *a = lwbs_arena_create(0);
	struct lwbs_dns_rr *rrs;
	size_t n;
	int r, width = 1;

	if (!a)
		return -ENOMEM;
	r = lwbs_dns_zone_apex(in, i, apex, sizeof(apex));
	if (!r)
		r = lwbs_dns_zone_records(in, i, a, &rrs, &n);
	if (r)
		goto out;

	lwbs_buf_printf(out, "; Zone %s: LwM2M bootstrap server discovery.\n", apex);
	for (size_t k = 0; k < in->n_plmns; k++) {
		if (in->layout == LWBS_DNS_PER_PLMN && k != i)
			continue;
		lwbs_dns_plmn_domain(&in->plmns[k], dom, sizeof(dom));
		lwbs_buf_printf(out, "; PLMN MCC %s MNC %s (%s)\n", in->plmns[k].mcc,
				in->plmns[k].mnc, dom);
	}
	lwbs_buf_puts(out, "; Written by lwbsctl zone generate: edit the PLMN list, not this file.\n");
	lwbs_buf_printf(out, "$ORIGIN %s.\n$TTL %u\n", apex, in->ttl.dflt);
	for (size_t k = 0; k < n; k++) {
		int w;
		rel_owner(rrs[k].owner, apex, &w);
		if (w > width)
			width = w;
	}
	lwbs_buf_printf(out, "%-*s %-7u IN SOA   %s %s (\n", width, "@", in->ttl.dflt,
			abs_name(a, in->soa.mname, apex), abs_name(a, in->soa.rname, apex));
	lwbs_buf_printf(out, "\t\t%u\t; serial\n", serial);
	lwbs_buf_printf(out, "\t\t%u\t; refresh\n", in->soa.refresh);
	lwbs_buf_printf(out, "\t\t%u\t; retry\n", in->soa.retry);
	lwbs_buf_printf(out, "\t\t%u\t; expire\n", in->soa.expire);
	lwbs_buf_printf(out, "\t\t%u )\t; minimum (negative-caching TTL)\n", in->soa.minimum);
	for (size_t k = 0; k < n; k++) {
		/* a blank line between owners and after the NS records */
		if (k && (strcmp(rrs[k].owner, rrs[k - 1].owner) != 0 ||
			  (rrs[k - 1].type == LWBS_DNS_T_NS && rrs[k].type != LWBS_DNS_T_NS)))
			lwbs_buf_putc(out, '\n');
		put_owner(out, rrs[k].owner, apex, width);
		lwbs_buf_printf(out, "%-7u IN %-5s %s\n", rrs[k].ttl, lwbs_dns_type_name(rrs[k].type),
				rrs[k].rdata);
	}
	r = lwbs_buf_err(out);
out:
	lwbs_arena_destroy(a);
	return r;
}

int lwbs_dns_zone_find_serial(const char *text, size_t len, uint32_t *serial)
{
	static const char tag[] = "\t; serial\n";
	const char *end = text + len;

	for (const char *p = text; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
		if (*p == '\n')
			p++;
		const char *q = p;
		uint64_t v = 0;
		size_t digits = 0;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		while (q < end && *q >= '0' && *q <= '9' && digits < 11) {
			v = v * 10 + (uint64_t)(*q++ - '0');
			digits++;
		}
		if (digits && digits <= 10 && v <= UINT32_MAX && (size_t)(end - q) >= sizeof(tag) - 1 &&
		    memcmp(q, tag, sizeof(tag) - 1) == 0) {
			*serial = (uint32_t)v;
			return 0;
		}
	}
	return -ENOENT;
}

int lwbs_dns_serial_next(uint32_t old, uint32_t today, uint32_t *out)
{
	unsigned y = today / 10000, m = today / 100 % 100, d = today % 100;
	uint64_t next = (uint64_t)old + 1, day = (uint64_t)today * 100;

	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return -EINVAL;
	if (day > next)
		next = day;
	if (next > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)next;
	return 0;
}

int lwbs_dns_zone_plan(const struct lwbs_dns_input *in, size_t i, const char *old, size_t old_len,
		       uint32_t today, struct lwbs_buf *out, uint32_t *serial, bool *changed)
{
	uint32_t prev = 0, s;
	bool have_prev = old && lwbs_dns_zone_find_serial(old, old_len, &prev) == 0;
	struct lwbs_buf same;
	int r;

	if (have_prev) {
		lwbs_buf_init(&same, 0);
		r = lwbs_dns_zone_render(in, i, prev, &same);
		bool eq = !r && same.len == old_len && memcmp(same.data, old, old_len) == 0;
		lwbs_buf_finish(&same);
		if (r)
			return r;
		if (eq) {
			r = lwbs_buf_put(out, old, old_len);
			if (r)
				return r;
			*serial = prev;
			*changed = false;
			return 0;
		}
	}
	r = lwbs_dns_serial_next(have_prev ? prev : 0, today, &s);
	if (!r)
		r = lwbs_dns_zone_render(in, i, s, out);
	if (r)
		return r;
	*serial = s;
	*changed = true;
	return 0;
}

int lwbs_dns_named_conf(const struct lwbs_dns_input *in, const char *dir, struct lwbs_buf *out)
{
	char apex[LWBS_DNS_NAME_MAX];

	lwbs_buf_puts(out, "// LwM2M bootstrap discovery zones, written by lwbsctl zone generate.\n"
			   "// Include this file from named.conf.\n");
	for (size_t i = 0; i < lwbs_dns_zone_count(in); i++) {
		int r = lwbs_dns_zone_apex(in, i, apex, sizeof(apex));
		if (r)
			return r;
		lwbs_buf_printf(out, "zone \"%s\" {\n\ttype primary;\n\tfile \"%s%s%s.zone\";\n};\n",
				apex, dir, *dir ? "/" : "", apex);
	}
	return lwbs_buf_err(out);
}
