/* lwbs — DNS response parsing for `lwbsctl dns check` (RFC 1035 §4,
 * SRV RFC 2782, URI RFC 7553). Pure: bytes in, presentation text out, in
 * the same form zone.c writes so that the two compare as strings. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "lwbs/dns.h"
#include "lwbs/rd.h"

int lwbs_dns_quote(struct lwbs_buf *out, const uint8_t *s, size_t n)
{
	lwbs_buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c == '"' || c == '\\')
			lwbs_buf_printf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			lwbs_buf_printf(out, "\\%03u", c);
		else
			lwbs_buf_putc(out, c);
	}
	return lwbs_buf_putc(out, '"');
}

/* Reads the (possibly compressed) name at *off in msg and appends it in
 * presentation form, lower case, with the trailing dot. *off moves past
 * the name as it appears at that place. */
static int read_name(const uint8_t *msg, size_t len, size_t *off, struct lwbs_buf *out)
{
	size_t p = *off, end = 0, total = 0;
	bool jumped = false;
	unsigned hops = 0;

	for (;;) {
		if (p >= len)
			return -EBADMSG;
		uint8_t l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++hops > 64)
				return -EBADMSG;
			size_t target = ((size_t)(l & 0x3f) << 8) | msg[p + 1];
			if (!jumped)
				end = p + 2;
			jumped = true;
			if (target >= p)
				return -EBADMSG; /* pointers go backwards only */
			p = target;
			continue;
		}
		if (l & 0xc0)
			return -EBADMSG;
		if (l == 0) {
			if (!jumped)
				end = p + 1;
			break;
		}
		if (p + 1 + l > len)
			return -EBADMSG;
		total += (size_t)l + 1;
		if (total > 255)
			return -EBADMSG;
		for (size_t i = 0; i < l; i++) {
			uint8_t c = msg[p + 1 + i];
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			if (c == '.' || c == '\\')
				lwbs_buf_printf(out, "\\%c", c);
			else if (c <= 0x20 || c >= 0x7f)
				lwbs_buf_printf(out, "\\%03u", c);
			else
				lwbs_buf_putc(out, c);
		}
		lwbs_buf_putc(out, '.');
		p += 1 + (size_t)l;
	}
	if (total == 0)
		lwbs_buf_putc(out, '.');
	*off = end;
	return lwbs_buf_err(out);
}

int lwbs_dns_rdata_format(const uint8_t *msg, size_t msg_len, size_t rdata_off, uint16_t rdlen,
			  uint16_t type, struct lwbs_buf *out)
{
	struct lwbs_rd rd;
	char ip[INET6_ADDRSTRLEN];
	size_t off, end = rdata_off + rdlen;
	int r;

	if (end > msg_len)
		return -EBADMSG;
	lwbs_rd_init(&rd, msg + rdata_off, rdlen);
	switch (type) {
	case LWBS_DNS_T_A:
	case LWBS_DNS_T_AAAA:
		if (rdlen != (type == LWBS_DNS_T_A ? 4 : 16))
			return -EBADMSG;
		inet_ntop(type == LWBS_DNS_T_A ? AF_INET : AF_INET6, msg + rdata_off, ip, sizeof(ip));
		return lwbs_buf_puts(out, ip);
	case LWBS_DNS_T_NS:
		off = rdata_off;
		r = read_name(msg, msg_len, &off, out);
		if (r)
			return r;
		return off == end ? 0 : -EBADMSG;
	case LWBS_DNS_T_SRV: {
		uint16_t prio = lwbs_rd_be16(&rd), weight = lwbs_rd_be16(&rd), port = lwbs_rd_be16(&rd);
		if (lwbs_rd_err(&rd))
			return -EBADMSG;
		lwbs_buf_printf(out, "%u %u %u ", prio, weight, port);
		off = rdata_off + 6;
		r = read_name(msg, msg_len, &off, out);
		if (r)
			return r;
		return off == end ? 0 : -EBADMSG;
	}
	case LWBS_DNS_T_URI: {
		uint16_t prio = lwbs_rd_be16(&rd), weight = lwbs_rd_be16(&rd);
		if (lwbs_rd_err(&rd) || lwbs_rd_left(&rd) == 0)
			return -EBADMSG; /* RFC 7553 §4.5: the target is not empty */
		lwbs_buf_printf(out, "%u %u ", prio, weight);
		return lwbs_dns_quote(out, rd.p, lwbs_rd_left(&rd));
	}
	case LWBS_DNS_T_TXT:
		if (rdlen == 0)
			return -EBADMSG;
		for (bool first = true; lwbs_rd_left(&rd); first = false) {
			uint8_t n = lwbs_rd_u8(&rd);
			const uint8_t *s = lwbs_rd_take(&rd, n);
			if (!s)
				return -EBADMSG;
			if (!first)
				lwbs_buf_putc(out, ' ');
			lwbs_dns_quote(out, s, n);
		}
		return lwbs_buf_err(out);
	default:
		return -ENOTSUP;
	}
}

