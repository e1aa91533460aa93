/* lwbs — the bootstrap engine: one client session as a consume-event /
 * produce-action state machine (sans-I/O; see include/lwbs/bootstrap.h).
 *
 * Sequence after a Bootstrap-Request:
 *   LOOKUP -> (2.04) -> Discover "/" -> Read /1, /2 (1.1+) -> Delete* ->
 *   Write* -> Finish (POST /bs) -> DONE
 * or, for a Bootstrap-Pack-Request, LOOKUP -> (2.05 with the Pack) -> DONE.
 *
 * Choices made here (facts in STANDARDS.md §1):
 * - Store failure: 5.03 Service Unavailable (transient; the client retries).
 * - Unknown endpoint and policy refusal: 4.00 without a diagnostic payload,
 *   so that a client cannot tell one from the other; protocol errors
 *   (non-CON, bad query, payload) carry a short diagnostic.
 * - ep is not compared with the transport identity here: the identity and
 *   policy layer does that and answers with a refusal in EV_PLAN.
 * - A Discover answered 4.00, 4.04 or 4.05 (some 1.0 clients) is not fatal:
 *   the session goes on as LwM2M 1.0 (1.1 when the client sent pct) without
 *   automatic instance ids; the reason of a later failure mentions it.
 * - A plan is validated when it arrives (it must be valid for at least one
 *   of LwM2M 1.2, 1.1, 1.0: the client version is not known yet), and again
 *   for the client's version once Discover has told it, before the first
 *   Delete or Write; that second failure ends the session as plan_invalid
 *   (nothing written, no Finish).
 * - Delete: 2.02 and 4.04 are success; 4.05 is success except on "/" and
 *   on Security paths (old accounts must not survive unnoticed).
 * - Pack without Accept: SenML CBOR (112), the format Anjay's client asks for.
 * - Bootstrap-Finish is the only SEND with method POST: its path is "/bs",
 *   which struct lwbs_path cannot hold, so the action carries the root path
 *   and the front end maps POST to Uri-Path "bs".
 * - A new Bootstrap-Request (or Pack-Request) on a running session ends it
 *   with result superseded; the front end resets the session (or takes a
 *   new one) and feeds the request again.
 * - ACL merge (keep_existing, after Read /2): every existing ACL instance
 *   that governs an object other than Server (1) and OSCORE (21) and whose
 *   target the plan does not govern itself gets an entry for every SSID of
 *   the plan's Server instances that has none; the value is the bitwise OR
 *   of the instance's existing entries (default entry included), so a new
 *   server can do what any server could do there. Instances where that OR
 *   is 0 are left alone. Changed instances are rewritten whole (PUT /2/x).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/arena.h"
#include "lwbs/bootstrap.h"
#include "lwbs/buf.h"
#include "lwbs/err.h"

#define ARENA_CHUNK 8192
#define ARENA_LIMIT (4u << 20)
#define DEFAULT_MAX_WRITE (64u * 1024)
#define ACTQ_CAP 8
#define ACTS_PER_EVENT 2 /* RESPOND + SEND or RESPOND + DONE at most */
#define DIAG_CAP 128
#define REASON_CAP 320

enum step {
	ST_IDLE = 0,
	ST_WAIT_PLAN,
	ST_DISCOVER,
	ST_READ_SERVER,
	ST_READ_ACL,
	ST_DELETE,
	ST_WRITE,
	ST_FINISH,
	ST_DONE,
};

struct idmap {
	uint16_t oid, from, to;
};

/* Everything lwbs_bs_session_reset() clears. */
struct state {
	enum step step;
	bool pack;
	bool outstanding;
	bool built;  /* work tree and write units ready */
	size_t idx;  /* current delete or write unit */

	struct lwbs_bs_action actq[ACTQ_CAP];
	size_t act_head, act_n;

	const char *endpoint;
	const char *identity;
	int pct;
	int accept;
	int cf;
	enum lwbs_version version; /* 0 = unknown */
	const struct lwbs_bs_plan *plan;
	const struct lwbs_node *objects; /* the plan's objects, or an empty ROOT */

	bool discovered;
	int discover_fallback; /* code of an unsupported Discover, or 0 */
	int32_t bs_iid;        /* the Bootstrap-Server account's Security iid, or -1 */
	const struct lwbs_disc_instance *inst;
	size_t n_inst;

	struct lwbs_node *read_srv; /* decoded Read /1 (ROOT) or NULL */
	struct lwbs_node *read_acl; /* decoded Read /2 (ROOT) or NULL */

	struct idmap *map;
	size_t n_map;
	const struct lwbs_node *work;
	struct lwbs_path *units;
	size_t n_units;

	int cur_method;
	struct lwbs_path cur_path;

	enum lwbs_bs_result result;
	const char *reason;
	char reason_buf[REASON_CAP];
	char diag[DIAG_CAP];
	bool has_diag;
	int last_code;
	struct lwbs_path last_path;
	unsigned requests_sent;
};

struct lwbs_bs_session {
	struct lwbs_bs_opts opts;
	struct lwbs_arena *arena;
	struct lwbs_buf out; /* encoded payload of the current SEND or RESPOND */
	struct state st;
};

static const char *const result_names[LWBS_BS_RESULT_COUNT] = {
	[LWBS_BS_RUNNING] = "running",
	[LWBS_BS_OK] = "ok",
	[LWBS_BS_PACK_OK] = "pack_ok",
	[LWBS_BS_REFUSED_BAD_REQUEST] = "bad_request",
	[LWBS_BS_REFUSED_NON_CON] = "non_confirmable",
	[LWBS_BS_REFUSED_UNKNOWN_EP] = "unknown_endpoint",
	[LWBS_BS_REFUSED_PCT] = "unsupported_pct",
	[LWBS_BS_REFUSED_ACCEPT] = "unsupported_accept",
	[LWBS_BS_REFUSED_PACK] = "pack_not_allowed",
	[LWBS_BS_REFUSED_POLICY] = "policy",
	[LWBS_BS_REFUSED_BLOCKED] = "source_blocked",
	[LWBS_BS_REFUSED_HANDSHAKE] = "handshake_failed",
	[LWBS_BS_FAIL_DISCOVER] = "discover_failed",
	[LWBS_BS_FAIL_READ] = "read_failed",
	[LWBS_BS_FAIL_DELETE] = "delete_failed",
	[LWBS_BS_FAIL_WRITE] = "write_failed",
	[LWBS_BS_FAIL_FINISH] = "finish_failed",
	[LWBS_BS_FAIL_TIMEOUT] = "timeout",
	[LWBS_BS_FAIL_TRANSPORT] = "transport_error",
	[LWBS_BS_FAIL_STORE] = "store_error",
	[LWBS_BS_FAIL_PLAN] = "plan_invalid",
	[LWBS_BS_FAIL_SUPERSEDED] = "superseded",
};

