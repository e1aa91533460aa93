/* lwbs — what the DHCPv4 and DHCPv6 unit tests share (test_dhcp4.c,
 * test_dhcp6.c). */
#ifndef LWBS_TEST_DHCP_TEST_H
#define LWBS_TEST_DHCP_TEST_H

#include <stdbool.h>

#include "lwbs/dhcp.h"

#define URI "coaps://bsf.example.net:5684"

/* URI in the VIVSO carrier: the documentation enterprise number, suboption 1. */
static struct lwbs_dhcp_policy vivso(bool always)
{
	struct lwbs_dhcp_policy p = {
		.carrier = {.type = LWBS_DHCP_CARRIER_VIVSO, .enterprise = 32473, .suboption = 1},
		.always_send = always,
		.uri = URI,
		.uri_len = sizeof(URI) - 1,
	};
	return p;
}

#endif
