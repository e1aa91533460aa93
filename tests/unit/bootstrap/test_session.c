/* lwbs — the bootstrap engine driven with plain structs: whole sessions for
 * LwM2M 1.0/1.1/1.2 clients in every write format, renumbering around the
 * Bootstrap-Server account, reads and ACL merge, refusals, failures, Pack. */
#include <errno.h>
#include <stdio.h>

#include "lwbs/bootstrap.h"
#include "lwbs/err.h"

#include "../test.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct lwbs_arena *A; /* per test: plans, expected trees, decoded payloads */
/* Version whose types the expected trees use: Lifetime (/1/x/1) is Integer
 * up to 1.1 and Unsigned in 1.2, and decoders type by version. */
static enum lwbs_version EXPV = LWBS_V1_1;

/* --- plan building --- */

static void set(struct lwbs_node *root, struct lwbs_path p, struct lwbs_value v)
{
	CHECK_INT(lwbs_node_set(A, root, &p, &v), 0);
}

static struct lwbs_value opaque0(void)
{
	return lwbs_value_bytes(LWBS_TYPE_OPAQUE, "", 0);
}

static void add_security(struct lwbs_node *r, uint16_t iid, int64_t ssid, int oscore_iid)
{
	set(r, LWBS_PATH_RES(0, iid, 0), lwbs_value_string("coap://dm.example:5683"));
	set(r, LWBS_PATH_RES(0, iid, 1), lwbs_value_bool(false));
	set(r, LWBS_PATH_RES(0, iid, 2), lwbs_value_int(3));
	set(r, LWBS_PATH_RES(0, iid, 3), opaque0());
	set(r, LWBS_PATH_RES(0, iid, 4), opaque0());
	set(r, LWBS_PATH_RES(0, iid, 5), opaque0());
	set(r, LWBS_PATH_RES(0, iid, 10), lwbs_value_int(ssid));
	if (oscore_iid >= 0)
		set(r, LWBS_PATH_RES(0, iid, 17), lwbs_value_objlnk(21, (uint16_t)oscore_iid));
}

static void add_server(struct lwbs_node *r, uint16_t iid, int64_t ssid)
{
	set(r, LWBS_PATH_RES(1, iid, 0), lwbs_value_int(ssid));
	set(r, LWBS_PATH_RES(1, iid, 1),
	    lwbs_model_type(&EXPV, 1, 1) == LWBS_TYPE_UNSIGNED ? lwbs_value_uint(300) : lwbs_value_int(300));
	set(r, LWBS_PATH_RES(1, iid, 6), lwbs_value_bool(true));
	set(r, LWBS_PATH_RES(1, iid, 7), lwbs_value_string("U"));
}

static void add_acl(struct lwbs_node *r, uint16_t iid, int64_t oid, int64_t oiid, uint16_t ssid, int64_t rights,
		    int64_t owner)
{
	set(r, LWBS_PATH_RES(2, iid, 0), lwbs_value_int(oid));
	set(r, LWBS_PATH_RES(2, iid, 1), lwbs_value_int(oiid));
	set(r, LWBS_PATH_RI(2, iid, 2, ssid), lwbs_value_int(rights));
	set(r, LWBS_PATH_RES(2, iid, 3), lwbs_value_int(owner));
}

static void add_apn(struct lwbs_node *r, uint16_t iid)
{
	set(r, LWBS_PATH_RES(11, iid, 0), lwbs_value_string("internet"));
	set(r, LWBS_PATH_RES(11, iid, 4), lwbs_value_int(3));
}

static void add_oscore(struct lwbs_node *r, uint16_t iid)
{
	set(r, LWBS_PATH_RES(21, iid, 0), lwbs_value_string("master"));
	set(r, LWBS_PATH_RES(21, iid, 1), lwbs_value_string("s"));
	set(r, LWBS_PATH_RES(21, iid, 2), lwbs_value_string("r"));
}

/* The usual configuration: Security, Server, ACL for /1/siid, APN. */
static struct lwbs_node *standard_tree(uint16_t sec_iid, uint16_t srv_iid, uint16_t acl_iid)
{
	struct lwbs_node *r = lwbs_node_root(A);

	add_security(r, sec_iid, 101, -1);
	add_server(r, srv_iid, 101);
	add_acl(r, acl_iid, 1, srv_iid, 101, 1, 101);
	add_apn(r, 0);
	return r;
}

static struct lwbs_path del_default[] = {{{0}, 1}, {{1}, 1}};

static struct lwbs_bs_plan base_plan(const struct lwbs_node *objects)
{
	struct lwbs_bs_plan p = {
		.endpoint = "dev1",
		.objects = objects,
		.deletes = del_default,
		.n_deletes = N(del_default),
		.discover = true,
		.auto_security_iid = true,
		.content_format = LWBS_CF_NONE,
	};
	return p;
}

/* --- driving --- */

struct drv {
	struct lwbs_bs_session *s;
	struct lwbs_bs_action act[8];
	size_t n;
};

static size_t drain(struct drv *d)
{
	d->n = 0;
	while (d->n < N(d->act) && lwbs_bs_poll(d->s, &d->act[d->n]))
		d->n++;
	return d->n;
}

/* Hands ev to the session and drains what it does; the handler's result. */
static int handle(struct drv *d, const struct lwbs_bs_event *ev)
{
	int rc = lwbs_bs_handle(d->s, ev);
	drain(d);
	return rc;
}

static int ev_req(struct drv *d, enum lwbs_bs_event_kind k, int method, bool con, int accept,
		  const char *const *q, size_t nq, const char *identity)
{
	struct lwbs_bs_event ev = {.kind = k};
	ev.u.req.method = method;
	ev.u.req.confirmable = con;
	ev.u.req.queries = q;
	ev.u.req.n_queries = nq;
	ev.u.req.accept = accept;
	ev.u.req.identity = identity;
	return handle(d, &ev);
}

static int ev_request(struct drv *d, int method, bool con, const char *const *q, size_t nq, const char *identity)
{
	return ev_req(d, LWBS_BS_EV_REQUEST, method, con, LWBS_CF_NONE, q, nq, identity);
}

static int ev_pack(struct drv *d, int method, int accept, const char *const *q, size_t nq)
{
	return ev_req(d, LWBS_BS_EV_PACK_REQUEST, method, true, accept, q, nq, NULL);
}

static int ev_plan(struct drv *d, const struct lwbs_bs_plan *plan, int store_err, const char *refusal)
{
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_PLAN};
	ev.u.plan.plan = plan;
	ev.u.plan.store_err = store_err;
	ev.u.plan.refusal = refusal;
	return handle(d, &ev);
}

static int ev_rsp(struct drv *d, int code, int cf, const void *payload, size_t len)
{
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_RESPONSE};
	ev.u.rsp.code = code;
	ev.u.rsp.content_format = cf;
	ev.u.rsp.payload = payload;
	ev.u.rsp.payload_len = len;
	return handle(d, &ev);
}

static int ev_text(struct drv *d, int code, const char *text)
{
	return ev_rsp(d, code, code == LWBS_COAP_CONTENT ? LWBS_CF_LINK : LWBS_CF_NONE, text, text ? strlen(text) : 0);
}

