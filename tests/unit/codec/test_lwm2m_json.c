/* LwM2M 1.0 JSON decoder (11543 / 1543). */
#include <errno.h>
#include <stdint.h>

#include "../test.h"
#include "lwbs/codec.h"
#include "lwbs/err.h"

#define PP(x) ((const struct lwbs_path[]){x})

static struct lwbs_arena *arena;

static enum lwbs_type typer_fn(void *ctx, uint16_t oid, uint16_t rid)
{
	(void)ctx;
	if (oid == 3) {
		switch (rid) {
		case 0: return LWBS_TYPE_STRING;
		case 1: return LWBS_TYPE_INTEGER;
		case 2: return LWBS_TYPE_BOOLEAN;
		case 3: return LWBS_TYPE_OBJLNK;
		case 4: return LWBS_TYPE_OPAQUE;
		case 5: return LWBS_TYPE_FLOAT;
		case 6: return LWBS_TYPE_UNSIGNED;
		case 7: return LWBS_TYPE_TIME;
		case 8: return LWBS_TYPE_CORELNK;
		default: return LWBS_TYPE_NONE;
		}
	}
	return LWBS_TYPE_NONE;
}

static const struct lwbs_typer typer = {typer_fn, NULL};

static int dec(const char *s, struct lwbs_path base, const struct lwbs_typer *t, struct lwbs_node **out)
{
	struct lwbs_node *dummy;
	return lwbs_lwm2m_json_decode((const uint8_t *)s, strlen(s), &base, t, arena, out ? out : &dummy);
}

static const struct lwbs_value *val_at(const struct lwbs_node *root, struct lwbs_path p)
{
	const struct lwbs_node *n = lwbs_node_find(root, &p);
	return n && n->has_value ? &n->value : NULL;
}

static const char example[] = "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"0\",\"sv\":\"Open Mobile Alliance\"},{\"n\":\"1\",\"v\":1},"
			      "{\"n\":\"2\",\"bv\":true},{\"n\":\"3\",\"ov\":\"3:0\"}]}";

static void test_example(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;

	CHECK_INT(dec(example, LWBS_PATH_INST(3, 0), &typer, &root), 0);
	v = val_at(root, LWBS_PATH_RES(3, 0, 0));
	CHECK(v && v->type == LWBS_TYPE_STRING);
	if (v)
		CHECK_MEM(v->v.bytes.ptr, v->v.bytes.len, "Open Mobile Alliance", 20);
	v = val_at(root, LWBS_PATH_RES(3, 0, 1));
	CHECK(v && v->type == LWBS_TYPE_INTEGER && v->v.i == 1);
	v = val_at(root, LWBS_PATH_RES(3, 0, 2));
	CHECK(v && v->type == LWBS_TYPE_BOOLEAN && v->v.b);
	v = val_at(root, LWBS_PATH_RES(3, 0, 3));
	CHECK(v && v->type == LWBS_TYPE_OBJLNK && v->v.objlnk.oid == 3 && v->v.objlnk.iid == 0);
	CHECK_INT(lwbs_node_count(lwbs_node_find(root, PP(LWBS_PATH_INST(3, 0)))), 4);

	/* Without a typer: the same, as the value keys say the types. */
	struct lwbs_node *untyped;
	CHECK_INT(dec(example, LWBS_PATH_INST(3, 0), NULL, &untyped), 0);
	CHECK(lwbs_node_equal(root, untyped));
	/* From the object and root bases too; not from another instance. */
	CHECK_INT(dec(example, LWBS_PATH_OBJ(3), &typer, NULL), 0);
	CHECK_INT(dec(example, LWBS_PATH_ROOT, &typer, NULL), 0);
	CHECK_INT(dec(example, LWBS_PATH_INST(3, 1), &typer, NULL), LWBS_EPATH);

	for (size_t i = 0; i < sizeof(example) - 1; i++) {
		struct lwbs_path base = LWBS_PATH_INST(3, 0);
		struct lwbs_node *r = NULL;
		CHECK(lwbs_lwm2m_json_decode((const uint8_t *)example, i, &base, &typer, arena, &r) < 0);
		CHECK(r == NULL);
	}
}

