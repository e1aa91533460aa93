/* lwbs — fuzz target: DHCPv6 parser and Information-request answer.
 *
 * Input byte 0 picks the carrier (bit 0) and always_send (bit 1); the rest
 * is the datagram. A Reply (inside its Relay-replies) must parse again with
 * the same relay depth once its message types are turned into requests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t duid[] = {0, 3, 0, 1, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
	if (size < 1)
		return 0;
	struct lwbs_dhcp_policy pol = fuzz_dhcp_policy(data[0]);
	struct lwbs_dhcp6_msg m;
	if (lwbs_dhcp6_parse(data + 1, size - 1, &m) != 0)
		return 0;
	struct lwbs_buf b;
	lwbs_buf_init(&b, 1 << 20);
	if (lwbs_dhcp6_answer(&m, &pol, duid, sizeof(duid), &b) == 0) {
		/* Relay-reply -> Relay-forward, Reply -> Information-request */
		size_t off = 0;
		for (unsigned i = 0; i < m.relay_depth; i++) {
			if (b.data[off] != 13)
				abort();
			b.data[off] = 12;
			off += 34;
			while (!(b.data[off] == 0 && b.data[off + 1] == 9))
				off += 4 + ((size_t)b.data[off + 2] << 8 | b.data[off + 3]);
			off += 4;
		}
		if (b.data[off] != 7)
			abort();
		b.data[off] = 11;
		struct lwbs_dhcp6_msg r;
		if (lwbs_dhcp6_parse(b.data, b.len, &r) != 0 || r.relay_depth != m.relay_depth ||
		    memcmp(r.xid, m.xid, 3) != 0 || r.server_id_len != sizeof(duid) ||
		    r.client_id_len != m.client_id_len)
			abort();
	}
	lwbs_buf_finish(&b);
	return 0;
}