static int ev_kind(struct drv *d, enum lwbs_bs_event_kind k)
{
	struct lwbs_bs_event ev = {.kind = k};
	return handle(d, &ev);
}

static struct drv start(void)
{
	struct drv d = {0};
	d.s = lwbs_bs_session_create(NULL);
	CHECK(d.s != NULL);
	return d;
}

static void stop(struct drv *d)
{
	lwbs_bs_session_destroy(d->s);
}

static bool is_send(const struct lwbs_bs_action *a, int method, struct lwbs_path p)
{
	return a->kind == LWBS_BS_ACT_SEND && a->method == method && lwbs_path_equal(&a->path, &p);
}

static enum lwbs_bs_result result_of(struct drv *d)
{
	struct lwbs_bs_info info;
	lwbs_bs_info(d->s, &info);
	return info.result;
}

/* Bootstrap-Request with ep (and pct), then the plan: expects the LOOKUP,
 * then 2.04 and the first SEND. */
static void begin(struct drv *d, const struct lwbs_bs_plan *plan, int pct)
{
	char pq[16];
	const char *q[2] = {"ep=dev1", pq};
	snprintf(pq, sizeof(pq), "pct=%d", pct);

	CHECK_INT(ev_request(d, LWBS_COAP_POST, true, q, pct == LWBS_CF_NONE ? 1 : 2, NULL), 0);
	CHECK_INT(d->n, 1);
	CHECK_INT(d->act[0].kind, LWBS_BS_ACT_LOOKUP);
	CHECK_STR(d->act[0].endpoint, "dev1");
	CHECK(d->act[0].identity == NULL);
	CHECK_INT(ev_plan(d, plan, 0, NULL), 0);
	CHECK_INT(d->n, 2);
	CHECK_INT(d->act[0].kind, LWBS_BS_ACT_RESPOND);
	CHECK_INT(d->act[0].code, LWBS_COAP_CHANGED);
	CHECK_INT(d->act[0].payload_len, 0);
	CHECK_INT(d->act[1].kind, LWBS_BS_ACT_SEND);
}

/* The session ended (a lone DONE action) with result r: its info. */
static struct lwbs_bs_info done_with(struct drv *d, enum lwbs_bs_result r)
{
	struct lwbs_bs_info info;
	CHECK_INT(d->n, 1);
	CHECK_INT(d->act[0].kind, LWBS_BS_ACT_DONE);
	lwbs_bs_info(d->s, &info);
	CHECK_INT(info.result, r);
	return info;
}

/* A session begun with plan, no pct. */
static struct drv begun(const struct lwbs_bs_plan *plan)
{
	struct drv d = start();
	begin(&d, plan, LWBS_CF_NONE);
	return d;
}

static int dump(void *ctx, const struct lwbs_path *p, const struct lwbs_node *n)
{
	char b[LWBS_PATH_STRMAX];
	lwbs_path_print(p, b, sizeof(b));
	fprintf(stderr, "    %s %s %s\n", (const char *)ctx, b, lwbs_type_name(n->value.type));
	return 0;
}

/* Answers Deletes 2.02 and Writes 2.04 until Finish; checks each write
 * payload against `expected` and that every expected instance (or object)
 * was written exactly once and `forbidden` never. Answers Finish 2.04. */
static void run_to_finish(struct drv *d, const struct lwbs_node *expected, enum lwbs_version v, int cf,
			  const struct lwbs_path *forbidden, bool per_object)
{
	size_t writes = 0, expect_writes = 0;
	struct lwbs_path last = {{0}, 0};
	bool first_write = true;

	for (const struct lwbs_node *o = expected->child; o; o = o->next)
		expect_writes += per_object ? (o->child ? 1 : 0) : lwbs_node_count(o);
	for (int guard = 0; guard < 64; guard++) {
		CHECK_INT(d->n, 1);
		const struct lwbs_bs_action *a = &d->act[0];
		if (a->kind != LWBS_BS_ACT_SEND)
			break;
		if (a->method == LWBS_COAP_DELETE) {
			CHECK(first_write); /* deletes come first */
			CHECK_INT(ev_rsp(d, LWBS_COAP_DELETED, LWBS_CF_NONE, NULL, 0), 0);
			continue;
		}
		if (a->method == LWBS_COAP_POST) {
			CHECK_INT(a->payload_len, 0);
			CHECK_INT(a->path.len, 0);
			CHECK_INT(ev_rsp(d, LWBS_COAP_CHANGED, LWBS_CF_NONE, NULL, 0), 0);
			break;
		}
		CHECK_INT(a->method, LWBS_COAP_PUT);
		CHECK_INT(a->content_format, cf);
		CHECK_INT(a->path.len, per_object ? 1 : 2);
		if (forbidden)
			CHECK(!lwbs_path_has_prefix(forbidden, &a->path) || a->path.len < forbidden->len);
		if (forbidden && a->path.len == 2)
			CHECK(!lwbs_path_equal(&a->path, forbidden));
		if (!first_write)
			CHECK(a->path.id[0] != last.id[0] || a->path.id[1] > last.id[1]);
		first_write = false;
		last = a->path;
		struct lwbs_node *got = NULL;
		enum lwbs_version tv = v;
		struct lwbs_typer typer = lwbs_model_typer(&tv);
		int rc = lwbs_decode(cf, a->payload, a->payload_len, &a->path, &typer, A, &got);
		CHECK_INT(rc, 0);
		const struct lwbs_node *want = lwbs_node_find(expected, &a->path);
		CHECK(want != NULL);
		if (!rc && want) {
			const struct lwbs_node *g = lwbs_node_find(got, &a->path);
			bool eq = g && lwbs_node_equal(g, want);
			if (!eq) {
				char p[LWBS_PATH_STRMAX];
				lwbs_path_print(&a->path, p, sizeof(p));
				fprintf(stderr, "  write %s in %s differs\n", p, lwbs_cf_name(cf));
				lwbs_node_walk(want, dump, "want");
				lwbs_node_walk(got, dump, "got");
			}
			CHECK(eq);
		}
		writes++;
		CHECK_INT(ev_rsp(d, LWBS_COAP_CHANGED, LWBS_CF_NONE, NULL, 0), 0);
	}
	CHECK_INT(writes, expect_writes);
	CHECK_INT(d->n, 1);
	CHECK_INT(d->act[0].kind, LWBS_BS_ACT_DONE);
	struct lwbs_bs_info info;
	lwbs_bs_info(d->s, &info);
	CHECK_INT(info.result, LWBS_BS_OK);
	CHECK_STR(lwbs_bs_result_name(info.result), "ok");
	CHECK_INT(info.content_format, cf);
	CHECK_INT(info.last_code, LWBS_COAP_CHANGED);
}

/* --- whole sessions --- */

static const char *disc_text(char *buf, size_t cap, int form, int bs_iid)
{
	static const char *const head[] = {"lwm2m=\"1.0\",", "lwm2m=1.0,", "</>;lwm2m=1.1,", "</>;lwm2m=1.2,"};
	snprintf(buf, cap, "%s</0/%d>,</1>,</3/0>,</5>", head[form], bs_iid);
	return buf;
}

