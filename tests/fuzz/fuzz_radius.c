/* lwbs — fuzz target: RADIUS parse, verify, response, binding extraction
 * and table apply. Byte 0 picks the table operation order; the rest is the
 * datagram. The response must parse back as a well-formed packet of the
 * expected length; extraction must agree with the table's own checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/radius.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lwbs_radius_packet pkt;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (lwbs_radius_parse(data + 1, size - 1, &pkt) != 0)
		return 0;
	if (pkt.len > size - 1 || pkt.nattrs > LWBS_RADIUS_ATTR_MAX)
		abort();
	lwbs_radius_verify(&pkt, "testing123", 10);

	uint8_t out[LWBS_RADIUS_MAX_LEN];
	size_t n = 0;
	if (lwbs_radius_build_response(&pkt, "testing123", 10, data[0] & 1, out, sizeof(out),
				       &n) == 0) {
		if (n < 20 || n > LWBS_RADIUS_MAX_LEN || out[0] != 5 || out[1] != pkt.id ||
		    ((size_t)out[2] << 8 | out[3]) != n)
			abort();
	}

	struct lwbs_radius_binding b;
	enum lwbs_radius_reason why;
	if (lwbs_radius_binding_extract(&pkt, &b, &why) != 0) {
		if (why == LWBS_RADIUS_R_OK || why >= LWBS_RADIUS_R__COUNT)
			abort();
		return 0;
	}
	if (why != LWBS_RADIUS_R_OK || strlen(b.imsi) > LWBS_RADIUS_IMSI_MAX)
		abort();
	struct lwbs_radius_table *t = lwbs_radius_table_create();
	if (!t)
		return 0;
	enum lwbs_radius_apply r;
	if (lwbs_radius_table_apply(t, &b, 1, &r, NULL) != 0)
		abort(); /* an extracted record is always applicable */
	struct lwbs_radius_binding out_b;
	if (b.status == LWBS_RADIUS_START || b.status == LWBS_RADIUS_INTERIM) {
		int rc = (b.has & LWBS_RADIUS_HAS_IPV4) ? lwbs_radius_table_lookup4(t, b.ipv4, &out_b)
							: lwbs_radius_table_lookup6(t, b.ipv6, &out_b);
		if (rc != 0 || strcmp(out_b.session_id, b.session_id) != 0 ||
		    strcmp(out_b.imsi, b.imsi) != 0 || out_b.uli_len != b.uli_len)
			abort();
		b.status = LWBS_RADIUS_STOP;
		if (lwbs_radius_table_apply(t, &b, 2, &r, NULL) != 0 || r != LWBS_RADIUS_REMOVED ||
		    lwbs_radius_table_count(t) != 0)
			abort();
	}
	lwbs_radius_table_destroy(t);
	return 0;
}
