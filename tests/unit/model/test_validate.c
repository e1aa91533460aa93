/* Tests for lwbs_model_validate (src/model/validate.c): every rule with a
 * passing and a failing case, for each LwM2M version. */
#include <errno.h>

#include "lwbs/err.h"
#include "lwbs/model.h"
#include "../test.h"

#define NONE_RID 0xFFFFu

static const enum lwbs_version all_versions[] = {LWBS_V1_0, LWBS_V1_1, LWBS_V1_2};

static struct lwbs_arena *arena;

static struct lwbs_node *new_root(void)
{
	lwbs_arena_reset(arena);
	return lwbs_node_root(arena);
}

static void put(struct lwbs_node *root, struct lwbs_path p, struct lwbs_value v)
{
	int rc = lwbs_node_set(arena, root, &p, &v);
	CHECK_INT(rc, 0);
}

static void put_res(struct lwbs_node *root, uint16_t oid, uint16_t iid, uint16_t rid, uint16_t skip,
		    struct lwbs_value v)
{
	if (rid != skip)
		put(root, LWBS_PATH_RES(oid, iid, rid), v);
}

static struct lwbs_value opaque(const void *p, size_t n)
{
	return lwbs_value_bytes(LWBS_TYPE_OPAQUE, p, n);
}

static struct lwbs_value untyped(const void *p, size_t n)
{
	struct lwbs_value v = lwbs_value_bytes(LWBS_TYPE_OPAQUE, p, n);
	v.untyped = true;
	return v;
}

static void add_security(struct lwbs_node *root, uint16_t iid, bool bs, int ssid, uint16_t skip)
{
	put_res(root, 0, iid, 0, skip, lwbs_value_string("coaps://lwm2m.example.net:5684"));
	put_res(root, 0, iid, 1, skip, lwbs_value_bool(bs));
	put_res(root, 0, iid, 2, skip, lwbs_value_int(3));
	put_res(root, 0, iid, 3, skip, opaque("", 0));
	put_res(root, 0, iid, 4, skip, opaque("", 0));
	put_res(root, 0, iid, 5, skip, opaque("", 0));
	if (ssid >= 0)
		put_res(root, 0, iid, 10, skip, lwbs_value_int(ssid));
}

static void add_server(struct lwbs_node *root, uint16_t iid, int ssid, enum lwbs_version v, uint16_t skip)
{
	put_res(root, 1, iid, 0, skip, lwbs_value_int(ssid));
	put_res(root, 1, iid, 1, skip, v == LWBS_V1_2 ? lwbs_value_uint(86400) : lwbs_value_int(86400));
	put_res(root, 1, iid, 6, skip, lwbs_value_bool(true));
	put_res(root, 1, iid, 7, skip, lwbs_value_string("U"));
}

static void add_acl(struct lwbs_node *root, uint16_t iid, uint16_t skip)
{
	put_res(root, 2, iid, 0, skip, lwbs_value_int(3));
	put_res(root, 2, iid, 1, skip, lwbs_value_int(0));
	if (skip != 2)
		put(root, LWBS_PATH_RI(2, iid, 2, 101), lwbs_value_int(1));
	put_res(root, 2, iid, 3, skip, lwbs_value_int(65535));
}

static void add_apn(struct lwbs_node *root, uint16_t iid, uint16_t skip)
{
	put_res(root, 11, iid, 0, skip, lwbs_value_string("iot"));
	put_res(root, 11, iid, 1, skip, lwbs_value_string("iot.operator.example"));
	put_res(root, 11, iid, 4, skip, lwbs_value_int(3));
	put_res(root, 11, iid, 24, skip, lwbs_value_int(1));
}

static void add_oscore(struct lwbs_node *root, uint16_t iid, enum lwbs_version v, uint16_t skip)
{
	enum lwbs_type t = v == LWBS_V1_2 ? LWBS_TYPE_OPAQUE : LWBS_TYPE_STRING;

	put_res(root, 21, iid, 0, skip, lwbs_value_bytes(t, "secret", 6));
	put_res(root, 21, iid, 1, skip, lwbs_value_bytes(t, "c", 1));
	put_res(root, 21, iid, 2, skip, lwbs_value_bytes(t, "s", 1));
	put_res(root, 21, iid, 3, skip, lwbs_value_int(10));
}

/* A complete, valid Bootstrap-Write set for version v. */
static struct lwbs_node *full_tree(enum lwbs_version v)
{
	struct lwbs_node *root = new_root();

