/* lwbs-devsim — one simulated LwM2M client's bootstrap session over CoAP:
 * sends the Bootstrap-Request (or Bootstrap-Pack-Request), then answers the
 * Bootstrap-Server's requests with the device model until Finish.
 *
 * Sans-I/O: the caller feeds received datagrams and the current time in
 * milliseconds, and sends whatever the client writes to `out`. The same
 * code drives the single-device mode and every device of the load mode.
 */
#ifndef DEVSIM_CLIENT_H
#define DEVSIM_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "lwbs/coapmsg.h"
#include "device.h"

#define DEVSIM_MAX_DGRAM 1536
#define DEVSIM_ACK_TIMEOUT_MS 2000
#define DEVSIM_MAX_RETRANSMIT 4
#define DEVSIM_PATHMAX (LWBS_PATH_STRMAX + 8) /* request paths kept, with NUL */

enum devsim_client_state {
	DEVSIM_CL_IDLE = 0,
	DEVSIM_CL_REQUESTING, /* Bootstrap-(Pack-)Request sent, no answer yet */
	DEVSIM_CL_SERVING,    /* 2.04 received: answering the BS */
	DEVSIM_CL_DONE,       /* see ok / reason */
};

struct devsim_client_conf {
	const char *endpoint; /* borrowed for the client's lifetime; NULL: no ep sent */
	int pct;              /* Preferred Content Format or -1 (never sent by 1.0) */
	bool pack;            /* start with GET /bspack */
	int accept;           /* Accept of the Pack request */
	unsigned mute_after;  /* 0 = answer everything */
	bool log;             /* keep a log of the requests served */
	uint32_t seed;        /* message ids, tokens, retransmission jitter */
};

struct devsim_log_entry {
	uint8_t method;
	uint8_t code;
	int accept, cf;
	char path[DEVSIM_PATHMAX];
};

struct devsim_cache {
	bool valid;
	uint16_t mid;
	uint16_t len;
	uint8_t data[DEVSIM_MAX_DGRAM];
};

struct devsim_client {
	struct devsim_device dev;
	struct devsim_client_conf conf;
	enum devsim_client_state state;
	bool ok;
	char reason[160];
	uint8_t bs_code;   /* answer to POST /bs (0 = none yet) */
	uint8_t pack_code; /* answer to GET /bspack (0 = none) */
	bool in_pack;      /* the outstanding request is the Pack request */
	uint32_t rng;

	/* our outstanding confirmable request */
	uint16_t mid;
	uint8_t token[4];
	uint8_t req[DEVSIM_MAX_DGRAM];
	size_t req_len;
	bool acked;          /* empty ACK seen: separate response follows */
	int64_t retx_at;     /* INT64_MAX when nothing to retransmit */
	uint32_t retx_timeout;
	unsigned retx_count;
	unsigned retransmissions; /* total over the client's life */

	/* answers to the BS, for its retransmitted CONs */
	struct devsim_cache cache[2];
	int cache_next;
	uint16_t next_mid; /* for NON answers */

	/* Block1 reassembly of a large Write */
	struct lwbs_buf block;
	char block_path[DEVSIM_PATHMAX];
	int block_cf;

	unsigned served; /* requests from the BS answered in this session */
	struct lwbs_buf resp_body;
	struct devsim_log_entry *log;
	size_t n_log, cap_log;
};

/* The client owns a device built from dconf. 0 or -ENOMEM. */
int devsim_client_init(struct devsim_client *c, const struct devsim_device_conf *dconf,
		       const struct devsim_client_conf *conf);
void devsim_client_finish(struct devsim_client *c);

/* Starts a session from the factory state: writes the Bootstrap-Request
 * (or Pack request) to out. */
int devsim_client_start(struct devsim_client *c, int64_t now_ms, struct lwbs_buf *out);
/* Consumes one datagram from the BS; anything to send back is appended to
 * out (empty when nothing). Malformed datagrams are ignored. */
void devsim_client_input(struct devsim_client *c, int64_t now_ms, const uint8_t *p, size_t n,
			 struct lwbs_buf *out);
/* Call at or after devsim_client_deadline(): retransmits into out, or ends
 * the session when MAX_RETRANSMIT is exhausted. */
void devsim_client_timer(struct devsim_client *c, int64_t now_ms, struct lwbs_buf *out);
int64_t devsim_client_deadline(const struct devsim_client *c);
/* Ends the session as failed with reason (e.g. the caller's timeout). */
void devsim_client_fail(struct devsim_client *c, const char *reason);

/* "2.04" style text of a code; buf holds at least 5 bytes. */
const char *devsim_code_str(uint8_t code, char buf[8]);

#endif
