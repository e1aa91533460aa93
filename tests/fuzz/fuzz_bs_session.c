/* lwbs — fuzz the bootstrap engine: a fixed plan, then a fuzz-chosen
 * sequence of client answers. Invariants: never more than one SEND
 * outstanding, at most one RESPOND, DONE exactly once (nothing after it,
 * every later event refused), events that do not fit are refused, every
 * Write payload decodes in its own content format.
 *
 * Input: byte 0 = plan flags (bit 0 discover, 1 auto_security_iid,
 * 2 read_existing, 3 keep_existing, 4 write_per_object, 5-6 pct choice,
 * 7 Delete "/" instead of /0 and /1); then records:
 *   op (low 3 bits: 0-5 response, 6 timeout, 7 transport error),
 *   for a response: code byte, content-format choice byte, length byte,
 *   that many payload bytes (fewer if the input ends). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/bootstrap.h"

static const int cfs[] = {LWBS_CF_NONE, LWBS_CF_LINK, LWBS_CF_TLV, LWBS_CF_SENML_CBOR,
			  LWBS_CF_SENML_JSON, LWBS_CF_LWM2M_CBOR, LWBS_CF_TEXT, LWBS_CF_OPAQUE};

struct world {
	struct lwbs_bs_session *s;
	struct lwbs_arena *a;
	bool outstanding;
	bool done;
	int responds;
};

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void drain(struct world *w)
{
	struct lwbs_bs_action act;

	while (lwbs_bs_poll(w->s, &act)) {
		check(!w->done);
		switch (act.kind) {
		case LWBS_BS_ACT_SEND: {
			check(!w->outstanding);
			w->outstanding = true;
			if (act.method == LWBS_COAP_PUT) {
				struct lwbs_node *out;
				enum lwbs_version v = LWBS_V1_2;
				struct lwbs_typer t = lwbs_model_typer(&v);
				check(lwbs_decode(act.content_format, act.payload, act.payload_len, &act.path, &t, w->a,
						  &out) == 0);
			}
			break;
		}
		case LWBS_BS_ACT_RESPOND:
			check(++w->responds == 1);
			break;
		case LWBS_BS_ACT_DONE:
			w->done = true;
			w->outstanding = false;
			break;
		case LWBS_BS_ACT_LOOKUP:
			break;
		}
	}
}

static void set(struct lwbs_arena *a, struct lwbs_node *r, struct lwbs_path p, struct lwbs_value v)
{
	if (lwbs_node_set(a, r, &p, &v))
		abort();
}

static struct lwbs_node *plan_tree(struct lwbs_arena *a)
{
	struct lwbs_node *r = lwbs_node_root(a);

	set(a, r, LWBS_PATH_RES(0, 0, 0), lwbs_value_string("coap://dm.example:5683"));
	set(a, r, LWBS_PATH_RES(0, 0, 1), lwbs_value_bool(false));
	set(a, r, LWBS_PATH_RES(0, 0, 2), lwbs_value_int(3));
	set(a, r, LWBS_PATH_RES(0, 0, 3), lwbs_value_bytes(LWBS_TYPE_OPAQUE, "", 0));
	set(a, r, LWBS_PATH_RES(0, 0, 4), lwbs_value_bytes(LWBS_TYPE_OPAQUE, "", 0));
	set(a, r, LWBS_PATH_RES(0, 0, 5), lwbs_value_bytes(LWBS_TYPE_OPAQUE, "", 0));
	set(a, r, LWBS_PATH_RES(0, 0, 10), lwbs_value_int(101));
	set(a, r, LWBS_PATH_RES(1, 0, 0), lwbs_value_int(101));
	set(a, r, LWBS_PATH_RES(1, 0, 1), lwbs_value_int(300));
	set(a, r, LWBS_PATH_RES(1, 0, 6), lwbs_value_bool(true));
	set(a, r, LWBS_PATH_RES(1, 0, 7), lwbs_value_string("U"));
	set(a, r, LWBS_PATH_RES(2, 0, 0), lwbs_value_int(1));
	set(a, r, LWBS_PATH_RES(2, 0, 1), lwbs_value_int(0));
	set(a, r, LWBS_PATH_RI(2, 0, 2, 101), lwbs_value_int(1));
	set(a, r, LWBS_PATH_RES(2, 0, 3), lwbs_value_int(101));
	set(a, r, LWBS_PATH_RES(11, 0, 0), lwbs_value_string("internet"));
	set(a, r, LWBS_PATH_RES(11, 0, 4), lwbs_value_int(3));
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int pcts[] = {0, LWBS_CF_TLV, LWBS_CF_SENML_CBOR, LWBS_CF_LWM2M_CBOR};
	static struct lwbs_path del_objs[] = {{{0}, 1}, {{1}, 1}};
	static struct lwbs_path del_root[] = {{{0}, 0}};
	struct world w = {0};
	size_t i = 0;

	if (size < 1)
		return 0;
	w.a = lwbs_arena_create(0);
	lwbs_arena_set_limit(w.a, 1u << 20);
	w.s = lwbs_bs_session_create(NULL);
	if (!w.a || !w.s)
		abort();

	uint8_t f = data[i++];
	struct lwbs_bs_plan plan = {
		.endpoint = "dev",
		.objects = plan_tree(w.a),
		.deletes = f & 0x80 ? del_root : del_objs,
		.n_deletes = f & 0x80 ? 1 : 2,
		.discover = f & 1,
		.auto_security_iid = f & 2,
		.read_existing = f & 4,
		.keep_existing = f & 8,
		.write_per_object = f & 16,
		.content_format = LWBS_CF_NONE,
	};
	char pq[16];
	int pct = pcts[(f >> 5) & 3];
	snprintf(pq, sizeof(pq), "pct=%d", pct);
	const char *q[] = {"ep=dev", pq};
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_REQUEST};
	ev.u.req.method = LWBS_COAP_POST;
	ev.u.req.confirmable = true;
	ev.u.req.queries = q;
	ev.u.req.n_queries = pct ? 2 : 1;
	ev.u.req.accept = LWBS_CF_NONE;
	check(lwbs_bs_handle(w.s, &ev) == 0);
	drain(&w);
	ev = (struct lwbs_bs_event){.kind = LWBS_BS_EV_PLAN};
	ev.u.plan.plan = &plan;
	check(lwbs_bs_handle(w.s, &ev) == 0);
	drain(&w);

	while (i < size) {
		uint8_t op = data[i++] & 7;
		int rc;
		bool fits = !w.done;
		if (op < 6) {
			if (i + 3 > size)
				break;
			ev = (struct lwbs_bs_event){.kind = LWBS_BS_EV_RESPONSE};
			ev.u.rsp.code = data[i];
			ev.u.rsp.content_format = cfs[data[i + 1] & 7];
			size_t len = data[i + 2];
			i += 3;
			if (len > size - i)
				len = size - i;
			ev.u.rsp.payload = data + i;
			ev.u.rsp.payload_len = len;
			i += len;
			fits = fits && w.outstanding;
		} else if (op == 6) {
			ev = (struct lwbs_bs_event){.kind = LWBS_BS_EV_TIMEOUT};
		} else {
			ev = (struct lwbs_bs_event){.kind = LWBS_BS_EV_TRANSPORT_ERROR};
			fits = fits && w.outstanding;
		}
		if (fits && ev.kind != LWBS_BS_EV_TIMEOUT)
			w.outstanding = false; /* consumed: the SEND it answers is over */
		rc = lwbs_bs_handle(w.s, &ev);
		check(fits ? rc == 0 : rc != 0);
		drain(&w);
		/* a running session always waits for an answer to something */
		check(w.done || w.outstanding);
	}
	struct lwbs_bs_info info;
	lwbs_bs_info(w.s, &info);
	check(w.done == (info.result != LWBS_BS_RUNNING));
	check(info.reason && strlen(info.reason) < 512);
	if (!w.done) {
		ev = (struct lwbs_bs_event){.kind = LWBS_BS_EV_TIMEOUT};
		check(lwbs_bs_handle(w.s, &ev) == 0);
		drain(&w);
		check(w.done);
	}
	lwbs_bs_session_destroy(w.s);
	lwbs_arena_destroy(w.a);
	return 0;
}
