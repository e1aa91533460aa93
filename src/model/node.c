/* lwbs — the LwM2M node tree. */
#include <errno.h>
#include <string.h>

#include "lwbs/err.h"
#include "lwbs/node.h"

struct lwbs_node *lwbs_node_root(struct lwbs_arena *a)
{
	struct lwbs_node *n = lwbs_arena_alloc(a, sizeof(*n));
	if (n)
		n->level = LWBS_LEVEL_ROOT;
	return n;
}

static struct lwbs_node *child_find(const struct lwbs_node *parent, uint16_t id)
{
	for (struct lwbs_node *c = parent->child; c; c = c->next) {
		if (c->id == id)
			return c;
		if (c->id > id)
			break;
	}
	return NULL;
}

struct lwbs_node *lwbs_node_find(const struct lwbs_node *root, const struct lwbs_path *p)
{
	const struct lwbs_node *n = root;
	if (!root || p->len > 4)
		return NULL;
	for (unsigned i = 0; i < p->len && n; i++)
		n = child_find(n, p->id[i]);
	return (struct lwbs_node *)n;
}

/* Finds or inserts child id under parent, keeping ascending order. */
static struct lwbs_node *child_get(struct lwbs_arena *a, struct lwbs_node *parent, uint16_t id,
				   uint8_t level)
{
	struct lwbs_node **link = &parent->child;
	while (*link && (*link)->id < id)
		link = &(*link)->next;
	if (*link && (*link)->id == id)
		return *link;
	struct lwbs_node *n = lwbs_arena_alloc(a, sizeof(*n));
	if (!n)
		return NULL;
	n->id = id;
	n->level = level;
	n->next = *link;
	*link = n;
	return n;
}

int lwbs_node_insert(struct lwbs_arena *a, struct lwbs_node *root, const struct lwbs_path *p,
		     struct lwbs_node **out)
{
	if (!root || root->level != LWBS_LEVEL_ROOT || p->len < 1 || p->len > 4)
		return LWBS_EPATH;
	for (unsigned i = 0; i < p->len; i++)
		if (p->id[i] > LWBS_ID_MAX)
			return LWBS_EPATH;
	if (p->len == 4) {
		struct lwbs_path rp = *p;
		rp.len = 3;
		struct lwbs_node *r = lwbs_node_find(root, &rp);
		if (r && r->has_value)
			return LWBS_EPATH;
	}
	struct lwbs_node *n = root;
	for (unsigned i = 0; i < p->len; i++) {
		n = child_get(a, n, p->id[i], (uint8_t)(i + 1));
		if (!n)
			return -ENOMEM;
		if (i == 2 && p->len == 4)
			n->multiple = true;
	}
	if (out)
		*out = n;
	return 0;
}

static int value_copy(struct lwbs_arena *a, struct lwbs_value *dst, const struct lwbs_value *src)
{
	*dst = *src;
	switch (src->type) {
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_OPAQUE:
	case LWBS_TYPE_CORELNK: {
		char *d = lwbs_arena_strndup(a, (const char *)src->v.bytes.ptr, src->v.bytes.len);
		if (!d)
			return -ENOMEM;
		dst->v.bytes.ptr = (const uint8_t *)d;
		break;
	}
	default:
		break;
	}
	return 0;
}

int lwbs_node_set(struct lwbs_arena *a, struct lwbs_node *root, const struct lwbs_path *p,
		  const struct lwbs_value *v)
{
	if (p->len < 3)
		return LWBS_EPATH;
	struct lwbs_path rp = *p;
	rp.len = 3;
	struct lwbs_node *r = lwbs_node_find(root, &rp);
	if (p->len == 3 && r && (r->multiple || r->child))
		return LWBS_EPATH;
	struct lwbs_node *n;
	int rc = lwbs_node_insert(a, root, p, &n);
	if (rc)
		return rc;
	if (n->has_value)
		return LWBS_EDUP;
	rc = value_copy(a, &n->value, v);
	if (rc)
		return rc;
	n->has_value = true;
	return 0;
}

static int subtree_copy(struct lwbs_arena *a, struct lwbs_node *dst, const struct lwbs_node *src)
{
	dst->multiple = src->multiple;
	if (src->has_value && !dst->has_value) {
		int rc = value_copy(a, &dst->value, &src->value);
		if (rc)
			return rc;
		dst->has_value = true;
	}
	for (const struct lwbs_node *c = src->child; c; c = c->next) {
		struct lwbs_node *d = child_get(a, dst, c->id, c->level);
		if (!d)
			return -ENOMEM;
		int rc = subtree_copy(a, d, c);
		if (rc)
			return rc;
	}
	return 0;
}

int lwbs_node_copy(struct lwbs_arena *a, struct lwbs_node *dst_root, const struct lwbs_node *src_root,
		   const struct lwbs_path *p)
{
	const struct lwbs_node *src = lwbs_node_find(src_root, p);
	if (!src)
		return -ENOENT;
	struct lwbs_node *dst = dst_root;
	if (p->len > 0) {
		int rc = lwbs_node_insert(a, dst_root, p, &dst);
		if (rc)
			return rc;
	}
	if ((dst->has_value && (src->multiple || src->child)) || (dst->multiple && src->has_value))
		return LWBS_EPATH;
	return subtree_copy(a, dst, src);
}

