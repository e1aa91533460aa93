/* lwbs — the policy both DHCP fuzz targets answer with: input byte 0 picks
 * the carrier (bit 0) and always_send (bit 1). */
#ifndef LWBS_FUZZ_DHCP_H
#define LWBS_FUZZ_DHCP_H

#include <stdint.h>

#include "lwbs/dhcp.h"

static inline struct lwbs_dhcp_policy fuzz_dhcp_policy(uint8_t flags)
{
	static const char uri[] = "coaps://bsf.example.net:5684";
	struct lwbs_dhcp_policy pol = {
		.always_send = flags & 2,
		.uri = uri,
		.uri_len = sizeof(uri) - 1,
	};

	if (flags & 1)
		pol.carrier = (struct lwbs_dhcp_carrier){.type = LWBS_DHCP_CARRIER_OPTION,
							 .v4_code = 224, .v6_code = 65001};
	else
		pol.carrier = (struct lwbs_dhcp_carrier){.type = LWBS_DHCP_CARRIER_VIVSO,
							 .enterprise = 32473, .suboption = 1};
	return pol;
}

#endif
