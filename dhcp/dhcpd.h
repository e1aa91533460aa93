/* lwbs-dhcpd — private interfaces between conf.c, responder.c and main.c. */
#ifndef LWBS_DHCPD_H
#define LWBS_DHCPD_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lwbs/dhcp.h"

#define DHCPD_MAX_ADDRS 8
#define DHCPD_MAX_IFS 16

struct dhcpd_conf {
	struct in_addr v4[DHCPD_MAX_ADDRS];
	unsigned n_v4;
	struct in6_addr v6[DHCPD_MAX_ADDRS];
	unsigned n_v6;
	uint16_t v4_port, v6_port;
	char ifs[DHCPD_MAX_IFS][IF_NAMESIZE];
	unsigned n_ifs;
	bool v6_accept_unicast;
	int receive_buffer; /* bytes, 0 = kernel default */
	char uri[LWBS_DHCP_URI_MAX_OPTION + 1];
	size_t uri_len;
	struct lwbs_dhcp_carrier carrier;
	bool always_send;
	bool has_server_id;
	uint8_t server_id[4];
	uint8_t duid[LWBS_DHCP6_DUID_MAX];
	size_t duid_len; /* 0: derive at start-up */
	uint32_t rate;   /* requests per second per client address, 0 = off */
	uint32_t burst;
};

/* Fills c with the defaults of config/lwbs-dhcpd.yaml. */
void dhcpd_conf_defaults(struct dhcpd_conf *c);
/* Loads path over the defaults. On error writes "file:line:column:
 * message" into err and returns a negative code; c is then unchanged. */
int dhcpd_conf_load(const char *path, struct dhcpd_conf *c, char *err, size_t errlen);

/* Per-subscriber URI hook: given the client's address (the datagram
 * source, or ciaddr / the innermost peer-address when relayed), writes
 * the URI to use. Returns 0 and sets *uri and *len (borrowed until the next
 * call), or a negative code to fall back to the configured URI. No
 * implementation exists yet: it needs the RADIUS bindings (IP -> IMSI ->
 * PLMN/profile) of the RADIUS work. */
typedef int (*dhcpd_uri_lookup_fn)(void *ctx, const struct sockaddr *client,
				   const char **uri, size_t *len);

struct dhcpd_counters {
	uint64_t received, answered, dropped_malformed, dropped_ratelimit, dropped_not_for_us;
};

struct dhcpd;

/* Opens the sockets of conf (copied). NULL with errno set and a message
 * in err on failure. */
struct dhcpd *dhcpd_create(const struct dhcpd_conf *conf, char *err, size_t errlen);
void dhcpd_destroy(struct dhcpd *d);
void dhcpd_set_uri_lookup(struct dhcpd *d, dhcpd_uri_lookup_fn fn, void *ctx);
/* Runs until SIGTERM/SIGINT; SIGHUP reloads conf_path; SIGUSR1 prints
 * the counters. Returns 0 on a clean exit. */
int dhcpd_run(struct dhcpd *d, const char *conf_path);
void dhcpd_counters(const struct dhcpd *d, struct dhcpd_counters *out);

#endif
