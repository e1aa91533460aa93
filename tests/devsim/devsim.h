/* lwbs-devsim — command-line options and the two run modes. */
#ifndef DEVSIM_DEVSIM_H
#define DEVSIM_DEVSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dtls.h"
#include "lwbs/model.h"

struct devsim_opts {
	const char *server; /* the --server URI as given */
	struct sockaddr_storage server_addr;
	socklen_t server_len;
	const char *ep;
	enum lwbs_version version;
	int pct;      /* -1 = not sent */
	bool pack;
	int accept;
	uint16_t bs_iid;
	bool fail_finish;
	unsigned mute_after;
	const char *local;  /* single mode source address, or NULL */
	double timeout;     /* single: whole run; load: per session (s) */
	/* load mode */
	unsigned load;      /* 0 = single-device mode */
	double duration;    /* s; 0 = until --sessions */
	unsigned long sessions;
	const char *ep_prefix;
	unsigned endpoints;
	const char *local_base; /* NULL = let the kernel choose */
	double warmup;
	/* --discover dns: the discovered URI (then also server) and the JSON
	 * array of DNS steps for the single-mode report; NULL otherwise */
	const char *discovered;
	const char *discovery_json;
	/* coaps:// (single mode): DTLS 1.2 with these credentials */
	bool secure;
	struct devsim_dtls_conf dtls;
	/* load mode over coaps:// (PSK): the device using endpoint index k
	 * presents the identity <prefix>k with the one --psk-key; with
	 * handshake_only a session is the handshake alone, then close */
	const char *psk_identity_prefix;
	bool handshake_only;
	/* coap+tcp:// or coaps+tcp:// (single mode): RFC 8323 (tcp.h) */
	bool tcp;
};

/* Opens the transport to the server: a connected, non-blocking UDP socket
 * bound to local (IPv4/IPv6 literal, port 0) when not NULL; with coaps://
 * the caller runs DTLS over it (dtls.h). With o->tcp a non-blocking TCP
 * socket whose connect() has started (tcp.h finishes it). Returns the fd
 * or a negative errno. */
int devsim_transport_open(const struct devsim_opts *o, const struct sockaddr *local, socklen_t local_len);

/* Parses "coap://HOST[:PORT]" (port 5683) or "coaps://HOST[:PORT]" (port
 * 5684, sets o->secure), or the same with "coap+tcp" and "coaps+tcp"
 * (sets o->tcp), into o->server_addr. 0 or a negative errno; *why
 * gets a static message on error. */
int devsim_parse_server(struct devsim_opts *o, const char **why);

int64_t devsim_now_us(void);

int devsim_single_run(const struct devsim_opts *o);
int devsim_load_run(const struct devsim_opts *o);

#endif
