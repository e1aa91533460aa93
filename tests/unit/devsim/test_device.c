/* Unit tests: the devsim device model answering the Bootstrap interface. */
#include <errno.h>

#include "../test.h"
#include "device.h"
#include "lwbs/codec.h"

#define URI "coap://10.0.0.1:5683"

/* STANDARDS.md §3.5: Security /0/x, URI, server account, SSID 1. */
static const uint8_t tlv_sec[] = {
	0xC8, 0x00, 0x14, 'c', 'o', 'a', 'p', ':', '/', '/', '1', '0', '.', '0', '.', '0', '.', '1', ':',
	'5', '6', '8', '3', 0xC1, 0x01, 0x00, 0xC1, 0x02, 0x03, 0xC1, 0x0A, 0x01,
};
/* A second Bootstrap-Server account (resource 1 = true). */
static const uint8_t tlv_bs[] = {
	0xC8, 0x00, 0x14, 'c', 'o', 'a', 'p', ':', '/', '/', '1', '0', '.', '0', '.', '0', '.', '1', ':',
	'5', '6', '8', '3', 0xC1, 0x01, 0x01, 0xC1, 0x02, 0x03,
};
/* §3.5: Server instance, ssid 1, lifetime 86400, storing true, binding U. */
static const uint8_t tlv_srv[] = {0xC1, 0x00, 0x01, 0xC4, 0x01, 0x00, 0x01, 0x51, 0x80,
				  0xC1, 0x06, 0x01, 0xC1, 0x07, 0x55};
/* §3.5: SenML CBOR of /0/0 (URI, false, NoSec). */
static const uint8_t senml_cbor_sec[] = {
	0x83, 0xa3, 0x21, 0x65, 0x2f, 0x30, 0x2f, 0x30, 0x2f, 0x00, 0x61, 0x30, 0x03, 0x74, 'c', 'o',
	'a', 'p', ':', '/', '/', '1', '0', '.', '0', '.', '0', '.', '1', ':', '5', '6', '8', '3',
	0xa2, 0x00, 0x61, 0x31, 0x04, 0xf4, 0xa2, 0x00, 0x61, 0x32, 0x02, 0x03,
};
/* §3.5: LwM2M CBOR {[0,0]: {0: URI, 1: false, 2: 3}}. */
static const uint8_t lwm2m_cbor_sec[] = {
	0xa1, 0x82, 0x00, 0x00, 0xa3, 0x00, 0x74, 'c', 'o', 'a', 'p', ':', '/', '/', '1', '0', '.',
	'0', '.', '0', '.', '1', ':', '5', '6', '8', '3', 0x01, 0xf4, 0x02, 0x03,
};

struct fix {
	struct devsim_device dev;
	struct lwbs_buf body;
	struct devsim_resp resp;
};

static void setup(struct fix *f, enum lwbs_version v, uint16_t bs_iid, bool fail_finish)
{
	struct devsim_device_conf c = {v, bs_iid, "coap://bs.example:5683", "urn:imei:1", fail_finish};
	CHECK_INT(devsim_device_init(&f->dev, &c), 0);
	lwbs_buf_init(&f->body, 0);
}

static void teardown(struct fix *f)
{
	devsim_device_finish(&f->dev);
	lwbs_buf_finish(&f->body);
}

static uint8_t req(struct fix *f, uint8_t method, const char *path, int cf, int accept,
		   const void *p, size_t n)
{
	struct devsim_req r = {method, path, cf, accept, p, n};
	lwbs_buf_reset(&f->body);
	f->resp.body = &f->body;
	f->resp.code = 0;
	devsim_device_handle(&f->dev, &r, &f->resp);
	lwbs_buf_putc(&f->body, 0);
	f->body.len--;
	return f->resp.code;
}

static const char *body(struct fix *f)
{
	return (const char *)f->body.data;
}

static const char *json(struct fix *f)
{
	static char out[4096];
	struct lwbs_buf b;
	lwbs_buf_init_fixed(&b, out, sizeof(out) - 1);
	CHECK_INT(devsim_device_json(&f->dev, &b), 0);
	out[b.len] = 0;
	return out;
}