const char *lwbs_bs_result_name(enum lwbs_bs_result r)
{
	if ((unsigned)r >= LWBS_BS_RESULT_COUNT)
		return "unknown";
	return result_names[r];
}

bool lwbs_bs_result_is_refusal(enum lwbs_bs_result r)
{
	return r >= LWBS_BS_REFUSED_BAD_REQUEST && r <= LWBS_BS_REFUSED_HANDSHAKE;
}

/* --- query --- */

static int parse_pct(const char *v, int *out)
{
	size_t n = strlen(v);
	long val = 0;

	if (n == 0 || n > 5)
		return LWBS_ESYNTAX;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return LWBS_ESYNTAX;
		val = val * 10 + (v[i] - '0');
	}
	if (val > 65535)
		return LWBS_ESYNTAX;
	*out = (int)val;
	return 0;
}

int lwbs_bs_parse_query(const char *const *queries, size_t n, const char **ep, size_t *ep_len, int *pct)
{
	const char *e = NULL;
	size_t elen = 0;
	int p = LWBS_CF_NONE;
	bool have_pct = false;

	if (n && !queries)
		return LWBS_ESYNTAX;
	for (size_t i = 0; i < n; i++) {
		const char *q = queries[i];
		if (!q)
			return LWBS_ESYNTAX;
		const char *eq = strchr(q, '=');
		size_t klen = eq ? (size_t)(eq - q) : strlen(q);
		bool is_ep = klen == 2 && !memcmp(q, "ep", 2);
		bool is_pct = klen == 3 && !memcmp(q, "pct", 3);

		if (!is_ep && !is_pct)
			continue; /* unknown parameters are ignored */
		if (!eq)
			return LWBS_ESYNTAX;
		const char *v = eq + 1;
		if (is_ep) {
			if (e || !*v)
				return LWBS_ESYNTAX;
			for (const char *c = v; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					return LWBS_ESYNTAX;
			e = v;
			elen = strlen(v);
		} else {
			if (have_pct || parse_pct(v, &p))
				return LWBS_ESYNTAX;
			have_pct = true;
		}
	}
	if (ep)
		*ep = e;
	if (ep_len)
		*ep_len = elen;
	if (pct)
		*pct = p;
	return 0;
}

/* --- small helpers --- */

static bool write_format_ok(int cf)
{
	switch (cf) {
	case LWBS_CF_TLV:
	case LWBS_CF_SENML_CBOR:
	case LWBS_CF_SENML_JSON:
	case LWBS_CF_LWM2M_CBOR:
		return lwbs_cf_can_encode(cf);
	default:
		return false;
	}
}

static bool pack_format_ok(int cf)
{
	return (cf == LWBS_CF_SENML_CBOR || cf == LWBS_CF_SENML_JSON || cf == LWBS_CF_LWM2M_CBOR) &&
	       lwbs_cf_can_encode(cf);
}

static const char *step_op(enum step st, int method)
{
	switch (st) {
	case ST_DISCOVER:
		return "discover";
	case ST_READ_SERVER:
	case ST_READ_ACL:
		return "read";
	case ST_DELETE:
		return "delete";
	case ST_WRITE:
		return "write";
	case ST_FINISH:
		return "finish";
	default:
		return method == LWBS_COAP_POST ? "finish" : "request";
	}
}

/* Bounded, log-safe copy of a diagnostic payload: printable ASCII as is,
 * whole UTF-8 characters when the payload is valid UTF-8, every other byte
 * (and '\\') as \xHH. Stops before a character that would not fit. */
static void copy_diag(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	bool utf8 = lwbs_utf8_valid(p, n);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= cap)
				break;
			dst[o++] = (char)c;
		} else if (c >= 0xc0 && utf8) {
			size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (o + len >= cap)
				break;
			memcpy(dst + o, p + i, len);
			o += len;
			i += len - 1;
		} else {
			static const char hex[] = "0123456789abcdef";
			if (o + 4 >= cap)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
}

static struct lwbs_bs_action *push_action(struct lwbs_bs_session *s, enum lwbs_bs_action_kind kind)
{
	struct state *st = &s->st;
	/* lwbs_bs_handle() made room for ACTS_PER_EVENT actions */
	struct lwbs_bs_action *a = &st->actq[st->act_head + st->act_n++];

	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->content_format = LWBS_CF_NONE;
	a->accept = LWBS_CF_NONE;
	return a;
}

static void respond(struct lwbs_bs_session *s, int code, const char *diag)
{
	struct lwbs_bs_action *a = push_action(s, LWBS_BS_ACT_RESPOND);

	a->code = code;
	if (diag) {
		a->payload = (const uint8_t *)diag;
		a->payload_len = strlen(diag);
	}
}

static void done(struct lwbs_bs_session *s, enum lwbs_bs_result r, const char *reason)
{
	struct state *st = &s->st;

	push_action(s, LWBS_BS_ACT_DONE);
	st->step = ST_DONE;
	st->outstanding = false;
	st->result = r;
	if (reason)
		st->reason = reason;
}

__attribute__((format(printf, 3, 4)))
static void done_fmt(struct lwbs_bs_session *s, enum lwbs_bs_result r, const char *fmt, ...)
{
	struct state *st = &s->st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->reason_buf, sizeof(st->reason_buf), fmt, ap);
	va_end(ap);
	done(s, r, st->reason_buf);
}

static void send_req(struct lwbs_bs_session *s, int method, struct lwbs_path path, int accept, int cf,
		     const uint8_t *payload, size_t len)
{
	struct state *st = &s->st;
	struct lwbs_bs_action *a = push_action(s, LWBS_BS_ACT_SEND);

	a->method = method;
	a->path = path;
	a->accept = accept;
	a->content_format = cf;
	a->payload = payload;
	a->payload_len = len;
	st->cur_method = method;
	st->cur_path = path;
	st->outstanding = true;
	st->requests_sent++;
}

/* Ends the session because the answer to the current request was an error
 * (or unusable: code is then still the answer's code). */