	add_security(root, 0, true, -1, NONE_RID);
	add_security(root, 1, false, 101, NONE_RID);
	add_server(root, 0, 101, v, NONE_RID);
	add_acl(root, 0, NONE_RID);
	add_apn(root, 0, NONE_RID);
	add_oscore(root, 0, v, NONE_RID);
	put(root, LWBS_PATH_RES(3, 0, 13), lwbs_value_time(1700000000));
	return root;
}

static int validate(const struct lwbs_node *root, enum lwbs_version v, struct lwbs_model_error *err)
{
	err->path = lwbs_path_make(4, 9, 9, 9, 9);
	err->what = NULL;
	return lwbs_model_validate(root, v, false, err);
}

/* Expects rc and, on failure, err at path p with a message. */
#define EXPECT(root, v, want_rc, p)                                                        \
	do {                                                                               \
		struct lwbs_model_error _e;                                                \
		struct lwbs_path _p = (p);                                                 \
		int _rc = validate((root), (v), &_e);                                      \
		CHECK_INT(_rc, (want_rc));                                                 \
		if (_rc != (want_rc))                                                      \
			fprintf(stderr, "  version %s, what=%s\n", lwbs_version_str(v),   \
				_e.what ? _e.what : "(null)");                             \
		if ((want_rc) != 0 && _rc == (want_rc)) {                                  \
			CHECK(lwbs_path_equal(&_e.path, &_p));                             \
			CHECK(_e.what != NULL && _e.what[0] != '\0');                      \
		}                                                                          \
	} while (0)

#define OK_PATH LWBS_PATH_ROOT

static void test_full_tree(void)
{
	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v = all_versions[i];
		struct lwbs_node *root = full_tree(v);

		EXPECT(root, v, 0, OK_PATH);
		/* err may be NULL */
		CHECK_INT(lwbs_model_validate(root, v, false, NULL), 0);
		/* empty tree and object without instances */
		root = new_root();
		EXPECT(root, v, 0, OK_PATH);
		struct lwbs_path p = LWBS_PATH_OBJ(0);
		CHECK_INT(lwbs_node_insert(arena, root, &p, NULL), 0);
		EXPECT(root, v, 0, OK_PATH);
	}
}

static void test_bad_arguments(void)
{
	struct lwbs_model_error e;
	struct lwbs_node *root = full_tree(LWBS_V1_1);

	CHECK_INT(lwbs_model_validate(NULL, LWBS_V1_1, false, &e), -EINVAL);
	CHECK_INT(lwbs_model_validate(root->child, LWBS_V1_1, false, &e), -EINVAL);
	CHECK_INT(lwbs_model_validate(root, (enum lwbs_version)13, false, &e), -EINVAL);
	CHECK_INT(lwbs_model_validate(root, (enum lwbs_version)0, false, NULL), -EINVAL);
}

static void test_unknown_object(void)
{
	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v = all_versions[i];
		struct lwbs_node *root = full_tree(v);
		struct lwbs_model_error e;

		/* anything goes inside an allowed unknown object */
		put(root, LWBS_PATH_RES(5, 0, 1), lwbs_value_string("x"));
		put(root, LWBS_PATH_RI(3303, 1, 5700, 3), lwbs_value_float(21.5));
		EXPECT(root, v, LWBS_EUNKNOWN, LWBS_PATH_OBJ(5));
		CHECK_INT(lwbs_model_validate(root, v, true, &e), 0);
		/* allowing unknown objects does not relax known ones */
		put(root, LWBS_PATH_RES(1, 0, 99), lwbs_value_int(1));
		CHECK_INT(lwbs_model_validate(root, v, true, &e), LWBS_EUNKNOWN);
		struct lwbs_path want = LWBS_PATH_RES(1, 0, 99);
		CHECK(lwbs_path_equal(&e.path, &want));
	}
}

