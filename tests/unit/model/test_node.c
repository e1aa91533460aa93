/* Independent tests of the documented contract of include/lwbs/node.h. */
#include <errno.h>
#include <math.h>

#include "lwbs/err.h"
#include "lwbs/node.h"
#include "../test.h"

static struct lwbs_arena *arena;

static void setup(void)
{
	arena = lwbs_arena_create(0);
	if (!arena)
		exit(1);
}

static void teardown(void)
{
	lwbs_arena_destroy(arena);
}

static int set(struct lwbs_node *root, struct lwbs_path p, struct lwbs_value v)
{
	return lwbs_node_set(arena, root, &p, &v);
}

static int ins(struct lwbs_node *root, struct lwbs_path p, struct lwbs_node **out)
{
	return lwbs_node_insert(arena, root, &p, out);
}

static struct lwbs_node *find(const struct lwbs_node *root, struct lwbs_path p)
{
	return lwbs_node_find(root, &p);
}

static void test_root(void)
{
	struct lwbs_node *root = lwbs_node_root(arena);

	CHECK(root != NULL);
	CHECK_INT(root->level, LWBS_LEVEL_ROOT);
	CHECK(root->child == NULL);
	CHECK(root->next == NULL);
	CHECK(!root->has_value);
	CHECK_INT(lwbs_node_count(root), 0);
	CHECK(find(root, LWBS_PATH_ROOT) == root);
	CHECK(find(root, LWBS_PATH_OBJ(0)) == NULL);
	CHECK(find(root, LWBS_PATH_RI(1, 2, 3, 4)) == NULL);
}

static void test_insert_levels(void)
{
	struct lwbs_node *root = lwbs_node_root(arena), *n = NULL, *m = NULL;

	CHECK_INT(ins(root, LWBS_PATH_RES(1, 2, 3), &n), 0);
	CHECK(n != NULL);
	CHECK_INT(n->level, LWBS_LEVEL_RESOURCE);
	CHECK_INT(n->id, 3);
	CHECK(!n->multiple);
	CHECK(!n->has_value);
	CHECK(find(root, LWBS_PATH_RES(1, 2, 3)) == n);
	CHECK_INT(find(root, LWBS_PATH_OBJ(1))->level, LWBS_LEVEL_OBJECT);
	CHECK_INT(find(root, LWBS_PATH_INST(1, 2))->level, LWBS_LEVEL_INSTANCE);
	CHECK_INT(find(root, LWBS_PATH_INST(1, 2))->id, 2);
	/* insert of an existing path returns the same node, no duplicate */
	CHECK_INT(ins(root, LWBS_PATH_RES(1, 2, 3), &m), 0);
	CHECK(m == n);
	CHECK_INT(ins(root, LWBS_PATH_OBJ(1), &m), 0);
	CHECK(m == find(root, LWBS_PATH_OBJ(1)));
	CHECK_INT(lwbs_node_count(root), 1);
	CHECK_INT(lwbs_node_count(find(root, LWBS_PATH_INST(1, 2))), 1);
	/* out may be NULL */
	CHECK_INT(ins(root, LWBS_PATH_INST(1, 7), NULL), 0);
	CHECK(find(root, LWBS_PATH_INST(1, 7)) != NULL);
	/* root path is not insertable (len >= 1) */
	n = NULL;
	CHECK(ins(root, LWBS_PATH_ROOT, &n) < 0);
	CHECK(n == NULL);
	/* a path of length 4 marks the resource multiple */
	CHECK_INT(ins(root, LWBS_PATH_RI(2, 0, 2, 101), &n), 0);
	CHECK_INT(n->level, LWBS_LEVEL_RES_INSTANCE);
	CHECK_INT(n->id, 101);
	CHECK(find(root, LWBS_PATH_RES(2, 0, 2))->multiple);
	/* ids up to 65534 */
	CHECK_INT(ins(root, LWBS_PATH_RI(65534, 65534, 65534, 65534), &n), 0);
	CHECK(find(root, LWBS_PATH_RI(65534, 65534, 65534, 65534)) == n);
	/* missing nodes next to existing ones */
	CHECK(find(root, LWBS_PATH_RES(1, 2, 4)) == NULL);
	CHECK(find(root, LWBS_PATH_INST(1, 3)) == NULL);
	CHECK(find(root, LWBS_PATH_RI(1, 2, 3, 0)) == NULL);
	CHECK(find(root, LWBS_PATH_OBJ(0)) == NULL);
}