int lwbs_dns_answer_parse(const uint8_t *msg, size_t len, const char *qname, uint16_t qtype,
			  struct lwbs_arena *a, struct lwbs_dns_answer *out)
{
	struct lwbs_rd rd;
	struct lwbs_buf name, rdata;
	struct lwbs_dns_answer ans = {0};
	int r = 0;

	lwbs_rd_init(&rd, msg, len);
	lwbs_rd_be16(&rd); /* id */
	uint16_t flags = lwbs_rd_be16(&rd);
	uint16_t qd = lwbs_rd_be16(&rd), an = lwbs_rd_be16(&rd);
	lwbs_rd_take(&rd, 4); /* nscount, arcount */
	if (lwbs_rd_err(&rd) || !(flags & 0x8000))
		return -EBADMSG;
	ans.rcode = flags & 0x0f;
	ans.aa = flags & 0x0400;
	ans.rrs = lwbs_arena_alloc(a, sizeof(*ans.rrs) * (an ? an : 1));
	if (!ans.rrs)
		return -ENOMEM;

	lwbs_buf_init(&name, 512);
	lwbs_buf_init(&rdata, 8192);
	size_t off = 12;
	for (unsigned i = 0; i < qd; i++) {
		lwbs_buf_reset(&name);
		r = read_name(msg, len, &off, &name);
		if (r)
			goto out;
		if (off + 4 > len) {
			r = -EBADMSG;
			goto out;
		}
		off += 4;
	}
	for (unsigned i = 0; i < an; i++) {
		lwbs_buf_reset(&name);
		lwbs_buf_reset(&rdata);
		r = read_name(msg, len, &off, &name);
		if (r)
			goto out;
		lwbs_rd_init(&rd, msg + off, len - off);
		uint16_t type = lwbs_rd_be16(&rd), cls = lwbs_rd_be16(&rd);
		uint32_t ttl = lwbs_rd_be32(&rd);
		uint16_t rdlen = lwbs_rd_be16(&rd);
		if (lwbs_rd_err(&rd) || lwbs_rd_left(&rd) < rdlen) {
			r = -EBADMSG;
			goto out;
		}
		off += 10;
		lwbs_buf_putc(&name, 0);
		if (type == qtype && cls == 1 && !lwbs_buf_err(&name) &&
		    strcasecmp((const char *)name.data, qname) == 0) {
			r = lwbs_dns_rdata_format(msg, len, off, rdlen, type, &rdata);
			if (!r)
				r = lwbs_buf_putc(&rdata, 0);
			if (r)
				goto out;
			struct lwbs_dns_rr *rr = &ans.rrs[ans.n];
			rr->owner = lwbs_arena_strdup(a, (const char *)name.data);
			rr->rdata = lwbs_arena_strdup(a, (const char *)rdata.data);
			if (!rr->owner || !rr->rdata) {
				r = -ENOMEM;
				goto out;
			}
			rr->type = type;
			rr->ttl = ttl;
			ans.n++;
		}
		off += rdlen;
	}
	*out = ans;
out:
	lwbs_buf_finish(&rdata);
	lwbs_buf_finish(&name);
	return r;
}
