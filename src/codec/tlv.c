/* lwbs — LwM2M TLV (content formats 11542 and, on input, 1542).
 *
 * Entry layout: type byte | identifier (8 or 16 bit) | length (0..3 bytes)
 * | value. The type byte's bits 7-6 say what the entry is (object instance,
 * resource instance, multiple resource, resource), bit 5 the identifier
 * width, bits 4-3 the width of the length field and bits 2-0 an inline
 * length when that width is 0.
 *
 * The decoder builds each container's children as its own list of nodes
 * (appended in input order, then merge-sorted by id if the input was not
 * ascending, duplicates rejected) so that hostile input costs
 * O(n log n), not one sorted-list insertion per entry.
 */
#include <errno.h>
#include <string.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"
#include "lwbs/rd.h"

enum tlv_kind {
	TLV_OBJ_INST = 0,
	TLV_RES_INST = 1,
	TLV_MULTI_RES = 2,
	TLV_RES = 3,
};

#define TLV_ANY (-1) /* dec_list(): any kind */

#define TLV_ID16 0x20
#define TLV_LEN_MAX 0xFFFFFFu

struct tlv {
	enum tlv_kind kind;
	uint16_t id;
	const uint8_t *val;
	size_t len;
};

struct dec {
	struct lwbs_arena *a;
	const struct lwbs_typer *typer;
	uint16_t oid;
	size_t nodes;
};

/* Reads one entry header and locates its value. A value running past the
 * end of r is `overrun` (LWBS_ETRUNC at the top level, LWBS_ELENGTH inside a
 * container, whose own length is then what is wrong). */
static int tlv_next(struct lwbs_rd *r, int overrun, struct tlv *t)
{
	uint8_t type = lwbs_rd_u8(r);
	uint16_t id = (type & TLV_ID16) ? lwbs_rd_be16(r) : lwbs_rd_u8(r);
	size_t lt = (type >> 3) & 3;
	size_t len = lt ? (size_t)lwbs_rd_beN(r, lt) : (size_t)(type & 7);

	if (lwbs_rd_err(r))
		return overrun;
	if (id > LWBS_ID_MAX)
		return LWBS_EPATH;
	const uint8_t *val = lwbs_rd_take(r, len);
	if (!val)
		return overrun;
	t->kind = (enum tlv_kind)(type >> 6);
	t->id = id;
	t->val = val;
	t->len = len;
	return 0;
}

static struct lwbs_node *new_node(struct dec *d, uint16_t id, enum lwbs_level level)
{
	if (d->nodes >= LWBS_DECODE_MAX_NODES)
		return NULL;
	struct lwbs_node *n = lwbs_arena_alloc(d->a, sizeof(*n));
	if (!n)
		return NULL;
	d->nodes++;
	n->id = id;
	n->level = (uint8_t)level;
	return n;
}

/* The error new_node() failed with. */
static int new_node_err(const struct dec *d)
{
	return d->nodes >= LWBS_DECODE_MAX_NODES ? LWBS_ELIMIT : -ENOMEM;
}

static int64_t be_signed(const uint8_t *p, size_t n)
{
	uint64_t u = 0;
	for (size_t i = 0; i < n; i++)
		u = (u << 8) | p[i];
	if (n < 8 && (p[0] & 0x80))
		u |= ~(uint64_t)0 << (8 * n);
	return (int64_t)u;
}

static uint64_t be_unsigned(const uint8_t *p, size_t n)
{
	uint64_t u = 0;
	for (size_t i = 0; i < n; i++)
		u = (u << 8) | p[i];
	return u;
}

static bool int_width_ok(size_t n)
{
	return n == 1 || n == 2 || n == 4 || n == 8;
}

static int copy_bytes(struct lwbs_arena *a, enum lwbs_type t, const uint8_t *p, size_t n,
		      struct lwbs_value *v)
{
	/* One extra byte keeps strings NUL-terminated, as node.h promises. */
	uint8_t *c = lwbs_arena_alloc(a, n + 1);
	if (!c)
		return -ENOMEM;
	if (n)
		memcpy(c, p, n);
	*v = lwbs_value_bytes(t, c, n);
	return 0;
}

