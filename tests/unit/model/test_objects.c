/* Tests for the object tables (src/model/objects.c). */
#include <errno.h>

#include "lwbs/model.h"
#include "../test.h"

static const enum lwbs_version all_versions[] = {LWBS_V1_0, LWBS_V1_1, LWBS_V1_2};
static const uint16_t all_oids[] = {0, 1, 2, 3, 11, 21};

static void test_version_parse(void)
{
	enum lwbs_version v = (enum lwbs_version)0;

	CHECK_INT(lwbs_version_parse("1.0", &v), 0);
	CHECK_INT(v, LWBS_V1_0);
	CHECK_INT(lwbs_version_parse("1.1", &v), 0);
	CHECK_INT(v, LWBS_V1_1);
	CHECK_INT(lwbs_version_parse("1.2", &v), 0);
	CHECK_INT(v, LWBS_V1_2);
	CHECK_INT(lwbs_version_parse("1.1.1", &v), 0);
	CHECK_INT(v, LWBS_V1_1);
	CHECK_INT(lwbs_version_parse("1.2.2", &v), 0);
	CHECK_INT(v, LWBS_V1_2);
	CHECK_INT(lwbs_version_parse("1.0.10", &v), 0);
	CHECK_INT(v, LWBS_V1_0);

	static const char *const bad[] = {
		"", "1", "1.", "1.3", "2.0", "0.9", "1.1.", "1.1.x", "1.1.1.1", "1.10", "01.1",
		" 1.1", "1.1 ", "1,1", "1.1-", "11", "1.2a", "v1.1", "1.1.+1", "1.1.-1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = LWBS_V1_2;
		int rc = lwbs_version_parse(bad[i], &v);
		if (rc != -EINVAL)
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
		CHECK_INT(rc, -EINVAL);
		CHECK_INT(v, LWBS_V1_2); /* out-param untouched on failure */
	}
	CHECK_INT(lwbs_version_parse(NULL, &v), -EINVAL);
}

static void test_version_str(void)
{
	CHECK_STR(lwbs_version_str(LWBS_V1_0), "1.0");
	CHECK_STR(lwbs_version_str(LWBS_V1_1), "1.1");
	CHECK_STR(lwbs_version_str(LWBS_V1_2), "1.2");
	CHECK(lwbs_version_str((enum lwbs_version)13) != NULL);
	for (size_t i = 0; i < 3; i++) {
		enum lwbs_version v;
		CHECK_INT(lwbs_version_parse(lwbs_version_str(all_versions[i]), &v), 0);
		CHECK_INT(v, all_versions[i]);
	}
}

/* Every table: ids strictly ascending, lookups find every row, names set,
 * executable rows are type NONE and E, ranges sane. */
static void test_tables_consistent(void)
{
	for (size_t vi = 0; vi < 3; vi++) {
		for (size_t oi = 0; oi < sizeof(all_oids) / sizeof(all_oids[0]); oi++) {
			const struct lwbs_obj_def *o = lwbs_model_object(all_oids[oi], all_versions[vi]);

			CHECK(o != NULL);
			if (!o)
				continue;
			CHECK_INT(o->oid, all_oids[oi]);
			CHECK(o->name && o->name[0]);
			CHECK(o->n_res > 0);
			for (size_t i = 0; i < o->n_res; i++) {
				const struct lwbs_res_def *r = &o->res[i];

				if (i > 0)
					CHECK(r->id > o->res[i - 1].id);
				CHECK(lwbs_model_resource(o, r->id) == r);
				CHECK(r->name && r->name[0]);
				CHECK_INT(r->type == LWBS_TYPE_NONE, (r->ops & LWBS_OP_E) != 0);
				if (r->min <= r->max)
					CHECK(r->type == LWBS_TYPE_INTEGER || r->type == LWBS_TYPE_UNSIGNED);
				if (r->max_len)
					CHECK(r->type == LWBS_TYPE_STRING || r->type == LWBS_TYPE_OPAQUE);
			}
			/* one past the last id and a huge id are unknown */
			CHECK(lwbs_model_resource(o, (uint16_t)(o->res[o->n_res - 1].id + 1)) == NULL);
			CHECK(lwbs_model_resource(o, 65534) == NULL);
		}
	}
	CHECK(lwbs_model_resource(NULL, 0) == NULL);
}

