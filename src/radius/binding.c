/* lwbs — Accounting-Request -> subscriber binding (STANDARDS §6.3-§6.5,
 * TS 29.061 §16.4.7, TS 23.003 for the digit strings). Pure. */
#include <errno.h>
#include <string.h>

#include "lwbs/radius.h"

#include "binding_int.h"

static const char *const reason_names[LWBS_RADIUS_R__COUNT] = {
	[LWBS_RADIUS_R_OK] = "ok",
	[LWBS_RADIUS_R_NOT_ACCOUNTING] = "not_accounting",
	[LWBS_RADIUS_R_NO_STATUS] = "no_status",
	[LWBS_RADIUS_R_UNSUPPORTED_STATUS] = "unsupported_status",
	[LWBS_RADIUS_R_BAD_ATTR_LENGTH] = "bad_attr_length",
	[LWBS_RADIUS_R_DUPLICATE_ATTR] = "duplicate_attr",
	[LWBS_RADIUS_R_BAD_VSA] = "bad_vsa",
	[LWBS_RADIUS_R_NO_ADDRESS] = "no_address",
	[LWBS_RADIUS_R_BAD_IPV6_PREFIX] = "bad_ipv6_prefix",
	[LWBS_RADIUS_R_NO_NAS] = "no_nas",
	[LWBS_RADIUS_R_BAD_NAS_ID] = "bad_nas_id",
	[LWBS_RADIUS_R_NO_SESSION_ID] = "no_session_id",
	[LWBS_RADIUS_R_BAD_SESSION_ID] = "bad_session_id",
	[LWBS_RADIUS_R_BAD_IMSI] = "bad_imsi",
	[LWBS_RADIUS_R_BAD_MCC_MNC] = "bad_mcc_mnc",
	[LWBS_RADIUS_R_MCC_MNC_MISMATCH] = "mcc_mnc_mismatch",
	[LWBS_RADIUS_R_BAD_SGSN_MCC_MNC] = "bad_sgsn_mcc_mnc",
	[LWBS_RADIUS_R_BAD_IMEISV] = "bad_imeisv",
	[LWBS_RADIUS_R_BAD_MSISDN] = "bad_msisdn",
	[LWBS_RADIUS_R_BAD_APN] = "bad_apn",
};

const char *lwbs_radius_reason_str(enum lwbs_radius_reason r)
{
	if ((unsigned)r >= LWBS_RADIUS_R__COUNT)
		return "unknown";
	return reason_names[r];
}

/* Bits of rad_builder.seen. */
enum field {
	F_STATUS, F_IPV4, F_IPV6, F_NAS_IPV4, F_NAS_IPV6, F_NAS_ID, F_SESSION, F_EVENT,
	F_MSISDN, F_APN, F_IMSI, F_CHARGING, F_MCC_MNC, F_SGSN_MCC_MNC, F_IMEISV, F_RAT, F_ULI,
};

static void fail(struct rad_builder *k, enum lwbs_radius_reason r)
{
	if (k->err == LWBS_RADIUS_R_OK)
		k->err = r;
}

/* Marks a single-valued field; false (and an error) if seen before or if
 * the value length is outside [min, max]. */
static bool take(struct rad_builder *k, enum field f, size_t n, size_t min, size_t max)
{
	if (k->seen & (1u << f)) {
		fail(k, LWBS_RADIUS_R_DUPLICATE_ATTR);
		return false;
	}
	k->seen |= 1u << f;
	if (n < min || n > max) {
		fail(k, LWBS_RADIUS_R_BAD_ATTR_LENGTH);
		return false;
	}
	return true;
}

static uint32_t be32(const uint8_t *v)
{
	return ((uint32_t)v[0] << 24) | ((uint32_t)v[1] << 16) | ((uint32_t)v[2] << 8) | v[3];
}

