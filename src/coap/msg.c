/* lwbs — CoAP message codec (RFC 7252 §3, RFC 7959 §2.2); see coapmsg.h. */
#include "lwbs/coapmsg.h"

#include <errno.h>
#include <string.h>

#include "lwbs/err.h"
#include "lwbs/rd.h"

/* An option delta or length nibble with its extension (§3.1). Nibble 15
 * is reserved here: the payload marker is recognised by the caller. */
static int read_ext(struct lwbs_rd *r, unsigned nib, uint32_t *out)
{
	if (nib < 13)
		*out = nib;
	else if (nib == 13)
		*out = 13u + lwbs_rd_u8(r);
	else if (nib == 14)
		*out = 269u + lwbs_rd_be16(r);
	else
		return -EBADMSG;
	return lwbs_rd_err(r);
}

/* Options and payload, from r to its end, into m (n_opts, opts, payload). */
static int parse_body(struct lwbs_rd *r, struct lwbs_coapmsg *m)
{
	uint32_t num = 0;
	int rc;

	m->n_opts = 0;
	m->payload = NULL;
	m->payload_len = 0;
	while (lwbs_rd_left(r)) {
		uint8_t ob = lwbs_rd_u8(r);
		uint32_t delta, len;
		const uint8_t *val;

		if (ob == 0xff) {
			if (!lwbs_rd_left(r))
				return -EBADMSG;
			m->payload = r->p;
			m->payload_len = lwbs_rd_left(r);
			break;
		}
		if ((rc = read_ext(r, ob >> 4, &delta)) || (rc = read_ext(r, ob & 15, &len)))
			return rc;
		num += delta;
		if (num > 65535)
			return -EBADMSG;
		val = lwbs_rd_take(r, len);
		if (!val)
			return lwbs_rd_err(r);
		if (m->n_opts == LWBS_COAPMSG_MAX_OPTS)
			return LWBS_ELIMIT;
		m->opts[m->n_opts].num = (uint16_t)num;
		m->opts[m->n_opts].len = (uint16_t)len;
		m->opts[m->n_opts].val = val;
		m->n_opts++;
	}
	return 0;
}

/* Copies only what was filled: the option array is large. */
static void copy_out(const struct lwbs_coapmsg *m, struct lwbs_coapmsg *out)
{
	out->type = m->type;
	out->code = m->code;
	out->mid = m->mid;
	out->tkl = m->tkl;
	memcpy(out->token, m->token, sizeof(m->token));
	memcpy(out->opts, m->opts, m->n_opts * sizeof(m->opts[0]));
	out->n_opts = m->n_opts;
	out->payload = m->payload;
	out->payload_len = m->payload_len;
}

/* The token (m->tkl bytes) and the rest of the message, then *out: the end
 * that both framings share. */
static int parse_rest(struct lwbs_rd *r, struct lwbs_coapmsg *m, struct lwbs_coapmsg *out)
{
	const uint8_t *tok = lwbs_rd_take(r, m->tkl);
	int rc;

	if (!tok)
		return lwbs_rd_err(r);
	memset(m->token, 0, sizeof(m->token));
	memcpy(m->token, tok, m->tkl);
	if ((rc = parse_body(r, m)))
		return rc;
	copy_out(m, out);
	return 0;
}

int lwbs_coapmsg_parse(const uint8_t *p, size_t n, struct lwbs_coapmsg *out)
{
	struct lwbs_coapmsg m;
	struct lwbs_rd r;
	uint8_t b0;

	lwbs_rd_init(&r, p, n);
	b0 = lwbs_rd_u8(&r);
	m.code = lwbs_rd_u8(&r);
	m.mid = lwbs_rd_be16(&r);
	if (lwbs_rd_err(&r))
		return lwbs_rd_err(&r);
	if ((b0 >> 6) != 1)
		return -EBADMSG;
	m.type = (b0 >> 4) & 3;
	m.tkl = b0 & 15;
	if (m.tkl > LWBS_COAPMSG_MAX_TOKEN)
		return -EBADMSG;
	if (m.code == 0 && (m.tkl || n != 4))
		return -EBADMSG;
	return parse_rest(&r, &m, out);
}

/* Nibble and extension bytes for an option delta or length. */
static size_t nibble(uint32_t v, uint8_t *nib, uint8_t ext[2])
{
	if (v < 13) {
		*nib = (uint8_t)v;
		return 0;
	}
	if (v < 269) {
		*nib = 13;
		ext[0] = (uint8_t)(v - 13);
		return 1;
	}
	*nib = 14;
	ext[0] = (uint8_t)((v - 269) >> 8);
	ext[1] = (uint8_t)(v - 269);
	return 2;
}

/* m's options in ascending number, stable (repeated options keep their
 * order), into sorted; -EINVAL for tkl > 8 or too many options. */
