/* lwbs — RADIUS binding journal: encode/decode, replay, torn tails,
 * compaction. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../src/radius/journal.h"
#include "lwbs/err.h"
#include "../test.h"

static struct lwbs_radius_binding mk(uint8_t status, uint8_t last, const char *sess, const char *imsi)
{
	struct lwbs_radius_binding b;

	memset(&b, 0, sizeof(b));
	b.status = status;
	b.has = LWBS_RADIUS_HAS_NAS_IPV4 | LWBS_RADIUS_HAS_IPV4;
	memcpy(b.nas_ipv4, "\xc0\x00\x02\x01", 4);
	memcpy(b.ipv4, "\x0a\x14\x1e\x00", 4);
	b.ipv4[3] = last;
	strcpy(b.session_id, sess);
	strcpy(b.imsi, imsi);
	return b;
}

static void test_crc32c(void)
{
	/* the CRC-32C check value */
	CHECK_INT(lwbs_radius_crc32c(0, "123456789", 9), 0xe3069283u);
	CHECK_INT(lwbs_radius_crc32c(lwbs_radius_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
}

static void test_roundtrip_and_truncation(void)
{
	struct lwbs_radius_binding b = mk(LWBS_RADIUS_START, 40, "C0000201000001F4", "262011234567890"), d;
	struct lwbs_buf buf;
	int64_t now;
	size_t used;

	b.has |= LWBS_RADIUS_HAS_IPV6 | LWBS_RADIUS_HAS_CHARGING_ID | LWBS_RADIUS_HAS_RAT |
		 LWBS_RADIUS_HAS_EVENT_TIME;
	b.ipv6[0] = 0x20;
	b.ipv6[1] = 0x01;
	b.ipv6_plen = 64;
	b.rat_type = 6;
	b.charging_id = 0x01020304;
	b.event_time = 1700000000;
	strcpy(b.msisdn, "491701234567");
	strcpy(b.imeisv, "3520990012345601");
	strcpy(b.mcc_mnc, "26201");
	strcpy(b.sgsn_mcc_mnc, "26202");
	strcpy(b.apn, "lwm2m.example");
	strcpy(b.nas_id, "pgw-1");
	memcpy(b.uli, "\x82\x62\xf2\x10\x00\x01", 6);
	b.uli_len = 6;
	lwbs_buf_init(&buf, 0);
	lwbs_radius_journal_encode(&buf, &b, 1700000000123LL);
	CHECK_INT(lwbs_buf_err(&buf), 0);
	CHECK_INT(lwbs_radius_journal_decode(buf.data, buf.len, &d, &now, &used), 0);
	CHECK_INT(used, buf.len);
	CHECK_INT(now, 1700000000123LL);
	CHECK(memcmp(&b, &d, sizeof(b)) == 0);
	/* every cut is truncated, never read past the end */
	for (size_t n = 0; n < buf.len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, buf.data, n);
		CHECK_INT(lwbs_radius_journal_decode(copy, n, &d, &now, &used), LWBS_ETRUNC);
		free(copy);
	}
	/* every flipped bit is caught by the CRC or the length checks */
	for (size_t i = 0; i < buf.len; i++) {
		buf.data[i] ^= 0x10;
		int r = lwbs_radius_journal_decode(buf.data, buf.len, &d, &now, &used);
		CHECK(r == -EBADMSG || r == LWBS_ETRUNC);
		buf.data[i] ^= 0x10;
	}
	lwbs_buf_finish(&buf);
}

static char path[64];