static void test_unknown_objects(void)
{
	static const uint16_t unknown[] = {4, 5, 6, 7, 10, 12, 20, 22, 3303, 65534};
	for (size_t vi = 0; vi < 3; vi++)
		for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
			CHECK(lwbs_model_object(unknown[i], all_versions[vi]) == NULL);
	CHECK(lwbs_model_object(0, (enum lwbs_version)13) == NULL);
	CHECK(lwbs_model_object(0, (enum lwbs_version)0) == NULL);
}

static const struct lwbs_res_def *res(uint16_t oid, enum lwbs_version v, uint16_t rid)
{
	return lwbs_model_resource(lwbs_model_object(oid, v), rid);
}

static void check_ver(uint16_t oid, enum lwbs_version v, int maj, int min, size_t n, uint16_t last)
{
	const struct lwbs_obj_def *o = lwbs_model_object(oid, v);

	CHECK(o != NULL);
	if (!o)
		return;
	CHECK_INT(o->ver_major, maj);
	CHECK_INT(o->ver_minor, min);
	CHECK_INT(o->n_res, n);
	CHECK_INT(o->res[o->n_res - 1].id, last);
}

static void test_version_mapping(void)
{
	check_ver(0, LWBS_V1_0, 1, 0, 13, 12);
	check_ver(0, LWBS_V1_1, 1, 1, 18, 17);
	check_ver(0, LWBS_V1_2, 1, 2, 31, 30);
	check_ver(1, LWBS_V1_0, 1, 0, 9, 8);
	check_ver(1, LWBS_V1_1, 1, 1, 24, 23);
	check_ver(1, LWBS_V1_2, 1, 2, 28, 27);
	check_ver(2, LWBS_V1_0, 1, 0, 4, 3);
	check_ver(2, LWBS_V1_1, 1, 1, 4, 3);
	check_ver(2, LWBS_V1_2, 1, 1, 4, 3);
	check_ver(3, LWBS_V1_0, 1, 0, 23, 22);
	check_ver(3, LWBS_V1_1, 1, 1, 23, 22);
	check_ver(3, LWBS_V1_2, 1, 2, 23, 22);
	check_ver(11, LWBS_V1_0, 1, 0, 26, 25);
	check_ver(11, LWBS_V1_1, 1, 1, 34, 33);
	check_ver(11, LWBS_V1_2, 1, 1, 34, 33);
	check_ver(21, LWBS_V1_0, 1, 0, 6, 5);
	check_ver(21, LWBS_V1_1, 1, 1, 7, 6);
	check_ver(21, LWBS_V1_2, 2, 0, 7, 6);

	/* object-level multiplicity and mandatory flags */
	for (size_t vi = 0; vi < 3; vi++) {
		enum lwbs_version v = all_versions[vi];
		CHECK(lwbs_model_object(0, v)->multiple && lwbs_model_object(0, v)->mandatory);
		CHECK(lwbs_model_object(1, v)->multiple && lwbs_model_object(1, v)->mandatory);
		CHECK(lwbs_model_object(2, v)->multiple && !lwbs_model_object(2, v)->mandatory);
		CHECK(!lwbs_model_object(3, v)->multiple && lwbs_model_object(3, v)->mandatory);
		CHECK(lwbs_model_object(11, v)->multiple && !lwbs_model_object(11, v)->mandatory);
		CHECK(lwbs_model_object(21, v)->multiple && !lwbs_model_object(21, v)->mandatory);
	}
}

static void check_res(uint16_t oid, enum lwbs_version v, uint16_t rid, enum lwbs_type t, bool multiple,
		      bool mandatory)
{
	const struct lwbs_res_def *r = res(oid, v, rid);

	CHECK(r != NULL);
	if (!r) {
		fprintf(stderr, "  missing /%u/x/%u in %s\n", oid, rid, lwbs_version_str(v));
		return;
	}
	if (r->type != t || r->multiple != multiple || r->mandatory != mandatory)
		fprintf(stderr, "  /%u/x/%u in %s differs\n", oid, rid, lwbs_version_str(v));
	CHECK_INT(r->type, t);
	CHECK_INT(r->multiple, multiple);
	CHECK_INT(r->mandatory, mandatory);
}

static void check_range(uint16_t oid, enum lwbs_version v, uint16_t rid, int64_t min, int64_t max)
{
	const struct lwbs_res_def *r = res(oid, v, rid);

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK_INT(r->min, min);
	CHECK_INT(r->max, max);
}

