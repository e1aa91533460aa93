/* lwbs — the PLMN YAML file (docs/dns.md) into struct lwbs_dns_input.
 * Parses from memory with libyaml's document loader; every error names
 * its place as "file:line:column: message". */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "lwbs/dns.h"

struct ctx {
	yaml_document_t doc;
	const char *file;
	struct lwbs_arena *a;
	struct lwbs_dns_diag *diag;
	struct lwbs_dns_input in;
	yaml_mark_t *ns_marks;
	yaml_mark_t *plmn_marks;
	yaml_node_t *suffix_node;
};

static int fail_at(struct ctx *c, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail_at(struct ctx *c, yaml_mark_t m, const char *fmt, ...)
{
	struct lwbs_dns_diag *d = c->diag;
	char msg[256];
	va_list ap;

	if (!d)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->line = (unsigned)m.line + 1;
	d->column = (unsigned)m.column + 1;
	snprintf(d->text, sizeof(d->text), "%s:%u:%u: %s", c->file, d->line, d->column, msg);
	return -EINVAL;
}

#define FAIL(c, node, ...) fail_at((c), (node)->start_mark, __VA_ARGS__)

static yaml_node_t *node(struct ctx *c, int id)
{
	return yaml_document_get_node(&c->doc, id);
}

static int scalar(struct ctx *c, yaml_node_t *n, const char *what, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return FAIL(c, n, "%s: expected a single value", what);
	if (memchr(n->data.scalar.value, 0, n->data.scalar.length))
		return FAIL(c, n, "%s: NUL byte in value", what);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

static int uint_val(struct ctx *c, yaml_node_t *n, const char *what, uint32_t min, uint32_t max,
		    uint32_t *out)
{
	const char *s;
	uint64_t v = 0;
	int r = scalar(c, n, what, &s);

	if (r)
		return r;
	if (!*s)
		return FAIL(c, n, "%s: expected a number", what);
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return FAIL(c, n, "%s: expected a number, not \"%s\"", what, s);
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			break;
	}
	if (v < min || v > max)
		return FAIL(c, n, "%s %s out of range %u..%u", what, s, min, max);
	*out = (uint32_t)v;
	return 0;
}

static char *lower_dup(struct ctx *c, const char *s)
{
	char *d = lwbs_arena_strdup(c->a, s);
	for (char *p = d; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

static int name_val(struct ctx *c, yaml_node_t *n, const char *what, const char **out)
{
	const char *s;
	int r = scalar(c, n, what, &s);

	if (r)
		return r;
	if (lwbs_dns_name_check(s))
		return FAIL(c, n, "%s: bad domain name \"%s\"", what, s);
	*out = lower_dup(c, s);
	return *out ? 0 : -ENOMEM;
}

static int seq(struct ctx *c, yaml_node_t *n, const char *what, size_t *count)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return FAIL(c, n, "%s: expected a list", what);
	*count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	return 0;
}

static void *alloc_n(struct ctx *c, size_t n, size_t size)
{
	return lwbs_arena_alloc(c->a, (n ? n : 1) * size);
}

static int addr_list(struct ctx *c, yaml_node_t *n, const char *what, struct lwbs_dns_addr **out,
		     size_t *count)
{
	size_t k = 0;
	int r = seq(c, n, what, &k);

	if (r)
		return r;
	struct lwbs_dns_addr *v = alloc_n(c, k, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++) {
		yaml_node_t *e = node(c, n->data.sequence.items.start[i]);
		const char *s;
		if ((r = scalar(c, e, what, &s)))
			return r;
		if (inet_pton(AF_INET, s, v[i].bytes) == 1)
			v[i].family = AF_INET;
		else if (inet_pton(AF_INET6, s, v[i].bytes) == 1)
			v[i].family = AF_INET6;
		else
			return FAIL(c, e, "bad IP address \"%s\"", s);
		for (size_t j = 0; j < i; j++)
			if (v[j].family == v[i].family && !memcmp(v[j].bytes, v[i].bytes, 16))
				return FAIL(c, e, "duplicate address \"%s\"", s);
	}
	*out = v;
	*count = k;
	return 0;
}

/* Walks mapping n: for each key, finds it in keys[] (else "unknown key"),
 * refuses repeats, and calls fn(c, index, value, arg). */
typedef int (*key_fn)(struct ctx *c, int key, yaml_node_t *val, void *arg);

static int mapping(struct ctx *c, yaml_node_t *n, const char *what, const char *const *keys,
		   key_fn fn, void *arg)
{
	unsigned long long seen = 0;

	if (n->type != YAML_MAPPING_NODE)
		return FAIL(c, n, "%s: expected a mapping", what);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *ks;
		int r, i;
		if ((r = scalar(c, k, "key", &ks)))
			return r;
		for (i = 0; keys[i] && strcmp(keys[i], ks) != 0; i++)
			;
		if (!keys[i])
			return FAIL(c, k, "unknown key \"%s\" in %s", ks, what);
		if (seen & (1ull << i))
			return FAIL(c, k, "duplicate key \"%s\" in %s", ks, what);
		seen |= 1ull << i;
		if ((r = fn(c, i, v, arg)))
			return r;
	}
	return 0;
}

/* ---- ttl ---- */
static const char *const ttl_keys[] = {"default", "address", "srv", "uri", "txt", "ns", NULL};
#define TTL_MAX 2147483647u

static int ttl_key(struct ctx *c, int key, yaml_node_t *v, void *arg)
{
	uint32_t *vals = arg;
	char what[32];

	snprintf(what, sizeof(what), "ttl.%s", ttl_keys[key]);
	return uint_val(c, v, what, 0, TTL_MAX, &vals[key]);
}

static int parse_ttl(struct ctx *c, yaml_node_t *v)
{
	uint32_t vals[6];
	bool set[6] = {false};
	int r;

	if (v->type == YAML_SCALAR_NODE) {
		r = uint_val(c, v, "ttl", 0, TTL_MAX, &vals[0]);
		if (r)
			return r;
		set[0] = true;
	} else {
		for (int i = 0; i < 6; i++)
			vals[i] = UINT32_MAX;
		r = mapping(c, v, "ttl", ttl_keys, ttl_key, vals);
		if (r)
			return r;
		for (int i = 0; i < 6; i++)
			set[i] = vals[i] != UINT32_MAX;
	}
	uint32_t d = set[0] ? vals[0] : c->in.ttl.dflt;
	c->in.ttl.dflt = d;
	c->in.ttl.address = set[1] ? vals[1] : d;
	c->in.ttl.srv = set[2] ? vals[2] : d;
	c->in.ttl.uri = set[3] ? vals[3] : d;
	c->in.ttl.txt = set[4] ? vals[4] : d;
	c->in.ttl.ns = set[5] ? vals[5] : d;
	return 0;
}

/* ---- soa ---- */
static const char *const soa_keys[] = {"mname", "rname", "refresh", "retry", "expire", "minimum", NULL};

static int soa_key(struct ctx *c, int key, yaml_node_t *v, void *arg)
{
	struct lwbs_dns_soa *s = &c->in.soa;
	uint32_t *nums[] = {NULL, NULL, &s->refresh, &s->retry, &s->expire, &s->minimum};
	char what[32];

	snprintf(what, sizeof(what), "soa.%s", soa_keys[key]);
	if (key == 0)
		return name_val(c, v, what, &s->mname);
	if (key == 1)
		return name_val(c, v, what, &s->rname);
	return uint_val(c, v, what, 0, TTL_MAX, nums[key]);
}

/* ---- ns ---- */
static const char *const ns_keys[] = {"name", "addresses", NULL};

static int ns_key(struct ctx *c, int key, yaml_node_t *v, void *arg)
{
	struct lwbs_dns_ns *ns = arg;

	if (key == 0)
		return name_val(c, v, "ns name", &ns->name);
	return addr_list(c, v, "ns addresses", &ns->addrs, &ns->n_addrs);
}

static int parse_ns(struct ctx *c, yaml_node_t *v)
{
	size_t k = 0;
	int r = seq(c, v, "ns", &k);

	if (r)
		return r;
	if (k == 0)
		return FAIL(c, v, "ns: at least one name server is needed");
	c->in.ns = alloc_n(c, k, sizeof(*c->in.ns));
	c->ns_marks = alloc_n(c, k, sizeof(*c->ns_marks));
	if (!c->in.ns || !c->ns_marks)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++) {
		yaml_node_t *e = node(c, v->data.sequence.items.start[i]);
		struct lwbs_dns_ns *ns = &c->in.ns[i];
		c->ns_marks[i] = e->start_mark;
		if (e->type == YAML_SCALAR_NODE)
			r = name_val(c, e, "ns name", &ns->name);
		else
			r = mapping(c, e, "ns entry", ns_keys, ns_key, ns);
		if (r)
			return r;
		if (!ns->name)
			return FAIL(c, e, "ns entry: missing key \"name\"");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->in.ns[j].name, ns->name))
				return FAIL(c, e, "duplicate name server \"%s\"", ns->name);
	}
	c->in.n_ns = k;
	return 0;
}