static void test_unknown_resource(void)
{
	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v = all_versions[i];
		struct lwbs_node *root = full_tree(v);

		put(root, LWBS_PATH_RES(0, 1, 99), lwbs_value_int(1));
		EXPECT(root, v, LWBS_EUNKNOWN, LWBS_PATH_RES(0, 1, 99));

		/* Security 13 (Matching Type) exists from 1.1 */
		root = full_tree(v);
		put(root, LWBS_PATH_RES(0, 1, 13), lwbs_value_uint(1));
		EXPECT(root, v, v == LWBS_V1_0 ? LWBS_EUNKNOWN : 0, LWBS_PATH_RES(0, 1, 13));

		/* Security 16 (Ciphersuite, multiple) exists from 1.1 */
		root = full_tree(v);
		put(root, LWBS_PATH_RI(0, 1, 16, 0), lwbs_value_uint(0xC0A8));
		EXPECT(root, v, v == LWBS_V1_0 ? LWBS_EUNKNOWN : 0, LWBS_PATH_RES(0, 1, 16));

		/* Security 18 exists from 1.2 */
		root = full_tree(v);
		put(root, LWBS_PATH_RI(0, 1, 18, 0), lwbs_value_uint(0x17));
		EXPECT(root, v, v != LWBS_V1_2 ? LWBS_EUNKNOWN : 0, LWBS_PATH_RES(0, 1, 18));

		/* Server 22 (Preferred Transport) exists from 1.1 */
		root = full_tree(v);
		put(root, LWBS_PATH_RES(1, 0, 22), lwbs_value_string("U"));
		EXPECT(root, v, v == LWBS_V1_0 ? LWBS_EUNKNOWN : 0, LWBS_PATH_RES(1, 0, 22));

		/* Server 26 exists from 1.2 */
		root = full_tree(v);
		put(root, LWBS_PATH_RES(1, 0, 26), lwbs_value_int(1));
		EXPECT(root, v, v != LWBS_V1_2 ? LWBS_EUNKNOWN : 0, LWBS_PATH_RES(1, 0, 26));

		/* APN 27 exists from object 11 v1.1 */
		root = full_tree(v);
		put(root, LWBS_PATH_RES(11, 0, 27), lwbs_value_uint(2));
		EXPECT(root, v, v == LWBS_V1_0 ? LWBS_EUNKNOWN : 0, LWBS_PATH_RES(11, 0, 27));

		/* OSCORE 6 exists from object 21 v1.1 */
		root = full_tree(v);
		put(root, LWBS_PATH_RES(21, 0, 6),
		    lwbs_value_bytes(v == LWBS_V1_2 ? LWBS_TYPE_OPAQUE : LWBS_TYPE_STRING, "ctx", 3));
		EXPECT(root, v, v == LWBS_V1_0 ? LWBS_EUNKNOWN : 0, LWBS_PATH_RES(21, 0, 6));
	}
}