/* Types the value of resource rid from its raw bytes. */
static int tlv_value(struct dec *d, uint16_t rid, const uint8_t *p, size_t n, struct lwbs_value *out)
{
	enum lwbs_type t = LWBS_TYPE_NONE;
	struct lwbs_value v;
	int rc;

	if (d->typer && d->typer->fn)
		t = d->typer->fn(d->typer->ctx, d->oid, rid);

	switch (t) {
	case LWBS_TYPE_NONE:
		if (n == 0) {
			v = lwbs_value_none();
			break;
		}
		rc = copy_bytes(d->a, LWBS_TYPE_OPAQUE, p, n, &v);
		if (rc)
			return rc;
		v.untyped = true;
		break;
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_CORELNK:
		if (!lwbs_utf8_valid(p, n))
			return LWBS_EUTF8;
		/* fall through */
	case LWBS_TYPE_OPAQUE:
		rc = copy_bytes(d->a, t, p, n, &v);
		if (rc)
			return rc;
		break;
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		if (!int_width_ok(n))
			return LWBS_ETYPE;
		v = t == LWBS_TYPE_TIME ? lwbs_value_time(be_signed(p, n)) : lwbs_value_int(be_signed(p, n));
		break;
	case LWBS_TYPE_UNSIGNED:
		if (!int_width_ok(n))
			return LWBS_ETYPE;
		v = lwbs_value_uint(be_unsigned(p, n));
		break;
	case LWBS_TYPE_FLOAT:
		if (n == 4) {
			uint32_t bits = (uint32_t)be_unsigned(p, 4);
			float f;
			memcpy(&f, &bits, sizeof(f));
			v = lwbs_value_float((double)f);
		} else if (n == 8) {
			uint64_t bits = be_unsigned(p, 8);
			double f;
			memcpy(&f, &bits, sizeof(f));
			v = lwbs_value_float(f);
		} else {
			return LWBS_ETYPE;
		}
		break;
	case LWBS_TYPE_BOOLEAN:
		if (n != 1 || p[0] > 1)
			return LWBS_ETYPE;
		v = lwbs_value_bool(p[0] == 1);
		break;
	case LWBS_TYPE_OBJLNK:
		if (n != 4)
			return LWBS_ETYPE;
		v = lwbs_value_objlnk((uint16_t)be_unsigned(p, 2), (uint16_t)be_unsigned(p + 2, 2));
		break;
	default:
		return LWBS_ETYPE;
	}
	*out = v;
	return 0;
}

/* Merge sort of a sibling list by id; duplicates are LWBS_EDUP. */
static int sort_siblings(struct lwbs_node **head)
{
	struct lwbs_node *h = *head;
	if (!h || !h->next)
		return 0;

	struct lwbs_node *slow = h, *fast = h->next;
	while (fast && fast->next) {
		slow = slow->next;
		fast = fast->next->next;
	}
	struct lwbs_node *b = slow->next;
	slow->next = NULL;

	int rc = sort_siblings(&h);
	if (rc)
		return rc;
	rc = sort_siblings(&b);
	if (rc)
		return rc;

	struct lwbs_node *out = NULL, **tail = &out;
	while (h && b) {
		if (h->id == b->id)
			return LWBS_EDUP;
		struct lwbs_node **min = h->id < b->id ? &h : &b;
		*tail = *min;
		tail = &(*min)->next;
		*min = (*min)->next;
	}
	*tail = h ? h : b;
	*head = out;
	return 0;
}

/* Sibling list under construction: appended in input order. */
struct sibs {
	struct lwbs_node *head, *tail;
	bool unsorted;
};

static void sibs_add(struct sibs *s, struct lwbs_node *n)
{
	if (s->tail) {
		if (n->id <= s->tail->id)
			s->unsorted = true;
		s->tail->next = n;
	} else {
		s->head = n;
	}
	s->tail = n;
}