static void test_matrix(void)
{
	static const int cfs[] = {LWBS_CF_TLV, LWBS_CF_SENML_CBOR, LWBS_CF_SENML_JSON, LWBS_CF_LWM2M_CBOR};
	static const enum lwbs_version vers[] = {LWBS_V1_0, LWBS_V1_0, LWBS_V1_1, LWBS_V1_2};
	static const int bs_iids[] = {0, 1, 5};

	A = lwbs_arena_create(0);
	for (int form = 0; form < 4; form++) {
		for (size_t f = 0; f < N(cfs); f++) {
			for (size_t b = 0; b < N(bs_iids); b++) {
				int bs = bs_iids[b];
				/* the plan puts Security at the provisional id 0 */
				struct lwbs_node *objs = standard_tree(0, 0, 0);
				struct lwbs_bs_plan plan = base_plan(objs);
				plan.content_format = cfs[f];
				plan.write_per_object = b == 2;
				EXPV = vers[form];
				struct lwbs_node *exp = standard_tree(bs == 0 ? 1 : 0, 0, 0);
				EXPV = LWBS_V1_1;
				struct lwbs_path forbidden = LWBS_PATH_INST(0, (uint16_t)bs);
				char disc[128];

				struct drv d = begun(&plan);
				CHECK(is_send(&d.act[1], LWBS_COAP_GET, LWBS_PATH_ROOT));
				CHECK_INT(d.act[1].accept, LWBS_CF_LINK);
				disc_text(disc, sizeof(disc), form, bs);
				CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, disc), 0);
				CHECK(is_send(&d.act[0], LWBS_COAP_DELETE, LWBS_PATH_OBJ(0)));
				run_to_finish(&d, exp, vers[form], cfs[f], &forbidden, plan.write_per_object);
				struct lwbs_bs_info info;
				lwbs_bs_info(d.s, &info);
				CHECK_INT(info.version, vers[form]);
				CHECK_STR(info.endpoint, "dev1");
				CHECK(info.plan == &plan);
				CHECK(!info.pack);
				/* discover, 2 deletes, writes, finish */
				CHECK_INT(info.requests_sent,
					  1 + 2 + (plan.write_per_object ? 4 : 4) + 1);
				/* nothing after DONE */
				CHECK_INT(ev_rsp(&d, LWBS_COAP_CHANGED, LWBS_CF_NONE, NULL, 0), -EINVAL);
				CHECK_INT(ev_kind(&d, LWBS_BS_EV_TIMEOUT), -EINVAL);
				CHECK_INT(d.n, 0);
				stop(&d);
			}
		}
	}
	lwbs_arena_destroy(A);
}

/* The format follows pct, else the version: 1.0 -> TLV, 1.1+ -> SenML CBOR. */
static void test_format_choice(void)
{
	static const struct {
		int pct;
		int form;
		int cf;
		enum lwbs_version v;
	} rows[] = {
		{LWBS_CF_NONE, 0, LWBS_CF_TLV, LWBS_V1_0},
		{LWBS_CF_NONE, 2, LWBS_CF_SENML_CBOR, LWBS_V1_1},
		{LWBS_CF_NONE, 3, LWBS_CF_SENML_CBOR, LWBS_V1_2},
		{LWBS_CF_SENML_JSON, 2, LWBS_CF_SENML_JSON, LWBS_V1_1},
		{LWBS_CF_TLV, 2, LWBS_CF_TLV, LWBS_V1_1},
		{LWBS_CF_LWM2M_CBOR, 3, LWBS_CF_LWM2M_CBOR, LWBS_V1_2},
	};
	A = lwbs_arena_create(0);
	for (size_t i = 0; i < N(rows); i++) {
		struct lwbs_node *objs = standard_tree(0, 0, 0);
		struct lwbs_bs_plan plan = base_plan(objs);
		EXPV = rows[i].v;
		struct lwbs_node *exp = standard_tree(1, 0, 0);
		EXPV = LWBS_V1_1;
		char disc[128];
		struct drv d = start();
		begin(&d, &plan, rows[i].pct);
		CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, disc_text(disc, sizeof(disc), rows[i].form, 0)), 0);
		run_to_finish(&d, exp, rows[i].v, rows[i].cf, NULL, false);
		stop(&d);
	}
	lwbs_arena_destroy(A);
}

/* Two Security instances and an OSCORE instance: the BS account at /0/0
 * and its OSCORE instance /21/0 are skipped; /0/x/17 follows /21. */
static void test_renumber_oscore(void)
{
	A = lwbs_arena_create(0);
	for (int with_delete = 0; with_delete < 2; with_delete++) {
		struct lwbs_node *objs = lwbs_node_root(A);
		add_security(objs, 0, 101, 0);
		add_security(objs, 1, 102, -1);
		add_server(objs, 0, 101);
		add_server(objs, 1, 102);
		add_oscore(objs, 0);
		struct lwbs_bs_plan plan = base_plan(objs);
		static struct lwbs_path del_root[] = {{{0}, 0}};
		plan.deletes = with_delete ? del_root : NULL;
		plan.n_deletes = with_delete ? 1 : 0;

		/* with Delete "/": existing /0/1 and /21/1 are gone, so the
		 * lowest free ids are 1, 2 and /21/1; without it they are kept
		 * and skipped too. */
		uint16_t s0 = with_delete ? 1 : 2, s1 = with_delete ? 2 : 3, o0 = with_delete ? 1 : 2;
		struct lwbs_node *exp = lwbs_node_root(A);
		add_security(exp, s0, 101, o0);
		add_security(exp, s1, 102, -1);
		add_server(exp, 0, 101);
		add_server(exp, 1, 102);
		add_oscore(exp, o0);

		struct drv d = begun(&plan);
		CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT,
				  "</>;lwm2m=1.1,</0/0>;uri=\"coap://bs\",</0/1>;ssid=7;uri=\"coap://old\","
				  "</1/0>;ssid=7,</21/0>,</21/1>;ssid=7,</3/0>"),
			 0);
		if (with_delete)
			CHECK(is_send(&d.act[0], LWBS_COAP_DELETE, LWBS_PATH_ROOT));
		struct lwbs_path forbidden = LWBS_PATH_INST(0, 0);
		run_to_finish(&d, exp, LWBS_V1_1, LWBS_CF_SENML_CBOR, &forbidden, false);
		stop(&d);
	}
	lwbs_arena_destroy(A);
}

/* A plan that carries a new Bootstrap-Server account writes it over the
 * client's own account (wherever Discover found it), never beside it. */