static bool all_digits(const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

/* Copies a digit string of min..max digits into dst; else sets r. */
static void set_digits(struct rad_builder *k, char *dst, const uint8_t *v, size_t n, size_t min,
		       size_t max, enum lwbs_radius_reason r)
{
	if (n < min || n > max || !all_digits(v, n)) {
		fail(k, r);
		return;
	}
	memcpy(dst, v, n);
	dst[n] = 0;
}

/* Copies 1..max octets without control characters into dst. */
static void set_text(struct rad_builder *k, char *dst, const uint8_t *v, size_t n, size_t max,
		     enum lwbs_radius_reason r)
{
	if (n > max) {
		fail(k, r);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] == 0x7f) {
			fail(k, r);
			return;
		}
	memcpy(dst, v, n);
	dst[n] = 0;
}

void rad_builder_init(struct rad_builder *k)
{
	memset(k, 0, sizeof(*k));
}

void rad_builder_3gpp(struct rad_builder *k, uint8_t vtype, const uint8_t *v, size_t n)
{
	struct lwbs_radius_binding *b = &k->b;
	switch (vtype) {
	case LWBS_RADIUS_3GPP_IMSI:
		if (take(k, F_IMSI, n, 1, 253))
			set_digits(k, b->imsi, v, n, 6, LWBS_RADIUS_IMSI_MAX, LWBS_RADIUS_R_BAD_IMSI);
		break;
	case LWBS_RADIUS_3GPP_CHARGING_ID:
		if (take(k, F_CHARGING, n, 4, 4)) {
			b->charging_id = be32(v);
			b->has |= LWBS_RADIUS_HAS_CHARGING_ID;
		}
		break;
	case LWBS_RADIUS_3GPP_IMSI_MCC_MNC:
		if (take(k, F_MCC_MNC, n, 1, 253))
			set_digits(k, b->mcc_mnc, v, n, 5, 6, LWBS_RADIUS_R_BAD_MCC_MNC);
		break;
	case LWBS_RADIUS_3GPP_SGSN_MCC_MNC:
		if (take(k, F_SGSN_MCC_MNC, n, 1, 253))
			set_digits(k, b->sgsn_mcc_mnc, v, n, 5, 6, LWBS_RADIUS_R_BAD_SGSN_MCC_MNC);
		break;
	case LWBS_RADIUS_3GPP_IMEISV:
		if (take(k, F_IMEISV, n, 1, 253))
			set_digits(k, b->imeisv, v, n, 14, LWBS_RADIUS_IMEISV_MAX,
				   LWBS_RADIUS_R_BAD_IMEISV);
		break;
	case LWBS_RADIUS_3GPP_RAT_TYPE:
		if (take(k, F_RAT, n, 1, 1)) {
			b->rat_type = v[0];
			b->has |= LWBS_RADIUS_HAS_RAT;
		}
		break;
	case LWBS_RADIUS_3GPP_USER_LOCATION_INFO:
		if (take(k, F_ULI, n, 1, 253) && n <= LWBS_RADIUS_ULI_MAX) {
			memcpy(b->uli, v, n);
			b->uli_len = (uint8_t)n;
		}
		break;
	default:
		break;
	}
}

/* Vendor-Specific: Vendor-Id(4) then type(1) len(1) value sub-attributes
 * (the 3GPP layout). Other vendors' formats are not interpreted. */
static void vendor_specific(struct rad_builder *k, const uint8_t *v, size_t n)
{
	if (n < 4 || be32(v) != LWBS_RADIUS_VENDOR_3GPP)
		return;
	size_t i = 4;
	if (i == n) {
		fail(k, LWBS_RADIUS_R_BAD_VSA);
		return;
	}
	while (i < n) {
		if (n - i < 2 || v[i + 1] < 2 || v[i + 1] > n - i) {
			fail(k, LWBS_RADIUS_R_BAD_VSA);
			return;
		}
		rad_builder_3gpp(k, v[i], v + i + 2, v[i + 1] - 2u);
		i += v[i + 1];
	}
}

