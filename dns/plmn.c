/* lwbs — PLMN identifiers and 3GPP mnc<MNC>.mcc<MCC> names (TS 23.003). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lwbs/dns.h"

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int lwbs_dns_plmn_set(struct lwbs_dns_plmn *out, const char *mcc, const char *mnc, int mnc_len)
{
	size_t ml = strlen(mcc), nl = strlen(mnc);

	if (ml != 3 || !all_digits(mcc, 3))
		return -EINVAL;
	if ((nl != 2 && nl != 3) || !all_digits(mnc, nl))
		return -EINVAL;
	if (mnc_len != 0 && (size_t)mnc_len != nl)
		return -EINVAL;
	memcpy(out->mcc, mcc, 4);
	memcpy(out->mnc, mnc, nl + 1);
	return 0;
}

int lwbs_dns_plmn_from_imsi(struct lwbs_dns_plmn *out, const char *imsi, int mnc_len)
{
	size_t n = strlen(imsi);
	char mcc[4], mnc[4];

	if (mnc_len != 2 && mnc_len != 3)
		return -EINVAL;
	if (n < 3 + (size_t)mnc_len + 1 || n > 15 || !all_digits(imsi, n))
		return -EINVAL;
	memcpy(mcc, imsi, 3);
	mcc[3] = 0;
	memcpy(mnc, imsi + 3, (size_t)mnc_len);
	mnc[mnc_len] = 0;
	return lwbs_dns_plmn_set(out, mcc, mnc, mnc_len);
}

int lwbs_dns_plmn_from_mccmnc(struct lwbs_dns_plmn *out, const char *mccmnc)
{
	size_t n = strlen(mccmnc);
	char mcc[4];

	if (n != 5 && n != 6)
		return -EINVAL;
	memcpy(mcc, mccmnc, 3);
	mcc[3] = 0;
	return lwbs_dns_plmn_set(out, mcc, mccmnc + 3, 0);
}

int lwbs_dns_plmn_domain(const struct lwbs_dns_plmn *p, char *out, size_t cap)
{
	/* "If there are only 2 significant digits in the MNC, one '0' digit
	 * shall be inserted at the left side" (TS 23.003 §13.9, §16.2). */
	int n = snprintf(out, cap, "mnc%s%s.mcc%s", strlen(p->mnc) == 2 ? "0" : "", p->mnc, p->mcc);
	if (n < 0 || (size_t)n >= cap)
		return -ENOBUFS;
	return 0;
}

int lwbs_dns_plmn_name(const struct lwbs_dns_plmn *p, const char *label, const char *suffix,
		       char *out, size_t cap)
{
	char dom[16];
	size_t sl = strlen(suffix);
	int r = lwbs_dns_plmn_domain(p, dom, sizeof(dom));

	if (r)
		return r;
	if (sl && suffix[sl - 1] == '.')
		sl--;
	int n = snprintf(out, cap, "%s%s%s%s%.*s.", label && *label ? label : "",
			 label && *label ? "." : "", dom, sl ? "." : "", (int)sl, suffix);
	if (n < 0 || (size_t)n >= cap || n > 254)
		return -ENOBUFS;
	return 0;
}

int lwbs_dns_name_check(const char *name)
{
	size_t n = strlen(name), lab = 0;

	if (n && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (c == '.') {
			if (lab == 0 || name[i - 1] == '-')
				return -EINVAL;
			lab = 0;
			continue;
		}
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (c == '-' && lab > 0);
		if (!ok || ++lab > 63)
			return -EINVAL;
	}
	if (name[n - 1] == '-')
		return -EINVAL;
	return 0;
}