static void check_order(const struct lwbs_node *parent, const uint16_t *want, size_t n)
{
	size_t i = 0;

	for (const struct lwbs_node *c = parent->child; c; c = c->next, i++) {
		CHECK(i < n);
		if (i >= n)
			return;
		CHECK_INT(c->id, want[i]);
	}
	CHECK_INT(i, n);
	CHECK_INT(lwbs_node_count(parent), n);
}

static void test_insert_order(void)
{
	struct lwbs_node *root = lwbs_node_root(arena);
	static const uint16_t oids[] = {11, 0, 65534, 3, 1, 2, 21, 256, 10};
	static const uint16_t sorted[] = {0, 1, 2, 3, 10, 11, 21, 256, 65534};

	for (size_t i = 0; i < sizeof(oids) / sizeof(oids[0]); i++)
		CHECK_INT(ins(root, LWBS_PATH_OBJ(oids[i]), NULL), 0);
	/* duplicates do not add nodes */
	CHECK_INT(ins(root, LWBS_PATH_OBJ(3), NULL), 0);
	CHECK_INT(ins(root, LWBS_PATH_OBJ(65534), NULL), 0);
	CHECK_INT(ins(root, LWBS_PATH_OBJ(0), NULL), 0);
	check_order(root, sorted, sizeof(sorted) / sizeof(sorted[0]));

	/* descending insertion of resource instances */
	for (int i = 9; i >= 0; i--)
		CHECK_INT(set(root, LWBS_PATH_RI(2, 0, 2, (uint16_t)(i * 3)), lwbs_value_int(i)), 0);
	static const uint16_t ri[] = {0, 3, 6, 9, 12, 15, 18, 21, 24, 27};
	check_order(find(root, LWBS_PATH_RES(2, 0, 2)), ri, 10);

	/* interleaved instance ids */
	static const uint16_t iids[] = {5, 1, 9, 0, 7, 3};
	static const uint16_t iids_sorted[] = {0, 1, 3, 5, 7, 9};
	for (size_t i = 0; i < 6; i++)
		CHECK_INT(ins(root, LWBS_PATH_RES(1, iids[i], 0), NULL), 0);
	check_order(find(root, LWBS_PATH_OBJ(1)), iids_sorted, 6);
}

