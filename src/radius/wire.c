/* lwbs — RADIUS accounting wire codec (RFC 2865 §3/§5, RFC 2866 §3,
 * RFC 3579 §3.2 Message-Authenticator, RFC 5997 Status-Server). Pure:
 * the digests come from digest.c. */
#include <errno.h>
#include <string.h>

#include "lwbs/radius.h"
#include "lwbs/rd.h"

#include "digest.h"

static const uint8_t zero16[16];

/* Walks the attributes of data[20..len); fills attrs when not NULL.
 * Returns the attribute count or a negative code. */
static int walk_attrs(const uint8_t *data, uint16_t len, struct lwbs_radius_attr *attrs,
		      int *msg_auth)
{
	struct lwbs_rd r;
	int n = 0, ma = -1;
	lwbs_rd_init(&r, data + LWBS_RADIUS_HDR_LEN, len - LWBS_RADIUS_HDR_LEN);
	while (lwbs_rd_left(&r)) {
		size_t off = (size_t)(r.p - data);
		uint8_t type = lwbs_rd_u8(&r);
		uint8_t alen = lwbs_rd_u8(&r);
		if (lwbs_rd_err(&r))
			return LWBS_ETRUNC;
		if (alen < 2 || !lwbs_rd_take(&r, alen - 2u))
			return LWBS_ELENGTH;
		if (type == LWBS_RADIUS_A_MESSAGE_AUTHENTICATOR) {
			if (alen != 18 || ma >= 0)
				return -EBADMSG;
			ma = n;
		}
		if (attrs)
			attrs[n] = (struct lwbs_radius_attr){
				.off = (uint16_t)(off + 2), .type = type, .len = (uint8_t)(alen - 2)};
		n++;
	}
	*msg_auth = ma;
	return n;
}

int lwbs_radius_parse(const void *dgram, size_t n, struct lwbs_radius_packet *out)
{
	const uint8_t *d = dgram;
	if (n < LWBS_RADIUS_HDR_LEN)
		return LWBS_ETRUNC;
	uint16_t len = (uint16_t)((d[2] << 8) | d[3]);
	if (len < LWBS_RADIUS_HDR_LEN || len > LWBS_RADIUS_MAX_LEN)
		return LWBS_ELENGTH;
	if (len > n)
		return LWBS_ETRUNC;
	int ma;
	int rc = walk_attrs(d, len, NULL, &ma);
	if (rc < 0)
		return rc;
	if (d[0] != LWBS_RADIUS_ACCOUNTING_REQUEST && d[0] != LWBS_RADIUS_STATUS_SERVER)
		return -ENOMSG;
	out->data = d;
	out->len = len;
	out->code = d[0];
	out->id = d[1];
	out->nattrs = (uint16_t)walk_attrs(d, len, out->attrs, &out->msg_auth);
	return 0;
}

const struct lwbs_radius_attr *lwbs_radius_find(const struct lwbs_radius_packet *p,
						uint8_t type)
{
	for (unsigned i = 0; i < p->nattrs; i++)
		if (p->attrs[i].type == type)
			return &p->attrs[i];
	return NULL;
}

/* HMAC-MD5 of the packet with the authenticator field replaced by auth
 * (NULL: as received) and the Message-Authenticator value zeroed. */
static int msg_auth_compute(const struct lwbs_radius_packet *p, const uint8_t *auth,
			    const void *secret, size_t secret_len, uint8_t out[16])
{
	const uint8_t *d = p->data;
	size_t ma = p->attrs[p->msg_auth].off;
	struct rad_seg seg[] = {
		{d, 4},
		{auth ? auth : d + 4, 16},
		{d + LWBS_RADIUS_HDR_LEN, ma - LWBS_RADIUS_HDR_LEN},
		{zero16, 16},
		{d + ma + 16, p->len - ma - 16},
	};
	return rad_hmac_md5(secret, secret_len, seg, 5, out);
}

int lwbs_radius_verify(const struct lwbs_radius_packet *p, const void *secret,
		       size_t secret_len)
{
	uint8_t dig[16];
	int rc;
	if (p->code == LWBS_RADIUS_STATUS_SERVER && p->msg_auth < 0)
		return -EBADMSG;
	if (p->msg_auth >= 0) {
		const uint8_t *auth = p->code == LWBS_RADIUS_STATUS_SERVER ? NULL : zero16;
		rc = msg_auth_compute(p, auth, secret, secret_len, dig);
		if (rc)
			return rc;
		if (!rad_equal(dig, p->data + p->attrs[p->msg_auth].off, 16))
			return -EACCES;
	}
	if (p->code != LWBS_RADIUS_ACCOUNTING_REQUEST)
		return 0;
	struct rad_seg seg[] = {
		{p->data, 4},
		{zero16, 16},
		{p->data + LWBS_RADIUS_HDR_LEN, p->len - LWBS_RADIUS_HDR_LEN},
		{secret, secret_len},
	};
	rc = rad_md5(seg, 4, dig);
	if (rc)
		return rc;
	return rad_equal(dig, p->data + 4, 16) ? 0 : -EACCES;
}

int lwbs_radius_build_response(const struct lwbs_radius_packet *req, const void *secret,
			       size_t secret_len, bool msg_auth, uint8_t *out, size_t cap,
			       size_t *out_len)
{
	size_t len = LWBS_RADIUS_HDR_LEN;
	for (unsigned i = 0; i < req->nattrs; i++)
		if (req->attrs[i].type == LWBS_RADIUS_A_PROXY_STATE)
			len += 2u + req->attrs[i].len;
	if (msg_auth)
		len += 18;
	if (len > cap || len > LWBS_RADIUS_MAX_LEN)
		return -ENOBUFS;

	out[0] = LWBS_RADIUS_ACCOUNTING_RESPONSE;
	out[1] = req->id;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, req->data + 4, 16);
	size_t w = LWBS_RADIUS_HDR_LEN;
	for (unsigned i = 0; i < req->nattrs; i++) {
		const struct lwbs_radius_attr *a = &req->attrs[i];
		if (a->type != LWBS_RADIUS_A_PROXY_STATE)
			continue;
		memcpy(out + w, req->data + a->off - 2, 2u + a->len);
		w += 2u + a->len;
	}
	int rc;
	if (msg_auth) {
		out[w] = LWBS_RADIUS_A_MESSAGE_AUTHENTICATOR;
		out[w + 1] = 18;
		memset(out + w + 2, 0, 16);
		struct rad_seg s = {out, len};
		rc = rad_hmac_md5(secret, secret_len, &s, 1, out + w + 2);
		if (rc)
			return rc;
	}
	struct rad_seg seg[] = {{out, len}, {secret, secret_len}};
	uint8_t dig[16];
	rc = rad_md5(seg, 2, dig);
	if (rc)
		return rc;
	memcpy(out + 4, dig, 16);
	*out_len = len;
	return 0;
}