static void test_replace_bs_account(void)
{
	A = lwbs_arena_create(0);
	struct lwbs_node *objs = lwbs_node_root(A);
	set(objs, LWBS_PATH_RES(0, 0, 0), lwbs_value_string("coap://newbs.example:5683"));
	set(objs, LWBS_PATH_RES(0, 0, 1), lwbs_value_bool(true));
	set(objs, LWBS_PATH_RES(0, 0, 2), lwbs_value_int(3));
	set(objs, LWBS_PATH_RES(0, 0, 3), opaque0());
	set(objs, LWBS_PATH_RES(0, 0, 4), opaque0());
	set(objs, LWBS_PATH_RES(0, 0, 5), opaque0());
	add_security(objs, 1, 101, -1);
	add_server(objs, 0, 101);
	struct lwbs_bs_plan plan = base_plan(objs);

	struct lwbs_node *exp = lwbs_node_root(A);
	set(exp, LWBS_PATH_RES(0, 5, 0), lwbs_value_string("coap://newbs.example:5683"));
	set(exp, LWBS_PATH_RES(0, 5, 1), lwbs_value_bool(true));
	set(exp, LWBS_PATH_RES(0, 5, 2), lwbs_value_int(3));
	set(exp, LWBS_PATH_RES(0, 5, 3), opaque0());
	set(exp, LWBS_PATH_RES(0, 5, 4), opaque0());
	set(exp, LWBS_PATH_RES(0, 5, 5), opaque0());
	add_security(exp, 0, 101, -1);
	add_server(exp, 0, 101);

	struct drv d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, "</>;lwm2m=1.1,</0/5>,</3/0>"), 0);
	run_to_finish(&d, exp, LWBS_V1_1, LWBS_CF_SENML_CBOR, NULL, false);
	stop(&d);
	lwbs_arena_destroy(A);
}

/* Without auto_security_iid the plan's ids are used as given. */
static void test_no_renumber(void)
{
	A = lwbs_arena_create(0);
	struct lwbs_node *objs = standard_tree(3, 0, 0);
	struct lwbs_bs_plan plan = base_plan(objs);
	plan.auto_security_iid = false;
	struct drv d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, "</>;lwm2m=1.1,</0/0>"), 0);
	run_to_finish(&d, objs, LWBS_V1_1, LWBS_CF_SENML_CBOR, NULL, false);
	stop(&d);

	/* without Discover: no version (TLV), no renumbering, deletes first */
	plan.discover = false;
	plan.auto_security_iid = true;
	d = begun(&plan);
	CHECK(is_send(&d.act[1], LWBS_COAP_DELETE, LWBS_PATH_OBJ(0)));
	d.act[0] = d.act[1];
	d.n = 1;
	run_to_finish(&d, objs, LWBS_V1_0, LWBS_CF_TLV, NULL, false);
	struct lwbs_bs_info info;
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.version, 0);
	stop(&d);
	lwbs_arena_destroy(A);
}

/* A 1.0 client that answers Discover 4.04: go on as 1.0, ids unchanged. */
static void test_discover_fallback(void)
{
	A = lwbs_arena_create(0);
	struct lwbs_node *objs = standard_tree(0, 0, 0);
	struct lwbs_bs_plan plan = base_plan(objs);
	struct drv d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_NOT_FOUND, NULL), 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_DELETE, LWBS_PATH_OBJ(0)));
	run_to_finish(&d, objs, LWBS_V1_0, LWBS_CF_TLV, NULL, false);
	stop(&d);

	/* later failure mentions the fallback */
	d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_METHOD_NOT_ALLOWED, NULL), 0);
	CHECK_INT(ev_text(&d, LWBS_COAP_DELETED, NULL), 0);
	CHECK_INT(ev_text(&d, LWBS_COAP_DELETED, NULL), 0);
	CHECK_INT(ev_text(&d, LWBS_COAP_BAD_REQUEST, "no"), 0);
	struct lwbs_bs_info info;
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.result, LWBS_BS_FAIL_WRITE);
	CHECK_STR(info.reason, "write /0/0 answered 4.00: no (Discover unsupported: 4.05)");
	stop(&d);
	lwbs_arena_destroy(A);
}

static void test_discover_failures(void)
{
	static const struct {
		int code;
		const char *text;
		const char *reason;
	} rows[] = {
		{LWBS_COAP_INTERNAL_ERROR, "oops", "discover / answered 5.00: oops"},
		{LWBS_COAP_UNAUTHORIZED, NULL, "discover / answered 4.01"},
		{LWBS_COAP_CONTENT, "</>;lwm2m=1.1,</0/0>,</0/3>", "discover / answered 2.05 (two Bootstrap-Server accounts)"},
		{LWBS_COAP_CONTENT, "</>;lwm2m=2.0,</0/0>", "discover / answered 2.05 (unsupported LwM2M version)"},
		{LWBS_COAP_CONTENT, "<<<", "discover / answered 2.05 (unparsable)"},
	};
	A = lwbs_arena_create(0);
	struct lwbs_bs_plan plan = base_plan(standard_tree(0, 0, 0));
	for (size_t i = 0; i < N(rows); i++) {
		struct drv d = begun(&plan);
		CHECK_INT(ev_text(&d, rows[i].code, rows[i].text), 0);
		struct lwbs_bs_info info = done_with(&d, LWBS_BS_FAIL_DISCOVER);
		CHECK_STR(lwbs_bs_result_name(info.result), "discover_failed");
		CHECK_STR(info.reason, rows[i].reason);
		CHECK_INT(info.last_code, rows[i].code);
		stop(&d);
	}
	/* wrong content format */
	struct drv d = begun(&plan);
	CHECK_INT(ev_rsp(&d, LWBS_COAP_CONTENT, LWBS_CF_TEXT, "</>;lwm2m=1.1", 13), 0);
	CHECK_INT(result_of(&d), LWBS_BS_FAIL_DISCOVER);
	stop(&d);
	lwbs_arena_destroy(A);
}

/* The plan is checked against the client's version once Discover says it:
 * /0/x/17 does not exist for 1.0. */
static void test_plan_invalid_for_version(void)
{
	A = lwbs_arena_create(0);
	struct lwbs_node *objs = lwbs_node_root(A);
	add_security(objs, 0, 101, 0);
	add_server(objs, 0, 101);
	add_oscore(objs, 0);
	struct lwbs_bs_plan plan = base_plan(objs);
	struct drv d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, "lwm2m=\"1.0\",</0/0>"), 0);
	struct lwbs_bs_info info = done_with(&d, LWBS_BS_FAIL_PLAN);
	CHECK(strstr(info.reason, "/0/1/17") != NULL);
	stop(&d);

	/* a plan invalid for every version: 5.00 before anything is sent */
	struct lwbs_node *bad2 = lwbs_node_root(A);
	set(bad2, LWBS_PATH_RES(1, 0, 0), lwbs_value_int(101)); /* lifetime etc. missing */
	plan = base_plan(bad2);
	d = start();
	const char *q[] = {"ep=dev1"};
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, q, 1, NULL), 0);
	CHECK_INT(ev_plan(&d, &plan, 0, NULL), 0);
	CHECK_INT(d.n, 2);
	CHECK_INT(d.act[0].kind, LWBS_BS_ACT_RESPOND);
	CHECK_INT(d.act[0].code, LWBS_COAP_INTERNAL_ERROR);
	CHECK_INT(d.act[1].kind, LWBS_BS_ACT_DONE);
	CHECK_INT(result_of(&d), LWBS_BS_FAIL_PLAN);
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.requests_sent, 0);
	stop(&d);

	/* a content format override that cannot be written */
	plan = base_plan(standard_tree(0, 0, 0));
	plan.content_format = LWBS_CF_LWM2M_JSON;
	d = start();
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, q, 1, NULL), 0);
	CHECK_INT(ev_plan(&d, &plan, 0, NULL), 0);
	CHECK_INT(d.act[0].code, LWBS_COAP_INTERNAL_ERROR);
	CHECK_INT(result_of(&d), LWBS_BS_FAIL_PLAN);
	stop(&d);
	lwbs_arena_destroy(A);
}