static void test_set_and_conflicts(void)
{
	struct lwbs_node *root = lwbs_node_root(arena), *n;

	CHECK_INT(set(root, LWBS_PATH_RES(1, 0, 0), lwbs_value_int(101)), 0);
	n = find(root, LWBS_PATH_RES(1, 0, 0));
	CHECK(n && n->has_value && !n->multiple);
	CHECK_INT(n->value.type, LWBS_TYPE_INTEGER);
	CHECK_INT(n->value.v.i, 101);
	/* a second value for the same path */
	CHECK_INT(set(root, LWBS_PATH_RES(1, 0, 0), lwbs_value_int(102)), LWBS_EDUP);
	CHECK_INT(find(root, LWBS_PATH_RES(1, 0, 0))->value.v.i, 101);
	CHECK_INT(set(root, LWBS_PATH_RES(1, 0, 0), lwbs_value_string("x")), LWBS_EDUP);
	/* resource instance under a single resource holding a value */
	CHECK_INT(set(root, LWBS_PATH_RI(1, 0, 0, 0), lwbs_value_int(1)), LWBS_EPATH);
	CHECK_INT(ins(root, LWBS_PATH_RI(1, 0, 0, 0), NULL), LWBS_EPATH);
	CHECK(!find(root, LWBS_PATH_RES(1, 0, 0))->multiple);
	CHECK_INT(lwbs_node_count(find(root, LWBS_PATH_RES(1, 0, 0))), 0);

	/* value on a multiple resource */
	CHECK_INT(set(root, LWBS_PATH_RI(2, 0, 2, 0), lwbs_value_int(1)), 0);
	CHECK_INT(set(root, LWBS_PATH_RES(2, 0, 2), lwbs_value_int(1)), LWBS_EPATH);
	CHECK(!find(root, LWBS_PATH_RES(2, 0, 2))->has_value);
	CHECK_INT(set(root, LWBS_PATH_RI(2, 0, 2, 0), lwbs_value_int(2)), LWBS_EDUP);
	CHECK_INT(set(root, LWBS_PATH_RI(2, 0, 2, 1), lwbs_value_int(2)), 0);
	CHECK_INT(lwbs_node_count(find(root, LWBS_PATH_RES(2, 0, 2))), 2);

	/* set on a node created by insert (no value yet) */
	CHECK_INT(ins(root, LWBS_PATH_RES(1, 0, 7), NULL), 0);
	CHECK_INT(set(root, LWBS_PATH_RES(1, 0, 7), lwbs_value_string("U")), 0);
	CHECK(find(root, LWBS_PATH_RES(1, 0, 7))->has_value);

	/* set only takes resource and resource-instance paths */
	CHECK(set(root, LWBS_PATH_ROOT, lwbs_value_int(1)) < 0);
	CHECK(set(root, LWBS_PATH_OBJ(5), lwbs_value_int(1)) < 0);
	CHECK(set(root, LWBS_PATH_INST(5, 0), lwbs_value_int(1)) < 0);
	CHECK(find(root, LWBS_PATH_INST(5, 0)) == NULL || !find(root, LWBS_PATH_INST(5, 0))->has_value);
}

static void test_set_copies_bytes(void)
{
	struct lwbs_node *root = lwbs_node_root(arena), *n;
	char src[8] = "abcdefg";
	uint8_t bin[4] = {0x00, 0xFF, 0x00, 0x7F};

	CHECK_INT(set(root, LWBS_PATH_RES(0, 0, 0), lwbs_value_bytes(LWBS_TYPE_STRING, src, 3)), 0);
	CHECK_INT(set(root, LWBS_PATH_RES(0, 0, 3), lwbs_value_bytes(LWBS_TYPE_OPAQUE, bin, 4)), 0);
	CHECK_INT(set(root, LWBS_PATH_RES(0, 0, 4), lwbs_value_bytes(LWBS_TYPE_OPAQUE, NULL, 0)), 0);
	memset(src, 'z', sizeof(src));
	memset(bin, 0x55, sizeof(bin));

	n = find(root, LWBS_PATH_RES(0, 0, 0));
	CHECK_INT(n->value.type, LWBS_TYPE_STRING);
	CHECK_MEM(n->value.v.bytes.ptr, n->value.v.bytes.len, "abc", 3);
	CHECK(n->value.v.bytes.ptr != (const uint8_t *)src);
	CHECK_INT(n->value.v.bytes.ptr[3], 0); /* NUL-terminated in the arena */
	n = find(root, LWBS_PATH_RES(0, 0, 3));
	CHECK_MEM(n->value.v.bytes.ptr, n->value.v.bytes.len, "\x00\xFF\x00\x7F", 4);
	n = find(root, LWBS_PATH_RES(0, 0, 4));
	CHECK(n->has_value);
	CHECK_INT(n->value.v.bytes.len, 0);
}