static size_t file_size(void)
{
	struct stat st;

	return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

static const char *imsi_at(struct lwbs_radius_table *t, uint8_t last)
{
	static struct lwbs_radius_binding out;
	uint8_t a[4] = {10, 20, 30, last};

	return lwbs_radius_table_lookup4(t, a, &out) ? "(none)" : out.imsi;
}

static void test_replay(void)
{
	struct lwbs_radius_table *t = lwbs_radius_table_create(), *t2;
	struct lwbs_radius_journal *j;
	struct lwbs_radius_journal_info info;
	struct lwbs_buf buf;
	char err[256];
	enum lwbs_radius_apply res;

	snprintf(path, sizeof(path), "/tmp/lwbs-journal-%d", (int)getpid());
	unlink(path);
	CHECK_INT(lwbs_radius_journal_open(path, t, &j, &info, err, sizeof(err)), 0);
	CHECK_INT(info.records, 0);
	CHECK_INT(file_size(), 8);

	lwbs_buf_init(&buf, 0);
	struct lwbs_radius_binding s1 = mk(LWBS_RADIUS_START, 1, "S1", "262010000000001");
	struct lwbs_radius_binding s2 = mk(LWBS_RADIUS_START, 2, "S2", "262010000000002");
	struct lwbs_radius_binding s3 = mk(LWBS_RADIUS_START, 1, "S3", "262010000000003");
	struct lwbs_radius_binding st2 = mk(LWBS_RADIUS_STOP, 2, "S2", "");
	struct lwbs_radius_binding *seq[] = {&s1, &s2, &s3, &st2};
	for (size_t i = 0; i < 4; i++) {
		CHECK_INT(lwbs_radius_table_apply(t, seq[i], 1000 + (int64_t)i, &res, NULL), 0);
		lwbs_radius_journal_encode(&buf, seq[i], 1000 + (int64_t)i);
	}
	CHECK_INT(lwbs_radius_journal_append(j, buf.data, buf.len), 0);
	CHECK_INT(lwbs_radius_journal_size(j), 8 + buf.len);
	lwbs_radius_journal_close(j);

	/* replay gives the same table */
	t2 = lwbs_radius_table_create();
	CHECK_INT(lwbs_radius_journal_open(path, t2, &j, &info, err, sizeof(err)), 0);
	CHECK_INT(info.records, 4);
	CHECK_INT(info.dropped_bytes, 0);
	CHECK_INT(lwbs_radius_table_count(t2), 1);
	CHECK_STR(imsi_at(t2, 1), "262010000000003");
	CHECK_STR(imsi_at(t2, 2), "(none)");
	struct lwbs_radius_binding got;
	CHECK_INT(lwbs_radius_table_lookup4(t2, s3.ipv4, &got), 0);
	CHECK_INT(got.updated, 1002);
	lwbs_radius_journal_close(j);
	lwbs_radius_table_destroy(t2);

	/* a torn last record (half of a Start) is dropped and truncated */
	size_t before = file_size();
	lwbs_buf_reset(&buf);
	struct lwbs_radius_binding s4 = mk(LWBS_RADIUS_START, 4, "S4", "262010000000004");
	lwbs_radius_journal_encode(&buf, &s4, 2000);
	int fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, buf.data, buf.len / 2), (long long)(buf.len / 2));
	close(fd);
	t2 = lwbs_radius_table_create();
	CHECK_INT(lwbs_radius_journal_open(path, t2, &j, &info, err, sizeof(err)), 0);
	CHECK_INT(info.records, 4);
	CHECK_INT(info.dropped_bytes, buf.len / 2);
	CHECK_INT(file_size(), before);
	CHECK_STR(imsi_at(t2, 4), "(none)");
	/* appending after the truncation works */
	CHECK_INT(lwbs_radius_journal_append(j, buf.data, buf.len), 0);
	lwbs_radius_journal_close(j);
	lwbs_radius_table_destroy(t2);

	/* compaction: one record per binding, same table */
	CHECK_INT(lwbs_radius_table_apply(t, &s4, 2000, &res, NULL), 0);
	t2 = lwbs_radius_table_create();
	CHECK_INT(lwbs_radius_journal_open(path, t2, &j, &info, err, sizeof(err)), 0);
	CHECK_INT(info.records, 5);
	lwbs_buf_reset(&buf);
	lwbs_radius_journal_snapshot(t2, &buf);
	CHECK_INT(lwbs_radius_journal_replace(j, buf.data, buf.len), 0);
	CHECK_INT(lwbs_radius_journal_size(j), file_size());
	/* and appends go to the new file */
	lwbs_buf_reset(&buf);
	struct lwbs_radius_binding st4 = mk(LWBS_RADIUS_STOP, 4, "S4", "");
	lwbs_radius_journal_encode(&buf, &st4, 2001);
	CHECK_INT(lwbs_radius_journal_append(j, buf.data, buf.len), 0);
	lwbs_radius_journal_close(j);
	lwbs_radius_table_destroy(t2);
	t2 = lwbs_radius_table_create();
	CHECK_INT(lwbs_radius_journal_open(path, t2, &j, &info, err, sizeof(err)), 0);
	CHECK_INT(info.records, 3);
	CHECK_INT(lwbs_radius_table_count(t2), 1);
	CHECK_STR(imsi_at(t2, 1), "262010000000003");
	CHECK_INT(lwbs_radius_table_lookup4(t2, s3.ipv4, &got), 0);
	CHECK_INT(got.updated, 1002);
	lwbs_radius_journal_close(j);
	lwbs_radius_table_destroy(t2);

	/* not a journal */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK_INT(write(fd, "hello world\n", 12), 12);
	close(fd);
	t2 = lwbs_radius_table_create();
	CHECK_INT(lwbs_radius_journal_open(path, t2, &j, &info, err, sizeof(err)), -EBADMSG);
	CHECK(strstr(err, "not a binding journal") != NULL);
	lwbs_radius_table_destroy(t2);

	lwbs_buf_finish(&buf);
	lwbs_radius_table_destroy(t);
	unlink(path);
}

TEST_MAIN(test_crc32c, test_roundtrip_and_truncation, test_replay)
