/* Unit tests: src/coap/dtls.c without sockets — the subject fields of a
 * client certificate (CN, SAN, serial) read from DER made here with
 * OpenSSL (CN, SAN, serial, DN), malformed and truncated DER refused, and the per-source limit
 * on handshakes that do not complete. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../test.h"
#include "../../../src/coap/dtls.h"
#include "../../../src/daemon/loop.h"

/* A self-signed P-256 certificate with subject CN=cn (and O=lwbs before
 * it), serial, and a URI SAN when san is set. DER into *der (caller frees
 * with OPENSSL_free); its length. */
static int make_cert(const char *cn, const char *san, long serial, uint8_t **der)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	int len;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_UTF8, (const unsigned char *)"lwbs", -1, -1, 0);
	if (cn)
		X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, nm);
	X509_set_pubkey(x, k);
	if (san) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);

		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	X509_sign(x, k, EVP_sha256());
	*der = NULL;
	len = i2d_X509(x, der);
	X509_NAME_free(nm);
	X509_free(x);
	EVP_PKEY_free(k);
	return len;
}

static void test_subject_fields(void)
{
	uint8_t *der;
	int len = make_cert("urn:imei:490154203237518", "URI:urn:dev:ops:0004A3-X-1", 0x0A1B2C, &der);
	char out[128];

	CHECK(len > 0);
	CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)len, LWBS_DTLS_SUBJECT_CN, out, sizeof(out)), 0);
	CHECK_STR(out, "urn:imei:490154203237518");
	CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)len, LWBS_DTLS_SUBJECT_SAN, out, sizeof(out)), 0);
	CHECK_STR(out, "urn:dev:ops:0004A3-X-1");
	CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)len, LWBS_DTLS_SUBJECT_SERIAL, out, sizeof(out)), 0);
	CHECK_STR(out, "0a1b2c");
	CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)len, LWBS_DTLS_SUBJECT_DN, out, sizeof(out)), 0);
	CHECK_STR(out, "CN=urn:imei:490154203237518,O=lwbs");
	/* exactly fits / one byte short */
	CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)len, LWBS_DTLS_SUBJECT_CN, out, 25), 0);
	CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)len, LWBS_DTLS_SUBJECT_CN, out, 24), -E2BIG);
	/* every truncation is refused, never read past */
	for (int i = 0; i < len; i++)
		CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)i, LWBS_DTLS_SUBJECT_CN, out, sizeof(out)), -EINVAL);
	der[0] ^= 0xff;
	CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)len, LWBS_DTLS_SUBJECT_CN, out, sizeof(out)), -EINVAL);
	OPENSSL_free(der);

	/* no SAN, no CN */
	len = make_cert(NULL, NULL, 7, &der);
	CHECK(len > 0);
	CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)len, LWBS_DTLS_SUBJECT_SAN, out, sizeof(out)), -ENOENT);
	CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)len, LWBS_DTLS_SUBJECT_CN, out, sizeof(out)), -ENOENT);
	CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)len, LWBS_DTLS_SUBJECT_SERIAL, out, sizeof(out)), 0);
	CHECK_STR(out, "07");
	OPENSSL_free(der);

	/* the last CN counts; a DNS SAN is taken when there is no URI first */
	len = make_cert("second", "DNS:dev.example", 1, &der);
	CHECK_INT(lwbs_dtls_cert_subject(der, (size_t)len, LWBS_DTLS_SUBJECT_SAN, out, sizeof(out)), 0);
	CHECK_STR(out, "dev.example");
	OPENSSL_free(der);
}

static int no_lookup(void *arg, enum lwbs_ident_kind kind, const char *value, size_t len, const uint8_t **key,
		     size_t *key_len)
{
	return -ENOENT;
}

static struct sockaddr_in v4(const char *ip, unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static void test_limit(void)
{
	struct lwbs_loop *loop = lwbs_loop_create();
	coap_context_t *ctx;
	struct lwbs_dtls *d = NULL;
	struct lwbs_dtls_conf c = {.loop = loop, .lookup = no_lookup, .max_failures = 3, .window_s = 60,
				    .block_s = 60};
	struct sockaddr_in bad = v4("192.0.2.1", 40000), bad2 = v4("192.0.2.1", 40001), good = v4("192.0.2.2", 5000);
	struct sockaddr_in6 mapped = {.sin6_family = AF_INET6};
	char err[256];

	coap_startup();
	ctx = coap_new_context(NULL);
	CHECK(loop && ctx);
	CHECK_INT(lwbs_dtls_create(ctx, &c, &d, err, sizeof(err)), 0);
	if (!d)
		return;
	/* three incomplete handshakes are tolerated, the fourth blocks; the
	 * port does not matter */
	CHECK(!lwbs_dtls_note_start(d, (struct sockaddr *)&bad));
	CHECK(!lwbs_dtls_note_start(d, (struct sockaddr *)&bad2));
	CHECK(!lwbs_dtls_note_start(d, (struct sockaddr *)&bad));
	CHECK(!lwbs_dtls_blocked(d, (struct sockaddr *)&bad));
	CHECK(lwbs_dtls_note_start(d, (struct sockaddr *)&bad));
	CHECK(lwbs_dtls_blocked(d, (struct sockaddr *)&bad));
	CHECK(lwbs_dtls_blocked(d, (struct sockaddr *)&bad2));
	/* the same address written as IPv4-mapped IPv6 */
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &mapped.sin6_addr);
	CHECK(lwbs_dtls_blocked(d, (struct sockaddr *)&mapped));
	/* a device whose handshakes complete is never blocked */
	for (int i = 0; i < 20; i++) {
		CHECK(!lwbs_dtls_note_start(d, (struct sockaddr *)&good));
		lwbs_dtls_note_connected(d, (struct sockaddr *)&good);
	}
	CHECK(!lwbs_dtls_blocked(d, (struct sockaddr *)&good));
	lwbs_dtls_destroy(d);

	/* max_failures 0: no limit */
	c.max_failures = 0;
	CHECK_INT(lwbs_dtls_create(ctx, &c, &d, err, sizeof(err)), 0);
	for (int i = 0; i < 100; i++)
		CHECK(!lwbs_dtls_note_start(d, (struct sockaddr *)&bad));
	CHECK(!lwbs_dtls_blocked(d, (struct sockaddr *)&bad));
	lwbs_dtls_destroy(d);

	/* block_s 0: counted, but nothing stays blocked */
	c.max_failures = 1;
	c.block_s = 0;
	CHECK_INT(lwbs_dtls_create(ctx, &c, &d, err, sizeof(err)), 0);
	lwbs_dtls_note_start(d, (struct sockaddr *)&bad);
	lwbs_dtls_note_start(d, (struct sockaddr *)&bad);
	CHECK(!lwbs_dtls_blocked(d, (struct sockaddr *)&bad));
	lwbs_dtls_destroy(d);
	lwbs_dtls_destroy(NULL);
	coap_free_context(ctx);
	coap_cleanup();
	lwbs_loop_destroy(loop);
}

TEST_MAIN(test_subject_fields, test_limit)