static int sibs_finish(struct sibs *s, struct lwbs_node **out)
{
	if (s->unsorted) {
		int rc = sort_siblings(&s->head);
		if (rc)
			return rc;
	}
	*out = s->head;
	return 0;
}

/* Fills node nd from entry t; rid is the resource the entries belong to
 * (used by resource instances only). */
typedef int (*fill_fn)(struct dec *d, const struct tlv *t, uint16_t rid, struct lwbs_node *nd);

/* The sibling entries in p[0..n) as a list of nodes at level, each filled
 * by fill. Every entry must be of kind want (TLV_ANY: fill checks). */
static int dec_list(struct dec *d, const uint8_t *p, size_t n, int overrun, int want,
		    enum lwbs_level level, uint16_t rid, fill_fn fill, struct lwbs_node **out)
{
	struct lwbs_rd r;
	struct sibs s = {0};
	struct tlv t;
	int rc;

	lwbs_rd_init(&r, p, n);
	while (lwbs_rd_left(&r)) {
		rc = tlv_next(&r, overrun, &t);
		if (rc)
			return rc;
		if (want != TLV_ANY && (int)t.kind != want)
			return LWBS_EPATH;
		struct lwbs_node *nd = new_node(d, t.id, level);
		if (!nd)
			return new_node_err(d);
		rc = fill(d, &t, rid, nd);
		if (rc)
			return rc;
		sibs_add(&s, nd);
	}
	return sibs_finish(&s, out);
}

static int fill_res_inst(struct dec *d, const struct tlv *t, uint16_t rid, struct lwbs_node *ri)
{
	int rc = tlv_value(d, rid, t->val, t->len, &ri->value);
	if (rc)
		return rc;
	ri->has_value = true;
	return 0;
}

/* Resource instance TLVs (the value of a multiple resource, or bare ones). */
static int dec_res_insts(struct dec *d, uint16_t rid, const uint8_t *p, size_t n, int overrun,
			 struct lwbs_node **out)
{
	return dec_list(d, p, n, overrun, TLV_RES_INST, LWBS_LEVEL_RES_INSTANCE, rid, fill_res_inst, out);
}

/* Fills resource node res from a resource or multiple resource TLV. */
static int dec_resource(struct dec *d, const struct tlv *t, struct lwbs_node *res)
{
	if (t->kind == TLV_MULTI_RES) {
		res->multiple = true;
		return dec_res_insts(d, t->id, t->val, t->len, LWBS_ELENGTH, &res->child);
	}
	if (t->kind != TLV_RES)
		return LWBS_EPATH;
	int rc = tlv_value(d, t->id, t->val, t->len, &res->value);
	if (rc)
		return rc;
	res->has_value = true;
	return 0;
}

static int fill_resource(struct dec *d, const struct tlv *t, uint16_t rid, struct lwbs_node *res)
{
	(void)rid;
	return dec_resource(d, t, res);
}

/* Resource and multiple resource TLVs (the value of an object instance). */
static int dec_resources(struct dec *d, const uint8_t *p, size_t n, int overrun,
			 struct lwbs_node **out)
{
	return dec_list(d, p, n, overrun, TLV_ANY, LWBS_LEVEL_RESOURCE, 0, fill_resource, out);
}

static int fill_instance(struct dec *d, const struct tlv *t, uint16_t rid, struct lwbs_node *in)
{
	(void)rid;
	return dec_resources(d, t->val, t->len, LWBS_ELENGTH, &in->child);
}

/* Object instance TLVs. */
static int dec_instances(struct dec *d, const uint8_t *p, size_t n, struct lwbs_node **out)
{
	return dec_list(d, p, n, LWBS_ETRUNC, TLV_OBJ_INST, LWBS_LEVEL_INSTANCE, 0, fill_instance, out);
}