static int sort_opts(const struct lwbs_coapmsg *m, const struct lwbs_coapmsg_opt **sorted)
{
	if (m->tkl > LWBS_COAPMSG_MAX_TOKEN || m->n_opts > LWBS_COAPMSG_MAX_OPTS)
		return -EINVAL;
	for (size_t i = 0; i < m->n_opts; i++) {
		size_t j = i;

		while (j > 0 && sorted[j - 1]->num > m->opts[i].num) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = &m->opts[i];
	}
	return 0;
}

/* Writes the options and payload (to out when not NULL); returns their
 * length in bytes. */
static size_t put_body(const struct lwbs_coapmsg *m, const struct lwbs_coapmsg_opt *const *sorted,
		       struct lwbs_buf *out)
{
	uint16_t prev = 0;
	size_t total = 0;

	for (size_t i = 0; i < m->n_opts; i++) {
		const struct lwbs_coapmsg_opt *o = sorted[i];
		uint8_t hdr[5], dn, ln;
		size_t h = 1;

		h += nibble((uint32_t)(o->num - prev), &dn, hdr + h);
		h += nibble(o->len, &ln, hdr + h);
		hdr[0] = (uint8_t)(dn << 4 | ln);
		if (out) {
			lwbs_buf_put(out, hdr, h);
			lwbs_buf_put(out, o->val, o->len);
		}
		total += h + o->len;
		prev = o->num;
	}
	if (m->payload_len) {
		if (out) {
			lwbs_buf_putc(out, 0xff);
			lwbs_buf_put(out, m->payload, m->payload_len);
		}
		total += 1 + m->payload_len;
	}
	return total;
}

int lwbs_coapmsg_encode(const struct lwbs_coapmsg *m, struct lwbs_buf *out)
{
	const struct lwbs_coapmsg_opt *sorted[LWBS_COAPMSG_MAX_OPTS];
	int rc = sort_opts(m, sorted);

	if (rc)
		return rc;
	lwbs_buf_putc(out, (uint8_t)(0x40 | (m->type & 3) << 4 | m->tkl));
	lwbs_buf_putc(out, m->code);
	lwbs_buf_put_be16(out, m->mid);
	lwbs_buf_put(out, m->token, m->tkl);
	put_body(m, sorted, out);
	return lwbs_buf_err(out);
}

/* ---- CoAP over TCP framing (RFC 8323 §3.2) -------------------------------- */

/* Len nibble thresholds: 13 (+1 byte), 14 (+2 bytes), 15 (+4 bytes). */
#define TCP_EXT1 13u
#define TCP_EXT2 269u
#define TCP_EXT4 65805u

/* Header bytes before the Code: the Len/TKL byte and the extension. */
static size_t tcp_ext_bytes(unsigned nib)
{
	return nib < 13 ? 0 : nib == 13 ? 1 : nib == 14 ? 2 : 4;
}

int lwbs_coapmsg_tcp_frame_len(const uint8_t *p, size_t n, size_t *frame_len)
{
	struct lwbs_rd r;
	uint8_t b0;
	unsigned nib, tkl;
	uint64_t body;

	lwbs_rd_init(&r, p, n);
	b0 = lwbs_rd_u8(&r);
	if (lwbs_rd_err(&r))
		return lwbs_rd_err(&r);
	nib = b0 >> 4;
	tkl = b0 & 15;
	if (tkl > LWBS_COAPMSG_MAX_TOKEN)
		return -EBADMSG;
	if (nib < 13)
		body = nib;
	else if (nib == 13)
		body = TCP_EXT1 + lwbs_rd_u8(&r);
	else if (nib == 14)
		body = TCP_EXT2 + lwbs_rd_be16(&r);
	else
		body = TCP_EXT4 + (uint64_t)lwbs_rd_be32(&r);
	if (lwbs_rd_err(&r))
		return lwbs_rd_err(&r);
	body += 1 + tcp_ext_bytes(nib) + 1 + tkl; /* Len/TKL, extension, Code, Token */
	if (body > SIZE_MAX)
		return -EMSGSIZE;
	*frame_len = (size_t)body;
	return 0;
}

int lwbs_coapmsg_tcp_parse(const uint8_t *p, size_t n, struct lwbs_coapmsg *out)
{
	struct lwbs_coapmsg m;
	struct lwbs_rd r;
	size_t len;
	int rc;

	if ((rc = lwbs_coapmsg_tcp_frame_len(p, n, &len)))
		return rc;
	if (len > n)
		return LWBS_ETRUNC;
	if (len < n)
		return -EBADMSG;
	lwbs_rd_init(&r, p, n);
	m.tkl = p[0] & 15;
	lwbs_rd_take(&r, 1 + tcp_ext_bytes(p[0] >> 4));
	m.code = lwbs_rd_u8(&r);
	m.type = LWBS_COAPMSG_CON;
	m.mid = 0;
	return parse_rest(&r, &m, out);
}

