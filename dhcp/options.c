/* lwbs — DHCPv4 / DHCPv6 codec for the bootstrap-URI responder (pure). */
#include <errno.h>
#include <string.h>

#include "lwbs/dhcp.h"
#include "lwbs/err.h"
#include "lwbs/rd.h"

/* ---- DHCPv4 (RFC 2131 §2, §3.4, §4.3.5; RFC 2132; RFC 3396; RFC 3925) ---- */

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define DHCP4_FIXED 236 /* op .. file */
#define DHCP4_SNAME_OFF 44
#define DHCP4_SNAME_LEN 64
#define DHCP4_FILE_OFF 108
#define DHCP4_FILE_LEN 128
#define DHCP4_COOKIE 0x63825363u
#define DHCP4_MIN_REPLY 300 /* BOOTP minimum message size (RFC 1542) */

enum {
	O4_PAD = 0,
	O4_REQ_IP = 50,
	O4_LEASE = 51,
	O4_OVERLOAD = 52,
	O4_MSG_TYPE = 53,
	O4_SERVER_ID = 54,
	O4_PRL = 55,
	O4_CLIENT_ID = 61,
	O4_RELAY_INFO = 82,
	O4_VIVSO = 125,
	O4_END = 255,
};

#define DHCPACK 5
#define DHCPINFORM 8

enum field { F_OPTIONS, F_FILE, F_SNAME };

/* Walks one option area; it must end with End. */
static int parse4_area(const uint8_t *p, size_t n, enum field where, struct lwbs_dhcp4_msg *m)
{
	struct lwbs_rd r;
	lwbs_rd_init(&r, p, n);
	for (;;) {
		uint8_t code = lwbs_rd_u8(&r);
		if (lwbs_rd_err(&r))
			return LWBS_ETRUNC; /* no End before the area ends */
		if (code == O4_PAD)
			continue;
		if (code == O4_END)
			return 0;
		uint8_t len = lwbs_rd_u8(&r);
		const uint8_t *v = lwbs_rd_take(&r, len);
		if (!v)
			return LWBS_ELENGTH;
		switch (code) {
		case O4_OVERLOAD:
			if (where != F_OPTIONS || m->overload || len != 1 || v[0] < 1 || v[0] > 3)
				return -EBADMSG;
			m->overload = v[0];
			break;
		case O4_MSG_TYPE:
			if (m->msg_type || len != 1 || v[0] == 0)
				return -EBADMSG;
			m->msg_type = v[0];
			break;
		case O4_SERVER_ID:
			if (m->has_server_id || len != 4)
				return -EBADMSG;
			memcpy(m->server_id, v, 4);
			m->has_server_id = true;
			break;
		case O4_PRL:
			if (len == 0)
				return -EBADMSG;
			for (size_t i = 0; i < len; i++)
				m->prl[v[i] >> 3] |= (uint8_t)(1u << (v[i] & 7));
			m->has_prl = true;
			break;
		case O4_CLIENT_ID:
			/* RFC 3396: repeated instances concatenate. */
			if (len == 0 || (size_t)m->client_id_len + len > sizeof(m->client_id))
				return -EBADMSG;
			memcpy(m->client_id + m->client_id_len, v, len);
			m->client_id_len = (uint8_t)(m->client_id_len + len);
			m->has_client_id = true;
			break;
		case O4_REQ_IP:
			m->has_requested_ip = true;
			break;
		case O4_LEASE:
			m->has_lease_time = true;
			break;
		case O4_RELAY_INFO:
			m->has_relay_info = true;
			break;
		default:
			break;
		}
	}
}