static void test_value_constructors(void)
{
	struct lwbs_value v;

	v = lwbs_value_string("hello");
	CHECK_INT(v.type, LWBS_TYPE_STRING);
	CHECK(!v.untyped);
	CHECK_MEM(v.v.bytes.ptr, v.v.bytes.len, "hello", 5);
	v = lwbs_value_string("");
	CHECK_INT(v.v.bytes.len, 0);
	v = lwbs_value_bytes(LWBS_TYPE_CORELNK, "</1>", 4);
	CHECK_INT(v.type, LWBS_TYPE_CORELNK);
	CHECK_INT(v.v.bytes.len, 4);
	v = lwbs_value_int(INT64_MIN);
	CHECK_INT(v.type, LWBS_TYPE_INTEGER);
	CHECK(v.v.i == INT64_MIN);
	v = lwbs_value_uint(UINT64_MAX);
	CHECK_INT(v.type, LWBS_TYPE_UNSIGNED);
	CHECK(v.v.u == UINT64_MAX);
	v = lwbs_value_float(-2.5);
	CHECK_INT(v.type, LWBS_TYPE_FLOAT);
	CHECK(v.v.f == -2.5);
	v = lwbs_value_bool(true);
	CHECK_INT(v.type, LWBS_TYPE_BOOLEAN);
	CHECK(v.v.b);
	v = lwbs_value_time(-1);
	CHECK_INT(v.type, LWBS_TYPE_TIME);
	CHECK_INT(v.v.i, -1);
	v = lwbs_value_objlnk(65535, 65535);
	CHECK_INT(v.type, LWBS_TYPE_OBJLNK);
	CHECK_INT(v.v.objlnk.oid, 65535);
	CHECK_INT(v.v.objlnk.iid, 65535);
	v = lwbs_value_none();
	CHECK_INT(v.type, LWBS_TYPE_NONE);
	CHECK(!v.untyped);

	CHECK_STR(lwbs_type_name(LWBS_TYPE_STRING), "string");
	CHECK_STR(lwbs_type_name(LWBS_TYPE_INTEGER), "integer");
	for (int t = LWBS_TYPE_NONE; t <= LWBS_TYPE_CORELNK; t++) {
		const char *name = lwbs_type_name((enum lwbs_type)t);
		CHECK(name != NULL && name[0] != '\0');
		for (int u = LWBS_TYPE_NONE; u < t; u++)
			CHECK(strcmp(name, lwbs_type_name((enum lwbs_type)u)) != 0);
	}
}

