/* lwbs — lwbs_bs_parse_query: ep= and pct= of a Bootstrap-Request. */
#include "lwbs/bootstrap.h"
#include "lwbs/err.h"

#include "../test.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int parse(const char *const *q, size_t n, const char **ep, size_t *len, int *pct)
{
	*ep = (const char *)1;
	*len = 777;
	*pct = 12345;
	return lwbs_bs_parse_query(q, n, ep, len, pct);
}

static void test_ok(void)
{
	const char *ep;
	size_t len;
	int pct;

	const char *q1[] = {"ep=urn:imei:490154203237518", "pct=112"};
	CHECK_INT(parse(q1, N(q1), &ep, &len, &pct), 0);
	CHECK_INT(len, 24);
	CHECK(ep && !memcmp(ep, "urn:imei:490154203237518", len));
	CHECK_INT(pct, 112);

	/* order does not matter, unknown parameters are ignored */
	const char *q2[] = {"pct=11542", "b=U", "Q", "lt=300", "ep=dev"};
	CHECK_INT(parse(q2, N(q2), &ep, &len, &pct), 0);
	CHECK_INT(len, 3);
	CHECK(!memcmp(ep, "dev", 3));
	CHECK_INT(pct, 11542);

	/* both optional */
	CHECK_INT(parse(NULL, 0, &ep, &len, &pct), 0);
	CHECK(ep == NULL);
	CHECK_INT(len, 0);
	CHECK_INT(pct, LWBS_CF_NONE);

	const char *q3[] = {"ep=a"};
	CHECK_INT(parse(q3, 1, &ep, &len, &pct), 0);
	CHECK_INT(pct, LWBS_CF_NONE);

	/* pct bounds, leading zeros */
	const char *q4[] = {"pct=65535"};
	CHECK_INT(parse(q4, 1, &ep, &len, &pct), 0);
	CHECK_INT(pct, 65535);
	CHECK(ep == NULL);
	const char *q5[] = {"pct=0"};
	CHECK_INT(parse(q5, 1, &ep, &len, &pct), 0);
	CHECK_INT(pct, 0);
	const char *q6[] = {"pct=00112"};
	CHECK_INT(parse(q6, 1, &ep, &len, &pct), 0);
	CHECK_INT(pct, 112);

	/* '=' inside the value belongs to the value; keys are case-sensitive */
	const char *q7[] = {"ep=a=b", "EP=x", "Pct=zz", "epx=1", "pctx=a"};
	CHECK_INT(parse(q7, N(q7), &ep, &len, &pct), 0);
	CHECK_INT(len, 3);
	CHECK(!memcmp(ep, "a=b", 3));
	CHECK_INT(pct, LWBS_CF_NONE);

	/* NULL out-parameters are allowed */
	CHECK_INT(lwbs_bs_parse_query(q1, N(q1), NULL, NULL, NULL), 0);
}

static void test_bad(void)
{
	static const char *const bad[][2] = {
		{"ep=", NULL},           /* empty ep */
		{"ep", NULL},            /* ep without value */
		{"pct", NULL},           /* pct without value */
		{"pct=", NULL},          /* empty pct */
		{"pct=abc", NULL},       /* non-numeric */
		{"pct=11a", NULL},
		{"pct=-1", NULL},
		{"pct=+1", NULL},
		{"pct= 1", NULL},
		{"pct=65536", NULL},     /* > 65535 */
		{"pct=99999", NULL},
		{"pct=000112", NULL},    /* more than 5 digits */
		{"pct=1.5", NULL},
		{"ep=a", "ep=a"},        /* duplicates */
		{"ep=a", "ep=b"},
		{"pct=112", "pct=112"},
		{"pct=112", "pct=110"},
		{"ep=a\nb", NULL},       /* control character */
		{"ep=\x7f", NULL},
		{"ep=\x01", NULL},
	};
	for (size_t i = 0; i < N(bad); i++) {
		const char *ep = "keep";
		size_t len = 9;
		int pct = 9;
		size_t n = bad[i][1] ? 2 : 1;
		int rc = lwbs_bs_parse_query(bad[i], n, &ep, &len, &pct);
		if (rc != LWBS_ESYNTAX)
			fprintf(stderr, "case %zu: %s\n", i, bad[i][0]);
		CHECK_INT(rc, LWBS_ESYNTAX);
		/* out-parameters untouched on failure */
		CHECK_STR(ep, "keep");
		CHECK_INT(len, 9);
		CHECK_INT(pct, 9);
	}

	/* a NULL entry, a NULL list with n > 0 */
	const char *qn[] = {"ep=a", NULL};
	CHECK_INT(lwbs_bs_parse_query(qn, 2, NULL, NULL, NULL), LWBS_ESYNTAX);
	CHECK_INT(lwbs_bs_parse_query(NULL, 1, NULL, NULL, NULL), LWBS_ESYNTAX);
	/* a duplicate after unknown parameters is still a duplicate */
	const char *qd[] = {"ep=a", "x=1", "y", "ep=a"};
	CHECK_INT(lwbs_bs_parse_query(qd, N(qd), NULL, NULL, NULL), LWBS_ESYNTAX);
}

static void test_utf8_ep(void)
{
	const char *ep;
	size_t len;
	int pct;
	const char *q[] = {"ep=ger\xc3\xa4t-1"};

	CHECK_INT(parse(q, 1, &ep, &len, &pct), 0);
	CHECK_INT(len, 8);
	CHECK(!memcmp(ep, "ger\xc3\xa4t-1", 8));
}

TEST_MAIN(test_ok, test_bad, test_utf8_ep)