int lwbs_coapmsg_tcp_encode(const struct lwbs_coapmsg *m, struct lwbs_buf *out)
{
	const struct lwbs_coapmsg_opt *sorted[LWBS_COAPMSG_MAX_OPTS];
	int rc = sort_opts(m, sorted);
	size_t body;

	if (rc)
		return rc;
	body = put_body(m, sorted, NULL);
	if ((uint64_t)body > TCP_EXT4 + (uint64_t)UINT32_MAX)
		return -EMSGSIZE;
	if (body < TCP_EXT1) {
		lwbs_buf_putc(out, (uint8_t)(body << 4 | m->tkl));
	} else if (body < TCP_EXT2) {
		lwbs_buf_putc(out, (uint8_t)(13 << 4 | m->tkl));
		lwbs_buf_putc(out, (uint8_t)(body - TCP_EXT1));
	} else if (body < TCP_EXT4) {
		lwbs_buf_putc(out, (uint8_t)(14 << 4 | m->tkl));
		lwbs_buf_put_be16(out, (uint16_t)(body - TCP_EXT2));
	} else {
		lwbs_buf_putc(out, (uint8_t)(15 << 4 | m->tkl));
		lwbs_buf_put_be32(out, (uint32_t)(body - TCP_EXT4));
	}
	lwbs_buf_putc(out, m->code);
	lwbs_buf_put(out, m->token, m->tkl);
	put_body(m, sorted, out);
	return lwbs_buf_err(out);
}

int lwbs_coapmsg_add_opt(struct lwbs_coapmsg *m, uint16_t num, const void *val, size_t len)
{
	if (m->n_opts >= LWBS_COAPMSG_MAX_OPTS)
		return -ENOBUFS;
	if (len > 65535)
		return -EINVAL;
	m->opts[m->n_opts].num = num;
	m->opts[m->n_opts].len = (uint16_t)len;
	m->opts[m->n_opts].val = val;
	m->n_opts++;
	return 0;
}

int lwbs_coapmsg_add_uint(struct lwbs_coapmsg *m, uint16_t num, uint32_t v, uint8_t tmp[4])
{
	size_t len = v == 0 ? 0 : v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x1000000 ? 3 : 4;

	for (size_t i = 0; i < len; i++)
		tmp[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
	return lwbs_coapmsg_add_opt(m, num, tmp, len);
}

const struct lwbs_coapmsg_opt *lwbs_coapmsg_find(const struct lwbs_coapmsg *m, uint16_t num)
{
	for (size_t i = 0; i < m->n_opts; i++)
		if (m->opts[i].num == num)
			return &m->opts[i];
	return NULL;
}

int64_t lwbs_coapmsg_uint(const struct lwbs_coapmsg *m, uint16_t num)
{
	const struct lwbs_coapmsg_opt *o = lwbs_coapmsg_find(m, num);
	uint32_t v = 0;

	if (!o)
		return -1;
	if (o->len > 4)
		return -EBADMSG;
	for (size_t i = 0; i < o->len; i++)
		v = v << 8 | o->val[i];
	return v;
}

int lwbs_coapmsg_path(const struct lwbs_coapmsg *m, char *out, size_t cap)
{
	size_t len = 0;

	for (size_t i = 0; i < m->n_opts; i++) {
		const struct lwbs_coapmsg_opt *o = &m->opts[i];

		if (o->num != LWBS_COAPMSG_OPT_URI_PATH)
			continue;
		if (len + 1 + o->len + 1 > cap)
			return -ENOBUFS;
		out[len++] = '/';
		memcpy(out + len, o->val, o->len);
		len += o->len;
	}
	if (len == 0) {
		if (cap < 2)
			return -ENOBUFS;
		out[len++] = '/';
	}
	out[len] = '\0';
	return 0;
}

int lwbs_coapmsg_block_decode(const struct lwbs_coapmsg_opt *o, struct lwbs_coapmsg_block *out)
{
	uint32_t v = 0;

	if (o->len > 3)
		return -EBADMSG;
	for (size_t i = 0; i < o->len; i++)
		v = v << 8 | o->val[i];
	if ((v & 7) == 7)
		return -EBADMSG;
	out->num = v >> 4;
	out->more = (v & 8) != 0;
	out->szx = (uint8_t)(v & 7);
	return 0;
}

int64_t lwbs_coapmsg_block_value(const struct lwbs_coapmsg_block *b)
{
	if (b->num > LWBS_COAPMSG_BLOCK_MAX_NUM || b->szx > 6)
		return -EINVAL;
	return (int64_t)b->num << 4 | (b->more ? 8 : 0) | b->szx;
}
