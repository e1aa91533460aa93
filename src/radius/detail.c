/* lwbs — FreeRADIUS `detail` file reader (rlm_detail v3.2, STANDARDS §6.7).
 * Pure: the text is handed in; values are converted to wire form and go
 * through the same builder as a received Accounting-Request. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/hex.h"
#include "lwbs/err.h"
#include "lwbs/radius.h"

#include "binding_int.h"

enum kind { V_INT, V_STATUS, V_BYTE, V_RAT, V_IP4, V_IP6, V_PFX6, V_STR, V_OCT, V_DATE,
	    V_TIMESTAMP, V_PKTTYPE };

struct dname {
	const char *name;
	uint8_t kind;
	uint8_t vsa; /* 1: a 3GPP sub-attribute */
	uint8_t type;
};

static const struct dname names[] = {
	{"Acct-Status-Type", V_STATUS, 0, LWBS_RADIUS_A_ACCT_STATUS_TYPE},
	{"NAS-IP-Address", V_IP4, 0, LWBS_RADIUS_A_NAS_IP_ADDRESS},
	{"NAS-IPv6-Address", V_IP6, 0, LWBS_RADIUS_A_NAS_IPV6_ADDRESS},
	{"NAS-Identifier", V_STR, 0, LWBS_RADIUS_A_NAS_IDENTIFIER},
	{"Framed-IP-Address", V_IP4, 0, LWBS_RADIUS_A_FRAMED_IP_ADDRESS},
	{"Framed-IPv6-Prefix", V_PFX6, 0, LWBS_RADIUS_A_FRAMED_IPV6_PREFIX},
	{"Calling-Station-Id", V_STR, 0, LWBS_RADIUS_A_CALLING_STATION_ID},
	{"Called-Station-Id", V_STR, 0, LWBS_RADIUS_A_CALLED_STATION_ID},
	{"Acct-Session-Id", V_STR, 0, LWBS_RADIUS_A_ACCT_SESSION_ID},
	{"Event-Timestamp", V_DATE, 0, LWBS_RADIUS_A_EVENT_TIMESTAMP},
	{"3GPP-IMSI", V_STR, 1, LWBS_RADIUS_3GPP_IMSI},
	{"3GPP-Charging-ID", V_INT, 1, LWBS_RADIUS_3GPP_CHARGING_ID},
	{"3GPP-IMSI-MCC-MNC", V_STR, 1, LWBS_RADIUS_3GPP_IMSI_MCC_MNC},
	{"3GPP-SGSN-MCC-MNC", V_STR, 1, LWBS_RADIUS_3GPP_SGSN_MCC_MNC},
	{"3GPP-IMEISV", V_STR, 1, LWBS_RADIUS_3GPP_IMEISV},
	{"3GPP-RAT-Type", V_RAT, 1, LWBS_RADIUS_3GPP_RAT_TYPE},
	{"3GPP-User-Location-Info", V_OCT, 1, LWBS_RADIUS_3GPP_USER_LOCATION_INFO},
	{"3GPP-Location-Info", V_OCT, 1, LWBS_RADIUS_3GPP_USER_LOCATION_INFO},
	{"Timestamp", V_TIMESTAMP, 0, 0},
	{"Packet-Type", V_PKTTYPE, 0, 0},
};

struct vname {
	const char *name;
	uint32_t v;
};

/* dictionary.rfc2866 / rfc2867 */
static const struct vname status_names[] = {
	{"Start", 1}, {"Stop", 2}, {"Alive", 3}, {"Interim-Update", 3},
	{"Accounting-On", 7}, {"Accounting-Off", 8}, {"Tunnel-Start", 9},
	{"Tunnel-Stop", 10}, {"Tunnel-Reject", 11}, {"Tunnel-Link-Start", 12},
	{"Tunnel-Link-Stop", 13}, {"Tunnel-Link-Reject", 14}, {"Failed", 15},
	{NULL, 0},
};

/* dictionary.3gpp (v3.2) */
static const struct vname rat_names[] = {
	{"UTRAN", 1}, {"GERAN", 2}, {"WLAN", 3}, {"GAN", 4}, {"HSPA-Evolution", 5},
	{"EUTRAN", 6}, {"Virtual", 7}, {"IEEE-802.16e", 101}, {"3GPP2-eHRPD", 102},
	{"3GPP2-HRPD", 103}, {"3GPP2-1xRTT", 104},
	{NULL, 0},
};

/* One line: [s, e) without the newline. */
struct line {
	const char *s, *e;
};