static void test_factory_and_discover(void)
{
	struct fix f;

	setup(&f, LWBS_V1_0, 0, false);
	CHECK_STR(json(&f), "{\"/0/0/0\":\"coap://bs.example:5683\",\"/0/0/1\":true,\"/0/0/2\":3,"
			    "\"/3/0/0\":\"lwbs\",\"/3/0/1\":\"lwbs-devsim\",\"/3/0/2\":\"urn:imei:1\","
			    "\"/3/0/3\":\"1.0\",\"/3/0/11/0\":0,\"/3/0/16\":\"U\"}");
	CHECK_INT(req(&f, DEVSIM_GET, "/", -1, 40, NULL, 0), DEVSIM_CONTENT);
	CHECK_INT(f.resp.cf, LWBS_CF_LINK);
	CHECK_STR(body(&f), "lwm2m=\"1.0\",</0/0>,</1>,</2>,</3/0>,</11>");
	teardown(&f);

	setup(&f, LWBS_V1_1, 0, false);
	CHECK_INT(req(&f, DEVSIM_GET, "/", -1, 40, NULL, 0), DEVSIM_CONTENT);
	CHECK_STR(body(&f), "</>;lwm2m=1.1,</0/0>,</1>,</2>,</3/0>,</11>,</21>");
	CHECK_INT(req(&f, DEVSIM_GET, "/0", -1, 40, NULL, 0), DEVSIM_CONTENT);
	CHECK_STR(body(&f), "</0/0>");
	CHECK_INT(req(&f, DEVSIM_GET, "/1", -1, 40, NULL, 0), DEVSIM_CONTENT);
	CHECK_STR(body(&f), "</1>");
	CHECK_INT(req(&f, DEVSIM_GET, "/0/0", -1, 40, NULL, 0), DEVSIM_BAD_REQUEST);
	CHECK_INT(req(&f, DEVSIM_GET, "/5", -1, 40, NULL, 0), DEVSIM_NOT_FOUND);
	CHECK_INT(req(&f, DEVSIM_GET, "/", -1, 112, NULL, 0), DEVSIM_NOT_ACCEPTABLE);
	teardown(&f);

	setup(&f, LWBS_V1_2, 7, false);
	CHECK_INT(req(&f, DEVSIM_GET, "/", -1, -1, NULL, 0), DEVSIM_CONTENT);
	CHECK_STR(body(&f), "</>;lwm2m=1.2,</0/7>,</1>,</2>;ver=1.1,</3/0>,</11>;ver=1.1,</21>;ver=2.0");
	teardown(&f);
}

static void test_write_discover_finish(void)
{
	struct fix f;

	setup(&f, LWBS_V1_1, 0, false);
	CHECK_INT(req(&f, DEVSIM_POST, "/bs", -1, -1, NULL, 0), DEVSIM_NOT_ACCEPTABLE);
	CHECK_STR(body(&f), "no Security instance for a LwM2M server");
	CHECK(!f.dev.finished);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/1", LWBS_CF_TLV, -1, tlv_sec, sizeof(tlv_sec)), DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_POST, "/bs", -1, -1, NULL, 0), DEVSIM_NOT_ACCEPTABLE);
	CHECK_STR(body(&f), "no Server instance with the Short Server ID of a Security instance");
	CHECK_INT(req(&f, DEVSIM_PUT, "/1/0", LWBS_CF_TLV, -1, tlv_srv, sizeof(tlv_srv)), DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_GET, "/", -1, 40, NULL, 0), DEVSIM_CONTENT);
	CHECK_STR(body(&f), "</>;lwm2m=1.1,</0/0>,</0/1>;ssid=1;uri=\"" URI "\",</1/0>;ssid=1,</2>,</3/0>,</11>,</21>");
	CHECK_INT(req(&f, DEVSIM_POST, "/bs", -1, -1, NULL, 0), DEVSIM_CHANGED);
	CHECK(f.dev.finished);
	const char *why = NULL;
	CHECK_INT(devsim_device_check(&f.dev, &why), 0);
	teardown(&f);

	/* 1.0 Discover: ssid without uri. */
	setup(&f, LWBS_V1_0, 0, false);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0", LWBS_CF_TLV, -1,
		      (const uint8_t[]){0x08, 0x01, 0x20, 0xC8, 0x00, 0x14, 'c', 'o', 'a', 'p', ':', '/',
					'/', '1', '0', '.', '0', '.', '0', '.', '1', ':', '5', '6', '8',
					'3', 0xC1, 0x01, 0x00, 0xC1, 0x02, 0x03, 0xC1, 0x0A, 0x01},
		      35),
		  DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_GET, "/0", -1, 40, NULL, 0), DEVSIM_CONTENT);
	CHECK_STR(body(&f), "</0/0>,</0/1>;ssid=1");
	teardown(&f);

	setup(&f, LWBS_V1_1, 0, true);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/1", LWBS_CF_TLV, -1, tlv_sec, sizeof(tlv_sec)), DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_PUT, "/1/0", LWBS_CF_TLV, -1, tlv_srv, sizeof(tlv_srv)), DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_POST, "/bs", -1, -1, NULL, 0), DEVSIM_NOT_ACCEPTABLE);
	CHECK_STR(body(&f), "forced by --fail-finish");
	CHECK(!f.dev.finished);
	CHECK_INT(req(&f, DEVSIM_GET, "/bs", -1, -1, NULL, 0), DEVSIM_NOT_ALLOWED);
	teardown(&f);
}