static void test_value_equal(void)
{
	struct lwbs_value a, b;
	double nan1 = NAN, nan2;
	uint64_t bits;

	a = lwbs_value_int(1);
	b = lwbs_value_int(1);
	CHECK(lwbs_value_equal(&a, &b));
	b = lwbs_value_int(2);
	CHECK(!lwbs_value_equal(&a, &b));
	b = lwbs_value_uint(1);
	CHECK(!lwbs_value_equal(&a, &b)); /* different types */
	b = lwbs_value_time(1);
	CHECK(!lwbs_value_equal(&a, &b));

	a = lwbs_value_string("abc");
	b = lwbs_value_bytes(LWBS_TYPE_STRING, "abcd", 3);
	CHECK(lwbs_value_equal(&a, &b));
	b = lwbs_value_bytes(LWBS_TYPE_STRING, "abcd", 4);
	CHECK(!lwbs_value_equal(&a, &b));
	b = lwbs_value_bytes(LWBS_TYPE_OPAQUE, "abc", 3);
	CHECK(!lwbs_value_equal(&a, &b));
	a = lwbs_value_bytes(LWBS_TYPE_OPAQUE, "", 0);
	b = lwbs_value_bytes(LWBS_TYPE_OPAQUE, NULL, 0);
	CHECK(lwbs_value_equal(&a, &b));

	/* floats by bits: same NaN equal, 0.0 and -0.0 differ */
	a = lwbs_value_float(nan1);
	b = lwbs_value_float(nan1);
	CHECK(lwbs_value_equal(&a, &b));
	memcpy(&bits, &nan1, sizeof(bits));
	bits ^= 1; /* another NaN payload */
	memcpy(&nan2, &bits, sizeof(nan2));
	CHECK(isnan(nan2));
	b = lwbs_value_float(nan2);
	CHECK(!lwbs_value_equal(&a, &b));
	a = lwbs_value_float(0.0);
	b = lwbs_value_float(-0.0);
	CHECK(!lwbs_value_equal(&a, &b));
	a = lwbs_value_float(1.5);
	b = lwbs_value_float(1.5);
	CHECK(lwbs_value_equal(&a, &b));

	a = lwbs_value_bool(true);
	b = lwbs_value_bool(false);
	CHECK(!lwbs_value_equal(&a, &b));
	b = lwbs_value_bool(true);
	CHECK(lwbs_value_equal(&a, &b));

	a = lwbs_value_objlnk(3, 0);
	b = lwbs_value_objlnk(3, 0);
	CHECK(lwbs_value_equal(&a, &b));
	b = lwbs_value_objlnk(3, 1);
	CHECK(!lwbs_value_equal(&a, &b));
	b = lwbs_value_objlnk(4, 0);
	CHECK(!lwbs_value_equal(&a, &b));

	/* untyped values compare by bytes */
	a = lwbs_value_bytes(LWBS_TYPE_OPAQUE, "\x01\x02", 2);
	a.untyped = true;
	b = lwbs_value_bytes(LWBS_TYPE_OPAQUE, "\x01\x02", 2);
	b.untyped = true;
	CHECK(lwbs_value_equal(&a, &b));
	b = lwbs_value_bytes(LWBS_TYPE_OPAQUE, "\x01\x03", 2);
	b.untyped = true;
	CHECK(!lwbs_value_equal(&a, &b));

	a = lwbs_value_none();
	b = lwbs_value_none();
	CHECK(lwbs_value_equal(&a, &b));
}

static struct lwbs_node *sample(void)
{
	struct lwbs_node *root = lwbs_node_root(arena);
	uint8_t psk[3] = {1, 2, 3};

	set(root, LWBS_PATH_RES(0, 1, 0), lwbs_value_string("coaps://x"));
	set(root, LWBS_PATH_RES(0, 1, 1), lwbs_value_bool(false));
	set(root, LWBS_PATH_RES(0, 1, 5), lwbs_value_bytes(LWBS_TYPE_OPAQUE, psk, 3));
	set(root, LWBS_PATH_RES(0, 0, 1), lwbs_value_bool(true));
	set(root, LWBS_PATH_RES(1, 0, 1), lwbs_value_int(300));
	set(root, LWBS_PATH_RI(2, 0, 2, 101), lwbs_value_int(3));
	set(root, LWBS_PATH_RI(2, 0, 2, 0), lwbs_value_int(1));
	set(root, LWBS_PATH_RES(3, 0, 13), lwbs_value_time(5));
	set(root, LWBS_PATH_RES(3, 0, 9), lwbs_value_float(NAN));
	return root;
}