static void fail_answer(struct lwbs_bs_session *s, enum lwbs_bs_result r, const struct lwbs_bs_event *ev,
			const char *what)
{
	struct state *st = &s->st;
	char path[LWBS_PATH_STRMAX];
	int code = ev->u.rsp.code;

	st->last_code = code;
	st->last_path = st->cur_path;
	if (code >= LWBS_COAP_BAD_REQUEST && ev->u.rsp.payload_len && ev->u.rsp.payload) {
		copy_diag(st->diag, sizeof(st->diag), ev->u.rsp.payload, ev->u.rsp.payload_len);
		st->has_diag = true;
	}
	lwbs_path_print(&st->cur_path, path, sizeof(path));
	char fallback[48] = "";
	if (st->discover_fallback)
		snprintf(fallback, sizeof(fallback), " (Discover unsupported: %d.%02d)",
			 st->discover_fallback >> 5, st->discover_fallback & 31);
	done_fmt(s, r, "%s %s answered %d.%02d%s%s%s%s", step_op(st->step, st->cur_method),
		 st->cur_method == LWBS_COAP_POST ? "/bs" : path, code >> 5, code & 31,
		 what ? " " : "", what ? what : "", st->has_diag ? ": " : "", st->has_diag ? st->diag : "");
	/* the fallback note goes last so that the diagnostic is never cut for it */
	size_t used = strlen(st->reason_buf);
	if (*fallback && used + strlen(fallback) < sizeof(st->reason_buf))
		memcpy(st->reason_buf + used, fallback, strlen(fallback) + 1);
}

static bool code_ok(int code)
{
	return code >> 5 == 2;
}

/* --- instance ids, renumbering, ACL merge --- */

static bool deleted_by_plan(const struct lwbs_bs_plan *plan, uint16_t oid, uint16_t iid)
{
	for (size_t i = 0; i < plan->n_deletes; i++) {
		const struct lwbs_path *d = &plan->deletes[i];
		if (d->len == 0 || (d->len == 1 && d->id[0] == oid) ||
		    (d->len == 2 && d->id[0] == oid && d->id[1] == iid))
			return true;
	}
	return false;
}

static bool client_has(const struct state *st, uint16_t oid, uint16_t iid)
{
	for (size_t i = 0; i < st->n_inst; i++)
		if (st->inst[i].oid == oid && st->inst[i].iid == iid)
			return true;
	const struct lwbs_node *read = oid == LWBS_OID_SERVER ? st->read_srv : oid == LWBS_OID_ACL ? st->read_acl : NULL;
	if (read) {
		struct lwbs_path p = LWBS_PATH_INST(oid, iid);
		if (lwbs_node_find(read, &p))
			return true;
	}
	return false;
}

/* Instances the engine must never write: the BS account and its OSCORE
 * instance (Discover lists them without ssid). */
static bool reserved(const struct state *st, uint16_t oid, uint16_t iid)
{
	if (oid == LWBS_OID_SECURITY)
		return st->bs_iid >= 0 && (uint16_t)st->bs_iid == iid;
	if (oid != LWBS_OID_OSCORE)
		return false;
	for (size_t i = 0; i < st->n_inst; i++)
		if (st->inst[i].oid == oid && st->inst[i].iid == iid && st->inst[i].ssid < 0)
			return true;
	return false;
}

static bool id_taken(const struct state *st, uint16_t oid, uint16_t iid)
{
	if (reserved(st, oid, iid))
		return true;
	if (client_has(st, oid, iid) && (st->plan->keep_existing || !deleted_by_plan(st->plan, oid, iid)))
		return true;
	for (size_t i = 0; i < st->n_map; i++)
		if (st->map[i].oid == oid && st->map[i].to == iid)
			return true;
	return false;
}

static bool renumbered(const struct state *st, uint16_t oid)
{
	const struct lwbs_bs_plan *plan = st->plan;

	switch (oid) {
	case LWBS_OID_SECURITY:
	case LWBS_OID_OSCORE:
		return st->discovered && (plan->auto_security_iid || plan->keep_existing);
	case LWBS_OID_SERVER:
	case LWBS_OID_ACL:
		return plan->keep_existing;
	default:
		return false;
	}
}

static int map_lookup(const struct state *st, uint16_t oid, uint16_t iid)
{
	for (size_t i = 0; i < st->n_map; i++)
		if (st->map[i].oid == oid && st->map[i].from == iid)
			return st->map[i].to;
	return -1;
}

static uint16_t map_iid(const struct state *st, uint16_t oid, uint16_t iid)
{
	int to = map_lookup(st, oid, iid);
	return to < 0 ? iid : (uint16_t)to;
}

/* True for a Security instance whose Bootstrap-Server resource is true. */
static bool is_bs_account(const struct lwbs_node *inst)
{
	for (const struct lwbs_node *r = inst->child; r; r = r->next)
		if (r->id == LWBS_SEC_BOOTSTRAP)
			return r->has_value && r->value.type == LWBS_TYPE_BOOLEAN && r->value.v.b;
	return false;
}

/* Assigns new ids to the instances of the renumbered objects: the plan's
 * order is kept and each takes the lowest id that is free. Returns true if
 * any id changed. */
static int build_map(struct lwbs_bs_session *s, bool *changed)
{
	struct state *st = &s->st;
	const struct lwbs_node *root = st->objects;
	size_t n = 0;

	*changed = false;
	for (const struct lwbs_node *o = root->child; o; o = o->next)
		if (renumbered(st, o->id))
			n += lwbs_node_count(o);
	if (!n)
		return 0;
	st->map = lwbs_arena_alloc(s->arena, n * sizeof(*st->map));
	if (!st->map)
		return -ENOMEM;
	for (const struct lwbs_node *o = root->child; o; o = o->next) {
		if (!renumbered(st, o->id))
			continue;
		uint32_t next = 0;
		for (const struct lwbs_node *in = o->child; in; in = in->next) {
			/* A new Bootstrap-Server account replaces the client's own:
			 * writing it anywhere else would leave two (§1.6). */
			if (o->id == LWBS_OID_SECURITY && st->bs_iid >= 0 && is_bs_account(in)) {
				st->map[st->n_map++] = (struct idmap){o->id, in->id, (uint16_t)st->bs_iid};
				if (in->id != st->bs_iid)
					*changed = true;
				continue;
			}
			while (next <= LWBS_ID_MAX && id_taken(st, o->id, (uint16_t)next))
				next++;
			if (next > LWBS_ID_MAX)
				return LWBS_ELIMIT;
			st->map[st->n_map++] = (struct idmap){o->id, in->id, (uint16_t)next};
			if (next != in->id)
				*changed = true;
			next++;
		}
	}
	return 0;
}

static int64_t value_as_int(const struct lwbs_value *v, bool *ok)
{
	*ok = true;
	if (v->type == LWBS_TYPE_INTEGER)
		return v->v.i;
	if (v->type == LWBS_TYPE_UNSIGNED && v->v.u <= INT64_MAX)
		return (int64_t)v->v.u;
	*ok = false;
	return 0;
}

