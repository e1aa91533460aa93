/* PLMN parsing and 3GPP names (STANDARDS.md §5.1, §5.2, TS 23.003 examples). */
#include <errno.h>

#include "lwbs/dns.h"
#include "../test.h"

static const char *name_of(const char *mcc, const char *mnc, const char *label, const char *suffix)
{
	static char buf[LWBS_DNS_NAME_MAX];
	struct lwbs_dns_plmn p;

	if (lwbs_dns_plmn_set(&p, mcc, mnc, 0) ||
	    lwbs_dns_plmn_name(&p, label, suffix, buf, sizeof(buf)))
		return NULL;
	return buf;
}

static void test_spec_examples(void)
{
	struct lwbs_dns_plmn p;
	char buf[LWBS_DNS_NAME_MAX];

	/* §16.2: IMSI 234150999999999, 2-digit MNC 15 */
	CHECK_INT(lwbs_dns_plmn_from_imsi(&p, "234150999999999", 2), 0);
	CHECK_STR(p.mcc, "234");
	CHECK_STR(p.mnc, "15");
	CHECK_INT(lwbs_dns_plmn_name(&p, "bsf", "pub.3gppnetwork.org", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "bsf.mnc015.mcc234.pub.3gppnetwork.org.");
	/* the same digits with a 3-digit MNC give another PLMN */
	CHECK_INT(lwbs_dns_plmn_from_imsi(&p, "234150999999999", 3), 0);
	CHECK_STR(p.mnc, "150");
	CHECK_INT(lwbs_dns_plmn_domain(&p, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "mnc150.mcc234");
	/* §13.9: MCC 345, MNC 12 */
	CHECK_STR(name_of("345", "12", "xcap.ims", "pub.3gppnetwork.org"),
		  "xcap.ims.mnc012.mcc345.pub.3gppnetwork.org.");
	CHECK_STR(name_of("345", "12", "andsf", "pub.3gppnetwork.org."),
		  "andsf.mnc012.mcc345.pub.3gppnetwork.org.");
	/* 3-digit MNC: ePDG example */
	CHECK_STR(name_of("310", "260", "epdg.epc", "pub.3gppnetwork.org"),
		  "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org.");
	CHECK_STR(name_of("262", "01", "bsf", "pub.3gppnetwork.org"),
		  "bsf.mnc001.mcc262.pub.3gppnetwork.org.");
	CHECK_STR(name_of("262", "01", "", "example"), "mnc001.mcc262.example.");
	CHECK_STR(name_of("262", "01", NULL, ""), "mnc001.mcc262.");
}

static void test_mccmnc(void)
{
	struct lwbs_dns_plmn p;
	char buf[32];

	CHECK_INT(lwbs_dns_plmn_from_mccmnc(&p, "26201"), 0);
	CHECK_INT(lwbs_dns_plmn_domain(&p, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "mnc001.mcc262");
	CHECK_INT(lwbs_dns_plmn_from_mccmnc(&p, "310410"), 0);
	CHECK_INT(lwbs_dns_plmn_domain(&p, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "mnc410.mcc310");
	CHECK_INT(lwbs_dns_plmn_domain(&p, buf, 13), -ENOBUFS);
	CHECK_INT(lwbs_dns_plmn_from_mccmnc(&p, "2620"), -EINVAL);
	CHECK_INT(lwbs_dns_plmn_from_mccmnc(&p, "2620123"), -EINVAL);
	CHECK_INT(lwbs_dns_plmn_from_mccmnc(&p, "26a01"), -EINVAL);
}

static void test_bad(void)
{
	struct lwbs_dns_plmn p = {"999", "99"};

	CHECK_INT(lwbs_dns_plmn_set(&p, "23", "15", 0), -EINVAL);
	CHECK_INT(lwbs_dns_plmn_set(&p, "2345", "15", 0), -EINVAL);
	CHECK_INT(lwbs_dns_plmn_set(&p, "23x", "15", 0), -EINVAL);
	CHECK_INT(lwbs_dns_plmn_set(&p, "234", "1", 0), -EINVAL);
	CHECK_INT(lwbs_dns_plmn_set(&p, "234", "1234", 0), -EINVAL);
	CHECK_INT(lwbs_dns_plmn_set(&p, "234", "1a", 0), -EINVAL);
	CHECK_INT(lwbs_dns_plmn_set(&p, "234", "15", 3), -EINVAL);
	CHECK_INT(lwbs_dns_plmn_set(&p, "234", "015", 2), -EINVAL);
	CHECK_STR(p.mcc, "999"); /* untouched on error */
	CHECK_INT(lwbs_dns_plmn_set(&p, "234", "015", 3), 0);
	CHECK_INT(lwbs_dns_plmn_from_imsi(&p, "23415", 2), -EINVAL);   /* no MSIN */
	CHECK_INT(lwbs_dns_plmn_from_imsi(&p, "2341509999999999", 2), -EINVAL); /* 16 digits */
	CHECK_INT(lwbs_dns_plmn_from_imsi(&p, "234150999999999", 4), -EINVAL);
	CHECK_INT(lwbs_dns_plmn_from_imsi(&p, "23415099999999x", 2), -EINVAL);
}

static void test_name_check(void)
{
	char long_label[70];

	CHECK_INT(lwbs_dns_name_check("ns1.example.net."), 0);
	CHECK_INT(lwbs_dns_name_check("ns1"), 0);
	CHECK_INT(lwbs_dns_name_check("a-b.c"), 0);
	CHECK_INT(lwbs_dns_name_check(""), -EINVAL);
	CHECK_INT(lwbs_dns_name_check("."), -EINVAL);
	CHECK_INT(lwbs_dns_name_check("a..b"), -EINVAL);
	CHECK_INT(lwbs_dns_name_check("-a.b"), -EINVAL);
	CHECK_INT(lwbs_dns_name_check("a-.b"), -EINVAL);
	CHECK_INT(lwbs_dns_name_check("a_b"), -EINVAL);
	CHECK_INT(lwbs_dns_name_check("a b"), -EINVAL);
	memset(long_label, 'a', 64);
	long_label[64] = 0;
	CHECK_INT(lwbs_dns_name_check(long_label), -EINVAL);
	long_label[63] = 0;
	CHECK_INT(lwbs_dns_name_check(long_label), 0);
}

TEST_MAIN(test_spec_examples, test_mccmnc, test_bad, test_name_check)