/* ---- services ---- */
static const char *const svc_keys[] = {"scheme", "port", "priority", "weight", NULL};

static int svc_key(struct ctx *c, int key, yaml_node_t *v, void *arg)
{
	struct lwbs_dns_service *s = arg;
	uint32_t x;
	const char *str;
	int r;

	if (key == 0) {
		if ((r = scalar(c, v, "scheme", &str)))
			return r;
		for (int i = LWBS_DNS_COAP; i <= LWBS_DNS_COAPS_TCP; i++) {
			if (!strcmp(str, lwbs_dns_scheme_name(i))) {
				s->scheme = i;
				return 0;
			}
		}
		return FAIL(c, v, "bad scheme \"%s\" (coap, coaps, coap+tcp or coaps+tcp)", str);
	}
	static const char *const names[] = {NULL, "port", "priority", "weight"};
	r = uint_val(c, v, names[key], key == 1 ? 1 : 0, 65535, &x);
	if (r)
		return r;
	if (key == 1)
		s->port = (uint16_t)x;
	else if (key == 2)
		s->priority = (uint16_t)x;
	else
		s->weight = (uint16_t)x;
	return 0;
}

static int parse_services(struct ctx *c, yaml_node_t *v)
{
	size_t k = 0;
	int r = seq(c, v, "services", &k);

	if (r)
		return r;
	if (k == 0)
		return FAIL(c, v, "services: at least one service is needed");
	c->in.services = alloc_n(c, k, sizeof(*c->in.services));
	if (!c->in.services)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++) {
		yaml_node_t *e = node(c, v->data.sequence.items.start[i]);
		struct lwbs_dns_service *s = &c->in.services[i];
		*s = (struct lwbs_dns_service){.scheme = (enum lwbs_dns_scheme)-1, .priority = 10,
					       .weight = 10};
		if ((r = mapping(c, e, "service", svc_keys, svc_key, s)))
			return r;
		if (s->scheme == (enum lwbs_dns_scheme)-1)
			return FAIL(c, e, "service: missing key \"scheme\"");
		if (!s->port)
			s->port = (s->scheme == LWBS_DNS_COAP || s->scheme == LWBS_DNS_COAP_TCP) ? 5683 : 5684;
		for (size_t j = 0; j < i; j++)
			if (c->in.services[j].scheme == s->scheme)
				return FAIL(c, e, "duplicate service \"%s\"", lwbs_dns_scheme_name(s->scheme));
	}
	c->in.n_services = k;
	return 0;
}