static void test_node_equal(void)
{
	struct lwbs_node *a = sample(), *b = sample(), *n;

	CHECK(lwbs_node_equal(a, b));
	CHECK(lwbs_node_equal(a, a));
	CHECK(lwbs_node_equal(find(a, LWBS_PATH_OBJ(2)), find(b, LWBS_PATH_OBJ(2))));
	CHECK(!lwbs_node_equal(find(a, LWBS_PATH_OBJ(2)), find(b, LWBS_PATH_OBJ(1))));

	/* an extra node */
	set(b, LWBS_PATH_RES(1, 0, 2), lwbs_value_int(0));
	CHECK(!lwbs_node_equal(a, b));
	CHECK(!lwbs_node_equal(b, a));
	/* an extra empty instance */
	b = sample();
	ins(b, LWBS_PATH_INST(1, 5), NULL);
	CHECK(!lwbs_node_equal(a, b));
	/* a different value */
	b = sample();
	n = find(b, LWBS_PATH_RES(1, 0, 1));
	n->value.v.i = 301;
	CHECK(!lwbs_node_equal(a, b));
	/* a different id */
	b = sample();
	find(b, LWBS_PATH_RI(2, 0, 2, 101))->id = 102;
	CHECK(!lwbs_node_equal(a, b));
	/* multiple resource with no instances vs single resource without value */
	struct lwbs_node *c = lwbs_node_root(arena), *d = lwbs_node_root(arena);
	ins(c, LWBS_PATH_RES(2, 0, 2), &n);
	n->multiple = true;
	ins(d, LWBS_PATH_RES(2, 0, 2), NULL);
	CHECK(!lwbs_node_equal(c, d));
	ins(d, LWBS_PATH_RES(2, 0, 2), &n);
	n->multiple = true;
	CHECK(lwbs_node_equal(c, d));
	/* empty trees */
	CHECK(lwbs_node_equal(lwbs_node_root(arena), lwbs_node_root(arena)));
	CHECK(!lwbs_node_equal(lwbs_node_root(arena), a));
}

static void test_copy(void)
{
	struct lwbs_arena *src_arena = lwbs_arena_create(0);
	struct lwbs_node *src, *dst = lwbs_node_root(arena);
	struct lwbs_path p;
	uint8_t key[4] = {9, 8, 7, 6};

	CHECK(src_arena != NULL);
	src = lwbs_node_root(src_arena);
	p = LWBS_PATH_RES(0, 1, 5);
	struct lwbs_value v = lwbs_value_bytes(LWBS_TYPE_OPAQUE, key, 4);
	CHECK_INT(lwbs_node_set(src_arena, src, &p, &v), 0);
	p = LWBS_PATH_RES(0, 1, 0);
	v = lwbs_value_string("coap://a");
	CHECK_INT(lwbs_node_set(src_arena, src, &p, &v), 0);
	p = LWBS_PATH_RI(2, 4, 2, 7);
	v = lwbs_value_int(15);
	CHECK_INT(lwbs_node_set(src_arena, src, &p, &v), 0);
	p = LWBS_PATH_RES(1, 0, 1);
	v = lwbs_value_int(60);
	CHECK_INT(lwbs_node_set(src_arena, src, &p, &v), 0);

	/* copy /0/1 and /2 only */
	p = LWBS_PATH_INST(0, 1);
	CHECK_INT(lwbs_node_copy(arena, dst, src, &p), 0);
	p = LWBS_PATH_OBJ(2);
	CHECK_INT(lwbs_node_copy(arena, dst, src, &p), 0);
	CHECK(lwbs_node_equal(find(dst, LWBS_PATH_INST(0, 1)), find(src, LWBS_PATH_INST(0, 1))));
	CHECK(lwbs_node_equal(find(dst, LWBS_PATH_OBJ(2)), find(src, LWBS_PATH_OBJ(2))));
	CHECK(find(dst, LWBS_PATH_OBJ(1)) == NULL);
	CHECK(find(dst, LWBS_PATH_RES(2, 4, 2))->multiple);

	/* copy of a missing path fails */
	p = LWBS_PATH_OBJ(9);
	CHECK(lwbs_node_copy(arena, dst, src, &p) < 0);

	/* the copy owns its bytes: destroy the source arena */
	p = LWBS_PATH_ROOT;
	struct lwbs_node *all = lwbs_node_root(arena);
	CHECK_INT(lwbs_node_copy(arena, all, src, &p), 0);
	lwbs_arena_destroy(src_arena);
	struct lwbs_node *n = find(dst, LWBS_PATH_RES(0, 1, 5));
	CHECK(n != NULL);
	if (n)
		CHECK_MEM(n->value.v.bytes.ptr, n->value.v.bytes.len, "\x09\x08\x07\x06", 4);
	n = find(all, LWBS_PATH_RES(0, 1, 0));
	CHECK(n != NULL);
	if (n)
		CHECK_MEM(n->value.v.bytes.ptr, n->value.v.bytes.len, "coap://a", 8);
	CHECK(find(all, LWBS_PATH_RES(1, 0, 1)) != NULL);
	CHECK_INT(lwbs_node_count(all), 3);
}