int lwbs_dhcp4_parse(const uint8_t *pkt, size_t len, struct lwbs_dhcp4_msg *out)
{
	struct lwbs_dhcp4_msg m;
	struct lwbs_rd r;

	memset(&m, 0, sizeof(m));
	lwbs_rd_init(&r, pkt, len);
	m.op = lwbs_rd_u8(&r);
	m.htype = lwbs_rd_u8(&r);
	m.hlen = lwbs_rd_u8(&r);
	m.hops = lwbs_rd_u8(&r);
	m.xid = lwbs_rd_be32(&r);
	m.secs = lwbs_rd_be16(&r);
	m.flags = lwbs_rd_be16(&r);
	const uint8_t *addrs = lwbs_rd_take(&r, 16);
	const uint8_t *ch = lwbs_rd_take(&r, 16);
	lwbs_rd_take(&r, DHCP4_SNAME_LEN + DHCP4_FILE_LEN);
	uint32_t cookie = lwbs_rd_be32(&r);
	if (lwbs_rd_err(&r))
		return LWBS_ETRUNC;
	if (cookie != DHCP4_COOKIE || m.hlen > 16)
		return -EBADMSG;
	memcpy(m.ciaddr, addrs, 4);
	memcpy(m.yiaddr, addrs + 4, 4);
	memcpy(m.siaddr, addrs + 8, 4);
	memcpy(m.giaddr, addrs + 12, 4);
	memcpy(m.chaddr, ch, 16);

	int rc = parse4_area(r.p, lwbs_rd_left(&r), F_OPTIONS, &m);
	if (rc)
		return rc;
	/* RFC 2131 §4.1: file is read before sname. */
	if (m.overload & 1) {
		rc = parse4_area(pkt + DHCP4_FILE_OFF, DHCP4_FILE_LEN, F_FILE, &m);
		if (rc)
			return rc;
	}
	if (m.overload & 2) {
		rc = parse4_area(pkt + DHCP4_SNAME_OFF, DHCP4_SNAME_LEN, F_SNAME, &m);
		if (rc)
			return rc;
	}
	*out = m;
	return 0;
}

static void put_opt4(struct lwbs_buf *b, uint8_t code, const void *v, size_t len)
{
	lwbs_buf_putc(b, code);
	lwbs_buf_putc(b, (uint8_t)len);
	lwbs_buf_put(b, v, len);
}

static int put_carrier4(struct lwbs_buf *b, const struct lwbs_dhcp_policy *pol)
{
	const struct lwbs_dhcp_carrier *c = &pol->carrier;

	if (c->type == LWBS_DHCP_CARRIER_OPTION) {
		if (pol->uri_len > LWBS_DHCP_URI_MAX_OPTION)
			return -ERANGE;
		put_opt4(b, c->v4_code, pol->uri, pol->uri_len);
		return 0;
	}
	if (pol->uri_len > LWBS_DHCP_URI_MAX_VIVSO)
		return -ERANGE;
	/* RFC 3925 §4: enterprise(4) data-len(1) then code(1) len(1) data. */
	lwbs_buf_putc(b, O4_VIVSO);
	lwbs_buf_putc(b, (uint8_t)(7 + pol->uri_len));
	lwbs_buf_put_be32(b, c->enterprise);
	lwbs_buf_putc(b, (uint8_t)(2 + pol->uri_len));
	lwbs_buf_putc(b, c->suboption);
	lwbs_buf_putc(b, (uint8_t)pol->uri_len);
	lwbs_buf_put(b, pol->uri, pol->uri_len);
	return 0;
}

static bool is_zero4(const uint8_t a[4])
{
	return (a[0] | a[1] | a[2] | a[3]) == 0;
}