static void test_types(void)
{
	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v = all_versions[i];
		struct lwbs_node *root;

		/* string resource given an integer */
		root = full_tree(v);
		put(root, LWBS_PATH_RES(1, 1, 7), lwbs_value_int(1));
		add_server(root, 1, 102, v, 7);
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(1, 1, 7));

		/* boolean given a string */
		root = new_root();
		add_security(root, 0, true, -1, 1);
		put(root, LWBS_PATH_RES(0, 0, 1), lwbs_value_string("true"));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(0, 0, 1));

		/* opaque given a string */
		root = new_root();
		add_security(root, 0, true, -1, 5);
		put(root, LWBS_PATH_RES(0, 0, 5), lwbs_value_string("key"));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(0, 0, 5));

		/* integer given a float, a boolean */
		root = new_root();
		add_security(root, 0, true, -1, 2);
		put(root, LWBS_PATH_RES(0, 0, 2), lwbs_value_float(3.0));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(0, 0, 2));
		root = new_root();
		add_security(root, 0, true, -1, 2);
		put(root, LWBS_PATH_RES(0, 0, 2), lwbs_value_bool(true));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(0, 0, 2));

		/* untyped: fine for opaque, not for anything else */
		root = new_root();
		add_security(root, 0, true, -1, 3);
		put(root, LWBS_PATH_RES(0, 0, 3), untyped("id", 2));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		add_security(root, 0, true, -1, 0);
		put(root, LWBS_PATH_RES(0, 0, 0), untyped("coap://x", 8));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(0, 0, 0));
		root = new_root();
		add_security(root, 0, true, -1, 2);
		put(root, LWBS_PATH_RES(0, 0, 2), untyped("\x03", 1));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(0, 0, 2));

		/* unsigned value for an integer resource (Security Mode) */
		root = new_root();
		add_security(root, 0, true, -1, 2);
		put(root, LWBS_PATH_RES(0, 0, 2), lwbs_value_uint(0));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		add_security(root, 0, true, -1, 2);
		put(root, LWBS_PATH_RES(0, 0, 2), lwbs_value_uint(UINT64_MAX));
		EXPECT(root, v, LWBS_ERANGE_VAL, LWBS_PATH_RES(0, 0, 2));

		/* unsigned value for an unranged integer resource (Lifetime <= 1.1) */
		root = new_root();
		add_server(root, 0, 1, v, 1);
		put(root, LWBS_PATH_RES(1, 0, 1), lwbs_value_uint((uint64_t)INT64_MAX));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		add_server(root, 0, 1, v, 1);
		put(root, LWBS_PATH_RES(1, 0, 1), lwbs_value_uint((uint64_t)INT64_MAX + 1));
		EXPECT(root, v, v == LWBS_V1_2 ? 0 : LWBS_ERANGE_VAL, LWBS_PATH_RES(1, 0, 1));

		/* integer value for Lifetime: always fine when >= 0; negative is
		 * out of range only where Lifetime is unsigned (Server 1.2) */
		root = new_root();
		add_server(root, 0, 1, v, 1);
		put(root, LWBS_PATH_RES(1, 0, 1), lwbs_value_int(0));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		add_server(root, 0, 1, v, 1);
		put(root, LWBS_PATH_RES(1, 0, 1), lwbs_value_int(-1));
		EXPECT(root, v, v == LWBS_V1_2 ? LWBS_ERANGE_VAL : 0, LWBS_PATH_RES(1, 0, 1));

		/* time resource: TIME and INTEGER accepted, others not */
		root = new_root();
		put(root, LWBS_PATH_RES(3, 0, 13), lwbs_value_int(-5));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		put(root, LWBS_PATH_RES(3, 0, 13), lwbs_value_time(INT64_MIN));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		put(root, LWBS_PATH_RES(3, 0, 13), lwbs_value_string("2024-01-01"));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(3, 0, 13));
		root = new_root();
		put(root, LWBS_PATH_RES(3, 0, 13), lwbs_value_uint(5));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(3, 0, 13));
		/* but TIME is not an INTEGER */
		root = new_root();
		add_security(root, 0, true, -1, 2);
		put(root, LWBS_PATH_RES(0, 0, 2), lwbs_value_time(3));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(0, 0, 2));

		/* objlnk (Device ExtDevInfo, multiple) */
		root = new_root();
		put(root, LWBS_PATH_RI(3, 0, 22, 0), lwbs_value_objlnk(3, 1));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		put(root, LWBS_PATH_RI(3, 0, 22, 0), lwbs_value_int(3));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RI(3, 0, 22, 0));

		/* OSCORE keys: String up to object 21 v1.1, Opaque in v2.0 */
		root = new_root();
		add_oscore(root, 0, v, 0);
		put(root, LWBS_PATH_RES(21, 0, 0), opaque("k", 1));
		EXPECT(root, v, v == LWBS_V1_2 ? 0 : LWBS_ETYPE, LWBS_PATH_RES(21, 0, 0));
		root = new_root();
		add_oscore(root, 0, v, 0);
		put(root, LWBS_PATH_RES(21, 0, 0), lwbs_value_string("k"));
		EXPECT(root, v, v == LWBS_V1_2 ? LWBS_ETYPE : 0, LWBS_PATH_RES(21, 0, 0));
	}
}

static void test_unsigned_resources(void)
{
	/* Security 13 Matching Type: Unsigned 0..3 (1.1+) */
	for (size_t i = 1; i < 3; i++) {
		enum lwbs_version v = all_versions[i];
		struct lwbs_node *root;

		root = new_root();
		add_security(root, 0, true, -1, NONE_RID);
		put(root, LWBS_PATH_RES(0, 0, 13), lwbs_value_int(3));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		add_security(root, 0, true, -1, NONE_RID);
		put(root, LWBS_PATH_RES(0, 0, 13), lwbs_value_int(-1));
		EXPECT(root, v, LWBS_ERANGE_VAL, LWBS_PATH_RES(0, 0, 13));
		root = new_root();
		add_security(root, 0, true, -1, NONE_RID);
		put(root, LWBS_PATH_RES(0, 0, 13), lwbs_value_uint(4));
		EXPECT(root, v, LWBS_ERANGE_VAL, LWBS_PATH_RES(0, 0, 13));
		root = new_root();
		add_security(root, 0, true, -1, NONE_RID);
		put(root, LWBS_PATH_RES(0, 0, 13), lwbs_value_uint(UINT64_MAX));
		EXPECT(root, v, LWBS_ERANGE_VAL, LWBS_PATH_RES(0, 0, 13));
		root = new_root();
		add_security(root, 0, true, -1, NONE_RID);
		put(root, LWBS_PATH_RES(0, 0, 13), lwbs_value_string("0"));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(0, 0, 13));
		/* unranged unsigned (Ciphersuite) takes any uint64, no negative int */
		root = new_root();
		add_security(root, 0, true, -1, NONE_RID);
		put(root, LWBS_PATH_RI(0, 0, 16, 0), lwbs_value_uint(UINT64_MAX));
		put(root, LWBS_PATH_RI(0, 0, 16, 1), lwbs_value_int(49320));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		add_security(root, 0, true, -1, NONE_RID);
		put(root, LWBS_PATH_RI(0, 0, 16, 0), lwbs_value_uint(1));
		put(root, LWBS_PATH_RI(0, 0, 16, 1), lwbs_value_int(-49320));
		EXPECT(root, v, LWBS_ERANGE_VAL, LWBS_PATH_RI(0, 0, 16, 1));
	}
}