/* ---- plmns ---- */
struct plmn_raw {
	yaml_node_t *mcc, *mnc, *len;
};
static const char *const plmn_keys[] = {"mcc", "mnc", "mnc_length", NULL};

static int plmn_key(struct ctx *c, int key, yaml_node_t *v, void *arg)
{
	struct plmn_raw *p = arg;
	yaml_node_t **slot[] = {&p->mcc, &p->mnc, &p->len};

	*slot[key] = v;
	return 0;
}

static int parse_plmns(struct ctx *c, yaml_node_t *v)
{
	size_t k = 0;
	int r = seq(c, v, "plmns", &k);

	if (r)
		return r;
	if (k == 0)
		return FAIL(c, v, "plmns: at least one PLMN is needed");
	c->in.plmns = alloc_n(c, k, sizeof(*c->in.plmns));
	c->plmn_marks = alloc_n(c, k, sizeof(*c->plmn_marks));
	if (!c->in.plmns || !c->plmn_marks)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++) {
		yaml_node_t *e = node(c, v->data.sequence.items.start[i]);
		struct plmn_raw raw = {0};
		const char *mcc, *mnc;
		uint32_t len = 0;
		char d1[16], d2[16];

		c->plmn_marks[i] = e->start_mark;
		if ((r = mapping(c, e, "PLMN", plmn_keys, plmn_key, &raw)))
			return r;
		if (!raw.mcc || !raw.mnc)
			return FAIL(c, e, "PLMN: missing key \"%s\"", raw.mcc ? "mnc" : "mcc");
		if ((r = scalar(c, raw.mcc, "mcc", &mcc)) || (r = scalar(c, raw.mnc, "mnc", &mnc)))
			return r;
		if (raw.len && (r = uint_val(c, raw.len, "mnc_length", 2, 3, &len)))
			return r;
		if (strlen(mcc) != 3 || lwbs_dns_plmn_set(&c->in.plmns[i], mcc, "00", 0))
			return FAIL(c, raw.mcc, "MCC must be 3 digits, not \"%s\"", mcc);
		if (lwbs_dns_plmn_set(&c->in.plmns[i], mcc, mnc, 0))
			return FAIL(c, raw.mnc, "MNC must be 2 or 3 digits, not \"%s\"", mnc);
		if (len && strlen(mnc) != len)
			return FAIL(c, raw.len, "MNC \"%s\" has %zu digits but mnc_length is %u", mnc,
				    strlen(mnc), len);
		lwbs_dns_plmn_domain(&c->in.plmns[i], d1, sizeof(d1));
		for (size_t j = 0; j < i; j++) {
			lwbs_dns_plmn_domain(&c->in.plmns[j], d2, sizeof(d2));
			if (!strcmp(d1, d2))
				return FAIL(c, e, "duplicate PLMN %s/%s: %s is already used at line %zu",
					    mcc, mnc, d1, (size_t)c->plmn_marks[j].line + 1);
		}
	}
	c->in.n_plmns = k;
	return 0;
}

