/* lwbs — what both CoAP front ends share (see frontend.h). */
#include "frontend.h"

#include <string.h>

#include "../daemon/log.h"
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
				  const char *why)
{
	report(o, lwbs_loop_wall(o->loop), peer, transport, NULL, LWBS_BS_REFUSED_BAD_REQUEST, why, NULL, 0, NULL,
	       NULL);
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