static bool is_framed_v4(const uint8_t *v)
{
	uint32_t a = be32(v);
	return a != 0 && a != 0xfffffffeu && a != 0xffffffffu;
}

static void ipv6_prefix(struct rad_builder *k, const uint8_t *v, size_t n)
{
	struct lwbs_radius_binding *b = &k->b;
	if (!take(k, F_IPV6, n, 2, 18))
		return;
	unsigned plen = v[1];
	if (plen == 0 || plen > 128 || plen > (n - 2) * 8) {
		fail(k, LWBS_RADIUS_R_BAD_IPV6_PREFIX);
		return;
	}
	memset(b->ipv6, 0, 16);
	memcpy(b->ipv6, v + 2, n - 2);
	for (unsigned bit = plen; bit < 128; bit++)
		b->ipv6[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	b->ipv6_plen = (uint8_t)plen;
	b->has |= LWBS_RADIUS_HAS_IPV6;
}

void rad_builder_attr(struct rad_builder *k, uint8_t type, const uint8_t *v, size_t n)
{
	struct lwbs_radius_binding *b = &k->b;
	switch (type) {
	case LWBS_RADIUS_A_ACCT_STATUS_TYPE:
		if (take(k, F_STATUS, n, 4, 4))
			k->status = be32(v);
		break;
	case LWBS_RADIUS_A_FRAMED_IP_ADDRESS:
		if (take(k, F_IPV4, n, 4, 4) && is_framed_v4(v)) {
			memcpy(b->ipv4, v, 4);
			b->has |= LWBS_RADIUS_HAS_IPV4;
		}
		break;
	case LWBS_RADIUS_A_FRAMED_IPV6_PREFIX:
		ipv6_prefix(k, v, n);
		break;
	case LWBS_RADIUS_A_NAS_IP_ADDRESS:
		if (take(k, F_NAS_IPV4, n, 4, 4)) {
			memcpy(b->nas_ipv4, v, 4);
			b->has |= LWBS_RADIUS_HAS_NAS_IPV4;
		}
		break;
	case LWBS_RADIUS_A_NAS_IPV6_ADDRESS:
		if (take(k, F_NAS_IPV6, n, 16, 16)) {
			memcpy(b->nas_ipv6, v, 16);
			b->has |= LWBS_RADIUS_HAS_NAS_IPV6;
		}
		break;
	case LWBS_RADIUS_A_NAS_IDENTIFIER:
		if (take(k, F_NAS_ID, n, 1, 253))
			set_text(k, b->nas_id, v, n, LWBS_RADIUS_STR_MAX, LWBS_RADIUS_R_BAD_NAS_ID);
		break;
	case LWBS_RADIUS_A_ACCT_SESSION_ID:
		if (take(k, F_SESSION, n, 1, 253))
			set_text(k, b->session_id, v, n, LWBS_RADIUS_STR_MAX,
				 LWBS_RADIUS_R_BAD_SESSION_ID);
		break;
	case LWBS_RADIUS_A_EVENT_TIMESTAMP:
		if (take(k, F_EVENT, n, 4, 4)) {
			b->event_time = be32(v);
			b->has |= LWBS_RADIUS_HAS_EVENT_TIME;
		}
		break;
	case LWBS_RADIUS_A_CALLING_STATION_ID:
		if (take(k, F_MSISDN, n, 1, 253)) {
			if (v[0] == '+') {
				v++;
				n--;
			}
			set_digits(k, b->msisdn, v, n, 1, LWBS_RADIUS_MSISDN_MAX,
				   LWBS_RADIUS_R_BAD_MSISDN);
		}
		break;
	case LWBS_RADIUS_A_CALLED_STATION_ID:
		if (take(k, F_APN, n, 1, 253)) {
			for (size_t i = 0; i < n; i++)
				if (v[i] == ' ') {
					fail(k, LWBS_RADIUS_R_BAD_APN);
					return;
				}
			set_text(k, b->apn, v, n, LWBS_RADIUS_APN_MAX, LWBS_RADIUS_R_BAD_APN);
		}
		break;
	case LWBS_RADIUS_A_VENDOR_SPECIFIC:
		vendor_specific(k, v, n);
		break;
	default:
		break;
	}
}

int rad_builder_finish(struct rad_builder *k, struct lwbs_radius_binding *out,
		       enum lwbs_radius_reason *why)
{
	struct lwbs_radius_binding *b = &k->b;
	enum lwbs_radius_reason r = k->err;
	if (r == LWBS_RADIUS_R_OK && k->not_accounting)
		r = LWBS_RADIUS_R_NOT_ACCOUNTING;
	if (r == LWBS_RADIUS_R_OK && !(k->seen & (1u << F_STATUS)))
		r = LWBS_RADIUS_R_NO_STATUS;
	if (r == LWBS_RADIUS_R_OK) {
		switch (k->status) {
		case LWBS_RADIUS_START:
		case LWBS_RADIUS_STOP:
		case LWBS_RADIUS_INTERIM:
		case LWBS_RADIUS_ACCT_ON:
		case LWBS_RADIUS_ACCT_OFF:
			b->status = (uint8_t)k->status;
			break;
		default:
			r = LWBS_RADIUS_R_UNSUPPORTED_STATUS;
		}
	}
	if (r == LWBS_RADIUS_R_OK &&
	    !(b->has & (LWBS_RADIUS_HAS_NAS_IPV4 | LWBS_RADIUS_HAS_NAS_IPV6)) && !b->nas_id[0])
		r = LWBS_RADIUS_R_NO_NAS;
	if (r == LWBS_RADIUS_R_OK && b->status != LWBS_RADIUS_ACCT_ON &&
	    b->status != LWBS_RADIUS_ACCT_OFF) {
		if (!(b->has & (LWBS_RADIUS_HAS_IPV4 | LWBS_RADIUS_HAS_IPV6)))
			r = LWBS_RADIUS_R_NO_ADDRESS;
		else if (!b->session_id[0])
			r = LWBS_RADIUS_R_NO_SESSION_ID;
	}
	if (r == LWBS_RADIUS_R_OK && b->imsi[0] && b->mcc_mnc[0] &&
	    strncmp(b->imsi, b->mcc_mnc, strlen(b->mcc_mnc)) != 0)
		r = LWBS_RADIUS_R_MCC_MNC_MISMATCH;
	*why = r;
	if (r != LWBS_RADIUS_R_OK)
		return -EBADMSG;
	*out = *b;
	return 0;
}

int lwbs_radius_binding_extract(const struct lwbs_radius_packet *p,
				struct lwbs_radius_binding *out,
				enum lwbs_radius_reason *why)
{
	struct rad_builder k;
	rad_builder_init(&k);
	if (p->code != LWBS_RADIUS_ACCOUNTING_REQUEST)
		k.not_accounting = true;
	for (unsigned i = 0; i < p->nattrs; i++)
		rad_builder_attr(&k, p->attrs[i].type, p->data + p->attrs[i].off, p->attrs[i].len);
	return rad_builder_finish(&k, out, why);
}

bool lwbs_radius_same_nas(const struct lwbs_radius_binding *a,
			  const struct lwbs_radius_binding *b)
{
	bool common = false;
	if ((a->has & b->has & LWBS_RADIUS_HAS_NAS_IPV4)) {
		if (memcmp(a->nas_ipv4, b->nas_ipv4, 4) != 0)
			return false;
		common = true;
	}
	if ((a->has & b->has & LWBS_RADIUS_HAS_NAS_IPV6)) {
		if (memcmp(a->nas_ipv6, b->nas_ipv6, 16) != 0)
			return false;
		common = true;
	}
	if (a->nas_id[0] && b->nas_id[0]) {
		if (strcmp(a->nas_id, b->nas_id) != 0)
			return false;
		common = true;
	}
	return common;
}
