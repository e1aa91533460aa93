/* Identity policy: every rule and refusal reason, URN formats (§1.2). */
#include "lwbs/err.h"
#include "lwbs/identity.h"

#include "../test.h"

static const char *const apns[] = {"iot.example", "lwm2m.example"};
static const char *const plmns[] = {"23415"};

static struct lwbs_radius_binding binding(void)
{
	struct lwbs_radius_binding b;

	memset(&b, 0, sizeof(b));
	strcpy(b.imsi, "262011234567890");
	strcpy(b.msisdn, "491701234567");
	strcpy(b.imeisv, "3520990012345601");
	strcpy(b.mcc_mnc, "26201");
	strcpy(b.sgsn_mcc_mnc, "26201");
	strcpy(b.apn, "IoT.Example");
	b.updated = 1000;
	return b;
}

static struct lwbs_identity_policy policy(void)
{
	struct lwbs_identity_policy p;

	lwbs_identity_policy_init(&p);
	p.trusted_apns = apns;
	p.n_trusted_apns = 2;
	p.allowed_plmns = plmns;
	p.n_allowed_plmns = 1;
	p.max_binding_age = 600;
	return p;
}

enum mut { M_NONE, M_NO_BINDING, M_OLD, M_APN, M_EMPTY_APN, M_ROAM, M_ROAM_ALLOWED, M_NO_SGSN,
	   M_NO_MCCMNC_HOME, M_NO_MCCMNC_ROAM, M_NO_IDS, M_ONLY_IMEI, M_ONLY_MSISDN, M_NO_IMEI,
	   M_ALLOW_ROAMING };