static void check_no_range(uint16_t oid, enum lwbs_version v, uint16_t rid)
{
	const struct lwbs_res_def *r = res(oid, v, rid);

	CHECK(r != NULL);
	if (r)
		CHECK(r->min > r->max);
}

static void test_security(void)
{
	for (size_t vi = 0; vi < 3; vi++) {
		enum lwbs_version v = all_versions[vi];

		check_res(0, v, 0, LWBS_TYPE_STRING, false, true);
		check_res(0, v, 1, LWBS_TYPE_BOOLEAN, false, true);
		check_res(0, v, 2, LWBS_TYPE_INTEGER, false, true);
		check_res(0, v, 3, LWBS_TYPE_OPAQUE, false, true);
		check_res(0, v, 4, LWBS_TYPE_OPAQUE, false, true);
		check_res(0, v, 5, LWBS_TYPE_OPAQUE, false, true);
		check_res(0, v, 6, LWBS_TYPE_INTEGER, false, false);
		check_res(0, v, 7, LWBS_TYPE_OPAQUE, false, false);
		check_res(0, v, 8, LWBS_TYPE_OPAQUE, false, false);
		check_res(0, v, 9, LWBS_TYPE_STRING, false, false);
		check_res(0, v, 10, LWBS_TYPE_INTEGER, false, false);
		check_res(0, v, 11, LWBS_TYPE_INTEGER, false, false);
		check_res(0, v, 12, LWBS_TYPE_INTEGER, false, false);
		check_range(0, v, 2, 0, 4);
		check_range(0, v, 6, 0, 255);
		check_range(0, v, 10, 1, 65534);
		check_no_range(0, v, 11);
		CHECK_INT(res(0, v, 0)->max_len, 255);
		CHECK_INT(res(0, v, 3)->max_len, 0);
		/* Security has no operations: bootstrap only */
		CHECK_INT(res(0, v, 0)->ops, LWBS_OP_NONE);
		CHECK_INT(res(0, v, 10)->ops, LWBS_OP_NONE);
	}
	CHECK(res(0, LWBS_V1_0, 13) == NULL);
	CHECK(res(0, LWBS_V1_0, 17) == NULL);
	for (size_t vi = 1; vi < 3; vi++) {
		enum lwbs_version v = all_versions[vi];

		check_res(0, v, 13, LWBS_TYPE_UNSIGNED, false, false);
		check_res(0, v, 14, LWBS_TYPE_STRING, false, false);
		check_res(0, v, 15, LWBS_TYPE_UNSIGNED, false, false);
		check_res(0, v, 16, LWBS_TYPE_UNSIGNED, true, false);
		check_res(0, v, 17, LWBS_TYPE_OBJLNK, false, false);
		check_range(0, v, 13, 0, 3);
		check_range(0, v, 15, 0, 3);
		check_no_range(0, v, 16);
	}
	CHECK(res(0, LWBS_V1_1, 18) == NULL);
	CHECK(res(0, LWBS_V1_1, 30) == NULL);
	for (uint16_t rid = 18; rid <= 21; rid++) {
		check_res(0, LWBS_V1_2, rid, LWBS_TYPE_UNSIGNED, true, false);
		check_range(0, LWBS_V1_2, rid, 0, 65535);
	}
	for (uint16_t rid = 22; rid <= 24; rid++)
		check_res(0, LWBS_V1_2, rid, LWBS_TYPE_UNSIGNED, false, false);
	check_res(0, LWBS_V1_2, 25, LWBS_TYPE_STRING, true, false);
	CHECK_INT(res(0, LWBS_V1_2, 25)->max_len, 255);
	check_res(0, LWBS_V1_2, 26, LWBS_TYPE_OBJLNK, false, false);
	check_res(0, LWBS_V1_2, 27, LWBS_TYPE_OBJLNK, true, false);
	check_res(0, LWBS_V1_2, 28, LWBS_TYPE_INTEGER, false, false);
	check_res(0, LWBS_V1_2, 29, LWBS_TYPE_INTEGER, false, false);
	check_range(0, LWBS_V1_2, 28, 0, 15);
	check_range(0, LWBS_V1_2, 29, 0, 15);
	check_res(0, LWBS_V1_2, 30, LWBS_TYPE_STRING, false, false);
}