/* Next line at d->pos; 0, -ENOENT at the end, LWBS_ETRUNC if unterminated. */
static int next_line(struct lwbs_radius_detail *d, struct line *l)
{
	if (d->pos >= d->len)
		return -ENOENT;
	const char *s = d->text + d->pos;
	const char *nl = memchr(s, '\n', d->len - d->pos);
	if (!nl)
		return LWBS_ETRUNC;
	l->s = s;
	l->e = nl > s && nl[-1] == '\r' ? nl - 1 : nl;
	d->pos = (size_t)(nl + 1 - d->text);
	d->line++;
	return 0;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static bool blank(const struct line *l)
{
	for (const char *p = l->s; p < l->e; p++)
		if (!is_ws(*p))
			return false;
	return true;
}

static bool parse_u32(const char *s, const char *e, uint32_t *out)
{
	uint64_t v = 0;
	if (s == e || e - s > 10)
		return false;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool lookup_value(const struct vname *t, const char *s, const char *e, uint32_t *out)
{
	for (; t->name; t++)
		if (strlen(t->name) == (size_t)(e - s) && memcmp(t->name, s, (size_t)(e - s)) == 0) {
			*out = t->v;
			return true;
		}
	return parse_u32(s, e, out);
}

/* The value forms: "quoted" (escapes \\ \" \n \r \t \ooo), 0x<hex>, or a
 * bare token. Writes the bytes (unescaped / decoded) into out. */
enum form { F_QUOTED, F_HEX, F_BARE };

static bool read_value(const char *s, const char *e, uint8_t *out, size_t *n, enum form *f)
{
	size_t w = 0;
	if (*s == '"') {
		*f = F_QUOTED;
		for (s++; s < e && *s != '"'; s++) {
			uint8_t c = (uint8_t)*s;
			if (c == '\\') {
				if (++s == e)
					return false;
				switch (*s) {
				case 'n': c = '\n'; break;
				case 'r': c = '\r'; break;
				case 't': c = '\t'; break;
				case '\\': case '"': case '\'': c = (uint8_t)*s; break;
				default:
					if (e - s < 3 || s[0] < '0' || s[0] > '3' || s[1] < '0' ||
					    s[1] > '7' || s[2] < '0' || s[2] > '7')
						return false;
					c = (uint8_t)((s[0] - '0') * 64 + (s[1] - '0') * 8 + (s[2] - '0'));
					s += 2;
				}
			}
			if (w == 253)
				return false;
			out[w++] = c;
		}
		if (s == e || s + 1 != e)
			return false; /* unterminated, or text after the closing quote */
	} else if (e - s >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		*f = F_HEX;
		if ((e - s) % 2 || e - s > 2 + 2 * 253)
			return false;
		for (s += 2; s < e; s += 2) {
			int hi = lwbs_hex_digit(s[0]), lo = lwbs_hex_digit(s[1]);
			if (hi < 0 || lo < 0)
				return false;
			out[w++] = (uint8_t)(hi * 16 + lo);
		}
	} else {
		*f = F_BARE;
		if (e - s > 253)
			return false;
		for (const char *p = s; p < e; p++)
			if (*p == '"' || is_ws(*p))
				return false;
		memcpy(out, s, (size_t)(e - s));
		w = (size_t)(e - s);
	}
	*n = w;
	return true;
}

struct rec {
	struct rad_builder k;
	bool has_ts;
	uint32_t ts;
};

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void feed(struct rec *r, const struct dname *dn, const uint8_t *v, size_t n)
{
	if (dn->vsa)
		rad_builder_3gpp(&r->k, dn->type, v, n);
	else
		rad_builder_attr(&r->k, dn->type, v, n);
}

/* Attr-<type> or Attr-26.<vendor>.<type>: raw octets. */
static bool attr_number(const char *s, const char *e, struct dname *dn, bool *ours)
{
	const char *dot1 = memchr(s, '.', (size_t)(e - s));
	uint32_t a, vendor, t;
	*ours = true;
	if (!dot1)
		return parse_u32(s, e, &a) && a <= 255 && (dn->type = (uint8_t)a, dn->vsa = 0, true);
	const char *dot2 = memchr(dot1 + 1, '.', (size_t)(e - dot1 - 1));
	if (!dot2 || !parse_u32(s, dot1, &a) || a != LWBS_RADIUS_A_VENDOR_SPECIFIC ||
	    !parse_u32(dot1 + 1, dot2, &vendor) || !parse_u32(dot2 + 1, e, &t) || t > 255)
		return false;
	*ours = vendor == LWBS_RADIUS_VENDOR_3GPP;
	dn->vsa = 1;
	dn->type = (uint8_t)t;
	return true;
}

/* One attribute line; false on a syntax error. */
static bool attr_line(struct rec *r, const struct line *l)
{
	const char *p = l->s, *e = l->e;
	while (p < e && is_ws(*p))
		p++;
	while (e > p && is_ws(e[-1]))
		e--;
	const char *ns = p;
	while (p < e && !is_ws(*p) && *p != '=')
		p++;
	const char *ne = p;
	while (p < e && is_ws(*p))
		p++;
	if (ns == ne || p == e || *p != '=')
		return false;
	p++;
	while (p < e && is_ws(*p))
		p++;
	if (p == e)
		return false;

	uint8_t val[253];
	size_t n;
	enum form f;
	if (!read_value(p, e, val, &n, &f))
		return false;

	size_t nl = (size_t)(ne - ns);
	const struct dname *dn = NULL;
	struct dname num;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == nl && memcmp(names[i].name, ns, nl) == 0)
			dn = &names[i];
	if (!dn && nl > 5 && memcmp(ns, "Attr-", 5) == 0) {
		bool ours;
		if (!attr_number(ns + 5, ne, &num, &ours) || f != F_HEX)
			return false;
		if (ours)
			feed(r, &num, val, n);
		return true;
	}
	if (!dn)
		return true; /* an attribute this reader does not use */

	char txt[254];
	uint8_t w[18];
	uint32_t u;
	memcpy(txt, val, n);
	txt[n] = 0;
	switch (dn->kind) {
	case V_STR:
	case V_OCT:
		feed(r, dn, val, n);
		return true;
	case V_INT:
	case V_DATE:
		if (dn->kind == V_DATE && f == F_QUOTED)
			return true; /* text date: the record Timestamp stands in */
		if (f == F_QUOTED || !parse_u32(p, e, &u))
			return false;
		put_be32(w, u);
		feed(r, dn, w, 4);
		return true;
	case V_STATUS:
		if (f == F_QUOTED || !lookup_value(status_names, p, e, &u))
			return false;
		put_be32(w, u);
		feed(r, dn, w, 4);
		return true;
	case V_RAT:
		if (f == F_QUOTED || !lookup_value(rat_names, p, e, &u) || u > 255)
			return false;
		w[0] = (uint8_t)u;
		feed(r, dn, w, 1);
		return true;
	case V_IP4:
		if (f != F_BARE || inet_pton(AF_INET, txt, w) != 1)
			return false;
		feed(r, dn, w, 4);
		return true;
	case V_IP6:
		if (f != F_BARE || inet_pton(AF_INET6, txt, w) != 1)
			return false;
		feed(r, dn, w, 16);
		return true;
	case V_PFX6: {
		char *slash = strchr(txt, '/');
		if (f != F_BARE || !slash || !parse_u32(slash + 1, txt + n, &u) || u > 128)
			return false;
		*slash = 0;
		if (inet_pton(AF_INET6, txt, w + 2) != 1)
			return false;
		w[0] = 0;
		w[1] = (uint8_t)u;
		feed(r, dn, w, 2 + (u + 7) / 8);
		return true;
	}
	case V_TIMESTAMP:
		if (f != F_BARE || !parse_u32(p, e, &r->ts))
			return false;
		r->has_ts = true;
		return true;
	case V_PKTTYPE:
		if (f != F_BARE)
			return false;
		if (n != strlen("Accounting-Request") || memcmp(txt, "Accounting-Request", n) != 0)
			r->k.not_accounting = true;
		return true;
	}
	return false;
}

void lwbs_radius_detail_init(struct lwbs_radius_detail *d, const char *text, size_t len)
{
	*d = (struct lwbs_radius_detail){.text = text, .len = len, .line = 1};
}

int lwbs_radius_detail_next(struct lwbs_radius_detail *d, struct lwbs_radius_binding *out,
			    enum lwbs_radius_reason *why)
{
	struct line l;
	int rc;
	/* Skip blank lines up to the header. */
	for (;;) {
		size_t pos = d->pos;
		unsigned line = d->line;
		rc = next_line(d, &l);
		if (rc)
			return rc;
		if (!blank(&l)) {
			d->pos = pos;
			d->line = line;
			break;
		}
	}
	size_t start = d->pos;
	unsigned start_line = d->line;
	rc = next_line(d, &l);
	if (rc)
		return rc;
	unsigned bad = 0;
	if (is_ws(*l.s))
		bad = start_line; /* an attribute line where a header belongs */

	struct rec r = {0};
	rad_builder_init(&r.k);
	for (;;) {
		unsigned line = d->line;
		rc = next_line(d, &l);
		if (rc == -ENOENT)
			break;
		if (rc) {
			d->pos = start;
			d->line = start_line;
			return rc;
		}
		if (blank(&l))
			break;
		if (!bad && (!is_ws(*l.s) || !attr_line(&r, &l)))
			bad = line;
	}
	d->rec_line = start_line;
	if (bad) {
		d->err_line = bad;
		return LWBS_ESYNTAX;
	}
	if (r.has_ts && !(r.k.b.has & LWBS_RADIUS_HAS_EVENT_TIME)) {
		r.k.b.event_time = r.ts;
		r.k.b.has |= LWBS_RADIUS_HAS_EVENT_TIME;
	}
	return rad_builder_finish(&r.k, out, why);
}