static void test_names(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;

	/* bn without trailing '/', multiple resources, time stamps ignored. */
	CHECK_INT(dec("{\"bn\":\"/3/0\",\"bt\":25462634,\"e\":[{\"n\":\"6/0\",\"v\":1,\"t\":-5},{\"n\":\"6/1\",\"v\":5},"
		      "{\"n\":\"7\",\"v\":1700000000}]}",
		      LWBS_PATH_INST(3, 0), &typer, &root),
		  0);
	v = val_at(root, LWBS_PATH_RI(3, 0, 6, 1));
	CHECK(v && v->type == LWBS_TYPE_UNSIGNED && v->v.u == 5);
	v = val_at(root, LWBS_PATH_RES(3, 0, 7));
	CHECK(v && v->type == LWBS_TYPE_TIME && v->v.i == 1700000000);
	/* No bn: names are relative to the request path. */
	CHECK_INT(dec("{\"e\":[{\"n\":\"1\",\"v\":-7}]}", LWBS_PATH_INST(3, 0), &typer, &root), 0);
	v = val_at(root, LWBS_PATH_RES(3, 0, 1));
	CHECK(v && v->v.i == -7);
	CHECK_INT(dec("{\"bn\":\"\",\"e\":[{\"n\":\"0/1\",\"v\":-7}]}", LWBS_PATH_OBJ(3), &typer, &root), 0);
	v = val_at(root, LWBS_PATH_RES(3, 0, 1));
	CHECK(v && v->v.i == -7);
	CHECK_INT(dec("{\"e\":[{\"n\":\"3/0/1\",\"v\":-7}]}", LWBS_PATH_ROOT, &typer, &root), 0);
	CHECK(val_at(root, LWBS_PATH_RES(3, 0, 1)) != NULL);
	/* bn alone names a single resource. */
	CHECK_INT(dec("{\"bn\":\"/3/0/1\",\"e\":[{\"v\":9}]}", LWBS_PATH_RES(3, 0, 1), &typer, &root), 0);
	v = val_at(root, LWBS_PATH_RES(3, 0, 1));
	CHECK(v && v->v.i == 9);
	CHECK_INT(dec("{\"e\":[{\"v\":9}]}", LWBS_PATH_RES(3, 0, 1), &typer, &root), 0);

	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"v\":9}]}", LWBS_PATH_ROOT, &typer, NULL), LWBS_EPATH);
	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"/1\",\"v\":9}]}", LWBS_PATH_ROOT, &typer, NULL), LWBS_EPATH);
	CHECK_INT(dec("{\"bn\":\"3/0/\",\"e\":[{\"n\":\"1\",\"v\":9}]}", LWBS_PATH_ROOT, &typer, NULL), LWBS_EPATH);
	CHECK_INT(dec("{\"bn\":\"/4/0/\",\"e\":[{\"n\":\"1\",\"v\":9}]}", LWBS_PATH_OBJ(3), &typer, NULL), LWBS_EPATH);
	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"1/2/3\",\"v\":9}]}", LWBS_PATH_ROOT, &typer, NULL), LWBS_EPATH);
	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"1\",\"v\":9},{\"n\":\"1\",\"v\":8}]}", LWBS_PATH_ROOT, &typer,
		      NULL),
		  LWBS_EDUP);
}