static void test_write_formats(void)
{
	struct fix f;
	const char *sj = "[{\"bn\":\"/0/0/\",\"n\":\"0\",\"vs\":\"" URI "\"},{\"n\":\"1\",\"vb\":false},{\"n\":\"2\",\"v\":3}]";

	/* 1.0 has no SenML; LwM2M CBOR only from 1.2. */
	setup(&f, LWBS_V1_0, 5, false);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", LWBS_CF_SENML_CBOR, -1, senml_cbor_sec, sizeof(senml_cbor_sec)),
		  DEVSIM_UNSUPPORTED_CF);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", -1, -1, tlv_sec, sizeof(tlv_sec)), DEVSIM_UNSUPPORTED_CF);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", LWBS_CF_OLD_TLV, -1, tlv_sec, sizeof(tlv_sec)), DEVSIM_CHANGED);
	teardown(&f);

	setup(&f, LWBS_V1_1, 5, false);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", LWBS_CF_LWM2M_CBOR, -1, lwm2m_cbor_sec, sizeof(lwm2m_cbor_sec)),
		  DEVSIM_UNSUPPORTED_CF);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", LWBS_CF_SENML_CBOR, -1, senml_cbor_sec, sizeof(senml_cbor_sec)),
		  DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", LWBS_CF_SENML_JSON, -1, sj, strlen(sj)), DEVSIM_CHANGED);
	/* Text on a resource, refused on an instance. */
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0/10", LWBS_CF_TEXT, -1, "42", 2), DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", LWBS_CF_TEXT, -1, "42", 2), DEVSIM_UNSUPPORTED_CF);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0/10", LWBS_CF_TEXT, -1, "x", 1), DEVSIM_BAD_REQUEST);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0/3", LWBS_CF_OPAQUE, -1, "\x01\x02", 2), DEVSIM_CHANGED);
	CHECK_STR(json(&f), "{\"/0/0/0\":\"" URI "\",\"/0/0/1\":false,\"/0/0/2\":3,\"/0/0/3\":{\"hex\":\"0102\"},"
			    "\"/0/0/10\":42,"
			    "\"/0/5/0\":\"coap://bs.example:5683\",\"/0/5/1\":true,\"/0/5/2\":3,"
			    "\"/3/0/0\":\"lwbs\",\"/3/0/1\":\"lwbs-devsim\",\"/3/0/2\":\"urn:imei:1\","
			    "\"/3/0/3\":\"1.0\",\"/3/0/11/0\":0,\"/3/0/16\":\"U\"}");
	/* Malformed payloads, wrong types and misplaced paths. */
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", LWBS_CF_TLV, -1, tlv_sec, sizeof(tlv_sec) - 1), DEVSIM_BAD_REQUEST);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", LWBS_CF_SENML_JSON, -1, "[{", 2), DEVSIM_BAD_REQUEST);
	const char *wrong = "[{\"n\":\"/0/0/1\",\"vs\":\"yes\"}]";
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", LWBS_CF_SENML_JSON, -1, wrong, strlen(wrong)), DEVSIM_BAD_REQUEST);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0/0/1", LWBS_CF_TEXT, -1, "x", 1), DEVSIM_NOT_ALLOWED);
	CHECK_INT(req(&f, DEVSIM_PUT, "/", LWBS_CF_TLV, -1, tlv_sec, sizeof(tlv_sec)), DEVSIM_NOT_ALLOWED);
	CHECK_INT(req(&f, DEVSIM_PUT, "/5/0", LWBS_CF_TLV, -1, tlv_sec, sizeof(tlv_sec)), DEVSIM_NOT_FOUND);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", 9999, -1, tlv_sec, sizeof(tlv_sec)), DEVSIM_UNSUPPORTED_CF);
	CHECK_INT(req(&f, DEVSIM_POST, "/0/0", -1, -1, NULL, 0), DEVSIM_NOT_ALLOWED);
	CHECK_INT(req(&f, DEVSIM_GET, "/x", -1, -1, NULL, 0), DEVSIM_NOT_FOUND);
	teardown(&f);

	setup(&f, LWBS_V1_2, 0, false);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/3", LWBS_CF_LWM2M_CBOR, -1, lwm2m_cbor_sec, sizeof(lwm2m_cbor_sec)),
		  DEVSIM_BAD_REQUEST); /* records outside the target path */
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", LWBS_CF_LWM2M_CBOR, -1, lwm2m_cbor_sec, sizeof(lwm2m_cbor_sec)),
		  DEVSIM_CHANGED);
	CHECK_INT(devsim_device_bs_account(f.dev.root), -1); /* the BS account was replaced */
	teardown(&f);
}

