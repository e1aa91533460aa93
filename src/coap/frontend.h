/* lwbs — what both CoAP front ends (server.c over libcoap, udp.c native)
 * do alike: the audit of a finished or refused session, and the count and
 * warning for requests refused with 5.03. */
#ifndef LWBS_COAP_FRONTEND_H
#define LWBS_COAP_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lwbs/bootstrap.h"
#include "server.h"

/* A session that ran in the engine has ended (info from lwbs_bs_info, its
 * result and reason already overridden where the front end ended it): count
 * the result and hand the audit record to o->done. */
void lwbs_frontend_report(const struct lwbs_coap_opts *o, int64_t start_wall, const char *peer,
			  const char *transport, const struct lwbs_bs_info *info);

/* A refusal before any session (a bad request, a failed handshake): audit
 * and count it. */
void lwbs_frontend_report_refused(const struct lwbs_coap_opts *o, const char *peer, const char *transport,
				  enum lwbs_bs_result result, const char *why);

struct lwbs_srclimit;

/* Whether a NoSec request from addr is to be dropped unanswered: lim
 * (unknown_limit of its listener; NULL: none) blocks its source. Counts the
 * drop (lwbs_blocked_requests_total). */
bool lwbs_frontend_blocked(const struct lwbs_coap_opts *o, const struct lwbs_srclimit *lim,
			   const struct sockaddr *addr);

/* After lwbs_frontend_report() of a NoSec session from addr: a session
 * refused as unknown (unknown endpoint, or refused by the identity policy)
 * counts against its source in lim (NULL: no limit). When that blocks the
 * source: one warning and one audit record (result source_blocked, the
 * limit as reason). */
void lwbs_frontend_note_refusal(const struct lwbs_coap_opts *o, struct lwbs_srclimit *lim,
				const struct sockaddr *addr, const char *transport, const struct lwbs_bs_info *info);

/* Requests refused with 5.03 since the last warning. */
struct lwbs_frontend_busy {
	int64_t log_ms;
	unsigned long long since_log;
};

/* Count one request refused with 5.03; warn at most once a second. */
void lwbs_frontend_refuse_busy(const struct lwbs_coap_opts *o, struct lwbs_frontend_busy *b, bool draining);

#endif