static void encode_tree(int cf, const struct lwbs_node *root, struct lwbs_path base, struct lwbs_buf *b)
{
	lwbs_buf_init(b, 0);
	CHECK_INT(lwbs_encode(cf, root, &base, b), 0);
}

/* 1.1 client: Read /1 answered 4.05 (old client), Read /2 answered with an
 * ACL governing /3/0; keep_existing: new ids avoid the client's instances
 * and the existing ACL instance gets an entry for the new server. */
static void test_read_keep_existing(void)
{
	A = lwbs_arena_create(0);
	struct lwbs_node *objs = standard_tree(0, 0, 0);
	struct lwbs_bs_plan plan = base_plan(objs);
	plan.read_existing = true;
	plan.keep_existing = true;
	plan.deletes = NULL;
	plan.n_deletes = 0;

	/* the client's ACL: /2/0 governs /3/0, server 1 may read, default W */
	struct lwbs_node *acl = lwbs_node_root(A);
	add_acl(acl, 0, 3, 0, 1, 1, 1);
	set(acl, LWBS_PATH_RI(2, 0, 2, 0), lwbs_value_int(2));
	/* and /2/1 governs server 1's own /1/0: left alone */
	add_acl(acl, 1, 1, 0, 1, 3, 1);
	struct lwbs_buf payload;
	encode_tree(LWBS_CF_SENML_CBOR, acl, LWBS_PATH_OBJ(2), &payload);

	struct lwbs_node *exp = lwbs_node_root(A);
	add_security(exp, 2, 101, -1);            /* 0 = BS account, 1 = server 1 */
	add_server(exp, 1, 101);                  /* 0 = server 1 */
	add_acl(exp, 2, 1, 1, 101, 1, 101);       /* follows /1/0 -> /1/1; 0, 1 taken */
	add_acl(exp, 0, 3, 0, 1, 1, 1);           /* merged: 101 gets 1|2 */
	set(exp, LWBS_PATH_RI(2, 0, 2, 0), lwbs_value_int(2));
	set(exp, LWBS_PATH_RI(2, 0, 2, 101), lwbs_value_int(3));
	add_apn(exp, 0);

	struct drv d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT,
			  "</>;lwm2m=1.1,</0/0>,</0/1>;ssid=1,</1/0>;ssid=1,</2/0>,</2/1>,</3/0>"),
		 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_GET, LWBS_PATH_OBJ(1)));
	CHECK_INT(d.act[0].accept, LWBS_CF_SENML_CBOR);
	CHECK_INT(ev_text(&d, LWBS_COAP_METHOD_NOT_ALLOWED, NULL), 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_GET, LWBS_PATH_OBJ(2)));
	CHECK_INT(ev_rsp(&d, LWBS_COAP_CONTENT, LWBS_CF_SENML_CBOR, payload.data, payload.len), 0);
	lwbs_buf_finish(&payload);
	struct lwbs_path forbidden = LWBS_PATH_INST(0, 0);
	run_to_finish(&d, exp, LWBS_V1_1, LWBS_CF_SENML_CBOR, &forbidden, false);
	struct lwbs_bs_info info;
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.requests_sent, 1 + 2 + 5 + 1);
	stop(&d);

	/* a read error other than 4.04/4.05 fails the session */
	d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, "</>;lwm2m=1.1,</0/0>"), 0);
	CHECK_INT(ev_text(&d, LWBS_COAP_UNAUTHORIZED, "denied"), 0);
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.result, LWBS_BS_FAIL_READ);
	CHECK_STR(info.reason, "read /1 answered 4.01: denied");
	CHECK_STR(info.diagnostic, "denied");
	stop(&d);

	/* an undecodable read answer too */
	d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, "</>;lwm2m=1.1,</0/0>"), 0);
	CHECK_INT(ev_rsp(&d, LWBS_COAP_CONTENT, LWBS_CF_SENML_CBOR, "\xff\xff", 2), 0);
	CHECK_INT(result_of(&d), LWBS_BS_FAIL_READ);
	stop(&d);

	/* a 1.0 client is never read */
	d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, "lwm2m=1.0,</0/0>"), 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_PUT, LWBS_PATH_INST(0, 1)));
	stop(&d);
	lwbs_arena_destroy(A);
}

