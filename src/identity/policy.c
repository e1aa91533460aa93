/* lwbs — NoSec identity policy (include/lwbs/identity.h). Pure. */
#include <string.h>
#include <strings.h>

#include "lwbs/err.h"
#include "lwbs/identity.h"

static const struct {
	const char *name, *text;
} reasons[LWBS_IDENTITY_REASON_COUNT] = {
	[LWBS_IDENTITY_OK] = {"ok", "identity accepted"},
	[LWBS_IDENTITY_NO_BINDING] = {"no_binding", "no RADIUS binding for the source address"},
	[LWBS_IDENTITY_STALE_BINDING] = {"stale_binding", "RADIUS binding older than the maximum age"},
	[LWBS_IDENTITY_APN_NOT_TRUSTED] = {"apn_not_trusted", "APN of the binding is not trusted"},
	[LWBS_IDENTITY_ROAMING] = {"roaming", "serving network is not the home network nor allowed"},
	[LWBS_IDENTITY_NO_IDENTITY] = {"no_identity", "RADIUS binding carries no IMSI, IMEI or MSISDN"},
	[LWBS_IDENTITY_BAD_ENDPOINT_URN] = {"bad_endpoint_urn", "endpoint name breaks its URN format"},
	[LWBS_IDENTITY_ENDPOINT_MISMATCH] = {"endpoint_mismatch",
					     "endpoint name does not match the network identity"},
	[LWBS_IDENTITY_NO_TEMPLATE] = {"no_template", "unknown device and no enrolment template fits"},
};

const char *lwbs_identity_reason_name(enum lwbs_identity_reason r)
{
	return (unsigned)r < LWBS_IDENTITY_REASON_COUNT ? reasons[r].name : "unknown";
}

const char *lwbs_identity_reason_text(enum lwbs_identity_reason r)
{
	return (unsigned)r < LWBS_IDENTITY_REASON_COUNT ? reasons[r].text : "unknown reason";
}

void lwbs_identity_policy_init(struct lwbs_identity_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->max_binding_age = LWBS_IDENTITY_DEFAULT_MAX_AGE;
	p->match_endpoint = true;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Copies the digit run s[0..n) when lo <= n <= hi. */
static bool take_digits(const char *s, size_t n, size_t lo, size_t hi, char *out)
{
	if (n < lo || n > hi || !digits(s, n))
		return false;
	memcpy(out, s, n);
	out[n] = 0;
	return true;
}

static const struct {
	const char *prefix;
	enum lwbs_identity_urn_kind kind;
} urn_prefixes[] = {
	{"urn:imei:", LWBS_IDENTITY_URN_IMEI},
	{"urn:imei-imsi:", LWBS_IDENTITY_URN_IMEI_IMSI},
	{"urn:imei-msisdn:", LWBS_IDENTITY_URN_IMEI_MSISDN},
};

int lwbs_identity_urn_parse(const char *ep, size_t len, struct lwbs_identity_urn *out)
{
	struct lwbs_identity_urn u;
	const char *rest = NULL, *dash;
	size_t rlen = 0;

	memset(&u, 0, sizeof(u));
	for (size_t i = 0; i < sizeof(urn_prefixes) / sizeof(urn_prefixes[0]); i++) {
		size_t pl = strlen(urn_prefixes[i].prefix);
		if (len >= pl && !strncasecmp(ep, urn_prefixes[i].prefix, pl)) {
			u.kind = urn_prefixes[i].kind;
			rest = ep + pl;
			rlen = len - pl;
			break;
		}
	}
	if (u.kind == LWBS_IDENTITY_URN_NONE) {
		*out = u;
		return 0;
	}
	if (u.kind == LWBS_IDENTITY_URN_IMEI) {
		if (!take_digits(rest, rlen, 15, 15, u.imei))
			return LWBS_ESYNTAX;
		*out = u;
		return 0;
	}
	dash = memchr(rest, '-', rlen);
	if (!dash || !take_digits(rest, (size_t)(dash - rest), 15, 15, u.imei))
		return LWBS_ESYNTAX;
	rlen -= (size_t)(dash - rest) + 1;
	rest = dash + 1;
	if (u.kind == LWBS_IDENTITY_URN_IMEI_IMSI ? !take_digits(rest, rlen, 6, LWBS_RADIUS_IMSI_MAX, u.imsi)
						  : !take_digits(rest, rlen, 1, LWBS_RADIUS_MSISDN_MAX, u.msisdn))
		return LWBS_ESYNTAX;
	*out = u;
	return 0;
}

bool lwbs_identity_imei_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la < 14 || la > 16 || lb < 14 || lb > 16 || !digits(a, la) || !digits(b, lb))
		return false;
	return !memcmp(a, b, 14);
}