static void test_multiplicity(void)
{
	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v = all_versions[i];
		struct lwbs_node *root, *n;
		struct lwbs_path p;

		/* multiple resource written as a single value */
		root = new_root();
		add_acl(root, 0, 2);
		put(root, LWBS_PATH_RES(2, 0, 2), lwbs_value_int(1));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(2, 0, 2));

		/* resource instances under a single resource */
		root = new_root();
		add_security(root, 0, true, -1, 0);
		put(root, LWBS_PATH_RI(0, 0, 0, 0), lwbs_value_string("coap://x"));
		EXPECT(root, v, LWBS_EPATH, LWBS_PATH_RES(0, 0, 0));

		/* a multiple resource with no instances is fine */
		root = new_root();
		add_acl(root, 0, 2);
		p = LWBS_PATH_RES(2, 0, 2);
		CHECK_INT(lwbs_node_insert(arena, root, &p, &n), 0);
		n->multiple = true;
		EXPECT(root, v, 0, OK_PATH);

		/* single resource without a value */
		root = new_root();
		add_server(root, 0, 1, v, NONE_RID);
		p = LWBS_PATH_RES(1, 0, 5);
		CHECK_INT(lwbs_node_insert(arena, root, &p, NULL), 0);
		EXPECT(root, v, LWBS_EMISSING, LWBS_PATH_RES(1, 0, 5));

		/* several ACL instances, several resource instances */
		root = new_root();
		add_acl(root, 0, NONE_RID);
		put(root, LWBS_PATH_RI(2, 0, 2, 0), lwbs_value_int(1));
		put(root, LWBS_PATH_RI(2, 0, 2, 102), lwbs_value_int(31));
		add_acl(root, 7, NONE_RID);
		EXPECT(root, v, 0, OK_PATH);

		/* Device is a single-instance object */
		root = new_root();
		put(root, LWBS_PATH_RES(3, 0, 14), lwbs_value_string("+01:00"));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		put(root, LWBS_PATH_RES(3, 1, 14), lwbs_value_string("+01:00"));
		EXPECT(root, v, LWBS_EPATH, LWBS_PATH_INST(3, 1));
	}
}

static void test_executable(void)
{
	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v = all_versions[i];
		struct lwbs_node *root;

		root = full_tree(v);
		put(root, LWBS_PATH_RES(1, 0, 8), opaque("", 0));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(1, 0, 8));
		root = full_tree(v);
		put(root, LWBS_PATH_RES(1, 0, 4), untyped("", 0));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(1, 0, 4));
		root = new_root();
		put(root, LWBS_PATH_RES(3, 0, 4), lwbs_value_none());
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(3, 0, 4));
		/* Bootstrap-Request Trigger: executable from 1.1, unknown in 1.0 */
		root = full_tree(v);
		put(root, LWBS_PATH_RES(1, 0, 9), lwbs_value_none());
		EXPECT(root, v, v == LWBS_V1_0 ? LWBS_EUNKNOWN : LWBS_ETYPE, LWBS_PATH_RES(1, 0, 9));
	}
}

/* Value of one integer resource put into an otherwise valid instance. */
static int check_int(enum lwbs_version v, uint16_t oid, uint16_t rid, uint16_t riid, bool multi, int64_t val)
{
	struct lwbs_node *root = new_root();
	struct lwbs_model_error e;

	switch (oid) {
	case 0:
		add_security(root, 0, false, rid == 10 ? -1 : 101, rid);
		break;
	case 1:
		add_server(root, 0, 101, v, rid);
		break;
	case 2:
		add_acl(root, 0, rid);
		break;
	case 11:
		add_apn(root, 0, rid);
		break;
	}
	if (multi)
		put(root, LWBS_PATH_RI(oid, 0, rid, riid), lwbs_value_int(val));
	else
		put(root, LWBS_PATH_RES(oid, 0, rid), lwbs_value_int(val));
	int rc = validate(root, v, &e);
	if (rc == LWBS_ERANGE_VAL) {
		struct lwbs_path want = multi ? LWBS_PATH_RI(oid, 0, rid, riid) : LWBS_PATH_RES(oid, 0, rid);
		CHECK(lwbs_path_equal(&e.path, &want));
	}
	return rc;
}