bool lwbs_value_equal(const struct lwbs_value *a, const struct lwbs_value *b)
{
	if (a->type != b->type || a->untyped != b->untyped)
		return false;
	switch (a->type) {
	case LWBS_TYPE_NONE:
		return true;
	case LWBS_TYPE_STRING:
	case LWBS_TYPE_OPAQUE:
	case LWBS_TYPE_CORELNK:
		return a->v.bytes.len == b->v.bytes.len &&
		       (a->v.bytes.len == 0 || memcmp(a->v.bytes.ptr, b->v.bytes.ptr, a->v.bytes.len) == 0);
	case LWBS_TYPE_INTEGER:
	case LWBS_TYPE_TIME:
		return a->v.i == b->v.i;
	case LWBS_TYPE_UNSIGNED:
		return a->v.u == b->v.u;
	case LWBS_TYPE_FLOAT:
		return memcmp(&a->v.f, &b->v.f, sizeof(double)) == 0;
	case LWBS_TYPE_BOOLEAN:
		return a->v.b == b->v.b;
	case LWBS_TYPE_OBJLNK:
		return a->v.objlnk.oid == b->v.objlnk.oid && a->v.objlnk.iid == b->v.objlnk.iid;
	}
	return false;
}

bool lwbs_node_equal(const struct lwbs_node *a, const struct lwbs_node *b)
{
	if (!a || !b)
		return a == b;
	if (a->id != b->id || a->level != b->level || a->multiple != b->multiple ||
	    a->has_value != b->has_value)
		return false;
	if (a->has_value && !lwbs_value_equal(&a->value, &b->value))
		return false;
	const struct lwbs_node *x = a->child, *y = b->child;
	for (; x && y; x = x->next, y = y->next)
		if (!lwbs_node_equal(x, y))
			return false;
	return x == NULL && y == NULL;
}

size_t lwbs_node_count(const struct lwbs_node *n)
{
	size_t k = 0;
	for (const struct lwbs_node *c = n ? n->child : NULL; c; c = c->next)
		k++;
	return k;
}

struct lwbs_value lwbs_value_string(const char *s)
{
	return lwbs_value_bytes(LWBS_TYPE_STRING, s, strlen(s));
}

struct lwbs_value lwbs_value_bytes(enum lwbs_type t, const void *p, size_t n)
{
	return (struct lwbs_value){.type = t, .v.bytes = {p, n}};
}

struct lwbs_value lwbs_value_int(int64_t i)
{
	return (struct lwbs_value){.type = LWBS_TYPE_INTEGER, .v.i = i};
}

struct lwbs_value lwbs_value_uint(uint64_t u)
{
	return (struct lwbs_value){.type = LWBS_TYPE_UNSIGNED, .v.u = u};
}

struct lwbs_value lwbs_value_float(double f)
{
	return (struct lwbs_value){.type = LWBS_TYPE_FLOAT, .v.f = f};
}

struct lwbs_value lwbs_value_bool(bool b)
{
	return (struct lwbs_value){.type = LWBS_TYPE_BOOLEAN, .v.b = b};
}

struct lwbs_value lwbs_value_time(int64_t t)
{
	return (struct lwbs_value){.type = LWBS_TYPE_TIME, .v.i = t};
}

struct lwbs_value lwbs_value_objlnk(uint16_t oid, uint16_t iid)
{
	return (struct lwbs_value){.type = LWBS_TYPE_OBJLNK, .v.objlnk = {oid, iid}};
}

struct lwbs_value lwbs_value_none(void)
{
	return (struct lwbs_value){.type = LWBS_TYPE_NONE};
}

const char *lwbs_type_name(enum lwbs_type t)
{
	switch (t) {
	case LWBS_TYPE_NONE: return "none";
	case LWBS_TYPE_STRING: return "string";
	case LWBS_TYPE_INTEGER: return "integer";
	case LWBS_TYPE_UNSIGNED: return "unsigned";
	case LWBS_TYPE_FLOAT: return "float";
	case LWBS_TYPE_BOOLEAN: return "boolean";
	case LWBS_TYPE_OPAQUE: return "opaque";
	case LWBS_TYPE_TIME: return "time";
	case LWBS_TYPE_OBJLNK: return "objlnk";
	case LWBS_TYPE_CORELNK: return "corelnk";
	}
	return "?";
}

static int walk(const struct lwbs_node *n, struct lwbs_path *p, lwbs_node_visit_fn fn, void *ctx)
{
	if (n->has_value) {
		int rc = fn(ctx, p, n);
		if (rc)
			return rc;
	}
	if (p->len == 4)
		return 0;
	for (const struct lwbs_node *c = n->child; c; c = c->next) {
		p->id[p->len++] = c->id;
		int rc = walk(c, p, fn, ctx);
		p->len--;
		if (rc)
			return rc;
	}
	return 0;
}

int lwbs_node_walk(const struct lwbs_node *root, lwbs_node_visit_fn fn, void *ctx)
{
	struct lwbs_path p = {{0, 0, 0, 0}, 0};
	if (!root)
		return 0;
	return walk(root, &p, fn, ctx);
}