static void test_refusals(void)
{
	A = lwbs_arena_create(0);
	struct lwbs_bs_plan plan = base_plan(standard_tree(0, 0, 0));
	const char *q[] = {"ep=dev1"};
	struct lwbs_bs_info info;

	/* unknown endpoint: 4.00 without a diagnostic and never a SEND */
	struct drv d = start();
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, q, 1, NULL), 0);
	CHECK_INT(ev_plan(&d, NULL, 0, NULL), 0);
	CHECK_INT(d.n, 2);
	CHECK_INT(d.act[0].kind, LWBS_BS_ACT_RESPOND);
	CHECK_INT(d.act[0].code, LWBS_COAP_BAD_REQUEST);
	CHECK_INT(d.act[0].payload_len, 0);
	CHECK_INT(d.act[1].kind, LWBS_BS_ACT_DONE);
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.result, LWBS_BS_REFUSED_UNKNOWN_EP);
	CHECK_STR(lwbs_bs_result_name(info.result), "unknown_endpoint");
	CHECK(lwbs_bs_result_is_refusal(info.result));
	CHECK_INT(info.requests_sent, 0);
	CHECK_INT(ev_text(&d, LWBS_COAP_CHANGED, NULL), -EINVAL);
	CHECK_INT(ev_kind(&d, LWBS_BS_EV_TRANSPORT_ERROR), -EINVAL);
	stop(&d);

	/* non-confirmable */
	d = start();
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, false, q, 1, NULL), 0);
	CHECK_INT(d.n, 2);
	CHECK_INT(d.act[0].code, LWBS_COAP_BAD_REQUEST);
	CHECK(d.act[0].payload_len > 0);
	CHECK_INT(result_of(&d), LWBS_BS_REFUSED_NON_CON);
	CHECK_STR(lwbs_bs_result_name(result_of(&d)), "non_confirmable");
	stop(&d);

	/* wrong method */
	d = start();
	CHECK_INT(ev_request(&d, LWBS_COAP_GET, true, q, 1, NULL), 0);
	CHECK_INT(d.act[0].code, LWBS_COAP_METHOD_NOT_ALLOWED);
	CHECK_INT(result_of(&d), LWBS_BS_REFUSED_BAD_REQUEST);
	stop(&d);

	/* bad query */
	const char *bq[] = {"ep=a", "ep=b"};
	d = start();
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, bq, 2, NULL), 0);
	CHECK_INT(d.n, 2);
	CHECK_INT(d.act[0].code, LWBS_COAP_BAD_REQUEST);
	CHECK_INT(result_of(&d), LWBS_BS_REFUSED_BAD_REQUEST);
	CHECK_STR(lwbs_bs_result_name(result_of(&d)), "bad_request");
	stop(&d);

	/* payload */
	d = start();
	struct lwbs_bs_event ev = {.kind = LWBS_BS_EV_REQUEST};
	ev.u.req.method = LWBS_COAP_POST;
	ev.u.req.confirmable = true;
	ev.u.req.queries = q;
	ev.u.req.n_queries = 1;
	ev.u.req.payload_len = 1;
	CHECK_INT(lwbs_bs_handle(d.s, &ev), 0);
	drain(&d);
	CHECK_INT(d.act[0].code, LWBS_COAP_BAD_REQUEST);
	CHECK_INT(result_of(&d), LWBS_BS_REFUSED_BAD_REQUEST);
	stop(&d);
	struct lwbs_bs_opts opts = {.max_request_payload = 4};
	d.s = lwbs_bs_session_create(&opts);
	CHECK_INT(lwbs_bs_handle(d.s, &ev), 0);
	drain(&d);
	CHECK_INT(d.act[0].kind, LWBS_BS_ACT_LOOKUP);
	stop(&d);

	/* no ep: identity; neither: 4.00 */
	d = start();
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, NULL, 0, "psk-id-7"), 0);
	CHECK_INT(d.act[0].kind, LWBS_BS_ACT_LOOKUP);
	CHECK_STR(d.act[0].endpoint, "psk-id-7");
	CHECK_STR(d.act[0].identity, "psk-id-7");
	stop(&d);
	d = start();
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, NULL, 0, NULL), 0);
	CHECK_INT(d.act[0].code, LWBS_COAP_BAD_REQUEST);
	CHECK_INT(result_of(&d), LWBS_BS_REFUSED_BAD_REQUEST);
	stop(&d);

	/* pct that cannot be written: 4.15 */
	static const char *const pcts[] = {"pct=0", "pct=42", "pct=11543", "pct=40", "pct=60"};
	for (size_t i = 0; i < N(pcts); i++) {
		const char *pq[] = {"ep=dev1", pcts[i]};
		d = start();
		CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, pq, 2, NULL), 0);
		CHECK_INT(d.n, 2);
		CHECK_INT(d.act[0].code, LWBS_COAP_UNSUPPORTED_CF);
		CHECK_INT(result_of(&d), LWBS_BS_REFUSED_PCT);
		CHECK_STR(lwbs_bs_result_name(result_of(&d)), "unsupported_pct");
		stop(&d);
	}

	/* policy refusal */
	d = start();
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, q, 1, NULL), 0);
	CHECK_INT(ev_plan(&d, &plan, 0, "roaming"), 0);
	CHECK_INT(d.n, 2);
	CHECK_INT(d.act[0].code, LWBS_COAP_BAD_REQUEST);
	CHECK_INT(d.act[0].payload_len, 0);
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.result, LWBS_BS_REFUSED_POLICY);
	CHECK_STR(info.reason, "roaming");
	CHECK_STR(lwbs_bs_result_name(info.result), "policy");
	stop(&d);

	/* store error: 5.03 */
	d = start();
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, q, 1, NULL), 0);
	CHECK_INT(ev_plan(&d, NULL, -EIO, NULL), 0);
	CHECK_INT(d.act[0].code, LWBS_COAP_SERVICE_UNAVAILABLE);
	CHECK_INT(result_of(&d), LWBS_BS_FAIL_STORE);
	CHECK(!lwbs_bs_result_is_refusal(LWBS_BS_FAIL_STORE));
	stop(&d);
	lwbs_arena_destroy(A);
}

static void test_session_failures(void)
{
	A = lwbs_arena_create(0);
	struct lwbs_bs_plan plan = base_plan(standard_tree(0, 0, 0));
	struct lwbs_bs_info info;
	const char *disc = "</>;lwm2m=1.1,</0/0>";

	/* Finish 4.06 with a diagnostic */
	struct drv d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, disc), 0);
	for (int i = 0; i < 6; i++) /* 2 deletes, 4 writes */
		CHECK_INT(ev_text(&d, i < 2 ? LWBS_COAP_DELETED : LWBS_COAP_CHANGED, NULL), 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_POST, LWBS_PATH_ROOT));
	CHECK_INT(ev_text(&d, LWBS_COAP_NOT_ACCEPTABLE, "no server account"), 0);
	CHECK_INT(d.act[0].kind, LWBS_BS_ACT_DONE);
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.result, LWBS_BS_FAIL_FINISH);
	CHECK_STR(lwbs_bs_result_name(info.result), "finish_failed");
	CHECK_STR(info.diagnostic, "no server account");
	CHECK_STR(info.reason, "finish /bs answered 4.06: no server account");
	CHECK_INT(info.last_code, LWBS_COAP_NOT_ACCEPTABLE);
	stop(&d);

	/* write failure: diagnostic escaped and bounded */
	d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, disc), 0);
	CHECK_INT(ev_text(&d, LWBS_COAP_DELETED, NULL), 0);
	CHECK_INT(ev_text(&d, LWBS_COAP_DELETED, NULL), 0);
	CHECK_INT(ev_text(&d, LWBS_COAP_CHANGED, NULL), 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_PUT, LWBS_PATH_INST(1, 0)));
	CHECK_INT(ev_rsp(&d, LWBS_COAP_BAD_REQUEST, LWBS_CF_NONE, "bad\n\x01\\ \xc3\xa4", 9), 0);
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.result, LWBS_BS_FAIL_WRITE);
	CHECK_STR(info.diagnostic, "bad\\x0a\\x01\\x5c \xc3\xa4");
	CHECK_STR(info.reason, "write /1/0 answered 4.00: bad\\x0a\\x01\\x5c \xc3\xa4");
	CHECK_INT(info.last_code, LWBS_COAP_BAD_REQUEST);
	struct lwbs_path p10 = LWBS_PATH_INST(1, 0);
	CHECK(lwbs_path_equal(&info.last_path, &p10));
	stop(&d);

	/* a long, invalid UTF-8 diagnostic is cut, never overflowing */
	uint8_t junk[600];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i % 3 ? 'x' : 0xff);
	d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, disc), 0);
	CHECK_INT(ev_rsp(&d, LWBS_COAP_INTERNAL_ERROR, LWBS_CF_NONE, junk, sizeof(junk)), 0);
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.result, LWBS_BS_FAIL_DELETE);
	CHECK(strlen(info.diagnostic) < 128 && strlen(info.diagnostic) > 100);
	CHECK(!strncmp(info.diagnostic, "\\xffxx\\xff", 10));
	stop(&d);

	/* delete 4.04 and 4.05 (non-Security) tolerated; 4.05 on /0 is not */
	static struct lwbs_path dels[] = {{{3}, 1}, {{11}, 1}, {{0}, 1}};
	plan.deletes = dels;
	plan.n_deletes = 3;
	d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, disc), 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_DELETE, LWBS_PATH_OBJ(3)));
	CHECK_INT(ev_text(&d, LWBS_COAP_NOT_FOUND, NULL), 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_DELETE, LWBS_PATH_OBJ(11)));
	CHECK_INT(ev_text(&d, LWBS_COAP_METHOD_NOT_ALLOWED, NULL), 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_DELETE, LWBS_PATH_OBJ(0)));
	CHECK_INT(ev_text(&d, LWBS_COAP_METHOD_NOT_ALLOWED, NULL), 0);
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.result, LWBS_BS_FAIL_DELETE);
	CHECK_STR(info.reason, "delete /0 answered 4.05");
	stop(&d);
	plan.deletes = del_default;
	plan.n_deletes = 2;

	/* timeout in several states: DONE, no RESPOND */
	d = begun(&plan);
	CHECK_INT(ev_kind(&d, LWBS_BS_EV_TIMEOUT), 0);
	info = done_with(&d, LWBS_BS_FAIL_TIMEOUT);
	CHECK_STR(info.reason, "session timed out during discover /");
	CHECK_STR(lwbs_bs_result_name(info.result), "timeout");
	CHECK_INT(ev_kind(&d, LWBS_BS_EV_TIMEOUT), -EINVAL);
	stop(&d);
	d = start();
	const char *q[] = {"ep=dev1"};
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, q, 1, NULL), 0);
	CHECK_INT(ev_kind(&d, LWBS_BS_EV_TIMEOUT), 0);
	CHECK_INT(d.act[0].kind, LWBS_BS_ACT_DONE);
	CHECK_INT(result_of(&d), LWBS_BS_FAIL_TIMEOUT);
	CHECK_INT(ev_plan(&d, &plan, 0, NULL), -EINVAL);
	stop(&d);

	/* transport error on a write */
	d = begun(&plan);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, disc), 0);
	CHECK_INT(ev_text(&d, LWBS_COAP_DELETED, NULL), 0);
	CHECK_INT(ev_text(&d, LWBS_COAP_DELETED, NULL), 0);
	CHECK_INT(ev_kind(&d, LWBS_BS_EV_TRANSPORT_ERROR), 0);
	CHECK_INT(d.act[0].kind, LWBS_BS_ACT_DONE);
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.result, LWBS_BS_FAIL_TRANSPORT);
	CHECK_STR(info.reason, "write /0/1 not delivered");
	CHECK_STR(lwbs_bs_result_name(info.result), "transport_error");
	stop(&d);
	lwbs_arena_destroy(A);
}