static void test_server(void)
{
	for (size_t vi = 0; vi < 3; vi++) {
		enum lwbs_version v = all_versions[vi];

		check_res(1, v, 0, LWBS_TYPE_INTEGER, false, true);
		check_range(1, v, 0, 1, 65534);
		check_res(1, v, 2, LWBS_TYPE_INTEGER, false, false);
		check_res(1, v, 3, LWBS_TYPE_INTEGER, false, false);
		check_res(1, v, 4, LWBS_TYPE_NONE, false, false);
		check_res(1, v, 5, LWBS_TYPE_INTEGER, false, false);
		check_res(1, v, 6, LWBS_TYPE_BOOLEAN, false, true);
		check_res(1, v, 7, LWBS_TYPE_STRING, false, true);
		check_res(1, v, 8, LWBS_TYPE_NONE, false, true);
		CHECK_INT(res(1, v, 4)->ops, LWBS_OP_E);
		CHECK_INT(res(1, v, 8)->ops, LWBS_OP_E);
		CHECK_INT(res(1, v, 0)->ops, LWBS_OP_R);
		CHECK_INT(res(1, v, 1)->ops, LWBS_OP_R | LWBS_OP_W);
	}
	/* Lifetime: Integer up to 1.1, Unsigned Integer in Server 1.2 */
	check_res(1, LWBS_V1_0, 1, LWBS_TYPE_INTEGER, false, true);
	check_res(1, LWBS_V1_1, 1, LWBS_TYPE_INTEGER, false, true);
	check_res(1, LWBS_V1_2, 1, LWBS_TYPE_UNSIGNED, false, true);
	CHECK(res(1, LWBS_V1_0, 9) == NULL);
	for (size_t vi = 1; vi < 3; vi++) {
		enum lwbs_version v = all_versions[vi];

		check_res(1, v, 9, LWBS_TYPE_NONE, false, false);
		check_res(1, v, 10, LWBS_TYPE_OBJLNK, false, false);
		check_res(1, v, 11, LWBS_TYPE_UNSIGNED, false, false);
		check_range(1, v, 11, 0, 255);
		check_res(1, v, 12, LWBS_TYPE_TIME, false, false);
		check_res(1, v, 13, LWBS_TYPE_UNSIGNED, false, false);
		check_res(1, v, 15, LWBS_TYPE_BOOLEAN, false, false);
		check_res(1, v, 16, LWBS_TYPE_BOOLEAN, false, false);
		check_res(1, v, 20, LWBS_TYPE_UNSIGNED, false, false);
		check_res(1, v, 21, LWBS_TYPE_BOOLEAN, false, false);
		check_res(1, v, 22, LWBS_TYPE_STRING, false, false);
		check_res(1, v, 23, LWBS_TYPE_BOOLEAN, false, false);
	}
	CHECK_INT(res(1, LWBS_V1_1, 14)->ops, LWBS_OP_NONE);
	CHECK_INT(res(1, LWBS_V1_2, 14)->ops, LWBS_OP_R | LWBS_OP_W);
	CHECK(res(1, LWBS_V1_1, 24) == NULL);
	check_res(1, LWBS_V1_2, 24, LWBS_TYPE_OBJLNK, true, false);
	check_res(1, LWBS_V1_2, 25, LWBS_TYPE_STRING, true, false);
	check_res(1, LWBS_V1_2, 26, LWBS_TYPE_INTEGER, false, false);
	check_range(1, LWBS_V1_2, 26, 0, 1);
	check_res(1, LWBS_V1_2, 27, LWBS_TYPE_UNSIGNED, false, false);
	check_range(1, LWBS_V1_2, 27, 0, 255);
}

static void test_acl(void)
{
	for (size_t vi = 0; vi < 3; vi++) {
		enum lwbs_version v = all_versions[vi];

		check_res(2, v, 0, LWBS_TYPE_INTEGER, false, true);
		check_res(2, v, 1, LWBS_TYPE_INTEGER, false, true);
		check_res(2, v, 2, LWBS_TYPE_INTEGER, true, false);
		check_res(2, v, 3, LWBS_TYPE_INTEGER, false, true);
		check_range(2, v, 0, 1, 65534);
		check_range(2, v, 1, 0, 65535);
		check_range(2, v, 3, 0, 65535);
	}
	check_range(2, LWBS_V1_0, 2, 0, 65535);
	check_range(2, LWBS_V1_1, 2, 0, 31);
	check_range(2, LWBS_V1_2, 2, 0, 31);
}

