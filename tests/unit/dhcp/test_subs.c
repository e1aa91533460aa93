/* Unit tests: lwbs-dhcpd following the RADIUS binding journal (subs.c):
 * start-up replay, appended records, torn and corrupt tails, bounded
 * refreshes, compaction and the address -> PLMN -> URI lookup. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dhcpd.h"
#include "journal.h"
#include "lwbs/buf.h"
#include "../test.h"

#define URI_A "coaps://bs-a.example:5684"
#define URI_B "coaps://bs-b.example:5684"

static char dir[] = "/tmp/lwbs-dhcpd-subs-XXXXXX";
static char path[256];

static struct lwbs_radius_binding binding(uint8_t status, const char *ip, const char *imsi,
					  const char *mcc_mnc, const char *session)
{
	struct lwbs_radius_binding b;

	memset(&b, 0, sizeof(b));
	b.status = status;
	if (strchr(ip, ':')) {
		inet_pton(AF_INET6, ip, b.ipv6);
		b.ipv6_plen = 64;
		b.has = LWBS_RADIUS_HAS_IPV6;
	} else {
		inet_pton(AF_INET, ip, b.ipv4);
		b.has = LWBS_RADIUS_HAS_IPV4;
	}
	b.has |= LWBS_RADIUS_HAS_NAS_IPV4;
	inet_pton(AF_INET, "192.0.2.1", b.nas_ipv4);
	snprintf(b.imsi, sizeof(b.imsi), "%s", imsi);
	snprintf(b.mcc_mnc, sizeof(b.mcc_mnc), "%s", mcc_mnc);
	snprintf(b.session_id, sizeof(b.session_id), "%s", session);
	return b;
}

static void put(struct lwbs_buf *out, uint8_t status, const char *ip, const char *mcc_mnc,
		const char *session)
{
	struct lwbs_radius_binding b = binding(status, ip, "262011234567890", mcc_mnc, session);
	lwbs_radius_journal_encode(out, &b, 1000);
}

static void write_at(const char *p, const void *data, size_t n, int flags)
{
	int fd = open(p, O_WRONLY | O_CREAT | flags, 0600);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void append(const void *data, size_t n)
{
	write_at(path, data, n, O_APPEND);
}

static struct dhcpd_subs_conf conf(void)
{
	struct dhcpd_subs_conf c;

	memset(&c, 0, sizeof(c));
	snprintf(c.journal, sizeof(c.journal), "%s", path);
	c.refresh = 5;
	snprintf(c.by_plmn[0].plmn, sizeof(c.by_plmn[0].plmn), "26201");
	snprintf(c.by_plmn[0].uri, sizeof(c.by_plmn[0].uri), URI_A);
	c.by_plmn[0].uri_len = strlen(URI_A);
	snprintf(c.by_plmn[1].plmn, sizeof(c.by_plmn[1].plmn), "310410");
	snprintf(c.by_plmn[1].uri, sizeof(c.by_plmn[1].uri), URI_B);
	c.by_plmn[1].uri_len = strlen(URI_B);
	c.n_plmn = 2;
	return c;
}

/* The URI for a client address, or NULL when the lookup misses. */
static const char *uri_of(struct dhcpd_subs *s, const char *ip)
{
	const char *uri = NULL;
	size_t len = 0;
	int r;

	if (strchr(ip, ':')) {
		struct sockaddr_in6 a = {.sin6_family = AF_INET6};
		inet_pton(AF_INET6, ip, &a.sin6_addr);
		r = dhcpd_subs_lookup(s, (struct sockaddr *)&a, &uri, &len);
	} else {
		struct sockaddr_in a = {.sin_family = AF_INET};
		inet_pton(AF_INET, ip, &a.sin_addr);
		r = dhcpd_subs_lookup(s, (struct sockaddr *)&a, &uri, &len);
	}
	if (r) {
		CHECK_INT(r, -ENOENT);
		return NULL;
	}
	CHECK_INT(len, strlen(uri));
	return uri;
}