/* Events that do not fit the state are rejected and change nothing. */
static void test_out_of_order(void)
{
	A = lwbs_arena_create(0);
	struct lwbs_bs_plan plan = base_plan(standard_tree(0, 0, 0));
	const char *q[] = {"ep=dev1"};
	struct drv d = start();

	CHECK_INT(ev_rsp(&d, LWBS_COAP_CHANGED, LWBS_CF_NONE, NULL, 0), -EINVAL);
	CHECK_INT(ev_plan(&d, &plan, 0, NULL), -EINVAL);
	CHECK_INT(ev_kind(&d, LWBS_BS_EV_TRANSPORT_ERROR), -EINVAL);
	CHECK_INT(ev_kind(&d, (enum lwbs_bs_event_kind)99), -EINVAL);
	CHECK_INT(lwbs_bs_handle(d.s, NULL), -EINVAL);
	CHECK_INT(d.n, 0);
	CHECK_INT(result_of(&d), LWBS_BS_RUNNING);
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, q, 1, NULL), 0);
	/* no SEND yet: a response is a stray */
	CHECK_INT(ev_rsp(&d, LWBS_COAP_CHANGED, LWBS_CF_NONE, NULL, 0), -EINVAL);
	CHECK_INT(ev_plan(&d, &plan, 0, NULL), 0);
	CHECK_INT(ev_plan(&d, &plan, 0, NULL), -EINVAL);
	CHECK_INT(ev_text(&d, LWBS_COAP_CONTENT, "</>;lwm2m=1.1,</0/0>"), 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_DELETE, LWBS_PATH_OBJ(0)));
	CHECK_INT(ev_text(&d, LWBS_COAP_DELETED, NULL), 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_DELETE, LWBS_PATH_OBJ(1)));
	/* a new Bootstrap-Request supersedes the running session */
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, q, 1, NULL), 0);
	done_with(&d, LWBS_BS_FAIL_SUPERSEDED);
	CHECK_STR(lwbs_bs_result_name(LWBS_BS_FAIL_SUPERSEDED), "superseded");
	CHECK_INT(ev_text(&d, LWBS_COAP_DELETED, NULL), -EINVAL);

	/* reset makes it reusable */
	lwbs_bs_session_reset(d.s);
	struct lwbs_bs_info info;
	lwbs_bs_info(d.s, &info);
	CHECK_INT(info.result, LWBS_BS_RUNNING);
	CHECK(info.endpoint == NULL);
	CHECK_INT(info.requests_sent, 0);
	CHECK_INT(ev_request(&d, LWBS_COAP_POST, true, q, 1, NULL), 0);
	CHECK_INT(d.act[0].kind, LWBS_BS_ACT_LOOKUP);

	CHECK_INT(ev_plan(&d, &plan, 0, NULL), 0);
	CHECK_INT(d.n, 2);
	stop(&d);

	/* a front end that never drains is refused once the queue is full */
	struct lwbs_bs_event e = {.kind = LWBS_BS_EV_REQUEST};
	e.u.req.method = LWBS_COAP_POST;
	e.u.req.confirmable = true;
	e.u.req.queries = q;
	e.u.req.n_queries = 1;
	d = start();
	CHECK_INT(lwbs_bs_handle(d.s, &e), 0); /* LOOKUP */
	e = (struct lwbs_bs_event){.kind = LWBS_BS_EV_PLAN};
	e.u.plan.plan = &plan;
	CHECK_INT(lwbs_bs_handle(d.s, &e), 0); /* RESPOND, SEND discover */
	e = (struct lwbs_bs_event){.kind = LWBS_BS_EV_RESPONSE};
	e.u.rsp.code = LWBS_COAP_CONTENT;
	e.u.rsp.content_format = LWBS_CF_LINK;
	e.u.rsp.payload = (const uint8_t *)"</>;lwm2m=1.1,</0/0>";
	e.u.rsp.payload_len = strlen("</>;lwm2m=1.1,</0/0>");
	CHECK_INT(lwbs_bs_handle(d.s, &e), 0); /* SEND delete /0 */
	e.u.rsp.code = LWBS_COAP_DELETED;
	e.u.rsp.payload_len = 0;
	CHECK_INT(lwbs_bs_handle(d.s, &e), 0); /* SEND delete /1 */
	CHECK_INT(lwbs_bs_handle(d.s, &e), 0); /* SEND write /0/1 */
	e.u.rsp.code = LWBS_COAP_CHANGED;
	CHECK_INT(lwbs_bs_handle(d.s, &e), 0); /* SEND write /1/0 */
	CHECK_INT(lwbs_bs_handle(d.s, &e), -ENOBUFS);
	CHECK_INT(drain(&d), 7);
	CHECK_INT(d.act[0].kind, LWBS_BS_ACT_LOOKUP);
	CHECK(is_send(&d.act[6], LWBS_COAP_PUT, LWBS_PATH_INST(1, 0)));
	/* drained: the refused event can be given again */
	CHECK_INT(ev_rsp(&d, LWBS_COAP_CHANGED, LWBS_CF_NONE, NULL, 0), 0);
	CHECK(is_send(&d.act[0], LWBS_COAP_PUT, LWBS_PATH_INST(2, 0)));
	stop(&d);

	CHECK_STR(lwbs_bs_result_name(LWBS_BS_RESULT_COUNT), "unknown");
	static const char *const names[] = {
		"running", "ok", "pack_ok", "bad_request", "non_confirmable", "unknown_endpoint",
		"unsupported_pct", "unsupported_accept", "pack_not_allowed", "policy", "source_blocked", "handshake_failed",
		"discover_failed",
		"read_failed", "delete_failed", "write_failed", "finish_failed", "timeout",
		"transport_error", "store_error", "plan_invalid", "superseded",
	};
	CHECK_INT(N(names), LWBS_BS_RESULT_COUNT);
	for (int i = 0; i < LWBS_BS_RESULT_COUNT; i++)
		CHECK_STR(lwbs_bs_result_name((enum lwbs_bs_result)i), names[i]);
	lwbs_bs_session_destroy(NULL);
	lwbs_arena_destroy(A);
}