static const struct {
	const char *name;
	enum mut mut;
	const char *ep;
	bool match;
	enum lwbs_identity_reason want;
	enum lwbs_ident_kind kind;
	const char *value;
	bool require_ep;
} cases[] = {
	{"no ep: IMSI", M_NONE, NULL, true, LWBS_IDENTITY_OK, LWBS_IDENT_IMSI, "262011234567890", false},
	{"no binding", M_NO_BINDING, NULL, true, LWBS_IDENTITY_NO_BINDING, 0, NULL, false},
	{"stale", M_OLD, NULL, true, LWBS_IDENTITY_STALE_BINDING, 0, NULL, false},
	{"untrusted apn", M_APN, NULL, true, LWBS_IDENTITY_APN_NOT_TRUSTED, 0, NULL, false},
	{"no apn", M_EMPTY_APN, NULL, true, LWBS_IDENTITY_APN_NOT_TRUSTED, 0, NULL, false},
	{"roaming", M_ROAM, NULL, true, LWBS_IDENTITY_ROAMING, 0, NULL, false},
	{"allowed visited plmn", M_ROAM_ALLOWED, NULL, true, LWBS_IDENTITY_OK, LWBS_IDENT_IMSI, "262011234567890", false},
	{"serving plmn unknown", M_NO_SGSN, NULL, true, LWBS_IDENTITY_ROAMING, 0, NULL, false},
	{"home from imsi prefix", M_NO_MCCMNC_HOME, NULL, true, LWBS_IDENTITY_OK, LWBS_IDENT_IMSI, "262011234567890", false},
	{"roaming from imsi prefix", M_NO_MCCMNC_ROAM, NULL, true, LWBS_IDENTITY_ROAMING, 0, NULL, false},
	{"roaming allowed", M_ALLOW_ROAMING, NULL, true, LWBS_IDENTITY_OK, LWBS_IDENT_IMSI, "262011234567890", false},
	{"no identity", M_NO_IDS, NULL, true, LWBS_IDENTITY_NO_IDENTITY, 0, NULL, false},
	{"imei only", M_ONLY_IMEI, NULL, true, LWBS_IDENTITY_OK, LWBS_IDENT_IMEI, "3520990012345601", false},
	{"msisdn only", M_ONLY_MSISDN, NULL, true, LWBS_IDENTITY_OK, LWBS_IDENT_MSISDN, "491701234567", false},
	{"urn:imei match (IMEISV vs IMEI)", M_NONE, "urn:imei:352099001234563", true, LWBS_IDENTITY_OK,
	 LWBS_IDENT_IMEI, "352099001234563", false},
	{"URN prefix case", M_NONE, "URN:IMEI:352099001234563", true, LWBS_IDENTITY_OK, LWBS_IDENT_IMEI,
	 "352099001234563", false},
	{"urn:imei mismatch", M_NONE, "urn:imei:352099001234571", true, LWBS_IDENTITY_ENDPOINT_MISMATCH, 0, NULL, false},
	{"urn:imei, binding without IMEI", M_NO_IMEI, "urn:imei:352099001234563", true,
	 LWBS_IDENTITY_ENDPOINT_MISMATCH, 0, NULL, false},
	{"urn:imei 14 digits", M_NONE, "urn:imei:35209900123456", true, LWBS_IDENTITY_BAD_ENDPOINT_URN, 0, NULL, false},
	{"urn:imei 16 digits", M_NONE, "urn:imei:3520990012345601", true, LWBS_IDENTITY_BAD_ENDPOINT_URN, 0, NULL, false},
	{"urn:imei letter", M_NONE, "urn:imei:35209900123456x", true, LWBS_IDENTITY_BAD_ENDPOINT_URN, 0, NULL, false},
	{"urn:imei-imsi match", M_NONE, "urn:imei-imsi:352099001234563-262011234567890", true, LWBS_IDENTITY_OK,
	 LWBS_IDENT_IMEI, "352099001234563", false},
	{"urn:imei-imsi imsi mismatch", M_NONE, "urn:imei-imsi:352099001234563-262011234567891", true,
	 LWBS_IDENTITY_ENDPOINT_MISMATCH, 0, NULL, false},
	{"urn:imei-imsi no dash", M_NONE, "urn:imei-imsi:352099001234563262011234567890", true,
	 LWBS_IDENTITY_BAD_ENDPOINT_URN, 0, NULL, false},
	{"urn:imei-imsi empty imsi", M_NONE, "urn:imei-imsi:352099001234563-", true, LWBS_IDENTITY_BAD_ENDPOINT_URN,
	 0, NULL, false},
	{"urn:imei-msisdn match", M_NONE, "urn:imei-msisdn:352099001234563-491701234567", true, LWBS_IDENTITY_OK,
	 LWBS_IDENT_IMEI, "352099001234563", false},
	{"urn:imei-msisdn mismatch", M_NONE, "urn:imei-msisdn:352099001234563-491701234568", true,
	 LWBS_IDENTITY_ENDPOINT_MISMATCH, 0, NULL, false},
	{"urn:imei-msisdn too long", M_NONE, "urn:imei-msisdn:352099001234563-4917012345671234", true,
	 LWBS_IDENTITY_BAD_ENDPOINT_URN, 0, NULL, false},
	{"other ep: must be the device's", M_NONE, "sensor-17", true, LWBS_IDENTITY_OK, LWBS_IDENT_IMSI,
	 "262011234567890", true},
	{"other urn", M_NONE, "urn:uuid:0b0e0f", true, LWBS_IDENTITY_OK, LWBS_IDENT_IMSI, "262011234567890", true},
	{"matching off", M_NONE, "urn:imei:352099001234571", false, LWBS_IDENTITY_OK, LWBS_IDENT_IMSI,
	 "262011234567890", false},
	{"policy before ep", M_APN, "urn:imei:bad", true, LWBS_IDENTITY_APN_NOT_TRUSTED, 0, NULL, false},
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lwbs_radius_binding b = binding();
		struct lwbs_identity_policy p = policy();
		struct lwbs_identity_decision d;
		int64_t now = 1300;

		p.match_endpoint = cases[i].match;
		switch (cases[i].mut) {
		case M_OLD: now = 1601; break;
		case M_APN: strcpy(b.apn, "internet"); break;
		case M_EMPTY_APN: b.apn[0] = 0; break;
		case M_ROAM: strcpy(b.sgsn_mcc_mnc, "20801"); break;
		case M_ROAM_ALLOWED: strcpy(b.sgsn_mcc_mnc, "23415"); break;
		case M_NO_SGSN: b.sgsn_mcc_mnc[0] = 0; break;
		case M_NO_MCCMNC_HOME: b.mcc_mnc[0] = 0; break;
		case M_NO_MCCMNC_ROAM: b.mcc_mnc[0] = 0; strcpy(b.sgsn_mcc_mnc, "26202"); break;
		case M_ALLOW_ROAMING: p.allow_roaming = true; strcpy(b.sgsn_mcc_mnc, "310410"); break;
		case M_NO_IDS: b.imsi[0] = b.imeisv[0] = b.msisdn[0] = 0; break;
		case M_ONLY_IMEI: b.imsi[0] = b.msisdn[0] = 0; break;
		case M_ONLY_MSISDN: b.imsi[0] = b.imeisv[0] = 0; break;
		case M_NO_IMEI: b.imeisv[0] = 0; break;
		default: break;
		}
		lwbs_identity_decide(&p, cases[i].mut == M_NO_BINDING ? NULL : &b, cases[i].ep,
				     cases[i].ep ? strlen(cases[i].ep) : 0, now, &d);
		if (d.reason != cases[i].want)
			fprintf(stderr, "case \"%s\": got %s\n", cases[i].name, lwbs_identity_reason_name(d.reason));
		CHECK_INT(d.reason, cases[i].want);
		if (cases[i].want == LWBS_IDENTITY_OK) {
			CHECK_INT(d.kind, cases[i].kind);
			CHECK_STR(d.value, cases[i].value);
			CHECK_INT(d.require_endpoint, cases[i].require_ep);
		}
	}
}