static void test_bs_account_rules(void)
{
	struct fix f;
	char before[4096];

	setup(&f, LWBS_V1_1, 0, false);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/1", LWBS_CF_TLV, -1, tlv_sec, sizeof(tlv_sec)), DEVSIM_CHANGED);
	snprintf(before, sizeof(before), "%s", json(&f));
	/* A second BS account, by instance and by object-level write: refused, nothing changes. */
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/2", LWBS_CF_TLV, -1, tlv_bs, sizeof(tlv_bs)), DEVSIM_BAD_REQUEST);
	CHECK_STR(body(&f), "a second Bootstrap-Server account");
	uint8_t obj[3 + sizeof(tlv_bs)] = {0x08, 0x01, sizeof(tlv_bs)};
	memcpy(obj + 3, tlv_bs, sizeof(tlv_bs));
	CHECK_INT(req(&f, DEVSIM_PUT, "/0", LWBS_CF_TLV, -1, obj, sizeof(obj)), DEVSIM_BAD_REQUEST);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/1/1", LWBS_CF_TEXT, -1, "1", 1), DEVSIM_BAD_REQUEST);
	CHECK_STR(json(&f), before);
	/* Overwriting the BS account itself keeps one account. */
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0", LWBS_CF_TLV, -1, tlv_bs, sizeof(tlv_bs)), DEVSIM_CHANGED);
	CHECK_INT(devsim_device_bs_account(f.dev.root), 0);

	/* Link the BS account to OSCORE /21/4; /21/5 belongs to a server. */
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/0/17", LWBS_CF_TLV, -1,
		      (const uint8_t[]){0xC4, 0x11, 0x00, 0x15, 0x00, 0x04}, 6), DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_PUT, "/0/1/17", LWBS_CF_TLV, -1,
		      (const uint8_t[]){0xC4, 0x11, 0x00, 0x15, 0x00, 0x05}, 6), DEVSIM_CHANGED);
	const uint8_t osc[] = {0xC3, 0x00, 's', 'e', 'c', 0xC1, 0x01, 'a', 0xC1, 0x02, 'b'};
	CHECK_INT(req(&f, DEVSIM_PUT, "/21/4", LWBS_CF_TLV, -1, osc, sizeof(osc)), DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_PUT, "/21/5", LWBS_CF_TLV, -1, osc, sizeof(osc)), DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_PUT, "/1/0", LWBS_CF_TLV, -1, tlv_srv, sizeof(tlv_srv)), DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_GET, "/21", -1, 40, NULL, 0), DEVSIM_CONTENT);
	CHECK_STR(body(&f), "</21/4>,</21/5>;ssid=1");

	/* Delete keeps the BS account, its OSCORE instance and /3/0. */
	CHECK_INT(req(&f, DEVSIM_DELETE, "/0/0", -1, -1, NULL, 0), DEVSIM_BAD_REQUEST);
	CHECK_INT(req(&f, DEVSIM_DELETE, "/3/0", -1, -1, NULL, 0), DEVSIM_BAD_REQUEST);
	CHECK_INT(req(&f, DEVSIM_DELETE, "/0/1/0", -1, -1, NULL, 0), DEVSIM_BAD_REQUEST);
	CHECK_INT(req(&f, DEVSIM_DELETE, "/21/5", -1, -1, NULL, 0), DEVSIM_DELETED);
	CHECK_INT(req(&f, DEVSIM_DELETE, "/21/5", -1, -1, NULL, 0), DEVSIM_DELETED);
	CHECK_INT(req(&f, DEVSIM_DELETE, "/9", -1, -1, NULL, 0), DEVSIM_DELETED);
	CHECK_INT(req(&f, DEVSIM_DELETE, "/0", -1, -1, NULL, 0), DEVSIM_DELETED);
	CHECK_INT(req(&f, DEVSIM_GET, "/", -1, 40, NULL, 0), DEVSIM_CONTENT);
	CHECK_STR(body(&f), "</>;lwm2m=1.1,</0/0>,</1/0>;ssid=1,</2>,</3/0>,</11>,</21/4>");
	CHECK_INT(req(&f, DEVSIM_DELETE, "/", -1, -1, NULL, 0), DEVSIM_DELETED);
	CHECK_INT(req(&f, DEVSIM_GET, "/", -1, 40, NULL, 0), DEVSIM_CONTENT);
	CHECK_STR(body(&f), "</>;lwm2m=1.1,</0/0>,</1>,</2>,</3/0>,</11>,</21/4>");
	teardown(&f);
}