int lwbs_dhcp4_answer(const struct lwbs_dhcp4_msg *req, const struct lwbs_dhcp_policy *pol,
		      const uint8_t server_id[4], const uint8_t *src, struct lwbs_buf *out)
{
	if (req->op != BOOTREQUEST || req->msg_type != DHCPINFORM)
		return -ENOMSG;
	if (req->has_server_id && memcmp(req->server_id, server_id, 4) != 0)
		return -ENOMSG;
	/* RFC 2131 §4.4.3: the client MUST put its address in ciaddr and MUST
	 * NOT send options 50 or 51; the ACK can only go to ciaddr. */
	if (is_zero4(req->ciaddr) || req->has_requested_ip || req->has_lease_time)
		return -EPROTO;
	/* §4.3.5 consistency check: a direct INFORM comes from ciaddr. */
	if (is_zero4(req->giaddr) && src && memcmp(src, req->ciaddr, 4) != 0)
		return -EPROTO;

	const struct lwbs_dhcp_carrier *c = &pol->carrier;
	uint8_t code = c->type == LWBS_DHCP_CARRIER_VIVSO ? O4_VIVSO : c->v4_code;
	bool send_uri = pol->always_send || lwbs_dhcp4_requested(req, code);
	size_t start = out->len;

	/* RFC 2131 Table 3 (DHCPACK), as Kea answers an INFORM: hops and
	 * giaddr cleared, yiaddr 0, no lease options, option 82 not echoed. */
	uint8_t *h = lwbs_buf_reserve(out, DHCP4_FIXED);
	if (!h)
		return lwbs_buf_err(out);
	memset(h, 0, DHCP4_FIXED);
	h[0] = BOOTREPLY;
	h[1] = req->htype;
	h[2] = req->hlen;
	h[4] = (uint8_t)(req->xid >> 24);
	h[5] = (uint8_t)(req->xid >> 16);
	h[6] = (uint8_t)(req->xid >> 8);
	h[7] = (uint8_t)req->xid;
	h[10] = (uint8_t)(req->flags >> 8);
	h[11] = (uint8_t)req->flags;
	memcpy(h + 12, req->ciaddr, 4);
	memcpy(h + 28, req->chaddr, 16);
	lwbs_buf_put_be32(out, DHCP4_COOKIE);
	lwbs_buf_putc(out, O4_MSG_TYPE);
	lwbs_buf_putc(out, 1);
	lwbs_buf_putc(out, DHCPACK);
	put_opt4(out, O4_SERVER_ID, server_id, 4);
	/* RFC 6842: the client identifier comes back unaltered. */
	if (req->has_client_id)
		put_opt4(out, O4_CLIENT_ID, req->client_id, req->client_id_len);
	if (send_uri) {
		int rc = put_carrier4(out, pol);
		if (rc) {
			out->len = start;
			return rc;
		}
	}
	lwbs_buf_putc(out, O4_END);
	while (!lwbs_buf_err(out) && out->len - start < DHCP4_MIN_REPLY)
		lwbs_buf_putc(out, O4_PAD);
	if (lwbs_buf_err(out)) {
		int rc = lwbs_buf_err(out);
		out->len = start;
		return rc;
	}
	return 0;
}

/* ---- DHCPv6 (RFC 8415 §8, §9, §16.12, §18.3.6, §18.3.10, §21) ---- */

enum {
	O6_CLIENT_ID = 1,
	O6_SERVER_ID = 2,
	O6_IA_NA = 3,
	O6_IA_TA = 4,
	O6_ORO = 6,
	O6_ELAPSED = 8,
	O6_RELAY_MSG = 9,
	O6_VENDOR_OPTS = 17,
	O6_INTERFACE_ID = 18,
	O6_IA_PD = 25,
};

enum {
	M6_REPLY = 7,
	M6_INFO_REQUEST = 11,
	M6_RELAY_FORW = 12,
	M6_RELAY_REPL = 13,
};

#define RELAY_HDR 34 /* msg-type hop-count link-address peer-address */

static int duid_ok(size_t len)
{
	return len >= 2 && len <= LWBS_DHCP6_DUID_MAX;
}

/* Options of a Relay-forward: exactly one Relay Message, at most one
 * Interface-Id; other options are skipped. */