static void test_device(void)
{
	static const struct {
		uint16_t rid;
		enum lwbs_type t;
		bool multiple, mandatory;
	} rows[] = {
		{0, LWBS_TYPE_STRING, false, false},   {1, LWBS_TYPE_STRING, false, false},
		{2, LWBS_TYPE_STRING, false, false},   {3, LWBS_TYPE_STRING, false, false},
		{4, LWBS_TYPE_NONE, false, true},      {5, LWBS_TYPE_NONE, false, false},
		{6, LWBS_TYPE_INTEGER, true, false},   {7, LWBS_TYPE_INTEGER, true, false},
		{8, LWBS_TYPE_INTEGER, true, false},   {9, LWBS_TYPE_INTEGER, false, false},
		{10, LWBS_TYPE_INTEGER, false, false}, {11, LWBS_TYPE_INTEGER, true, true},
		{12, LWBS_TYPE_NONE, false, false},    {13, LWBS_TYPE_TIME, false, false},
		{14, LWBS_TYPE_STRING, false, false},  {15, LWBS_TYPE_STRING, false, false},
		{16, LWBS_TYPE_STRING, false, true},   {17, LWBS_TYPE_STRING, false, false},
		{18, LWBS_TYPE_STRING, false, false},  {19, LWBS_TYPE_STRING, false, false},
		{20, LWBS_TYPE_INTEGER, false, false}, {21, LWBS_TYPE_INTEGER, false, false},
		{22, LWBS_TYPE_OBJLNK, true, false},
	};
	for (size_t vi = 0; vi < 3; vi++) {
		enum lwbs_version v = all_versions[vi];

		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			check_res(3, v, rows[i].rid, rows[i].t, rows[i].multiple, rows[i].mandatory);
		check_range(3, v, 6, 0, 7);
		check_range(3, v, 9, 0, 100);
		check_range(3, v, 20, 0, 6);
		CHECK_INT(res(3, v, 13)->ops, LWBS_OP_R | LWBS_OP_W);
	}
	check_range(3, LWBS_V1_0, 11, 0, 8);
	check_range(3, LWBS_V1_1, 11, 0, 8);
	check_range(3, LWBS_V1_2, 11, 0, 32);
}

static void test_apn(void)
{
	for (size_t vi = 0; vi < 3; vi++) {
		enum lwbs_version v = all_versions[vi];

		check_res(11, v, 0, LWBS_TYPE_STRING, false, true);
		check_res(11, v, 1, LWBS_TYPE_STRING, false, false);
		check_res(11, v, 2, LWBS_TYPE_BOOLEAN, false, false);
		check_res(11, v, 3, LWBS_TYPE_BOOLEAN, false, false);
		check_res(11, v, 4, LWBS_TYPE_INTEGER, false, true);
		check_range(11, v, 4, 0, 3);
		check_res(11, v, 8, LWBS_TYPE_STRING, true, false);
		check_res(11, v, 9, LWBS_TYPE_TIME, true, false);
		check_res(11, v, 11, LWBS_TYPE_INTEGER, true, false);
		check_range(11, v, 11, 0, 111);
		check_res(11, v, 15, LWBS_TYPE_STRING, true, false);
		check_res(11, v, 21, LWBS_TYPE_INTEGER, false, false);
		check_range(11, v, 21, 1, 9);
		check_res(11, v, 22, LWBS_TYPE_OBJLNK, false, false);
		check_res(11, v, 24, LWBS_TYPE_INTEGER, false, false);
		check_range(11, v, 24, 0, 3);
		check_res(11, v, 25, LWBS_TYPE_INTEGER, false, false);
	}
	CHECK(res(11, LWBS_V1_0, 26) == NULL);
	for (size_t vi = 1; vi < 3; vi++) {
		enum lwbs_version v = all_versions[vi];

		check_res(11, v, 26, LWBS_TYPE_UNSIGNED, false, false);
		check_res(11, v, 27, LWBS_TYPE_UNSIGNED, false, false);
		check_range(11, v, 27, 0, 4);
		check_res(11, v, 29, LWBS_TYPE_UNSIGNED, false, false);
		check_range(11, v, 29, 0, 4);
		check_res(11, v, 30, LWBS_TYPE_UNSIGNED, true, false);
		check_res(11, v, 31, LWBS_TYPE_STRING, true, false);
		check_res(11, v, 32, LWBS_TYPE_INTEGER, true, false);
		check_range(11, v, 33, 0, 15);
	}
}

