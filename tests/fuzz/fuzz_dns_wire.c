/* Fuzz the DNS answer parser of `lwbsctl dns check`: the first two bytes
 * pick the query type, the rest is the response; the question's name is
 * the one asked for. Malformed input must fail cleanly. */
#include <stdint.h>
#include <stdlib.h>

#include "lwbs/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = {LWBS_DNS_T_A, LWBS_DNS_T_AAAA, LWBS_DNS_T_NS,
					 LWBS_DNS_T_TXT, LWBS_DNS_T_SRV, LWBS_DNS_T_URI};
	struct lwbs_arena *a;
	struct lwbs_dns_answer ans;

	if (size < 1)
		return 0;
	a = lwbs_arena_create(0);
	if (!a)
		return 0;
	lwbs_arena_set_limit(a, 1 << 20);
	uint16_t type = types[data[0] % 6];
	if (lwbs_dns_answer_parse(data + 1, size - 1, "bsf.mnc015.mcc234.pub.3gppnetwork.org.", type,
				  a, &ans) == 0) {
		for (size_t i = 0; i < ans.n; i++)
			if (!ans.rrs[i].rdata || ans.rrs[i].type != type)
				abort();
	}
	lwbs_arena_destroy(a);
	return 0;
}