static int parse6_relay_opts(struct lwbs_rd *r, struct lwbs_dhcp6_relay *rl,
			     const uint8_t **inner, size_t *inner_len)
{
	*inner = NULL;
	while (lwbs_rd_left(r)) {
		uint16_t code = lwbs_rd_be16(r);
		uint16_t len = lwbs_rd_be16(r);
		if (lwbs_rd_err(r))
			return LWBS_ETRUNC;
		const uint8_t *v = lwbs_rd_take(r, len);
		if (!v)
			return LWBS_ELENGTH;
		if (code == O6_RELAY_MSG) {
			if (*inner)
				return -EBADMSG;
			*inner = v;
			*inner_len = len;
		} else if (code == O6_INTERFACE_ID) {
			if (rl->interface_id)
				return -EBADMSG;
			rl->interface_id = v;
			rl->interface_id_len = len;
		}
	}
	return *inner ? 0 : -EBADMSG;
}

static int parse6_client_opts(struct lwbs_rd *r, struct lwbs_dhcp6_msg *m)
{
	while (lwbs_rd_left(r)) {
		uint16_t code = lwbs_rd_be16(r);
		uint16_t len = lwbs_rd_be16(r);
		if (lwbs_rd_err(r))
			return LWBS_ETRUNC;
		const uint8_t *v = lwbs_rd_take(r, len);
		if (!v)
			return LWBS_ELENGTH;
		switch (code) {
		case O6_CLIENT_ID:
			if (m->client_id || !duid_ok(len))
				return -EBADMSG;
			m->client_id = v;
			m->client_id_len = len;
			break;
		case O6_SERVER_ID:
			if (m->server_id || !duid_ok(len))
				return -EBADMSG;
			m->server_id = v;
			m->server_id_len = len;
			break;
		case O6_ORO:
			if (m->oro || (len & 1))
				return -EBADMSG;
			m->oro = v;
			m->oro_len = len;
			break;
		case O6_ELAPSED:
			if (len != 2)
				return -EBADMSG;
			break;
		case O6_IA_NA:
		case O6_IA_TA:
		case O6_IA_PD:
			m->has_ia = true;
			break;
		case O6_RELAY_MSG:
			return -EBADMSG; /* only inside a Relay-forward */
		default:
			break;
		}
	}
	return 0;
}

int lwbs_dhcp6_parse(const uint8_t *pkt, size_t len, struct lwbs_dhcp6_msg *out)
{
	struct lwbs_dhcp6_msg m;
	struct lwbs_rd r;

	memset(&m, 0, sizeof(m));
	lwbs_rd_init(&r, pkt, len);
	for (;;) {
		uint8_t type = lwbs_rd_u8(&r);
		if (lwbs_rd_err(&r))
			return LWBS_ETRUNC;
		if (type != M6_RELAY_FORW) {
			m.msg_type = type;
			const uint8_t *x = lwbs_rd_take(&r, 3);
			if (!x)
				return LWBS_ETRUNC;
			memcpy(m.xid, x, 3);
			break;
		}
		if (m.relay_depth == LWBS_DHCP6_RELAY_MAX)
			return LWBS_EDEPTH;
		struct lwbs_dhcp6_relay *rl = &m.relay[m.relay_depth++];
		rl->hop_count = lwbs_rd_u8(&r);
		const uint8_t *a = lwbs_rd_take(&r, 32);
		if (!a)
			return LWBS_ETRUNC;
		memcpy(rl->link_addr, a, 16);
		memcpy(rl->peer_addr, a + 16, 16);
		const uint8_t *inner;
		size_t inner_len;
		int rc = parse6_relay_opts(&r, rl, &inner, &inner_len);
		if (rc)
			return rc;
		lwbs_rd_init(&r, inner, inner_len);
	}
	int rc = parse6_client_opts(&r, &m);
	if (rc)
		return rc;
	*out = m;
	return 0;
}

