/* lwbs — what both CoAP front ends share (see frontend.h). */
#include "frontend.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "../daemon/log.h"
#include "srclimit.h"
#include "lwbs/codec.h"
#include "lwbs/model.h"

#define EP_LOG_MAX 128

/* s, or a copy cut to cap bytes ending in "...", for the log and the
 * audit. */
static const char *bounded(const char *s, char *buf, size_t cap)
{
	if (!s || strlen(s) < cap)
		return s;
	memcpy(buf, s, cap - 4);
	memcpy(buf + cap - 4, "...", 4);
	return buf;
}

static void report(const struct lwbs_coap_opts *o, int64_t start_wall, const char *peer, const char *transport,
		   const char *endpoint, enum lwbs_bs_result result, const char *reason, const char *diag,
		   unsigned requests, const char *version, const char *format)
{
	char epb[EP_LOG_MAX], diagb[256], reasonb[400];
	struct lwbs_audit_record r = {
		.start_ms = start_wall,
		.end_ms = lwbs_loop_wall(o->loop),
		.endpoint = bounded(endpoint, epb, sizeof(epb)),
		.peer = peer,
		.transport = transport,
		.version = version,
		.format = format,
		.result = lwbs_bs_result_name(result),
		.reason = bounded(reason ? reason : "", reasonb, sizeof(reasonb)),
		.diagnostic = bounded(diag, diagb, sizeof(diagb)),
		.requests = requests,
	};

	if (result > LWBS_BS_RUNNING && result < LWBS_BS_RESULT_COUNT)
		o->metrics->results[result]++;
	o->done(o->done_arg, &r);
}

void lwbs_frontend_report(const struct lwbs_coap_opts *o, int64_t start_wall, const char *peer,
			  const char *transport, const struct lwbs_bs_info *info)
{
	report(o, start_wall, peer, transport, info->endpoint, info->result, info->reason, info->diagnostic,
	       info->requests_sent, info->version ? lwbs_version_str(info->version) : NULL,
	       info->content_format != LWBS_CF_NONE ? lwbs_cf_name(info->content_format) : NULL);
}

void lwbs_frontend_report_refused(const struct lwbs_coap_opts *o, const char *peer, const char *transport,
				  enum lwbs_bs_result result, const char *why)
{
	report(o, lwbs_loop_wall(o->loop), peer, transport, NULL, result, why, NULL, 0, NULL, NULL);
}

void lwbs_frontend_refuse_busy(const struct lwbs_coap_opts *o, struct lwbs_frontend_busy *b, bool draining)
{
	int64_t now = lwbs_loop_now(o->loop);

	o->metrics->busy_refusals++;
	b->since_log++;
	if (now - b->log_ms >= 1000) {
		lwbs_log(LWBS_LOG_WARN, "%llu requests refused with 5.03 (%s)", b->since_log,
			 draining ? "shutting down" : "max_sessions reached");
		b->since_log = 0;
		b->log_ms = now;
	}
}

bool lwbs_frontend_blocked(const struct lwbs_coap_opts *o, const struct lwbs_srclimit *lim,
			   const struct sockaddr *addr)
{
	if (!lim || !lwbs_srclimit_blocked(lim, addr, lwbs_loop_now(o->loop)))
		return false;
	o->metrics->blocked_drops++;
	return true;
}

/* The address of a (no port), for the log and the audit. */
static void source_str(const struct sockaddr *a, char *out, size_t cap)
{
	const void *bytes = a->sa_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr
						     : (const void *)&((const struct sockaddr_in *)a)->sin_addr;

	if (!inet_ntop(a->sa_family, bytes, out, (socklen_t)cap))
		snprintf(out, cap, "?");
}

void lwbs_frontend_note_refusal(const struct lwbs_coap_opts *o, struct lwbs_srclimit *lim,
				const struct sockaddr *addr, const char *transport, const struct lwbs_bs_info *info)
{
	const struct lwbs_srclimit_conf *c;
	char src[INET6_ADDRSTRLEN], why[160], epb[EP_LOG_MAX];

	if (!lim || (info->result != LWBS_BS_REFUSED_UNKNOWN_EP && info->result != LWBS_BS_REFUSED_POLICY))
		return;
	if (!lwbs_srclimit_note(lim, addr, lwbs_loop_now(o->loop)))
		return;
	c = lwbs_srclimit_conf(lim);
	source_str(addr, src, sizeof(src));
	snprintf(why, sizeof(why), "more than %u requests refused as unknown in %u s: source blocked for %u s",
		 c->max, c->window_s, c->block_s);
	lwbs_log(LWBS_LOG_WARN, "%s: source %s: %s (last: %s, endpoint %s)", transport, src, why,
		 lwbs_bs_result_name(info->result), info->endpoint ? bounded(info->endpoint, epb, sizeof(epb)) : "none");
	report(o, lwbs_loop_wall(o->loop), src, transport, info->endpoint, LWBS_BS_REFUSED_BLOCKED, why, NULL, 0,
	       NULL, NULL);
}