static void test_values(void)
{
	struct lwbs_node *root;
	const struct lwbs_value *v;

	/* Opaque travels as base64 in sv. */
	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"4\",\"sv\":\"AQID/w==\"},{\"n\":\"8\",\"sv\":\"</1/0>\"},"
		      "{\"n\":\"5\",\"v\":-2.5},{\"n\":\"9\",\"sv\":\"free\"}]}",
		      LWBS_PATH_ROOT, &typer, &root),
		  0);
	v = val_at(root, LWBS_PATH_RES(3, 0, 4));
	CHECK(v && v->type == LWBS_TYPE_OPAQUE);
	if (v)
		CHECK_MEM(v->v.bytes.ptr, v->v.bytes.len, "\x01\x02\x03\xff", 4);
	v = val_at(root, LWBS_PATH_RES(3, 0, 8));
	CHECK(v && v->type == LWBS_TYPE_CORELNK);
	v = val_at(root, LWBS_PATH_RES(3, 0, 5));
	CHECK(v && v->type == LWBS_TYPE_FLOAT && v->v.f == -2.5);
	v = val_at(root, LWBS_PATH_RES(3, 0, 9));
	CHECK(v && v->type == LWBS_TYPE_STRING);

	CHECK(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"4\",\"sv\":\"A\"}]}", LWBS_PATH_ROOT, &typer, NULL) < 0);
	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"1\",\"sv\":\"1\"}]}", LWBS_PATH_ROOT, &typer, NULL), LWBS_ETYPE);
	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"1\",\"v\":1.5}]}", LWBS_PATH_ROOT, &typer, NULL), LWBS_ETYPE);
	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"6\",\"v\":-1}]}", LWBS_PATH_ROOT, &typer, NULL),
		  LWBS_ERANGE_VAL);
	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"0\",\"bv\":true}]}", LWBS_PATH_ROOT, &typer, NULL), LWBS_ETYPE);
	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"0\",\"ov\":\"1:1\"}]}", LWBS_PATH_ROOT, &typer, NULL),
		  LWBS_ETYPE);
	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"3\",\"ov\":\"1-1\"}]}", LWBS_PATH_ROOT, &typer, NULL), -EBADMSG);
	CHECK_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"3\",\"ov\":\"1:65536\"}]}", LWBS_PATH_ROOT, &typer, NULL),
		  -EBADMSG);
}

static void test_malformed(void)
{
	static const char *bad[] = {
		"[]",
		"{}",
		"{\"bn\":\"/3/0/\"}",
		"{\"e\":{}}",
		"{\"bn\":3,\"e\":[]}",
		"{\"bt\":\"x\",\"e\":[]}",
		"{\"e\":[1]}",
		"{\"e\":[{\"n\":\"1\"}]}",
		"{\"e\":[{\"n\":\"1\",\"v\":1,\"sv\":\"1\"}]}",
		"{\"e\":[{\"n\":\"1\",\"v\":\"1\"}]}",
		"{\"e\":[{\"n\":\"1\",\"bv\":\"true\"}]}",
		"{\"e\":[{\"n\":\"1\",\"sv\":1}]}",
		"{\"e\":[{\"n\":\"1\",\"ov\":3}]}",
		"{\"e\":[{\"n\":1,\"v\":1}]}",
		"{\"e\":[{\"n\":\"1\",\"v\":1,\"t\":\"now\"}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = dec(bad[i], LWBS_PATH_INST(3, 0), NULL, NULL);
		if (rc != -EBADMSG)
			fprintf(stderr, "case %zu: %s\n", i, bad[i]);
		CHECK_INT(rc, -EBADMSG);
	}
	CHECK_INT(dec("{\"e\":[],\"e\":[]}", LWBS_PATH_ROOT, NULL, NULL), LWBS_EDUP);
	CHECK_INT(dec("{\"e\":[],}", LWBS_PATH_ROOT, NULL, NULL), LWBS_ESYNTAX);
	CHECK_INT(dec("{\"e\":[{\"n\":\"1\",\"sv\":\"\xc3\"}]}", LWBS_PATH_INST(3, 0), NULL, NULL), LWBS_EUTF8);
	CHECK_INT(dec("{\"e\":[{\"n\":\"1\",\"sv\":\"\\udfff\"}]}", LWBS_PATH_INST(3, 0), NULL, NULL), LWBS_EUTF8);
	/* Unknown keys are ignored; an empty e is an empty tree. */
	struct lwbs_node *root;
	CHECK_INT(dec("{\"x\":[1],\"e\":[{\"n\":\"1\",\"v\":1,\"y\":{}}]}", LWBS_PATH_INST(3, 0), NULL, &root), 0);
	CHECK(val_at(root, LWBS_PATH_RES(3, 0, 1)) != NULL);
	CHECK_INT(dec("{\"e\":[]}", LWBS_PATH_INST(3, 0), NULL, &root), 0);
	CHECK(root && root->child == NULL);
}

static void setup(void) { arena = lwbs_arena_create(0); }
static void teardown(void) { lwbs_arena_destroy(arena); }

TEST_MAIN(setup, test_example, test_names, test_values, test_malformed, teardown)
