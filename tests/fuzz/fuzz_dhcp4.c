/* lwbs — fuzz target: DHCPv4 parser and INFORM answer.
 *
 * Input byte 0 picks the carrier (bit 0), always_send (bit 1) and whether
 * the source is ciaddr (bit 2); the rest is the datagram. A parsed INFORM
 * is answered; an ACK must be a well-formed DHCPv4 message that parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sid[4] = {10, 0, 0, 1};
	if (size < 1)
		return 0;
	struct lwbs_dhcp_policy pol = fuzz_dhcp_policy(data[0]);
	struct lwbs_dhcp4_msg m;
	if (lwbs_dhcp4_parse(data + 1, size - 1, &m) != 0)
		return 0;
	uint8_t out[1024];
	struct lwbs_buf b;
	lwbs_buf_init_fixed(&b, out, sizeof(out));
	const uint8_t *src = (data[0] & 4) ? m.ciaddr : NULL;
	if (lwbs_dhcp4_answer(&m, &pol, sid, src, &b) != 0)
		return 0;
	struct lwbs_dhcp4_msg r;
	if (lwbs_dhcp4_parse(b.data, b.len, &r) != 0 || r.op != 2 || r.msg_type != 5 ||
	    r.xid != m.xid || memcmp(r.server_id, sid, 4) != 0 || r.client_id_len != m.client_id_len)
		abort();
	return 0;
}