static void test_ranges(void)
{
	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v = all_versions[i];

		/* Security Mode 0..4 */
		CHECK_INT(check_int(v, 0, 2, 0, false, 0), 0);
		CHECK_INT(check_int(v, 0, 2, 0, false, 4), 0);
		CHECK_INT(check_int(v, 0, 2, 0, false, 5), LWBS_ERANGE_VAL);
		CHECK_INT(check_int(v, 0, 2, 0, false, -1), LWBS_ERANGE_VAL);
		/* Security SSID 1..65534 */
		CHECK_INT(check_int(v, 0, 10, 0, false, 1), 0);
		CHECK_INT(check_int(v, 0, 10, 0, false, 65534), 0);
		CHECK_INT(check_int(v, 0, 10, 0, false, 0), LWBS_ERANGE_VAL);
		CHECK_INT(check_int(v, 0, 10, 0, false, 65535), LWBS_ERANGE_VAL);
		CHECK_INT(check_int(v, 0, 10, 0, false, INT64_MIN), LWBS_ERANGE_VAL);
		/* SMS Security Mode 0..255 */
		CHECK_INT(check_int(v, 0, 6, 0, false, 255), 0);
		CHECK_INT(check_int(v, 0, 6, 0, false, 256), LWBS_ERANGE_VAL);
		/* Server SSID 1..65534 */
		CHECK_INT(check_int(v, 1, 0, 0, false, 1), 0);
		CHECK_INT(check_int(v, 1, 0, 0, false, 65534), 0);
		CHECK_INT(check_int(v, 1, 0, 0, false, 0), LWBS_ERANGE_VAL);
		CHECK_INT(check_int(v, 1, 0, 0, false, 65535), LWBS_ERANGE_VAL);
		/* unranged integer (Disable Timeout) */
		CHECK_INT(check_int(v, 1, 5, 0, false, INT64_MIN), 0);
		CHECK_INT(check_int(v, 1, 5, 0, false, INT64_MAX), 0);
		/* ACL Object ID 1..65534 */
		CHECK_INT(check_int(v, 2, 0, 0, false, 1), 0);
		CHECK_INT(check_int(v, 2, 0, 0, false, 65534), 0);
		CHECK_INT(check_int(v, 2, 0, 0, false, 0), LWBS_ERANGE_VAL);
		CHECK_INT(check_int(v, 2, 0, 0, false, 65535), LWBS_ERANGE_VAL);
		/* ACL Object Instance ID and owner 0..65535 */
		CHECK_INT(check_int(v, 2, 1, 0, false, 65535), 0);
		CHECK_INT(check_int(v, 2, 1, 0, false, 65536), LWBS_ERANGE_VAL);
		CHECK_INT(check_int(v, 2, 3, 0, false, 0), 0);
		CHECK_INT(check_int(v, 2, 3, 0, false, -1), LWBS_ERANGE_VAL);
		/* ACL value: 0..31 from object 2 v1.1, 16-bit in v1.0 */
		CHECK_INT(check_int(v, 2, 2, 0, true, 31), 0);
		CHECK_INT(check_int(v, 2, 2, 101, true, 0), 0);
		CHECK_INT(check_int(v, 2, 2, 101, true, 32), v == LWBS_V1_0 ? 0 : LWBS_ERANGE_VAL);
		CHECK_INT(check_int(v, 2, 2, 101, true, 65535), v == LWBS_V1_0 ? 0 : LWBS_ERANGE_VAL);
		CHECK_INT(check_int(v, 2, 2, 101, true, 65536), LWBS_ERANGE_VAL);
		CHECK_INT(check_int(v, 2, 2, 101, true, -1), LWBS_ERANGE_VAL);
		/* APN Authentication Type 0..3, PDN Type 0..3 */
		CHECK_INT(check_int(v, 11, 4, 0, false, 0), 0);
		CHECK_INT(check_int(v, 11, 4, 0, false, 3), 0);
		CHECK_INT(check_int(v, 11, 4, 0, false, 4), LWBS_ERANGE_VAL);
		CHECK_INT(check_int(v, 11, 4, 0, false, -1), LWBS_ERANGE_VAL);
		CHECK_INT(check_int(v, 11, 24, 0, false, 3), 0);
		CHECK_INT(check_int(v, 11, 24, 0, false, 4), LWBS_ERANGE_VAL);
		/* APN QCI 1..9 */
		CHECK_INT(check_int(v, 11, 21, 0, false, 9), 0);
		CHECK_INT(check_int(v, 11, 21, 0, false, 0), LWBS_ERANGE_VAL);
		/* Device Error Code (multiple) 0..8, 0..32 in Device 1.2 */
		struct lwbs_node *root = new_root();
		put(root, LWBS_PATH_RI(3, 0, 11, 0), lwbs_value_int(8));
		put(root, LWBS_PATH_RI(3, 0, 11, 1), lwbs_value_int(9));
		EXPECT(root, v, v == LWBS_V1_2 ? 0 : LWBS_ERANGE_VAL, LWBS_PATH_RI(3, 0, 11, 1));
	}
}