/* ---- top level ---- */
enum { K_LABEL, K_SUFFIX, K_LAYOUT, K_TTL, K_SOA, K_NS, K_ADDRESSES, K_SERVICES, K_TXT, K_PLMNS };
static const char *const top_keys[] = {"label", "suffix", "layout", "ttl", "soa", "ns",
				       "addresses", "services", "txt", "plmns", NULL};

static int top_key(struct ctx *c, int key, yaml_node_t *v, void *arg)
{
	yaml_node_t **seen = arg;
	const char *s;
	size_t k = 0;
	int r;

	seen[key] = v;
	switch (key) {
	case K_LABEL:
		return name_val(c, v, "label", &c->in.label);
	case K_SUFFIX:
		c->suffix_node = v;
		if ((r = name_val(c, v, "suffix", &c->in.suffix)))
			return r;
		k = strlen(c->in.suffix);
		if (c->in.suffix[k - 1] == '.')
			((char *)c->in.suffix)[k - 1] = 0;
		return 0;
	case K_LAYOUT:
		if ((r = scalar(c, v, "layout", &s)))
			return r;
		if (!strcmp(s, "per-plmn"))
			c->in.layout = LWBS_DNS_PER_PLMN;
		else if (!strcmp(s, "combined"))
			c->in.layout = LWBS_DNS_COMBINED;
		else
			return FAIL(c, v, "bad layout \"%s\" (per-plmn or combined)", s);
		return 0;
	case K_TTL:
		return parse_ttl(c, v);
	case K_SOA:
		return mapping(c, v, "soa", soa_keys, soa_key, NULL);
	case K_NS:
		return parse_ns(c, v);
	case K_ADDRESSES:
		if ((r = addr_list(c, v, "addresses", &c->in.addrs, &c->in.n_addrs)))
			return r;
		return c->in.n_addrs ? 0 : FAIL(c, v, "addresses: at least one address is needed");
	case K_SERVICES:
		return parse_services(c, v);
	case K_TXT:
		if ((r = seq(c, v, "txt", &k)))
			return r;
		c->in.txt = alloc_n(c, k, sizeof(*c->in.txt));
		if (!c->in.txt)
			return -ENOMEM;
		for (size_t i = 0; i < k; i++) {
			yaml_node_t *e = node(c, v->data.sequence.items.start[i]);
			if ((r = scalar(c, e, "txt", &s)))
				return r;
			if (strlen(s) > 255)
				return FAIL(c, e, "txt: a string is at most 255 bytes");
			if (!(c->in.txt[i] = lwbs_arena_strdup(c->a, s)))
				return -ENOMEM;
		}
		c->in.n_txt = k;
		return 0;
	default:
		return parse_plmns(c, v);
	}
}

