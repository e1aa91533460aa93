/* lwbs — DHCP bootstrap-URI responder: pure codec (dhcp/options.c).
 *
 * lwbs-dhcpd answers only stateless requests: a DHCPv4 DHCPINFORM
 * (RFC 2131 §3.4, §4.3.5) with a DHCPACK and a DHCPv6 Information-request
 * (RFC 8415 §18.3.6), directly or through Relay-forward messages, with a
 * Reply. The answer carries the LwM2M bootstrap-server URI, either in a
 * V-I Vendor-Specific option (v4 125, RFC 3925; v6 17, RFC 8415 §21.17)
 * under an enterprise number and sub-option code, or in a plain option
 * whose code the site configures (no IANA code point exists, STANDARDS.md
 * §4.1). Nothing here does I/O, allocates or keeps state.
 *
 * Return codes: 0, or
 *   LWBS_ETRUNC, LWBS_ELENGTH, LWBS_EDEPTH, -EBADMSG  malformed packet
 *   -ENOMSG   well-formed but not ours to answer (not an INFORM /
 *             Information-request, a BOOTREPLY, another server's id)
 *   -EPROTO   an INFORM / Information-request that breaks a rule of
 *             RFC 2131 / RFC 8415 and is dropped (see docs/dhcp.md)
 *   -ERANGE   the URI does not fit the carrier
 *   -ENOBUFS  the reply does not fit the output buffer
 */
#ifndef LWBS_DHCP_H
#define LWBS_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/buf.h"

#define LWBS_DHCP4_SERVER_PORT 67
#define LWBS_DHCP4_CLIENT_PORT 68
#define LWBS_DHCP6_SERVER_PORT 547
#define LWBS_DHCP6_CLIENT_PORT 546

/* Largest URI each carrier holds without RFC 3396 splitting: option 125
 * = enterprise(4) data-len(1) code(1) len(1) URI within 255 bytes. */
#define LWBS_DHCP_URI_MAX_VIVSO 248
#define LWBS_DHCP_URI_MAX_OPTION 255

/* Relay-forward nesting accepted (RFC 8415 HOP_COUNT_LIMIT is 8). */
#define LWBS_DHCP6_RELAY_MAX 8
/* A DUID is at most 130 bytes including its type (RFC 8415 §11.1). */
#define LWBS_DHCP6_DUID_MAX 130

enum lwbs_dhcp_carrier_type {
	LWBS_DHCP_CARRIER_VIVSO,  /* v4 option 125 / v6 option 17 */
	LWBS_DHCP_CARRIER_OPTION, /* a site-chosen plain option code */
};

struct lwbs_dhcp_carrier {
	enum lwbs_dhcp_carrier_type type;
	uint32_t enterprise; /* VIVSO: IANA private enterprise number */
	uint8_t suboption;   /* VIVSO: sub-option code 1..254 (v6: same, 16 bit) */
	uint8_t v4_code;     /* OPTION: 1..254 */
	uint16_t v6_code;    /* OPTION: 1..65535 */
};

/* What to answer. uri is borrowed for the call; it need not be
 * NUL-terminated. */
struct lwbs_dhcp_policy {
	struct lwbs_dhcp_carrier carrier;
	bool always_send; /* send the carrier even when not requested */
	const char *uri;
	size_t uri_len;
};

/* A parsed DHCPv4 request. Fixed-size copies, no pointers into the packet. */
struct lwbs_dhcp4_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid; /* host order */
	uint16_t secs, flags;
	uint8_t ciaddr[4], yiaddr[4], siaddr[4], giaddr[4];
	uint8_t chaddr[16];
	uint8_t msg_type;      /* option 53; 0 if absent (plain BOOTP) */
	uint8_t overload;      /* option 52 value, 0 if absent */
	bool has_prl;
	uint8_t prl[32];       /* option 55 as a bitmap of codes */
	bool has_server_id;
	uint8_t server_id[4];  /* option 54 */
	bool has_requested_ip; /* option 50 */
	bool has_lease_time;   /* option 51 */
	bool has_relay_info;   /* option 82 */
	uint8_t client_id_len; /* option 61 (instances concatenated, RFC 3396) */
	bool has_client_id;
	uint8_t client_id[255];
};