static void test_string_length(void)
{
	char uri[300];

	memset(uri, 'a', sizeof(uri));
	memcpy(uri, "coap://", 7);
	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v = all_versions[i];
		struct lwbs_node *root;

		root = new_root();
		add_security(root, 0, true, -1, 0);
		put(root, LWBS_PATH_RES(0, 0, 0), lwbs_value_bytes(LWBS_TYPE_STRING, uri, 255));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		add_security(root, 0, true, -1, 0);
		put(root, LWBS_PATH_RES(0, 0, 0), lwbs_value_bytes(LWBS_TYPE_STRING, uri, 256));
		EXPECT(root, v, LWBS_ERANGE_VAL, LWBS_PATH_RES(0, 0, 0));
		/* empty URI is within 0..255 */
		root = new_root();
		add_security(root, 0, true, -1, 0);
		put(root, LWBS_PATH_RES(0, 0, 0), lwbs_value_string(""));
		EXPECT(root, v, 0, OK_PATH);

		/* SMS Binding Key Parameters: 6 bytes; untyped opaque too */
		root = new_root();
		add_security(root, 0, true, -1, NONE_RID);
		put(root, LWBS_PATH_RES(0, 0, 7), opaque("123456", 6));
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		add_security(root, 0, true, -1, NONE_RID);
		put(root, LWBS_PATH_RES(0, 0, 7), untyped("1234567", 7));
		EXPECT(root, v, LWBS_ERANGE_VAL, LWBS_PATH_RES(0, 0, 7));

		/* unlimited strings and opaques */
		root = new_root();
		add_security(root, 0, true, -1, 3);
		put(root, LWBS_PATH_RES(0, 0, 3), opaque(uri, sizeof(uri)));
		put(root, LWBS_PATH_RES(0, 0, 9), lwbs_value_bytes(LWBS_TYPE_STRING, uri, sizeof(uri)));
		EXPECT(root, v, 0, OK_PATH);
	}
	/* Secondary LwM2M Server URI (1.2, multiple) is limited per instance */
	struct lwbs_node *root = new_root();
	add_security(root, 0, true, -1, NONE_RID);
	put(root, LWBS_PATH_RI(0, 0, 25, 0), lwbs_value_bytes(LWBS_TYPE_STRING, uri, 255));
	put(root, LWBS_PATH_RI(0, 0, 25, 1), lwbs_value_bytes(LWBS_TYPE_STRING, uri, 256));
	EXPECT(root, LWBS_V1_2, LWBS_ERANGE_VAL, LWBS_PATH_RI(0, 0, 25, 1));
}