struct walk_log {
	struct lwbs_path paths[32];
	size_t n;
	size_t stop_at;
};

static int visit(void *ctx, const struct lwbs_path *p, const struct lwbs_node *n)
{
	struct walk_log *log = ctx;

	CHECK(n->has_value);
	CHECK_INT(n->level, p->len);
	CHECK_INT(n->id, p->id[p->len - 1]);
	if (log->n < 32)
		log->paths[log->n] = *p;
	log->n++;
	if (log->stop_at && log->n == log->stop_at)
		return 42;
	return 0;
}

static void test_walk(void)
{
	struct lwbs_node *root = sample();
	struct walk_log log = {.n = 0};
	const struct lwbs_path want[] = {
		LWBS_PATH_RES(0, 0, 1), LWBS_PATH_RES(0, 1, 0), LWBS_PATH_RES(0, 1, 1), LWBS_PATH_RES(0, 1, 5),
		LWBS_PATH_RES(1, 0, 1), LWBS_PATH_RI(2, 0, 2, 0), LWBS_PATH_RI(2, 0, 2, 101),
		LWBS_PATH_RES(3, 0, 9), LWBS_PATH_RES(3, 0, 13),
	};
	size_t nwant = sizeof(want) / sizeof(want[0]);

	/* nodes without values are not visited */
	ins(root, LWBS_PATH_INST(1, 9), NULL);
	ins(root, LWBS_PATH_RES(1, 0, 7), NULL);

	CHECK_INT(lwbs_node_walk(root, visit, &log), 0);
	CHECK_INT(log.n, nwant);
	for (size_t i = 0; i < nwant && i < log.n; i++) {
		CHECK(lwbs_path_equal(&log.paths[i], &want[i]));
		if (i)
			CHECK(lwbs_path_cmp(&log.paths[i - 1], &log.paths[i]) < 0);
	}

	/* a non-zero return stops the walk and is returned */
	log = (struct walk_log){.n = 0, .stop_at = 3};
	CHECK_INT(lwbs_node_walk(root, visit, &log), 42);
	CHECK_INT(log.n, 3);

	/* an empty tree visits nothing */
	log = (struct walk_log){.n = 0};
	CHECK_INT(lwbs_node_walk(lwbs_node_root(arena), visit, &log), 0);
	CHECK_INT(log.n, 0);
}

static void test_arena_limit(void)
{
	struct lwbs_arena *small = lwbs_arena_create(0);
	struct lwbs_node *root;
	int rc = 0;

	CHECK(small != NULL);
	lwbs_arena_set_limit(small, 2048);
	root = lwbs_node_root(small);
	CHECK(root != NULL);
	for (uint16_t i = 0; i < 1000 && rc == 0; i++) {
		struct lwbs_path p = LWBS_PATH_RES(0, i, 0);
		struct lwbs_value v = lwbs_value_string("0123456789abcdef0123456789abcdef");
		rc = lwbs_node_set(small, root, &p, &v);
	}
	CHECK(rc < 0);
	lwbs_arena_destroy(small);
}

TEST_MAIN(setup, test_root, test_insert_levels, test_insert_order, test_set_and_conflicts, test_set_copies_bytes,
	  test_value_constructors, test_value_equal, test_node_equal, test_copy, test_walk, test_arena_limit,
	  teardown)
