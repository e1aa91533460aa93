/* Generated credentials: identity templates and random keys. */
#include <errno.h>

#include "lwbs/err.h"
#include "lwbs/identity.h"

#include "../test.h"

static const char *const ident[LWBS_IDENT_COUNT] = {
	[LWBS_IDENT_ENDPOINT] = "urn:imei:352099001234562",
	[LWBS_IDENT_IMSI] = "262011234567890",
	[LWBS_IDENT_IMEI] = "352099001234562",
};

static void test_expand(void)
{
	static const struct {
		const char *tmpl;
		int rc;
		const char *out;
	} cases[] = {
		{"{endpoint}", 0, "urn:imei:352099001234562"},
		{"dm-{imsi}", 0, "dm-262011234567890"},
		{"{imsi}/{imei}", 0, "262011234567890/352099001234562"},
		{"{{x}}-{imsi}", 0, "{x}-262011234567890"},
		{"fixed", 0, "fixed"},
		{"{msisdn}", -ENOENT, NULL},
		{"{serial}", LWBS_ESYNTAX, NULL},
		{"{imsi", LWBS_ESYNTAX, NULL},
		{"a}b", LWBS_ESYNTAX, NULL},
		{"", LWBS_ESYNTAX, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64] = "unchanged";
		int rc = lwbs_identity_template_expand(cases[i].tmpl, ident, out, sizeof(out));
		CHECK_INT(rc, cases[i].rc);
		CHECK_STR(out, cases[i].out ? cases[i].out : "unchanged");
		CHECK_INT(lwbs_identity_template_check(cases[i].tmpl), cases[i].rc == LWBS_ESYNTAX ? LWBS_ESYNTAX : 0);
	}
}

static void test_expand_bounds(void)
{
	char out[10] = "unchanged";
	char big[400];

	CHECK_INT(lwbs_identity_template_expand("{imsi}", ident, out, sizeof(out)), -ENOBUFS);
	CHECK_STR(out, "unchanged");
	CHECK_INT(lwbs_identity_template_expand("123456789", ident, out, sizeof(out)), 0);
	CHECK_STR(out, "123456789");
	CHECK_INT(lwbs_identity_template_expand("x", ident, out, 0), -ENOBUFS);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	char huge[512];
	CHECK_INT(lwbs_identity_template_expand(big, ident, huge, sizeof(huge)), -ENOBUFS); /* > 255 */
	big[LWBS_IDENTITY_PSK_ID_MAX] = 0;
	CHECK_INT(lwbs_identity_template_expand(big, ident, huge, sizeof(huge)), 0);
	CHECK_INT(strlen(huge), LWBS_IDENTITY_PSK_ID_MAX);
}

static void test_keys(void)
{
	uint8_t a[LWBS_IDENTITY_KEY_MAX], b[LWBS_IDENTITY_KEY_MAX];

	CHECK_INT(lwbs_identity_key_generate(a, LWBS_IDENTITY_KEY_MIN - 1), -EINVAL);
	CHECK_INT(lwbs_identity_key_generate(a, LWBS_IDENTITY_KEY_MAX + 1), -EINVAL);
	CHECK_INT(lwbs_identity_key_generate(a, 32), 0);
	CHECK_INT(lwbs_identity_key_generate(b, 32), 0);
	CHECK(memcmp(a, b, 32) != 0);
	CHECK_INT(lwbs_identity_key_generate(a, LWBS_IDENTITY_KEY_MIN), 0);
	CHECK_INT(lwbs_identity_key_generate(a, LWBS_IDENTITY_KEY_MAX), 0);
}

TEST_MAIN(test_expand, test_expand_bounds, test_keys)