static void test_pack(void)
{
	static const int accepts[] = {LWBS_CF_SENML_CBOR, LWBS_CF_SENML_JSON, LWBS_CF_LWM2M_CBOR, LWBS_CF_NONE};
	const char *q[] = {"ep=dev1"};

	A = lwbs_arena_create(0);
	struct lwbs_node *objs = standard_tree(0, 0, 0);
	struct lwbs_bs_plan plan = base_plan(objs);
	plan.allow_pack = true;
	EXPV = LWBS_V1_2;
	/* no Discover before a Pack: the Security instance avoids /0/0, where
	 * the factory Bootstrap-Server account is assumed to be */
	struct lwbs_node *exp = standard_tree(1, 0, 0);
	struct lwbs_node *exp_asis = standard_tree(0, 0, 0);
	EXPV = LWBS_V1_1;
	for (size_t i = 0; i < 2 * N(accepts); i++) {
		plan.auto_security_iid = i < N(accepts);
		const struct lwbs_node *want_tree = plan.auto_security_iid ? exp : exp_asis;
		int accept = accepts[i % N(accepts)];
		int want = accept == LWBS_CF_NONE ? LWBS_CF_SENML_CBOR : accept;
		struct drv d = start();
		CHECK_INT(ev_pack(&d, LWBS_COAP_GET, accept, q, 1), 0);
		CHECK_INT(d.n, 1);
		CHECK_INT(d.act[0].kind, LWBS_BS_ACT_LOOKUP);
		CHECK_INT(ev_plan(&d, &plan, 0, NULL), 0);
		CHECK_INT(d.n, 2);
		CHECK_INT(d.act[0].kind, LWBS_BS_ACT_RESPOND);
		CHECK_INT(d.act[0].code, LWBS_COAP_CONTENT);
		CHECK_INT(d.act[0].content_format, want);
		struct lwbs_node *got = NULL;
		enum lwbs_version v = LWBS_V1_2;
		struct lwbs_typer typer = lwbs_model_typer(&v);
		struct lwbs_path root = LWBS_PATH_ROOT;
		CHECK_INT(lwbs_decode(want, d.act[0].payload, d.act[0].payload_len, &root, &typer, A, &got), 0);
		CHECK(got && lwbs_node_equal(got, want_tree));
		CHECK_INT(d.act[1].kind, LWBS_BS_ACT_DONE);
		struct lwbs_bs_info info;
		lwbs_bs_info(d.s, &info);
		CHECK_INT(info.result, LWBS_BS_PACK_OK);
		CHECK(info.pack);
		CHECK_INT(info.content_format, want);
		CHECK_INT(info.requests_sent, 0);
		CHECK_STR(lwbs_bs_result_name(info.result), "pack_ok");
		stop(&d);
	}

	/* Accept 0 and TLV: 4.06 without a lookup */
	static const int bad[] = {LWBS_CF_TEXT, LWBS_CF_TLV, LWBS_CF_LINK};
	for (size_t i = 0; i < N(bad); i++) {
		struct drv d = start();
		CHECK_INT(ev_pack(&d, LWBS_COAP_GET, bad[i], q, 1), 0);
		CHECK_INT(d.n, 2);
		CHECK_INT(d.act[0].code, LWBS_COAP_NOT_ACCEPTABLE);
		CHECK_INT(d.act[1].kind, LWBS_BS_ACT_DONE);
		CHECK_INT(result_of(&d), LWBS_BS_REFUSED_ACCEPT);
		CHECK_STR(lwbs_bs_result_name(result_of(&d)), "unsupported_accept");
		stop(&d);
	}

	/* not allowed: 4.05 */
	plan.allow_pack = false;
	struct drv d = start();
	CHECK_INT(ev_pack(&d, LWBS_COAP_GET, LWBS_CF_SENML_CBOR, q, 1), 0);
	CHECK_INT(ev_plan(&d, &plan, 0, NULL), 0);
	CHECK_INT(d.act[0].code, LWBS_COAP_METHOD_NOT_ALLOWED);
	CHECK_INT(result_of(&d), LWBS_BS_REFUSED_PACK);
	CHECK_STR(lwbs_bs_result_name(result_of(&d)), "pack_not_allowed");
	stop(&d);

	/* unknown endpoint, wrong method */
	d = start();
	CHECK_INT(ev_pack(&d, LWBS_COAP_GET, LWBS_CF_SENML_CBOR, q, 1), 0);
	CHECK_INT(ev_plan(&d, NULL, 0, NULL), 0);
	CHECK_INT(d.act[0].code, LWBS_COAP_BAD_REQUEST);
	CHECK_INT(result_of(&d), LWBS_BS_REFUSED_UNKNOWN_EP);
	stop(&d);
	d = start();
	CHECK_INT(ev_pack(&d, LWBS_COAP_POST, LWBS_CF_SENML_CBOR, q, 1), 0);
	CHECK_INT(d.act[0].code, LWBS_COAP_METHOD_NOT_ALLOWED);
	CHECK_INT(result_of(&d), LWBS_BS_REFUSED_BAD_REQUEST);
	stop(&d);
	lwbs_arena_destroy(A);
}

TEST_MAIN(test_matrix, test_format_choice, test_renumber_oscore, test_replace_bs_account, test_no_renumber, test_discover_fallback,
	  test_discover_failures, test_plan_invalid_for_version, test_read_keep_existing, test_refusals,
	  test_session_failures, test_out_of_order, test_pack)