/* Body at /O/I: resource TLVs, or one object instance TLV for I. */
static int dec_at_instance(struct dec *d, const uint8_t *p, size_t n, uint16_t iid,
			   struct lwbs_node **out)
{
	struct lwbs_rd r;
	struct tlv t;

	lwbs_rd_init(&r, p, n);
	if (n && (p[0] >> 6) == TLV_OBJ_INST) {
		int rc = tlv_next(&r, LWBS_ETRUNC, &t);
		if (rc)
			return rc;
		if (t.id != iid || lwbs_rd_left(&r))
			return LWBS_EPATH;
		return dec_resources(d, t.val, t.len, LWBS_ELENGTH, out);
	}
	return dec_resources(d, p, n, LWBS_ETRUNC, out);
}

/* Body at /O/I/R into the (empty) resource node res. */
static int dec_at_resource(struct dec *d, const uint8_t *p, size_t n, struct lwbs_node *res)
{
	struct lwbs_rd r;
	struct tlv t;

	if (n == 0)
		return LWBS_ETRUNC;
	if ((p[0] >> 6) == TLV_RES_INST) {
		res->multiple = true;
		return dec_res_insts(d, res->id, p, n, LWBS_ETRUNC, &res->child);
	}
	lwbs_rd_init(&r, p, n);
	int rc = tlv_next(&r, LWBS_ETRUNC, &t);
	if (rc)
		return rc;
	if (t.id != res->id || lwbs_rd_left(&r))
		return LWBS_EPATH;
	return dec_resource(d, &t, res);
}

/* Body at /O/I/R/RI into the resource instance node ri. */
static int dec_at_res_instance(struct dec *d, const uint8_t *p, size_t n, uint16_t rid,
			       struct lwbs_node *ri)
{
	struct lwbs_rd r;
	struct tlv t;

	lwbs_rd_init(&r, p, n);
	int rc = tlv_next(&r, LWBS_ETRUNC, &t);
	if (rc)
		return rc;
	if ((t.kind != TLV_RES_INST && t.kind != TLV_RES) || t.id != ri->id || lwbs_rd_left(&r))
		return LWBS_EPATH;
	rc = tlv_value(d, rid, t.val, t.len, &ri->value);
	if (rc)
		return rc;
	ri->has_value = true;
	return 0;
}

int lwbs_tlv_decode(const uint8_t *p, size_t n, const struct lwbs_path *base,
		    const struct lwbs_typer *typer, struct lwbs_arena *a, struct lwbs_node **out)
{
	struct dec d = {.a = a, .typer = typer};
	struct lwbs_node *root, *at;
	int rc;

	if (!base || base->len < LWBS_LEVEL_OBJECT || base->len > LWBS_LEVEL_RES_INSTANCE)
		return LWBS_EPATH;
	if (n && !p)
		return -EINVAL;
	if (!n)
		p = (const uint8_t *)"";
	d.oid = base->id[0];

	root = lwbs_node_root(a);
	if (!root)
		return -ENOMEM;
	rc = lwbs_node_insert(a, root, base, &at);
	if (rc)
		return rc;
	/* The nodes down to base count against the limit too. */
	d.nodes = base->len + 1;

	switch (base->len) {
	case LWBS_LEVEL_OBJECT:
		rc = dec_instances(&d, p, n, &at->child);
		break;
	case LWBS_LEVEL_INSTANCE:
		rc = dec_at_instance(&d, p, n, base->id[1], &at->child);
		break;
	case LWBS_LEVEL_RESOURCE:
		rc = dec_at_resource(&d, p, n, at);
		break;
	default:
		rc = dec_at_res_instance(&d, p, n, base->id[2], at);
		break;
	}
	if (rc)
		return rc;
	*out = root;
	return 0;
}

/* --- encoder --- */

static size_t uint_width_signed(uint64_t u)
{
	if (u <= INT8_MAX)
		return 1;
	if (u <= INT16_MAX)
		return 2;
	if (u <= INT32_MAX)
		return 4;
	return 8;
}