static void test_oscore(void)
{
	for (size_t vi = 0; vi < 2; vi++) {
		enum lwbs_version v = all_versions[vi];

		check_res(21, v, 0, LWBS_TYPE_STRING, false, true);
		check_res(21, v, 1, LWBS_TYPE_STRING, false, true);
		check_res(21, v, 2, LWBS_TYPE_STRING, false, true);
		check_res(21, v, 3, LWBS_TYPE_INTEGER, false, false);
		check_res(21, v, 4, LWBS_TYPE_INTEGER, false, false);
		check_res(21, v, 5, LWBS_TYPE_STRING, false, false);
	}
	CHECK(res(21, LWBS_V1_0, 6) == NULL);
	check_res(21, LWBS_V1_1, 6, LWBS_TYPE_STRING, false, false);
	check_res(21, LWBS_V1_2, 0, LWBS_TYPE_OPAQUE, false, true);
	check_res(21, LWBS_V1_2, 1, LWBS_TYPE_OPAQUE, false, true);
	check_res(21, LWBS_V1_2, 2, LWBS_TYPE_OPAQUE, false, true);
	check_res(21, LWBS_V1_2, 3, LWBS_TYPE_INTEGER, false, false);
	check_res(21, LWBS_V1_2, 5, LWBS_TYPE_OPAQUE, false, false);
	check_res(21, LWBS_V1_2, 6, LWBS_TYPE_OPAQUE, false, false);
}

static void test_typer(void)
{
	enum lwbs_version v10 = LWBS_V1_0, v11 = LWBS_V1_1, v12 = LWBS_V1_2;
	struct lwbs_typer t = lwbs_model_typer(&v12);

	CHECK(t.fn == lwbs_model_type);
	CHECK(t.ctx == (void *)&v12);
	CHECK_INT(t.fn(t.ctx, 0, 0), LWBS_TYPE_STRING);
	CHECK_INT(t.fn(t.ctx, 1, 1), LWBS_TYPE_UNSIGNED);
	CHECK_INT(t.fn(t.ctx, 0, 30), LWBS_TYPE_STRING);

	CHECK_INT(lwbs_model_type(&v10, 1, 1), LWBS_TYPE_INTEGER);
	CHECK_INT(lwbs_model_type(&v11, 1, 1), LWBS_TYPE_INTEGER);
	CHECK_INT(lwbs_model_type(&v10, 0, 16), LWBS_TYPE_NONE); /* not in 1.0 */
	CHECK_INT(lwbs_model_type(&v11, 0, 16), LWBS_TYPE_UNSIGNED);
	CHECK_INT(lwbs_model_type(&v11, 21, 0), LWBS_TYPE_STRING);
	CHECK_INT(lwbs_model_type(&v12, 21, 0), LWBS_TYPE_OPAQUE);
	CHECK_INT(lwbs_model_type(&v11, 3, 13), LWBS_TYPE_TIME);
	CHECK_INT(lwbs_model_type(&v11, 2, 2), LWBS_TYPE_INTEGER);
	CHECK_INT(lwbs_model_type(&v11, 1, 10), LWBS_TYPE_OBJLNK);
	CHECK_INT(lwbs_model_type(&v11, 0, 1), LWBS_TYPE_BOOLEAN);
	CHECK_INT(lwbs_model_type(&v11, 0, 3), LWBS_TYPE_OPAQUE);
	/* executable and unknown resources, unknown objects */
	CHECK_INT(lwbs_model_type(&v11, 1, 8), LWBS_TYPE_NONE);
	CHECK_INT(lwbs_model_type(&v11, 3, 4), LWBS_TYPE_NONE);
	CHECK_INT(lwbs_model_type(&v11, 1, 99), LWBS_TYPE_NONE);
	CHECK_INT(lwbs_model_type(&v11, 5, 0), LWBS_TYPE_NONE);
	CHECK_INT(lwbs_model_type(NULL, 0, 0), LWBS_TYPE_NONE);
}

TEST_MAIN(test_version_parse, test_version_str, test_tables_consistent, test_unknown_objects,
	  test_version_mapping, test_security, test_server, test_acl, test_device, test_apn, test_oscore,
	  test_typer)
