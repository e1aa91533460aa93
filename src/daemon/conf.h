/* lwbsd — the daemon configuration (YAML, see docs/lwbsd.md and
 * config/lwbsd.yaml). Errors are one line "file:line:col: message". */
#ifndef LWBSD_CONF_H
#define LWBSD_CONF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../radius/listener.h"

enum lwbs_conf_fsync {
	LWBS_CONF_FSYNC_BATCH = 0,
	LWBS_CONF_FSYNC_ALWAYS,
	LWBS_CONF_FSYNC_NEVER,
};

enum lwbs_conf_stack {
	LWBS_CONF_STACK_NATIVE = 0, /* src/coap/udp.c */
	LWBS_CONF_STACK_LIBCOAP,    /* src/coap/server.c */
};

enum lwbs_conf_transport {
	LWBS_CONF_TRANSPORT_UDP = 0, /* CoAP NoSec */
	LWBS_CONF_TRANSPORT_DTLS,    /* CoAP over DTLS 1.2 (libcoap) */
	LWBS_CONF_TRANSPORT_TCP,     /* CoAP over TCP, RFC 8323, NoSec (libcoap) */
	LWBS_CONF_TRANSPORT_TLS,     /* CoAP over TLS, RFC 8323 (libcoap) */
};

/* How a trusted NoSec listener identifies devices (`identify:`). */
enum lwbs_conf_identify {
	LWBS_CONF_IDENTIFY_NETWORK = 0, /* RADIUS binding of the source address + policy */
	LWBS_CONF_IDENTIFY_ENDPOINT,    /* the endpoint name the device claims (closed lab network) */
};

enum lwbs_conf_store_type {
	LWBS_CONF_STORE_EMBEDDED = 0, /* YAML files in memory */
	LWBS_CONF_STORE_POSTGRESQL,   /* src/store/pg.c */
};

#define LWBS_CONF_DEFAULT_BINDING_AGE 86400 /* seconds (LWBS_IDENTITY_DEFAULT_MAX_AGE) */

/* Identity policy of a trusted listener (docs/identity.md), `policy:`. */
struct lwbs_conf_identity {
	char **trusted_apns;
	size_t n_trusted_apns;
	char **allowed_plmns;
	size_t n_allowed_plmns;
	bool allow_roaming;
	unsigned max_binding_age_s;
	bool match_endpoint;
	bool auto_enrol;
};

/* Security modes a listener accepts (bits of lwbs_conf_listener.accept). */
#define LWBS_CONF_ACCEPT_NOSEC (1u << 0)
#define LWBS_CONF_ACCEPT_PSK (1u << 1)
#define LWBS_CONF_ACCEPT_X509 (1u << 2)

/* X.509 of a DTLS listener (resolved paths); the same on every DTLS
 * listener that has one (one libcoap context). */
struct lwbs_conf_x509 {
	char *cert, *key, *ca;
	int identity; /* enum lwbs_dtls_subject: 0 cn, 1 san, 2 serial, 3 dn */
};

struct lwbs_conf_listener {
	struct sockaddr_storage addr; /* address and port */
	socklen_t addr_len;
	char address[64];             /* as written */
	uint16_t port;
	size_t receive_buffer;        /* SO_RCVBUF bytes */
	/* NoSec (udp, tcp) listeners must be trusted: the network in front of
	 * them stands for the devices; identify says how */
	bool trusted;
	enum lwbs_conf_identify identify;
	enum lwbs_conf_stack stack;   /* CoAP implementation serving it */
	enum lwbs_conf_transport transport;
	unsigned accept;              /* LWBS_CONF_ACCEPT_* */
	struct lwbs_conf_x509 x509;   /* cert NULL: none */
	/* DTLS: a source with more than hs_max_incomplete handshakes not
	 * completed within hs_window_s is ignored for hs_block_s seconds */
	unsigned hs_max_incomplete, hs_window_s, hs_block_s;
	/* NoSec: a source with more than unknown_max requests refused as
	 * unknown within unknown_window_s is dropped for unknown_block_s
	 * seconds (unknown_max 0: no limit) */
	unsigned unknown_max, unknown_window_s, unknown_block_s;
	struct lwbs_conf_identity identity; /* trusted NoSec listeners */
};

struct lwbs_conf {
	char *path; /* the config file */
	char *dir;  /* its directory: base for relative paths */

	struct lwbs_conf_listener *listeners;
	size_t n_listeners;

	char **store_files; /* resolved paths */
	size_t n_store_files;
	enum lwbs_conf_store_type store_type;
	char *state_journal; /* embedded: enrolments and generated credentials, or NULL */
	/* postgresql (struct lwbs_store_pg_config; 0: its default) */
	char *pg_dsn_file, *pg_password_file;
	unsigned pg_pool, pg_queue, pg_statement_timeout_ms, pg_connect_timeout_ms, pg_lookup_timeout_ms;

	unsigned session_timeout_s;
	unsigned max_sessions;
	unsigned shutdown_grace_s;
	unsigned ack_delay_ms; /* native UDP: empty ACK held back this long */

	char *audit_file; /* NULL: no audit file */
	enum lwbs_conf_fsync audit_fsync;
	bool audit_to_store; /* audit.to: store (PostgreSQL's session_audit) */
	unsigned audit_queue; /* records waiting for the store; 0: its default */

	char *log_file; /* NULL: stderr */
	bool log_json;
	int log_level;  /* enum lwbs_log_level */
	int coap_log_level; /* enum lwbs_log_level for libcoap's own messages */

	bool metrics;
	struct sockaddr_storage metrics_addr;
	socklen_t metrics_addr_len;
	char metrics_listen[80];

	struct lwbs_radius_conf radius; /* enabled false: no accounting listener */
};

/* Parses path into a new configuration (caller owns: lwbs_conf_destroy).
 * Returns 0, or a negative code with err filled ("file:line:col: message"). */
int lwbs_conf_load(const char *path, struct lwbs_conf **out, char *err, size_t err_cap);
void lwbs_conf_destroy(struct lwbs_conf *c);

#endif
