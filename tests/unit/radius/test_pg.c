/* lwbs — RADIUS bindings in PostgreSQL: the SQL of a batch (final state
 * of the touched addresses), without a database. */
#include <arpa/inet.h>
#include <errno.h>

#include "../../../src/radius/pg.h"
#include "../test.h"

static struct lwbs_radius_binding mk(uint8_t status, const char *ip4, const char *sess, const char *imsi)
{
	struct lwbs_radius_binding b;

	memset(&b, 0, sizeof(b));
	b.status = status;
	b.has = LWBS_RADIUS_HAS_NAS_IPV4;
	inet_pton(AF_INET, "192.0.2.1", b.nas_ipv4);
	if (ip4) {
		b.has |= LWBS_RADIUS_HAS_IPV4;
		inet_pton(AF_INET, ip4, b.ipv4);
	}
	strcpy(b.session_id, sess);
	strcpy(b.imsi, imsi);
	return b;
}

/* Applies b as the listener does: touch holders, apply, touch b. */
static void apply(struct lwbs_radius_table *t, struct lwbs_radius_pg_batch *k,
		  const struct lwbs_radius_binding *b, int64_t now)
{
	enum lwbs_radius_apply res;

	lwbs_radius_pg_batch_before(k, t, b);
	CHECK_INT(lwbs_radius_table_apply(t, b, now, &res, NULL), 0);
	if (res != LWBS_RADIUS_IGNORED)
		lwbs_radius_pg_batch_touch(k, b);
}

static void test_sql(void)
{
	struct lwbs_radius_table *t = lwbs_radius_table_create();
	struct lwbs_radius_pg_batch k;
	struct lwbs_buf sql;

	lwbs_radius_pg_batch_init(&k);
	lwbs_buf_init(&sql, 0);

	/* nothing touched: no SQL */
	CHECK_INT(lwbs_radius_pg_batch_sql(&k, t, &sql), 0);
	CHECK_INT(sql.len, 0);

	/* A holds 10.0.0.1 and 2001:db8:1::/64; B takes 10.0.0.1: A goes
	 * entirely, so its prefix row is deleted */
	struct lwbs_radius_binding a = mk(LWBS_RADIUS_START, "10.0.0.1", "S-A", "262010000000001");
	a.has |= LWBS_RADIUS_HAS_IPV6;
	inet_pton(AF_INET6, "2001:db8:1::", a.ipv6);
	a.ipv6_plen = 64;
	strcpy(a.apn, "it's\\iot\x80");
	strcpy(a.sgsn_mcc_mnc, "26202");
	apply(t, &k, &a, 1700000000123LL);
	CHECK_INT(lwbs_radius_pg_batch_sql(&k, t, &sql), 0);
	CHECK_STR((const char *)sql.data,
		  "INSERT INTO radius_bindings (address, imsi, msisdn, imei, apn, nas, acct_session_id, "
		  "serving_plmn, updated_at) VALUES\n"
		  "('10.0.0.1',E'262010000000001',NULL,NULL,E'it\\'s\\\\iot?',E'192.0.2.1',E'S-A',E'26202',"
		  "to_timestamp(1700000000123 / 1000.0)),\n"
		  "('2001:db8:1::/64',E'262010000000001',NULL,NULL,E'it\\'s\\\\iot?',E'192.0.2.1',E'S-A',E'26202',"
		  "to_timestamp(1700000000123 / 1000.0))\n"
		  "ON CONFLICT (address) DO UPDATE SET imsi = EXCLUDED.imsi, msisdn = EXCLUDED.msisdn, "
		  "imei = EXCLUDED.imei, apn = EXCLUDED.apn, nas = EXCLUDED.nas, "
		  "acct_session_id = EXCLUDED.acct_session_id, serving_plmn = EXCLUDED.serving_plmn, "
		  "updated_at = EXCLUDED.updated_at;\n");
	CHECK_INT(strlen((const char *)sql.data), sql.len);

	lwbs_radius_pg_batch_reset(&k);
	lwbs_buf_reset(&sql);
	struct lwbs_radius_binding b = mk(LWBS_RADIUS_START, "10.0.0.1", "S-B", "262010000000002");
	apply(t, &k, &b, 2000);
	/* the same address twice in a batch: one row */
	apply(t, &k, &b, 2000);
	CHECK_INT(lwbs_radius_pg_batch_sql(&k, t, &sql), 0);
	CHECK(strstr((const char *)sql.data,
		     "DELETE FROM radius_bindings WHERE address IN ('2001:db8:1::/64');\n"
		     "INSERT INTO") == (const char *)sql.data);
	CHECK(strstr((const char *)sql.data, "('10.0.0.1',E'262010000000002',") != NULL);
	CHECK(strstr((const char *)sql.data, "),\n(") == NULL);

	/* a Stop of another session changes nothing; Accounting-On deletes
	 * every binding of the NAS, also those not in the batch */
	lwbs_radius_pg_batch_reset(&k);
	lwbs_buf_reset(&sql);
	struct lwbs_radius_binding c = mk(LWBS_RADIUS_START, "10.0.0.3", "S-C", "262010000000003");
	apply(t, &k, &c, 3000);
	struct lwbs_radius_binding stop = mk(LWBS_RADIUS_STOP, "10.0.0.3", "S-X", "");
	apply(t, &k, &stop, 3001);
	CHECK_INT(lwbs_radius_pg_batch_sql(&k, t, &sql), 0);
	CHECK(strstr((const char *)sql.data, "DELETE") == NULL);
	lwbs_radius_pg_batch_reset(&k);
	lwbs_buf_reset(&sql);
	struct lwbs_radius_binding on = mk(LWBS_RADIUS_ACCT_ON, NULL, "", "");
	apply(t, &k, &on, 4000);
	CHECK_INT(lwbs_radius_pg_batch_sql(&k, t, &sql), 0);
	CHECK_STR((const char *)sql.data, "DELETE FROM radius_bindings WHERE address IN ('10.0.0.1','10.0.0.3');\n");

	/* a failed batch merged into the next one is written again */
	struct lwbs_radius_pg_batch k2;
	lwbs_radius_pg_batch_init(&k2);
	lwbs_radius_pg_batch_merge(&k2, &k);
	lwbs_buf_reset(&sql);
	CHECK_INT(lwbs_radius_pg_batch_sql(&k2, t, &sql), 0);
	CHECK_STR((const char *)sql.data, "DELETE FROM radius_bindings WHERE address IN ('10.0.0.1','10.0.0.3');\n");

	lwbs_radius_pg_batch_finish(&k2);
	lwbs_radius_pg_batch_finish(&k);
	lwbs_buf_finish(&sql);
	lwbs_radius_table_destroy(t);
}

TEST_MAIN(test_sql)
