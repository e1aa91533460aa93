/* lwbs — what both CoAP front ends (server.c over libcoap, udp.c native)
 * do alike: the audit of a finished or refused session, and the count and
 * warning for requests refused with 5.03. */
#ifndef LWBS_COAP_FRONTEND_H
#define LWBS_COAP_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>

#include "lwbs/bootstrap.h"
#include "server.h"

/* A session that ran in the engine has ended (info from lwbs_bs_info, its
 * result and reason already overridden where the front end ended it): count
 * the result and hand the audit record to o->done. */
void lwbs_frontend_report(const struct lwbs_coap_opts *o, int64_t start_wall, const char *peer,
			  const char *transport, const struct lwbs_bs_info *info);

/* A request refused as a bad request before any session: audit it. */
void lwbs_frontend_report_refused(const struct lwbs_coap_opts *o, const char *peer, const char *transport,
				  const char *why);

/* Requests refused with 5.03 since the last warning. */
struct lwbs_frontend_busy {
	int64_t log_ms;
	unsigned long long since_log;
};

/* Count one request refused with 5.03; warn at most once a second. */
void lwbs_frontend_refuse_busy(const struct lwbs_coap_opts *o, struct lwbs_frontend_busy *b, bool draining);

#endif