static size_t bindings(struct dhcpd_subs *s)
{
	struct dhcpd_subs_stats st;
	dhcpd_subs_stats(s, &st);
	return st.bindings;
}

static void new_journal(void)
{
	unlink(path);
	write_at(path, "LWBSRJ1\n", 8, O_TRUNC);
}

static void test_lookup(void)
{
	struct lwbs_buf b;
	char err[256] = "";

	new_journal();
	lwbs_buf_init(&b, 1 << 20);
	put(&b, LWBS_RADIUS_START, "10.0.0.1", "26201", "s1");
	put(&b, LWBS_RADIUS_START, "10.0.0.2", "", "s2");     /* no MCC-MNC: IMSI alone */
	put(&b, LWBS_RADIUS_START, "10.0.0.3", "99999", "s3"); /* PLMN not configured */
	put(&b, LWBS_RADIUS_START, "2001:db8:1::", "310410", "s4");
	append(b.data, b.len);
	lwbs_buf_finish(&b);

	struct dhcpd_subs_conf c = conf();
	struct dhcpd_subs *s = dhcpd_subs_create(&c, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(bindings(s), 4);
	CHECK_STR(uri_of(s, "10.0.0.1"), URI_A);
	CHECK(uri_of(s, "10.0.0.2") == NULL);
	CHECK(uri_of(s, "10.0.0.3") == NULL);
	CHECK(uri_of(s, "10.0.0.9") == NULL);
	CHECK(uri_of(s, "0.0.0.0") == NULL);
	CHECK_STR(uri_of(s, "2001:db8:1::42"), URI_B);
	CHECK(uri_of(s, "2001:db8:2::42") == NULL);
	dhcpd_subs_destroy(s);
}

static void test_follow(void)
{
	struct lwbs_buf b;
	char err[256] = "";
	struct dhcpd_subs_stats st;

	new_journal();
	struct dhcpd_subs_conf c = conf();
	struct dhcpd_subs *s = dhcpd_subs_create(&c, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(bindings(s), 0);

	/* appended, then a record torn at every length until it is whole */
	lwbs_buf_init(&b, 1 << 20);
	put(&b, LWBS_RADIUS_START, "10.0.0.1", "26201", "s1");
	append(b.data, b.len);
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	CHECK_STR(uri_of(s, "10.0.0.1"), URI_A);
	lwbs_buf_reset(&b);
	put(&b, LWBS_RADIUS_START, "10.0.0.2", "26201", "s2");
	for (size_t i = 0; i < b.len; i++) {
		append(b.data + i, 1);
		dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
		CHECK(i + 1 == b.len ? uri_of(s, "10.0.0.2") != NULL : uri_of(s, "10.0.0.2") == NULL);
	}

	/* a Stop removes the binding */
	lwbs_buf_reset(&b);
	put(&b, LWBS_RADIUS_STOP, "10.0.0.1", "26201", "s1");
	append(b.data, b.len);
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	CHECK(uri_of(s, "10.0.0.1") == NULL);
	CHECK_INT(bindings(s), 1);

	/* a corrupt record stops the reader there until it is rewritten */
	lwbs_buf_reset(&b);
	put(&b, LWBS_RADIUS_START, "10.0.0.3", "26201", "s3");
	struct stat sb;
	CHECK_INT(stat(path, &sb), 0);
	off_t good = sb.st_size;
	b.data[b.len - 1] ^= 1;
	append(b.data, b.len);
	b.data[b.len - 1] ^= 1;
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	CHECK(uri_of(s, "10.0.0.3") == NULL);
	CHECK_INT(truncate(path, good), 0);
	append(b.data, b.len);
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	CHECK_STR(uri_of(s, "10.0.0.3"), URI_A);

	/* a backlog larger than one refresh is read over several */
	lwbs_buf_reset(&b);
	for (int i = 0; i < 2000; i++) {
		char ip[32], sid[16];
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 200, i % 200 + 1);
		snprintf(sid, sizeof(sid), "b%d", i);
		put(&b, LWBS_RADIUS_START, ip, "26201", sid);
	}
	CHECK(b.len > 2 * 65536);
	append(b.data, b.len);
	dhcpd_subs_stats(s, &st);
	uint64_t before = st.records;
	dhcpd_subs_refresh(s, 1);
	dhcpd_subs_stats(s, &st);
	CHECK(st.records > before && st.records < before + 2000);
	CHECK(uri_of(s, "10.1.9.200") == NULL);
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	CHECK_STR(uri_of(s, "10.1.9.200"), URI_A);
	CHECK_INT(bindings(s), 2002);
	lwbs_buf_finish(&b);
	dhcpd_subs_destroy(s);
}

static void test_compaction(void)
{
	struct lwbs_buf b;
	char err[256] = "", tmp[300];
	struct dhcpd_subs_stats st;

	new_journal();
	lwbs_buf_init(&b, 1 << 20);
	put(&b, LWBS_RADIUS_START, "10.0.0.1", "26201", "s1");
	put(&b, LWBS_RADIUS_START, "10.0.0.2", "26201", "s2");
	append(b.data, b.len);
	struct dhcpd_subs_conf c = conf();
	struct dhcpd_subs *s = dhcpd_subs_create(&c, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(bindings(s), 2);

	/* replaced by rename (as lwbs_radius_journal_replace does) */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	lwbs_buf_reset(&b);
	lwbs_buf_put(&b, "LWBSRJ1\n", 8);
	put(&b, LWBS_RADIUS_START, "10.0.0.5", "310410", "s5");
	write_at(tmp, b.data, b.len, O_TRUNC);
	CHECK_INT(rename(tmp, path), 0);
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	CHECK(uri_of(s, "10.0.0.1") == NULL);
	CHECK_STR(uri_of(s, "10.0.0.5"), URI_B);
	dhcpd_subs_stats(s, &st);
	CHECK_INT(st.reloads, 2);
	CHECK_INT(st.bindings, 1);

	/* rewritten in place, shorter than what was read: replayed */
	lwbs_buf_reset(&b);
	put(&b, LWBS_RADIUS_START, "10.0.0.6", "26201", "s6");
	CHECK_INT(truncate(path, 8), 0);
	append(b.data, 20);
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	append(b.data + 20, b.len - 20);
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	CHECK(uri_of(s, "10.0.0.5") == NULL);
	CHECK_STR(uri_of(s, "10.0.0.6"), URI_A);

	/* a replacement that is no journal leaves the table as it was */
	write_at(tmp, "not a journal at all", 20, O_TRUNC);
	CHECK_INT(rename(tmp, path), 0);
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	CHECK_STR(uri_of(s, "10.0.0.6"), URI_A);
	lwbs_buf_finish(&b);
	dhcpd_subs_destroy(s);
}

static void test_start(void)
{
	char err[256] = "";
	struct lwbs_buf b;

	/* missing at start: empty, opened once it exists */
	unlink(path);
	struct dhcpd_subs_conf c = conf();
	struct dhcpd_subs *s = dhcpd_subs_create(&c, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(uri_of(s, "10.0.0.1") == NULL);
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	lwbs_buf_init(&b, 1 << 20);
	lwbs_buf_put(&b, "LWBSRJ1\n", 8);
	put(&b, LWBS_RADIUS_START, "10.0.0.1", "26201", "s1");
	write_at(path, b.data, b.len, O_TRUNC);
	lwbs_buf_finish(&b);
	dhcpd_subs_refresh(s, DHCPD_SUBS_REFRESH_BYTES);
	CHECK_STR(uri_of(s, "10.0.0.1"), URI_A);
	dhcpd_subs_destroy(s);

	/* not a journal: refused at start */
	write_at(path, "LWBSRJ0\nxxxxxxxx", 16, O_TRUNC);
	s = dhcpd_subs_create(&c, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, "not a binding journal") != NULL);
	dhcpd_subs_destroy(s);
}

static void setup(void)
{
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/bindings.journal", dir);
}

static void teardown(void)
{
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	unlink(path);
	CHECK_INT(rmdir(dir), 0);
}

TEST_MAIN(setup, test_lookup, test_follow, test_compaction, test_start, teardown)