/* Parses a BOOTP/DHCPv4 message: fixed header, magic cookie, options
 * (pad/end, option 52 overload into file then sname). Every field must end
 * with End; option 52 outside the options field, a repeated 52, 53 or 54,
 * a length past the end of its field or a wrong fixed length is malformed.
 * Writes *out only on success. */
int lwbs_dhcp4_parse(const uint8_t *pkt, size_t len, struct lwbs_dhcp4_msg *out);

/* Whether code c is in the request's parameter request list. */
static inline bool lwbs_dhcp4_requested(const struct lwbs_dhcp4_msg *m, uint8_t c)
{
	return m->has_prl && (m->prl[c >> 3] & (1u << (c & 7)));
}

/* Builds the DHCPACK for an INFORM into out (appended). server_id is the
 * address the ACK names in option 54 (and must match a request's option
 * 54); src is the IPv4 source of the datagram or NULL if unknown: when the
 * INFORM was not relayed (giaddr 0) it must equal ciaddr. The ACK goes to
 * ciaddr, port 68. -ENOMSG for a message that is not an INFORM request or
 * names another server; -EPROTO for an INFORM with ciaddr 0, options 50 or
 * 51, or a source that is not ciaddr. */
int lwbs_dhcp4_answer(const struct lwbs_dhcp4_msg *req, const struct lwbs_dhcp_policy *pol,
		      const uint8_t server_id[4], const uint8_t *src, struct lwbs_buf *out);

/* One Relay-forward level, outermost first. Pointers borrow the packet. */
struct lwbs_dhcp6_relay {
	uint8_t hop_count;
	uint8_t link_addr[16];
	uint8_t peer_addr[16];
	const uint8_t *interface_id; /* option 18, NULL if absent */
	size_t interface_id_len;
};

/* A parsed DHCPv6 message. Pointers borrow the packet. */
struct lwbs_dhcp6_msg {
	unsigned relay_depth; /* number of Relay-forward levels */
	struct lwbs_dhcp6_relay relay[LWBS_DHCP6_RELAY_MAX];
	uint8_t msg_type;     /* the client's message inside the relays */
	uint8_t xid[3];
	const uint8_t *client_id; /* option 1 (DUID), NULL if absent */
	size_t client_id_len;
	const uint8_t *server_id; /* option 2, NULL if absent */
	size_t server_id_len;
	const uint8_t *oro;       /* option 6: 16-bit codes, NULL if absent */
	size_t oro_len;
	bool has_ia;              /* IA_NA, IA_TA or IA_PD present */
};

/* Parses a DHCPv6 client message, unwrapping up to LWBS_DHCP6_RELAY_MAX
 * Relay-forward levels (deeper: LWBS_EDEPTH). Each Relay-forward needs
 * exactly one Relay Message option. Writes *out only on success. */
int lwbs_dhcp6_parse(const uint8_t *pkt, size_t len, struct lwbs_dhcp6_msg *out);

/* Whether option code c is in the request's ORO. */
bool lwbs_dhcp6_requested(const struct lwbs_dhcp6_msg *m, uint16_t c);

/* Builds the Reply to an Information-request (wrapped in one Relay-reply
 * per Relay-forward level, Interface-Id copied) into out. duid is this
 * server's DUID. -ENOMSG for other message types or another server's id,
 * -EPROTO for a request carrying an IA option. The reply goes to the
 * datagram's source address and port. */
int lwbs_dhcp6_answer(const struct lwbs_dhcp6_msg *req, const struct lwbs_dhcp_policy *pol,
		      const uint8_t *duid, size_t duid_len, struct lwbs_buf *out);

#endif