static const struct lwbs_node *child_of(const struct lwbs_node *n, uint16_t id)
{
	for (const struct lwbs_node *c = n ? n->child : NULL; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static bool node_int(const struct lwbs_node *inst, uint16_t rid, int64_t *out)
{
	const struct lwbs_node *r = child_of(inst, rid);
	bool ok;

	if (!r || !r->has_value)
		return false;
	*out = value_as_int(&r->value, &ok);
	return ok;
}

/* Deep copy of the children of src under dst (values are copied as
 * structs: their bytes stay borrowed from the plan or the read answers,
 * which outlive the work tree). Objlnk values pointing at renumbered
 * instances are rewritten. */
static int copy_children(struct lwbs_bs_session *s, struct lwbs_node *dst, const struct lwbs_node *src)
{
	struct lwbs_node **tail = &dst->child;

	for (const struct lwbs_node *c = src->child; c; c = c->next) {
		struct lwbs_node *n = lwbs_arena_alloc(s->arena, sizeof(*n));
		if (!n)
			return -ENOMEM;
		*n = *c;
		n->next = NULL;
		n->child = NULL;
		if (n->has_value && n->value.type == LWBS_TYPE_OBJLNK) {
			int to = map_lookup(&s->st, n->value.v.objlnk.oid, n->value.v.objlnk.iid);
			if (to >= 0)
				n->value.v.objlnk.iid = (uint16_t)to;
		}
		*tail = n;
		tail = &n->next;
		int rc = copy_children(s, n, c);
		if (rc)
			return rc;
	}
	return 0;
}

/* An ACL instance (1.x: res 0 Object ID, res 1 Instance ID) that governs
 * a renumbered instance follows it. */
static void fix_acl_target(const struct state *st, struct lwbs_node *inst)
{
	int64_t oid;
	struct lwbs_node *r1 = (struct lwbs_node *)child_of(inst, 1);
	bool ok;

	if (!node_int(inst, 0, &oid) || oid < 0 || oid > LWBS_ID_MAX || !r1 || !r1->has_value)
		return;
	int64_t iid = value_as_int(&r1->value, &ok);
	if (!ok || iid < 0 || iid > LWBS_ID_MAX)
		return;
	int to = map_lookup(st, (uint16_t)oid, (uint16_t)iid);
	if (to < 0)
		return;
	if (r1->value.type == LWBS_TYPE_UNSIGNED)
		r1->value.v.u = (uint64_t)to;
	else
		r1->value.v.i = to;
}

static int copy_instance(struct lwbs_bs_session *s, struct lwbs_node *root, uint16_t oid, uint16_t iid,
			 const struct lwbs_node *src, struct lwbs_node **out)
{
	struct lwbs_path p = LWBS_PATH_INST(oid, iid);
	struct lwbs_node *n;
	int rc = lwbs_node_insert(s->arena, root, &p, &n);

	if (rc)
		return rc;
	if (n->child)
		return LWBS_EDUP;
	rc = copy_children(s, n, src);
	if (rc)
		return rc;
	if (oid == LWBS_OID_ACL)
		fix_acl_target(&s->st, n);
	if (out)
		*out = n;
	return 0;
}

static bool plan_governs(const struct lwbs_node *work, int64_t oid, int64_t iid)
{
	const struct lwbs_node *acl = child_of(work, LWBS_OID_ACL);

	for (const struct lwbs_node *in = acl ? acl->child : NULL; in; in = in->next) {
		int64_t o, i;
		if (node_int(in, 0, &o) && node_int(in, 1, &i) && o == oid && i == iid)
			return true;
	}
	return false;
}

/* The ACL merge described at the top of this file. */
static int merge_acl(struct lwbs_bs_session *s, struct lwbs_node *work)
{
	struct state *st = &s->st;
	uint16_t ssids[64];
	size_t n_ssid = 0;
	const struct lwbs_node *srv = child_of(work, LWBS_OID_SERVER);
	const struct lwbs_node *acl = child_of(st->read_acl, LWBS_OID_ACL);

	for (const struct lwbs_node *in = srv ? srv->child : NULL; in && n_ssid < 64; in = in->next) {
		int64_t ssid;
		if (node_int(in, LWBS_SRV_SSID, &ssid) && ssid >= 1 && ssid <= LWBS_ID_MAX)
			ssids[n_ssid++] = (uint16_t)ssid;
	}
	for (const struct lwbs_node *in = acl ? acl->child : NULL; in; in = in->next) {
		int64_t oid, iid;
		if (!node_int(in, 0, &oid) || !node_int(in, 1, &iid))
			continue;
		if (oid == LWBS_OID_SERVER || oid == LWBS_OID_OSCORE || plan_governs(work, oid, iid))
			continue;
		const struct lwbs_node *res = child_of(in, 2);
		if (!res || !res->multiple)
			continue;
		int64_t rights = 0;
		for (const struct lwbs_node *e = res->child; e; e = e->next) {
			int64_t v;
			bool ok;
			if (e->has_value && (v = value_as_int(&e->value, &ok), ok) && v > 0)
				rights |= v;
		}
		if (!rights)
			continue;
		struct lwbs_node *copy = NULL;
		for (size_t k = 0; k < n_ssid; k++) {
			if (child_of(res, ssids[k]))
				continue;
			int rc;
			if (!copy && (rc = copy_instance(s, work, LWBS_OID_ACL, in->id, in, &copy)))
				return rc;
			struct lwbs_path p = LWBS_PATH_RI(LWBS_OID_ACL, in->id, 2, ssids[k]);
			struct lwbs_value v = lwbs_value_int(rights);
			rc = lwbs_node_set(s->arena, work, &p, &v);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int obj_rank(uint16_t oid)
{
	switch (oid) {
	case LWBS_OID_SECURITY:
		return 0;
	case LWBS_OID_SERVER:
		return 1;
	case LWBS_OID_ACL:
		return 2;
	case LWBS_OID_APN:
		return 3;
	case LWBS_OID_OSCORE:
		return 4;
	default:
		return 5 + oid;
	}
}

static int build_units(struct lwbs_bs_session *s)
{
	struct state *st = &s->st;
	const struct lwbs_node *objs[64];
	size_t n_obj = 0, n = 0;

	for (const struct lwbs_node *o = st->work->child; o; o = o->next) {
		if (!o->child)
			continue;
		if (n_obj == 64)
			return LWBS_ELIMIT;
		size_t k = n_obj++;
		while (k > 0 && obj_rank(objs[k - 1]->id) > obj_rank(o->id)) {
			objs[k] = objs[k - 1];
			k--;
		}
		objs[k] = o;
		n += st->plan->write_per_object ? 1 : lwbs_node_count(o);
	}
	st->units = lwbs_arena_alloc(s->arena, (n ? n : 1) * sizeof(*st->units));
	if (!st->units)
		return -ENOMEM;
	for (size_t k = 0; k < n_obj; k++) {
		if (st->plan->write_per_object) {
			st->units[st->n_units++] = LWBS_PATH_OBJ(objs[k]->id);
			continue;
		}
		for (const struct lwbs_node *in = objs[k]->child; in; in = in->next)
			st->units[st->n_units++] = LWBS_PATH_INST(objs[k]->id, in->id);
	}
	return 0;
}

/* The plan's objects with the ids build_map() chose: a copy when an id
 * moves (or when copy is set, for the ACL merge), else the plan's tree. */
static int renumber_tree(struct lwbs_bs_session *s, bool copy, struct lwbs_node **out)
{
	struct state *st = &s->st;
	bool changed = false;
	int rc = build_map(s, &changed);

	if (rc)
		return rc;
	if (!changed && !copy) {
		*out = (struct lwbs_node *)st->objects;
		return 0;
	}
	struct lwbs_node *work = lwbs_node_root(s->arena);
	if (!work)
		return -ENOMEM;
	for (const struct lwbs_node *o = st->objects->child; o; o = o->next) {
		struct lwbs_path op = LWBS_PATH_OBJ(o->id);
		if ((rc = lwbs_node_insert(s->arena, work, &op, NULL)))
			return rc;
		for (const struct lwbs_node *in = o->child; in; in = in->next)
			if ((rc = copy_instance(s, work, o->id, map_iid(st, o->id, in->id), in, NULL)))
				return rc;
	}
	*out = work;
	return 0;
}

/* Builds the tree to write (renumbered, ACL entries merged), validates it
 * for the client's version and lists the write requests. Ends the session
 * (plan_invalid) on failure. */
static bool build_work(struct lwbs_bs_session *s)
{
	struct state *st = &s->st;
	const struct lwbs_bs_plan *plan = st->plan;
	struct lwbs_node *work = NULL;
	int rc;

	st->built = true;
	bool merge = plan->keep_existing && st->read_acl;
	if ((rc = renumber_tree(s, merge, &work)))
		goto fail;
	st->work = work;
	/* the version is only known after Discover (or its fallback) */
	if (st->discovered || st->discover_fallback) {
		struct lwbs_model_error err = {0};
		rc = lwbs_model_validate(st->work, st->version, true, &err);
		if (rc) {
			char path[LWBS_PATH_STRMAX];
			lwbs_path_print(&err.path, path, sizeof(path));
			done_fmt(s, LWBS_BS_FAIL_PLAN, "plan invalid for LwM2M %s: %s %s%s",
				 lwbs_version_str(st->version), path, err.what ? err.what : lwbs_strerror(rc),
				 st->discover_fallback ? " (Discover unsupported)" : "");
			return false;
		}
	}
	if (merge && (rc = merge_acl(s, work)))
		goto fail;
	if ((rc = build_units(s)))
		goto fail;
	return true;
fail:
	done_fmt(s, LWBS_BS_FAIL_PLAN, "cannot build the writes: %s", lwbs_strerror(rc));
	return false;
}

/* --- the sequence --- */

static void choose_format(struct state *st)
{
	if (st->pct != LWBS_CF_NONE)
		st->cf = st->pct;
	else if (st->plan->content_format != LWBS_CF_NONE)
		st->cf = st->plan->content_format;
	else
		st->cf = st->version >= LWBS_V1_1 ? LWBS_CF_SENML_CBOR : LWBS_CF_TLV;
}

static void send_write(struct lwbs_bs_session *s)
{
	struct state *st = &s->st;
	struct lwbs_path p = st->units[st->idx];
	int rc;

	lwbs_buf_reset(&s->out);
	rc = lwbs_encode(st->cf, st->work, &p, &s->out);
	if (!rc)
		rc = lwbs_buf_err(&s->out);
	if (rc) {
		char path[LWBS_PATH_STRMAX];
		lwbs_path_print(&p, path, sizeof(path));
		done_fmt(s, LWBS_BS_FAIL_PLAN, "cannot encode %s as %s: %s", path,
			 lwbs_cf_name(st->cf) ? lwbs_cf_name(st->cf) : "?", lwbs_strerror(rc));
		return;
	}
	send_req(s, LWBS_COAP_PUT, p, LWBS_CF_NONE, st->cf, s->out.data, s->out.len);
}

/* Sends the next request of the sequence, from the current step on. */
static void advance(struct lwbs_bs_session *s)
{
	struct state *st = &s->st;
	const struct lwbs_bs_plan *plan = st->plan;

	switch (st->step) {
	case ST_WAIT_PLAN:
		if (plan->discover) {
			st->step = ST_DISCOVER;
			send_req(s, LWBS_COAP_GET, LWBS_PATH_ROOT, LWBS_CF_LINK, LWBS_CF_NONE, NULL, 0);
			return;
		}
		/* fall through */
	case ST_DISCOVER:
		choose_format(st);
		if (plan->read_existing && st->version >= LWBS_V1_1) {
			st->step = ST_READ_SERVER;
			send_req(s, LWBS_COAP_GET, LWBS_PATH_OBJ(LWBS_OID_SERVER), st->cf, LWBS_CF_NONE, NULL, 0);
			return;
		}
		/* fall through */
	case ST_READ_SERVER:
		if (st->step == ST_READ_SERVER) {
			st->step = ST_READ_ACL;
			send_req(s, LWBS_COAP_GET, LWBS_PATH_OBJ(LWBS_OID_ACL), st->cf, LWBS_CF_NONE, NULL, 0);
			return;
		}
		/* fall through */
	case ST_READ_ACL:
		if (!st->built && !build_work(s))
			return;
		st->step = ST_DELETE;
		st->idx = 0;
		goto delete;
	case ST_DELETE:
		st->idx++;
	delete:
		if (st->idx < plan->n_deletes) {
			send_req(s, LWBS_COAP_DELETE, plan->deletes[st->idx], LWBS_CF_NONE, LWBS_CF_NONE, NULL, 0);
			return;
		}
		st->step = ST_WRITE;
		st->idx = 0;
		goto write;
	case ST_WRITE:
		st->idx++;
	write:
		if (st->idx < st->n_units) {
			send_write(s);
			return;
		}
		st->step = ST_FINISH;
		send_req(s, LWBS_COAP_POST, LWBS_PATH_ROOT, LWBS_CF_NONE, LWBS_CF_NONE, NULL, 0);
		return;
	default:
		return;
	}
}

static enum lwbs_version version_of(uint8_t major, uint8_t minor, bool *ok)
{
	*ok = major == 1;
	return minor == 0 ? LWBS_V1_0 : minor == 1 ? LWBS_V1_1 : LWBS_V1_2;
}

static void on_discover(struct lwbs_bs_session *s, const struct lwbs_bs_event *ev)
{
	struct state *st = &s->st;
	int code = ev->u.rsp.code;

	if (code == LWBS_COAP_BAD_REQUEST || code == LWBS_COAP_NOT_FOUND || code == LWBS_COAP_METHOD_NOT_ALLOWED) {
		st->discover_fallback = code;
		st->version = st->pct != LWBS_CF_NONE ? LWBS_V1_1 : LWBS_V1_0;
		advance(s);
		return;
	}
	if (code != LWBS_COAP_CONTENT) {
		fail_answer(s, LWBS_BS_FAIL_DISCOVER, ev, NULL);
		return;
	}
	int cf = ev->u.rsp.content_format;
	if (cf != LWBS_CF_LINK && cf != LWBS_CF_NONE) {
		fail_answer(s, LWBS_BS_FAIL_DISCOVER, ev, "(not link-format)");
		return;
	}
	struct lwbs_linkset ls;
	struct lwbs_discover d;
	if (lwbs_link_parse(ev->u.rsp.payload, ev->u.rsp.payload_len, s->arena, &ls) ||
	    lwbs_discover_parse(&ls, s->arena, &d)) {
		fail_answer(s, LWBS_BS_FAIL_DISCOVER, ev, "(unparsable)");
		return;
	}
	bool ok = true;
	st->version = d.has_version ? version_of(d.ver_major, d.ver_minor, &ok) : LWBS_V1_0;
	if (!ok) {
		st->version = 0;
		fail_answer(s, LWBS_BS_FAIL_DISCOVER, ev, "(unsupported LwM2M version)");
		return;
	}
	st->bs_iid = -1;
	for (size_t i = 0; i < d.n_inst; i++) {
		if (d.inst[i].oid != LWBS_OID_SECURITY || d.inst[i].ssid >= 0)
			continue;
		if (st->bs_iid >= 0) {
			fail_answer(s, LWBS_BS_FAIL_DISCOVER, ev, "(two Bootstrap-Server accounts)");
			return;
		}
		st->bs_iid = d.inst[i].iid;
	}
	st->inst = d.inst;
	st->n_inst = d.n_inst;
	st->discovered = true;
	advance(s);
}

static void on_read(struct lwbs_bs_session *s, const struct lwbs_bs_event *ev)
{
	struct state *st = &s->st;
	int code = ev->u.rsp.code;
	uint16_t oid = st->step == ST_READ_SERVER ? LWBS_OID_SERVER : LWBS_OID_ACL;

	if (code == LWBS_COAP_NOT_FOUND || code == LWBS_COAP_METHOD_NOT_ALLOWED) {
		advance(s); /* not supported by this client: go on without */
		return;
	}
	if (code != LWBS_COAP_CONTENT) {
		fail_answer(s, LWBS_BS_FAIL_READ, ev, NULL);
		return;
	}
	struct lwbs_node *tree = NULL;
	if (ev->u.rsp.payload_len) {
		int cf = ev->u.rsp.content_format != LWBS_CF_NONE ? ev->u.rsp.content_format : st->cf;
		struct lwbs_path base = LWBS_PATH_OBJ(oid);
		struct lwbs_typer typer = lwbs_model_typer(&st->version);
		if (!lwbs_cf_can_decode(cf) ||
		    lwbs_decode(cf, ev->u.rsp.payload, ev->u.rsp.payload_len, &base, &typer, s->arena, &tree)) {
			fail_answer(s, LWBS_BS_FAIL_READ, ev, "(undecodable)");
			return;
		}
	} else {
		tree = lwbs_node_root(s->arena);
		if (!tree) {
			fail_answer(s, LWBS_BS_FAIL_READ, ev, "(out of memory)");
			return;
		}
	}
	if (oid == LWBS_OID_SERVER)
		st->read_srv = tree;
	else
		st->read_acl = tree;
	advance(s);
}

static void on_response(struct lwbs_bs_session *s, const struct lwbs_bs_event *ev)
{
	struct state *st = &s->st;
	int code = ev->u.rsp.code;

	st->outstanding = false;
	switch (st->step) {
	case ST_DISCOVER:
		on_discover(s, ev);
		return;
	case ST_READ_SERVER:
	case ST_READ_ACL:
		on_read(s, ev);
		return;
	case ST_DELETE: {
		bool security = st->cur_path.len == 0 || st->cur_path.id[0] == LWBS_OID_SECURITY;
		if (code_ok(code) || code == LWBS_COAP_NOT_FOUND ||
		    (code == LWBS_COAP_METHOD_NOT_ALLOWED && !security))
			advance(s);
		else
			fail_answer(s, LWBS_BS_FAIL_DELETE, ev, NULL);
		return;
	}
	case ST_WRITE:
		if (code == LWBS_COAP_CHANGED || code == LWBS_COAP_CREATED)
			advance(s);
		else
			fail_answer(s, LWBS_BS_FAIL_WRITE, ev, NULL);
		return;
	case ST_FINISH:
		if (code == LWBS_COAP_CHANGED) {
			st->last_code = code;
			done(s, LWBS_BS_OK, "bootstrap finished");
		} else {
			fail_answer(s, LWBS_BS_FAIL_FINISH, ev, NULL);
		}
		return;
	default:
		return;
	}
}

/* Validates the plan before the client is told 2.04 (or sent the Pack).
 * The client's version is not known yet: valid for one of them is enough. */
static int validate_plan(const struct lwbs_node *objects, bool pack, struct lwbs_model_error *err)
{
	static const enum lwbs_version order[] = {LWBS_V1_2, LWBS_V1_1, LWBS_V1_0};
	int rc = 0;

	for (size_t i = 0; i < (pack ? 1 : 3); i++) {
		struct lwbs_model_error e = {0};
		rc = lwbs_model_validate(objects, order[i], true, &e);
		if (!rc)
			return 0;
		if (i == 0)
			*err = e;
	}
	return rc;
}

static void plan_invalid(struct lwbs_bs_session *s, int rc, const struct lwbs_model_error *err)
{
	char path[LWBS_PATH_STRMAX];

	lwbs_path_print(&err->path, path, sizeof(path));
	respond(s, LWBS_COAP_INTERNAL_ERROR, NULL);
	done_fmt(s, LWBS_BS_FAIL_PLAN, "plan invalid: %s %s", path, err->what ? err->what : lwbs_strerror(rc));
}

static void on_plan(struct lwbs_bs_session *s, const struct lwbs_bs_event *ev)
{
	struct state *st = &s->st;
	const struct lwbs_bs_plan *plan = ev->u.plan.plan;
	struct lwbs_model_error err = {0};
	int rc;

	if (ev->u.plan.store_err) {
		respond(s, LWBS_COAP_SERVICE_UNAVAILABLE, NULL);
		done_fmt(s, LWBS_BS_FAIL_STORE, "store error: %s", lwbs_strerror(ev->u.plan.store_err));
		return;
	}
	if (ev->u.plan.refusal) {
		st->plan = plan;
		respond(s, LWBS_COAP_BAD_REQUEST, NULL);
		done(s, LWBS_BS_REFUSED_POLICY, ev->u.plan.refusal);
		return;
	}
	if (!plan) {
		respond(s, LWBS_COAP_BAD_REQUEST, NULL);
		done(s, LWBS_BS_REFUSED_UNKNOWN_EP, "unknown endpoint");
		return;
	}
	st->plan = plan;
	const struct lwbs_node *objects = plan->objects;
	if (!objects && !(objects = lwbs_node_root(s->arena))) {
		respond(s, LWBS_COAP_INTERNAL_ERROR, NULL);
		done(s, LWBS_BS_FAIL_PLAN, "out of memory");
		return;
	}
	if (st->pack) {
		if (!plan->allow_pack) {
			respond(s, LWBS_COAP_METHOD_NOT_ALLOWED, NULL);
			done(s, LWBS_BS_REFUSED_PACK, "Bootstrap-Pack not allowed for this device");
			return;
		}
		if ((rc = validate_plan(objects, true, &err))) {
			plan_invalid(s, rc, &err);
			return;
		}
		if (plan->auto_security_iid) {
			/* No Discover precedes a Pack, so the client's own
			 * Bootstrap-Server account cannot be located: assume
			 * the factory place, /0/0, and number the Security and
			 * OSCORE instances around it (documented in
			 * docs/provisioning.md). */
			struct lwbs_node *work;
			st->objects = objects;
			st->discovered = true;
			st->bs_iid = 0;
			if ((rc = renumber_tree(s, false, &work))) {
				respond(s, LWBS_COAP_INTERNAL_ERROR, NULL);
				done_fmt(s, LWBS_BS_FAIL_PLAN, "cannot number the Pack: %s", lwbs_strerror(rc));
				return;
			}
			objects = work;
		}
		struct lwbs_path root = LWBS_PATH_ROOT;
		lwbs_buf_reset(&s->out);
		rc = lwbs_encode(st->accept, objects, &root, &s->out);
		if (!rc)
			rc = lwbs_buf_err(&s->out);
		if (rc) {
			respond(s, LWBS_COAP_INTERNAL_ERROR, NULL);
			done_fmt(s, LWBS_BS_FAIL_PLAN, "cannot encode the Pack: %s", lwbs_strerror(rc));
			return;
		}
		struct lwbs_bs_action *a = push_action(s, LWBS_BS_ACT_RESPOND);
		a->code = LWBS_COAP_CONTENT;
		a->content_format = st->accept;
		a->payload = s->out.data;
		a->payload_len = s->out.len;
		st->cf = st->accept;
		done(s, LWBS_BS_PACK_OK, "Bootstrap-Pack delivered");
		return;
	}
	if (plan->content_format != LWBS_CF_NONE && !write_format_ok(plan->content_format)) {
		respond(s, LWBS_COAP_INTERNAL_ERROR, NULL);
		done_fmt(s, LWBS_BS_FAIL_PLAN, "plan content format %d cannot be written", plan->content_format);
		return;
	}
	for (size_t i = 0; i < plan->n_deletes; i++) {
		if (plan->deletes[i].len > 2) {
			respond(s, LWBS_COAP_INTERNAL_ERROR, NULL);
			done(s, LWBS_BS_FAIL_PLAN, "plan deletes a resource path");
			return;
		}
	}
	if ((rc = validate_plan(objects, false, &err))) {
		plan_invalid(s, rc, &err);
		return;
	}
	st->objects = objects;
	respond(s, LWBS_COAP_CHANGED, NULL);
	if (st->pct != LWBS_CF_NONE)
		st->version = LWBS_V1_1; /* pct exists from 1.1 on; Discover refines it */
	advance(s);
}

static char *dup_str(struct lwbs_bs_session *s, const char *p, size_t n)
{
	return p ? lwbs_arena_strndup(s->arena, p, n) : NULL;
}

/* EV_REQUEST and EV_PACK_REQUEST. */
static void on_request(struct lwbs_bs_session *s, const struct lwbs_bs_event *ev, bool pack)
{
	struct state *st = &s->st;
	const char *ep = NULL;
	size_t ep_len = 0;
	int pct = LWBS_CF_NONE;

	st->pack = pack;
	if (ev->u.req.method != (pack ? LWBS_COAP_GET : LWBS_COAP_POST)) {
		respond(s, LWBS_COAP_METHOD_NOT_ALLOWED, NULL);
		done(s, LWBS_BS_REFUSED_BAD_REQUEST, pack ? "Bootstrap-Pack-Request method is not GET"
							  : "Bootstrap-Request method is not POST");
		return;
	}
	if (!pack && !ev->u.req.confirmable) {
		respond(s, LWBS_COAP_BAD_REQUEST, "CON expected");
		done(s, LWBS_BS_REFUSED_NON_CON, "Bootstrap-Request is not confirmable");
		return;
	}
	if (ev->u.req.payload_len > s->opts.max_request_payload) {
		respond(s, LWBS_COAP_BAD_REQUEST, "payload not allowed");
		done(s, LWBS_BS_REFUSED_BAD_REQUEST, "request carries a payload");
		return;
	}
	if (lwbs_bs_parse_query(ev->u.req.queries, ev->u.req.n_queries, &ep, &ep_len, &pct)) {
		respond(s, LWBS_COAP_BAD_REQUEST, "bad query");
		done(s, LWBS_BS_REFUSED_BAD_REQUEST, "malformed query");
		return;
	}
	if (pack) {
		int accept = ev->u.req.accept == LWBS_CF_NONE ? LWBS_CF_SENML_CBOR : ev->u.req.accept;
		if (!pack_format_ok(accept)) {
			respond(s, LWBS_COAP_NOT_ACCEPTABLE, NULL);
			done(s, LWBS_BS_REFUSED_ACCEPT, "Bootstrap-Pack Accept not supported");
			return;
		}
		st->accept = accept;
		pct = LWBS_CF_NONE; /* no meaning for a Pack */
	}
	const char *id = ev->u.req.identity;
	if (!ep && !id) {
		respond(s, LWBS_COAP_BAD_REQUEST, "ep missing");
		done(s, LWBS_BS_REFUSED_BAD_REQUEST, "no endpoint name and no identity");
		return;
	}
	st->endpoint = ep ? dup_str(s, ep, ep_len) : dup_str(s, id, strlen(id));
	st->identity = id ? dup_str(s, id, strlen(id)) : NULL;
	if (!st->endpoint || (id && !st->identity)) {
		respond(s, LWBS_COAP_INTERNAL_ERROR, NULL);
		done(s, LWBS_BS_FAIL_PLAN, "out of memory");
		return;
	}
	if (pct != LWBS_CF_NONE && !write_format_ok(pct)) {
		respond(s, LWBS_COAP_UNSUPPORTED_CF, NULL);
		done_fmt(s, LWBS_BS_REFUSED_PCT, "pct %d not supported", pct);
		return;
	}
	st->pct = pct;
	st->step = ST_WAIT_PLAN;
	struct lwbs_bs_action *a = push_action(s, LWBS_BS_ACT_LOOKUP);
	a->endpoint = st->endpoint;
	a->identity = st->identity;
}

/* --- public API --- */

static void state_init(struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->pct = LWBS_CF_NONE;
	st->accept = LWBS_CF_NONE;
	st->cf = LWBS_CF_NONE;
	st->bs_iid = -1;
	st->reason = "running";
}

struct lwbs_bs_session *lwbs_bs_session_create(const struct lwbs_bs_opts *opts)
{
	struct lwbs_bs_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (opts)
		s->opts = *opts;
	if (!s->opts.max_write_payload)
		s->opts.max_write_payload = DEFAULT_MAX_WRITE;
	s->arena = lwbs_arena_create(ARENA_CHUNK);
	if (!s->arena) {
		free(s);
		return NULL;
	}
	lwbs_arena_set_limit(s->arena, ARENA_LIMIT);
	lwbs_buf_init(&s->out, s->opts.max_write_payload);
	state_init(&s->st);
	return s;
}

void lwbs_bs_session_destroy(struct lwbs_bs_session *s)
{
	if (!s)
		return;
	lwbs_buf_finish(&s->out);
	lwbs_arena_destroy(s->arena);
	free(s);
}

void lwbs_bs_session_reset(struct lwbs_bs_session *s)
{
	lwbs_arena_reset(s->arena);
	lwbs_buf_reset(&s->out);
	state_init(&s->st);
}

int lwbs_bs_handle(struct lwbs_bs_session *s, const struct lwbs_bs_event *ev)
{
	struct state *st = &s->st;

	if (!ev || st->step == ST_DONE)
		return -EINVAL;
	switch (ev->kind) {
	case LWBS_BS_EV_REQUEST:
	case LWBS_BS_EV_PACK_REQUEST:
	case LWBS_BS_EV_TIMEOUT:
		break;
	case LWBS_BS_EV_PLAN:
		if (st->step != ST_WAIT_PLAN)
			return -EINVAL;
		break;
	case LWBS_BS_EV_RESPONSE:
	case LWBS_BS_EV_TRANSPORT_ERROR:
		if (!st->outstanding)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	/* room for what one event can produce */
	if (st->act_n == 0)
		st->act_head = 0;
	if (st->act_head + st->act_n + ACTS_PER_EVENT > ACTQ_CAP) {
		if (st->act_n + ACTS_PER_EVENT > ACTQ_CAP)
			return -ENOBUFS;
		memmove(st->actq, st->actq + st->act_head, st->act_n * sizeof(st->actq[0]));
		st->act_head = 0;
	}

	switch (ev->kind) {
	case LWBS_BS_EV_REQUEST:
	case LWBS_BS_EV_PACK_REQUEST:
		if (st->step != ST_IDLE)
			done(s, LWBS_BS_FAIL_SUPERSEDED, "the client sent a new request");
		else
			on_request(s, ev, ev->kind == LWBS_BS_EV_PACK_REQUEST);
		break;
	case LWBS_BS_EV_PLAN:
		on_plan(s, ev);
		break;
	case LWBS_BS_EV_RESPONSE:
		on_response(s, ev);
		break;
	case LWBS_BS_EV_TIMEOUT:
		if (st->outstanding) {
			char path[LWBS_PATH_STRMAX];
			lwbs_path_print(&st->cur_path, path, sizeof(path));
			st->last_path = st->cur_path;
			done_fmt(s, LWBS_BS_FAIL_TIMEOUT, "session timed out during %s %s",
				 step_op(st->step, st->cur_method), st->cur_method == LWBS_COAP_POST ? "/bs" : path);
		} else {
			done(s, LWBS_BS_FAIL_TIMEOUT, st->step == ST_WAIT_PLAN ? "session timed out waiting for the store"
									: "session timed out");
		}
		break;
	case LWBS_BS_EV_TRANSPORT_ERROR: {
		char path[LWBS_PATH_STRMAX];
		lwbs_path_print(&st->cur_path, path, sizeof(path));
		st->last_path = st->cur_path;
		done_fmt(s, LWBS_BS_FAIL_TRANSPORT, "%s %s not delivered", step_op(st->step, st->cur_method),
			 st->cur_method == LWBS_COAP_POST ? "/bs" : path);
		break;
	}
	}
	return 0;
}

bool lwbs_bs_poll(struct lwbs_bs_session *s, struct lwbs_bs_action *out)
{
	struct state *st = &s->st;

	if (!st->act_n)
		return false;
	*out = st->actq[st->act_head++];
	st->act_n--;
	return true;
}

void lwbs_bs_info(const struct lwbs_bs_session *s, struct lwbs_bs_info *out)
{
	const struct state *st = &s->st;

	memset(out, 0, sizeof(*out));
	out->endpoint = st->endpoint;
	out->result = st->result;
	out->reason = st->reason;
	out->diagnostic = st->has_diag ? st->diag : NULL;
	out->last_code = st->last_code;
	out->last_path = st->last_path;
	out->version = st->version;
	out->content_format = st->cf;
	out->requests_sent = st->requests_sent;
	out->pack = st->pack;
	out->plan = st->plan;
}