/* Cross-checks once everything is read: name lengths and in-zone name
 * servers (which need addresses, written as glue; others must have none). */
static int finish(struct ctx *c, yaml_node_t *root)
{
	char apex[LWBS_DNS_NAME_MAX], name[LWBS_DNS_NAME_MAX];
	struct lwbs_dns_input *in = &c->in;

	for (size_t i = 0; i < in->n_plmns; i++) {
		int r = lwbs_dns_plmn_name(&in->plmns[i], in->label, in->suffix, name, sizeof(name));
		/* room for "_coaps._tcp." in front */
		if (r || strlen(name) + 12 > 254)
			return fail_at(c, c->plmn_marks[i], "name for this PLMN is too long");
	}
	for (size_t z = 0; z < lwbs_dns_zone_count(in); z++) {
		if (lwbs_dns_zone_apex(in, z, apex, sizeof(apex)))
			return fail_at(c, root->start_mark, "zone name too long");
		for (size_t i = 0; i < in->n_ns; i++) {
			bool inz = lwbs_dns_in_zone(in->ns[i].name, apex);
			size_t n = strlen(in->ns[i].name);
			if (in->ns[i].name[n - 1] != '.' && n + strlen(apex) + 2 > 254)
				return fail_at(c, c->ns_marks[i], "name server name too long in zone %s", apex);
			if (inz && !in->ns[i].n_addrs)
				return fail_at(c, c->ns_marks[i],
					       "name server \"%s\" is inside zone %s and needs addresses",
					       in->ns[i].name, apex);
			if (!inz && in->ns[i].n_addrs)
				return fail_at(c, c->ns_marks[i],
					       "name server \"%s\" is outside zone %s: give no addresses",
					       in->ns[i].name, apex);
		}
	}
	return 0;
}

static int load(struct ctx *c)
{
	yaml_node_t *root = yaml_document_get_root_node(&c->doc);
	yaml_node_t *seen[10] = {0};
	yaml_mark_t start = {0};
	int r;

	if (!root)
		return fail_at(c, start, "empty document");
	c->in = (struct lwbs_dns_input){
		.label = "bsf",
		.suffix = "pub.3gppnetwork.org",
		.layout = LWBS_DNS_PER_PLMN,
		.ttl = {300, 300, 300, 300, 300, 300},
		.soa = {NULL, NULL, 3600, 600, 1209600, 300},
	};
	r = mapping(c, root, "the top level", top_keys, top_key, seen);
	if (r)
		return r;
	static const int required[] = {K_SOA, K_NS, K_ADDRESSES, K_PLMNS};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!seen[required[i]])
			return FAIL(c, root, "missing key \"%s\"", top_keys[required[i]]);
	if (!c->in.soa.rname)
		return FAIL(c, seen[K_SOA], "soa: missing key \"rname\"");
	if (!c->in.soa.mname)
		c->in.soa.mname = c->in.ns[0].name;
	if (!seen[K_SERVICES]) {
		c->in.services = alloc_n(c, 1, sizeof(*c->in.services));
		if (!c->in.services)
			return -ENOMEM;
		c->in.services[0] = (struct lwbs_dns_service){LWBS_DNS_COAPS, 5684, 10, 10};
		c->in.n_services = 1;
	}
	return finish(c, root);
}

int lwbs_dns_input_parse(const char *text, size_t len, const char *file, struct lwbs_arena *a,
			 struct lwbs_dns_input *out, struct lwbs_dns_diag *diag)
{
	struct ctx c = {.file = file, .a = a, .diag = diag};
	yaml_parser_t parser;
	int r;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &c.doc)) {
		r = fail_at(&c, parser.problem_mark, "%s%s%s%s",
			    parser.problem ? parser.problem : "YAML error",
			    parser.context ? " (" : "", parser.context ? parser.context : "",
			    parser.context ? ")" : "");
		if (parser.error == YAML_MEMORY_ERROR)
			r = -ENOMEM;
		yaml_parser_delete(&parser);
		return r;
	}
	r = load(&c);
	yaml_document_delete(&c.doc);
	yaml_parser_delete(&parser);
	if (!r)
		*out = c.in;
	return r;
}