bool lwbs_dhcp6_requested(const struct lwbs_dhcp6_msg *m, uint16_t c)
{
	for (size_t i = 0; i + 1 < m->oro_len; i += 2)
		if (((uint16_t)(m->oro[i] << 8) | m->oro[i + 1]) == c)
			return true;
	return false;
}

static void put_opt6_hdr(struct lwbs_buf *b, uint16_t code, size_t len)
{
	lwbs_buf_put_be16(b, code);
	lwbs_buf_put_be16(b, (uint16_t)len);
}

int lwbs_dhcp6_answer(const struct lwbs_dhcp6_msg *req, const struct lwbs_dhcp_policy *pol,
		      const uint8_t *duid, size_t duid_len, struct lwbs_buf *out)
{
	const struct lwbs_dhcp_carrier *c = &pol->carrier;
	size_t start = out->len;
	size_t opt9_at[LWBS_DHCP6_RELAY_MAX];

	if (req->msg_type != M6_INFO_REQUEST)
		return -ENOMSG;
	/* RFC 8415 §16.12. */
	if (req->server_id &&
	    (req->server_id_len != duid_len || memcmp(req->server_id, duid, duid_len) != 0))
		return -ENOMSG;
	if (req->has_ia)
		return -EPROTO;
	if (!duid_ok(duid_len))
		return -EINVAL;
	uint16_t code = c->type == LWBS_DHCP_CARRIER_VIVSO ? O6_VENDOR_OPTS : c->v6_code;
	bool send_uri = pol->always_send || lwbs_dhcp6_requested(req, code);
	if (send_uri && pol->uri_len > 0xFFFF - 8)
		return -ERANGE;

	/* §18.3.10: one Relay-reply per Relay-forward, outermost first; the
	 * Relay Message lengths are filled in once the Reply is written. */
	for (unsigned i = 0; i < req->relay_depth; i++) {
		const struct lwbs_dhcp6_relay *rl = &req->relay[i];
		lwbs_buf_putc(out, M6_RELAY_REPL);
		lwbs_buf_putc(out, rl->hop_count);
		lwbs_buf_put(out, rl->link_addr, 16);
		lwbs_buf_put(out, rl->peer_addr, 16);
		if (rl->interface_id) {
			put_opt6_hdr(out, O6_INTERFACE_ID, rl->interface_id_len);
			lwbs_buf_put(out, rl->interface_id, rl->interface_id_len);
		}
		put_opt6_hdr(out, O6_RELAY_MSG, 0);
		opt9_at[i] = out->len;
	}
	lwbs_buf_putc(out, M6_REPLY);
	lwbs_buf_put(out, req->xid, 3);
	put_opt6_hdr(out, O6_SERVER_ID, duid_len);
	lwbs_buf_put(out, duid, duid_len);
	if (req->client_id) {
		put_opt6_hdr(out, O6_CLIENT_ID, req->client_id_len);
		lwbs_buf_put(out, req->client_id, req->client_id_len);
	}
	if (send_uri) {
		if (c->type == LWBS_DHCP_CARRIER_VIVSO) {
			/* §21.17: enterprise(4) then code(2) len(2) data. */
			put_opt6_hdr(out, O6_VENDOR_OPTS, 8 + pol->uri_len);
			lwbs_buf_put_be32(out, c->enterprise);
			put_opt6_hdr(out, c->suboption, pol->uri_len);
		} else {
			put_opt6_hdr(out, c->v6_code, pol->uri_len);
		}
		lwbs_buf_put(out, pol->uri, pol->uri_len);
	}
	int rc = lwbs_buf_err(out);
	for (unsigned i = 0; !rc && i < req->relay_depth; i++) {
		size_t inner = out->len - opt9_at[i];
		if (inner > 0xFFFF) {
			rc = -ENOBUFS;
			break;
		}
		out->data[opt9_at[i] - 2] = (uint8_t)(inner >> 8);
		out->data[opt9_at[i] - 1] = (uint8_t)inner;
	}
	if (rc)
		out->len = start;
	return rc;
}