static void test_mandatory(void)
{
	static const uint16_t sec[] = {0, 1, 2, 3, 4, 5};
	static const uint16_t srv[] = {0, 1, 6, 7};
	static const uint16_t acl[] = {0, 1, 3};
	static const uint16_t apn[] = {0, 4};
	static const uint16_t osc[] = {0, 1, 2};

	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v = all_versions[i];
		struct lwbs_node *root;

		for (size_t k = 0; k < sizeof(sec) / sizeof(sec[0]); k++) {
			root = new_root();
			add_security(root, 4, true, -1, sec[k]);
			EXPECT(root, v, LWBS_EMISSING, LWBS_PATH_RES(0, 4, sec[k]));
		}
		for (size_t k = 0; k < sizeof(srv) / sizeof(srv[0]); k++) {
			root = new_root();
			add_server(root, 2, 7, v, srv[k]);
			EXPECT(root, v, LWBS_EMISSING, LWBS_PATH_RES(1, 2, srv[k]));
		}
		for (size_t k = 0; k < sizeof(acl) / sizeof(acl[0]); k++) {
			root = new_root();
			add_acl(root, 3, acl[k]);
			EXPECT(root, v, LWBS_EMISSING, LWBS_PATH_RES(2, 3, acl[k]));
		}
		for (size_t k = 0; k < sizeof(apn) / sizeof(apn[0]); k++) {
			root = new_root();
			add_apn(root, 1, apn[k]);
			EXPECT(root, v, LWBS_EMISSING, LWBS_PATH_RES(11, 1, apn[k]));
		}
		for (size_t k = 0; k < sizeof(osc) / sizeof(osc[0]); k++) {
			root = new_root();
			add_oscore(root, 1, v, osc[k]);
			EXPECT(root, v, LWBS_EMISSING, LWBS_PATH_RES(21, 1, osc[k]));
		}
		/* optional resources may be left out: ACL 2, APN 1/24, OSCORE 3 */
		root = new_root();
		add_acl(root, 0, 2);
		add_apn(root, 0, 1);
		add_oscore(root, 0, v, 3);
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		add_apn(root, 0, 24);
		EXPECT(root, v, 0, OK_PATH);
		/* an empty instance of a checked object misses its first mandatory */
		root = new_root();
		struct lwbs_path p = LWBS_PATH_INST(1, 0);
		CHECK_INT(lwbs_node_insert(arena, root, &p, NULL), 0);
		EXPECT(root, v, LWBS_EMISSING, LWBS_PATH_RES(1, 0, 0));
		/* Device instances are not checked for mandatory resources
		 * (Reboot, Error Code and Supported Binding are the client's) */
		root = new_root();
		p = LWBS_PATH_INST(3, 0);
		CHECK_INT(lwbs_node_insert(arena, root, &p, NULL), 0);
		EXPECT(root, v, 0, OK_PATH);
		/* a wrong-typed value is reported before a missing resource */
		root = new_root();
		add_server(root, 0, 1, v, 1);
		put(root, LWBS_PATH_RES(1, 0, 2), lwbs_value_string("0"));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(1, 0, 2));
	}
}

static void test_ssid_rule(void)
{
	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v = all_versions[i];
		struct lwbs_node *root;

		root = new_root();
		add_security(root, 2, false, -1, NONE_RID);
		EXPECT(root, v, LWBS_EMISSING, LWBS_PATH_RES(0, 2, 10));
		root = new_root();
		add_security(root, 2, false, 1, NONE_RID);
		EXPECT(root, v, 0, OK_PATH);
		/* the bootstrap account needs none, but may carry one */
		root = new_root();
		add_security(root, 2, true, -1, NONE_RID);
		EXPECT(root, v, 0, OK_PATH);
		root = new_root();
		add_security(root, 2, true, 3, NONE_RID);
		EXPECT(root, v, 0, OK_PATH);
		/* missing Bootstrap-Server is reported as itself */
		root = new_root();
		add_security(root, 2, false, -1, 1);
		EXPECT(root, v, LWBS_EMISSING, LWBS_PATH_RES(0, 2, 1));
	}
}

static void test_first_failure(void)
{
	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v = all_versions[i];
		struct lwbs_node *root = full_tree(v);

		/* failures in /11 and /1: /1 comes first in path order */
		put(root, LWBS_PATH_RES(11, 0, 21), lwbs_value_int(0));
		put(root, LWBS_PATH_RES(1, 0, 5), lwbs_value_string("x"));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(1, 0, 5));

		/* a bad resource comes before a missing one in the same instance */
		root = new_root();
		add_server(root, 0, 1, v, 0);
		put(root, LWBS_PATH_RES(1, 0, 2), lwbs_value_bool(false));
		EXPECT(root, v, LWBS_ETYPE, LWBS_PATH_RES(1, 0, 2));

		/* a value error in instance 0 comes before a missing one in 1 */
		root = new_root();
		add_server(root, 0, 0, v, NONE_RID);
		add_server(root, 1, 2, v, 6);
		EXPECT(root, v, LWBS_ERANGE_VAL, LWBS_PATH_RES(1, 0, 0));
	}
}

static void setup(void)
{
	arena = lwbs_arena_create(0);
	CHECK(arena != NULL);
	if (!arena)
		exit(1);
}

static void teardown(void)
{
	lwbs_arena_destroy(arena);
}

TEST_MAIN(setup, test_full_tree, test_bad_arguments, test_unknown_object, test_unknown_resource, test_types,
	  test_unsigned_resources, test_multiplicity, test_executable, test_ranges, test_string_length,
	  test_mandatory, test_ssid_rule, test_first_failure, teardown)