static bool apn_trusted(const struct lwbs_identity_policy *p, const char *apn)
{
	for (size_t i = 0; i < p->n_trusted_apns; i++)
		if (apn[0] && !strcasecmp(p->trusted_apns[i], apn))
			return true;
	return false;
}

static bool home_network(const struct lwbs_radius_binding *b)
{
	size_t sl = strlen(b->sgsn_mcc_mnc);

	if (b->mcc_mnc[0])
		return !strcmp(b->sgsn_mcc_mnc, b->mcc_mnc);
	/* Without 3GPP-IMSI-MCC-MNC the IMSI starts with the home MCC+MNC. */
	return b->imsi[0] && !strncmp(b->imsi, b->sgsn_mcc_mnc, sl);
}

static bool plmn_allowed(const struct lwbs_identity_policy *p, const struct lwbs_radius_binding *b)
{
	if (p->allow_roaming)
		return true;
	if (!b->sgsn_mcc_mnc[0])
		return false; /* serving network unknown: refused */
	if (home_network(b))
		return true;
	for (size_t i = 0; i < p->n_allowed_plmns; i++)
		if (!strcmp(p->allowed_plmns[i], b->sgsn_mcc_mnc))
			return true;
	return false;
}

static void query(struct lwbs_identity_decision *d, enum lwbs_ident_kind k, const char *v)
{
	size_t n = strnlen(v, sizeof(d->value) - 1);

	d->kind = k;
	memcpy(d->value, v, n);
	d->value[n] = 0;
}

/* Preferred identity of the binding itself: IMSI, IMEI, MSISDN. */
static bool binding_query(struct lwbs_identity_decision *d, const struct lwbs_radius_binding *b)
{
	if (b->imsi[0])
		query(d, LWBS_IDENT_IMSI, b->imsi);
	else if (b->imeisv[0])
		query(d, LWBS_IDENT_IMEI, b->imeisv);
	else if (b->msisdn[0])
		query(d, LWBS_IDENT_MSISDN, b->msisdn);
	else
		return false;
	return true;
}

static enum lwbs_identity_reason match_urn(const struct lwbs_identity_urn *u, const struct lwbs_radius_binding *b)
{
	if (!b->imeisv[0] || !lwbs_identity_imei_equal(u->imei, b->imeisv))
		return LWBS_IDENTITY_ENDPOINT_MISMATCH;
	if (u->kind == LWBS_IDENTITY_URN_IMEI_IMSI && strcmp(u->imsi, b->imsi))
		return LWBS_IDENTITY_ENDPOINT_MISMATCH;
	if (u->kind == LWBS_IDENTITY_URN_IMEI_MSISDN && strcmp(u->msisdn, b->msisdn))
		return LWBS_IDENTITY_ENDPOINT_MISMATCH;
	return LWBS_IDENTITY_OK;
}

void lwbs_identity_decide(const struct lwbs_identity_policy *pol, const struct lwbs_radius_binding *b,
			  const char *ep, size_t ep_len, int64_t now, struct lwbs_identity_decision *out)
{
	struct lwbs_identity_urn u;

	memset(out, 0, sizeof(*out));
	out->kind = LWBS_IDENT_IMSI;
	if (!b) {
		out->reason = LWBS_IDENTITY_NO_BINDING;
		return;
	}
	if (now - b->updated > pol->max_binding_age) {
		out->reason = LWBS_IDENTITY_STALE_BINDING;
		return;
	}
	if (!apn_trusted(pol, b->apn)) {
		out->reason = LWBS_IDENTITY_APN_NOT_TRUSTED;
		return;
	}
	if (!plmn_allowed(pol, b)) {
		out->reason = LWBS_IDENTITY_ROAMING;
		return;
	}
	if (!binding_query(out, b)) {
		out->reason = LWBS_IDENTITY_NO_IDENTITY;
		return;
	}
	if (!ep || !pol->match_endpoint)
		return;
	if (lwbs_identity_urn_parse(ep, ep_len, &u)) {
		out->reason = LWBS_IDENTITY_BAD_ENDPOINT_URN;
		return;
	}
	if (u.kind == LWBS_IDENTITY_URN_NONE) {
		out->require_endpoint = true;
		return;
	}
	if ((out->reason = match_urn(&u, b)) == LWBS_IDENTITY_OK)
		query(out, LWBS_IDENT_IMEI, u.imei);
}