static void test_read(void)
{
	struct fix f;
	static const uint8_t want[] = {0x08, 0x00, 0x0F, 0xC1, 0x00, 0x01, 0xC4, 0x01, 0x00, 0x01, 0x51,
				       0x80, 0xC1, 0x06, 0x01, 0xC1, 0x07, 0x55};

	setup(&f, LWBS_V1_0, 0, false);
	CHECK_INT(req(&f, DEVSIM_GET, "/1", -1, LWBS_CF_TLV, NULL, 0), DEVSIM_NOT_ALLOWED);
	teardown(&f);

	setup(&f, LWBS_V1_1, 0, false);
	CHECK_INT(req(&f, DEVSIM_GET, "/1", -1, LWBS_CF_TLV, NULL, 0), DEVSIM_CONTENT);
	CHECK_INT(f.body.len, 0);
	CHECK_INT(req(&f, DEVSIM_PUT, "/1/0", LWBS_CF_TLV, -1, tlv_srv, sizeof(tlv_srv)), DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_GET, "/1", -1, -1, NULL, 0), DEVSIM_CONTENT);
	CHECK_INT(f.resp.cf, LWBS_CF_TLV);
	CHECK_MEM(f.body.data, f.body.len, want, sizeof(want));
	CHECK_INT(req(&f, DEVSIM_GET, "/1/0", -1, LWBS_CF_SENML_JSON, NULL, 0), DEVSIM_CONTENT);
	CHECK_INT(f.resp.cf, LWBS_CF_SENML_JSON);
	CHECK(strstr(body(&f), "\"vs\":\"U\"") != NULL);
	CHECK_INT(req(&f, DEVSIM_GET, "/1/1", -1, LWBS_CF_TLV, NULL, 0), DEVSIM_NOT_FOUND);
	CHECK_INT(req(&f, DEVSIM_GET, "/1/0/1", -1, LWBS_CF_TLV, NULL, 0), DEVSIM_NOT_ALLOWED);
	CHECK_INT(req(&f, DEVSIM_GET, "/0", -1, LWBS_CF_TLV, NULL, 0), DEVSIM_NOT_ALLOWED);
	CHECK_INT(req(&f, DEVSIM_GET, "/3", -1, LWBS_CF_TLV, NULL, 0), DEVSIM_NOT_ALLOWED);
	CHECK_INT(req(&f, DEVSIM_GET, "/2", -1, LWBS_CF_TEXT, NULL, 0), DEVSIM_NOT_ACCEPTABLE);
	CHECK_INT(req(&f, DEVSIM_GET, "/2", -1, LWBS_CF_LWM2M_CBOR, NULL, 0), DEVSIM_NOT_ACCEPTABLE);

	/* Instance-level write replaces the instance. */
	const uint8_t srv2[] = {0xC1, 0x00, 0x02, 0xC1, 0x07, 0x55};
	CHECK_INT(req(&f, DEVSIM_PUT, "/1/0", LWBS_CF_TLV, -1, srv2, sizeof(srv2)), DEVSIM_CHANGED);
	CHECK_INT(req(&f, DEVSIM_GET, "/1/0", -1, LWBS_CF_TLV, NULL, 0), DEVSIM_CONTENT);
	CHECK_MEM(f.body.data, f.body.len, srv2, sizeof(srv2));
	teardown(&f);
}