static size_t int_width(int64_t i)
{
	if (i >= INT8_MIN && i <= INT8_MAX)
		return 1;
	if (i >= INT16_MIN && i <= INT16_MAX)
		return 2;
	if (i >= INT32_MIN && i <= INT32_MAX)
		return 4;
	return 8;
}

/* True if f survives a trip through a 4-byte float bit for bit. */
static bool float_fits32(double f)
{
	float s = (float)f;
	double back = (double)s;
	return memcmp(&back, &f, sizeof(f)) == 0;
}

/* Encoded length of a value (no header). */
static size_t value_len(const struct lwbs_node *n)
{
	const struct lwbs_value *v = &n->value;

	if (!n->has_value)
		return 0;
	switch (v->type) {
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_OPAQUE:
	case LWBS_TYPE_CORELNK:
		return v->v.bytes.len;
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		return int_width(v->v.i);
	case LWBS_TYPE_UNSIGNED:
		return uint_width_signed(v->v.u);
	case LWBS_TYPE_FLOAT:
		return float_fits32(v->v.f) ? 4 : 8;
	case LWBS_TYPE_BOOLEAN:
		return 1;
	case LWBS_TYPE_OBJLNK:
		return 4;
	default:
		return 0;
	}
}

static size_t hdr_len(uint16_t id, size_t len)
{
	size_t h = id > 0xFF ? 3 : 2;
	if (len > 0xFFFF)
		return h + 3;
	if (len > 0xFF)
		return h + 2;
	if (len > 7)
		return h + 1;
	return h;
}

/* Adds a whole entry (header + value of length len) to *sum; -EMSGSIZE when
 * a length does not fit in 24 bits. */
static int add_entry(size_t *sum, uint16_t id, size_t len)
{
	if (len > TLV_LEN_MAX)
		return -EMSGSIZE;
	*sum += hdr_len(id, len) + len;
	return 0;
}

/* Length of the value of a resource node (single or multiple). */
static int resource_len(const struct lwbs_node *res, size_t *out)
{
	if (!res->multiple) {
		*out = value_len(res);
		return 0;
	}
	size_t sum = 0;
	for (const struct lwbs_node *ri = res->child; ri; ri = ri->next) {
		int rc = add_entry(&sum, ri->id, value_len(ri));
		if (rc)
			return rc;
	}
	*out = sum;
	return 0;
}

/* Length of the resource TLVs of an instance. */
static int resources_len(const struct lwbs_node *inst, size_t *out)
{
	size_t sum = 0;
	for (const struct lwbs_node *res = inst->child; res; res = res->next) {
		size_t len;
		int rc = resource_len(res, &len);
		if (rc)
			return rc;
		rc = add_entry(&sum, res->id, len);
		if (rc)
			return rc;
	}
	*out = sum;
	return 0;
}

static void put_hdr(struct lwbs_buf *b, enum tlv_kind kind, uint16_t id, size_t len)
{
	uint8_t type = (uint8_t)(kind << 6);
	if (id > 0xFF)
		type |= TLV_ID16;
	if (len > 0xFFFF)
		type |= 3 << 3;
	else if (len > 0xFF)
		type |= 2 << 3;
	else if (len > 7)
		type |= 1 << 3;
	else
		type |= (uint8_t)len;
	lwbs_buf_putc(b, type);
	if (id > 0xFF)
		lwbs_buf_put_be16(b, id);
	else
		lwbs_buf_putc(b, (uint8_t)id);
	if (len > 0xFFFF) {
		lwbs_buf_putc(b, (uint8_t)(len >> 16));
		lwbs_buf_put_be16(b, (uint16_t)len);
	} else if (len > 0xFF) {
		lwbs_buf_put_be16(b, (uint16_t)len);
	} else if (len > 7) {
		lwbs_buf_putc(b, (uint8_t)len);
	}
}

static void put_be(struct lwbs_buf *b, uint64_t v, size_t n)
{
	uint8_t *p = lwbs_buf_reserve(b, n);
	if (!p)
		return;
	for (size_t i = n; i > 0; i--) {
		p[i - 1] = (uint8_t)v;
		v >>= 8;
	}
}