static void test_age_boundary(void)
{
	struct lwbs_radius_binding b = binding();
	struct lwbs_identity_policy p = policy();
	struct lwbs_identity_decision d;

	lwbs_identity_decide(&p, &b, NULL, 0, 1600, &d); /* exactly max age: fresh */
	CHECK_INT(d.reason, LWBS_IDENTITY_OK);
	lwbs_identity_decide(&p, &b, NULL, 0, 1601, &d);
	CHECK_INT(d.reason, LWBS_IDENTITY_STALE_BINDING);
}

static void test_safe_defaults(void)
{
	struct lwbs_radius_binding b = binding();
	struct lwbs_identity_policy p;
	struct lwbs_identity_decision d;

	lwbs_identity_policy_init(&p);
	CHECK_INT(p.max_binding_age, LWBS_IDENTITY_DEFAULT_MAX_AGE);
	CHECK(p.match_endpoint);
	CHECK(!p.allow_roaming);
	CHECK(!p.auto_enrol);
	lwbs_identity_decide(&p, &b, NULL, 0, 1000, &d);
	CHECK_INT(d.reason, LWBS_IDENTITY_APN_NOT_TRUSTED); /* no APN trusted */
}

static void test_urn_truncation(void)
{
	const char *ep = "urn:imei-imsi:352099001234563-262011234567890";
	struct lwbs_identity_urn u;

	for (size_t n = 0; n < strlen(ep); n++) {
		int rc = lwbs_identity_urn_parse(ep, n, &u);
		/* Cut inside the prefix: not an identity URN; after it: bad. */
		if (n < strlen("urn:imei-imsi:"))
			CHECK(rc == 0 || rc == LWBS_ESYNTAX);
		else if (n < strlen("urn:imei-imsi:352099001234563-") + 6)
			CHECK_INT(rc, LWBS_ESYNTAX);
	}
	CHECK_INT(lwbs_identity_urn_parse(ep, strlen(ep), &u), 0);
	CHECK_INT(u.kind, LWBS_IDENTITY_URN_IMEI_IMSI);
	CHECK_STR(u.imei, "352099001234563");
	CHECK_STR(u.imsi, "262011234567890");
	CHECK_INT(lwbs_identity_urn_parse("urn:imei:", 9, &u), LWBS_ESYNTAX);
	CHECK_INT(lwbs_identity_urn_parse("urn:imeix", 9, &u), 0);
	CHECK_INT(u.kind, LWBS_IDENTITY_URN_NONE);
}

static void test_imei_equal(void)
{
	CHECK(lwbs_identity_imei_equal("352099001234563", "3520990012345601"));
	CHECK(lwbs_identity_imei_equal("35209900123456", "352099001234563"));
	CHECK(!lwbs_identity_imei_equal("352099001234573", "3520990012345601"));
	CHECK(!lwbs_identity_imei_equal("3520990012345", "3520990012345"));
	CHECK(!lwbs_identity_imei_equal("35209900123456a", "352099001234563"));
}

static void test_names(void)
{
	static const char *const want[] = {"ok", "no_binding", "stale_binding", "apn_not_trusted", "roaming",
					   "no_identity", "bad_endpoint_urn", "endpoint_mismatch", "no_template"};
	for (int r = 0; r < LWBS_IDENTITY_REASON_COUNT; r++) {
		CHECK_STR(lwbs_identity_reason_name(r), want[r]);
		CHECK(strlen(lwbs_identity_reason_text(r)) > 5);
	}
	CHECK_STR(lwbs_identity_reason_name(LWBS_IDENTITY_REASON_COUNT), "unknown");
}

TEST_MAIN(test_cases, test_age_boundary, test_safe_defaults, test_urn_truncation, test_imei_equal, test_names)