static void test_pack(void)
{
	struct fix f;
	const char *why;
	const char *pack =
		"[{\"bn\":\"/0/0/\",\"n\":\"0\",\"vs\":\"coap://evil\"},{\"n\":\"1\",\"vb\":true},{\"n\":\"2\",\"v\":3},"
		"{\"bn\":\"/0/1/\",\"n\":\"0\",\"vs\":\"" URI "\"},{\"n\":\"1\",\"vb\":false},{\"n\":\"2\",\"v\":3},"
		"{\"n\":\"10\",\"v\":1},"
		"{\"bn\":\"/1/0/\",\"n\":\"0\",\"v\":1},{\"n\":\"1\",\"v\":86400},{\"n\":\"6\",\"vb\":true},"
		"{\"n\":\"7\",\"vs\":\"U\"},"
		"{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"other\"},"
		"{\"bn\":\"/99/0/\",\"n\":\"0\",\"v\":1}]";

	setup(&f, LWBS_V1_2, 0, false);
	CHECK_INT(req(&f, DEVSIM_PUT, "/1/7", LWBS_CF_TLV, -1, tlv_srv, sizeof(tlv_srv)), DEVSIM_CHANGED);
	CHECK_INT(devsim_device_apply_pack(&f.dev, LWBS_CF_TLV, (const uint8_t *)pack, strlen(pack)), -ENOTSUP);
	CHECK(devsim_device_apply_pack(&f.dev, LWBS_CF_SENML_JSON, (const uint8_t *)pack, 10) < 0);
	CHECK_INT(devsim_device_apply_pack(&f.dev, LWBS_CF_SENML_JSON, (const uint8_t *)pack, strlen(pack)), 0);
	CHECK_INT(devsim_device_check(&f.dev, &why), 0);
	CHECK_INT(req(&f, DEVSIM_GET, "/", -1, 40, NULL, 0), DEVSIM_CONTENT);
	/* /1/7 replaced by the pack's /1/0; BS account and /3/0 kept. */
	CHECK_STR(body(&f), "</>;lwm2m=1.2,</0/0>,</0/1>;ssid=1;uri=\"" URI "\",</1/0>;ssid=1,</2>;ver=1.1,"
			    "</3/0>,</11>;ver=1.1,</21>;ver=2.0");
	CHECK(strstr(json(&f), "\"/0/0/0\":\"coap://bs.example:5683\"") != NULL);
	CHECK(strstr(json(&f), "\"/3/0/0\":\"lwbs\"") != NULL);
	teardown(&f);
}

static void test_json_escape(void)
{
	struct lwbs_buf b;
	lwbs_buf_init(&b, 0);
	devsim_json_string(&b, "a\"b\\c\n\x01", 7);
	CHECK_MEM(b.data, b.len, "\"a\\\"b\\\\c\\u000a\\u0001\"", 21);
	lwbs_buf_finish(&b);
}

TEST_MAIN(test_factory_and_discover, test_write_discover_finish, test_write_formats, test_bs_account_rules,
	  test_read, test_pack, test_json_escape)