static void put_value(struct lwbs_buf *b, const struct lwbs_node *n)
{
	const struct lwbs_value *v = &n->value;
	size_t len = value_len(n);

	if (!n->has_value)
		return;
	switch (v->type) {
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_OPAQUE:
	case LWBS_TYPE_CORELNK:
		lwbs_buf_put(b, v->v.bytes.ptr, len);
		break;
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		put_be(b, (uint64_t)v->v.i, len);
		break;
	case LWBS_TYPE_UNSIGNED:
		put_be(b, v->v.u, len);
		break;
	case LWBS_TYPE_FLOAT:
		if (len == 4) {
			float f = (float)v->v.f;
			uint32_t bits;
			memcpy(&bits, &f, sizeof(bits));
			lwbs_buf_put_be32(b, bits);
		} else {
			uint64_t bits;
			memcpy(&bits, &v->v.f, sizeof(bits));
			lwbs_buf_put_be64(b, bits);
		}
		break;
	case LWBS_TYPE_BOOLEAN:
		lwbs_buf_putc(b, v->v.b ? 1 : 0);
		break;
	case LWBS_TYPE_OBJLNK:
		lwbs_buf_put_be16(b, v->v.objlnk.oid);
		lwbs_buf_put_be16(b, v->v.objlnk.iid);
		break;
	default:
		break;
	}
}

/* Lengths were checked by the *_len() pass before anything is written. */
static void put_resource(struct lwbs_buf *b, const struct lwbs_node *res)
{
	size_t len;

	resource_len(res, &len);
	if (!res->multiple) {
		put_hdr(b, TLV_RES, res->id, len);
		put_value(b, res);
		return;
	}
	put_hdr(b, TLV_MULTI_RES, res->id, len);
	for (const struct lwbs_node *ri = res->child; ri; ri = ri->next) {
		put_hdr(b, TLV_RES_INST, ri->id, value_len(ri));
		put_value(b, ri);
	}
}

static void put_resources(struct lwbs_buf *b, const struct lwbs_node *inst)
{
	for (const struct lwbs_node *res = inst->child; res; res = res->next)
		put_resource(b, res);
}

int lwbs_tlv_encode(const struct lwbs_node *root, const struct lwbs_path *base, struct lwbs_buf *out)
{
	const struct lwbs_node *at;
	size_t len, total = 0;
	int rc = 0;

	if (!base || base->len < LWBS_LEVEL_OBJECT || base->len > LWBS_LEVEL_RES_INSTANCE)
		return LWBS_EPATH;
	at = lwbs_node_find(root, base);
	if (!at)
		return -ENOENT;

	switch (base->len) {
	case LWBS_LEVEL_OBJECT:
		/* Check every length first so that nothing is half written. */
		for (const struct lwbs_node *in = at->child; in && !rc; in = in->next) {
			rc = resources_len(in, &len);
			if (!rc)
				rc = add_entry(&total, in->id, len);
		}
		if (rc)
			return rc;
		for (const struct lwbs_node *in = at->child; in; in = in->next) {
			resources_len(in, &len);
			put_hdr(out, TLV_OBJ_INST, in->id, len);
			put_resources(out, in);
		}
		break;
	case LWBS_LEVEL_INSTANCE:
		rc = resources_len(at, &len);
		if (rc)
			return rc;
		put_resources(out, at);
		break;
	case LWBS_LEVEL_RESOURCE:
		rc = resource_len(at, &len);
		if (!rc)
			rc = add_entry(&total, at->id, len);
		if (rc)
			return rc;
		put_resource(out, at);
		break;
	default:
		rc = add_entry(&total, at->id, value_len(at));
		if (rc)
			return rc;
		put_hdr(out, TLV_RES_INST, at->id, value_len(at));
		put_value(out, at);
		break;
	}
	return lwbs_buf_err(out);
}
