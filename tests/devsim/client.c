/* lwbs-devsim — one client's bootstrap session over CoAP (see client.h). */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"

static uint32_t rnd(struct devsim_client *c)
{
	uint32_t x = c->rng ? c->rng : 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	c->rng = x;
	return x;
}

const char *devsim_code_str(uint8_t code, char buf[8])
{
	snprintf(buf, 8, "%u.%02u", code >> 5, code & 31);
	return buf;
}

int devsim_client_init(struct devsim_client *c, const struct devsim_device_conf *dconf,
		       const struct devsim_client_conf *conf)
{
	memset(c, 0, sizeof(*c));
	c->conf = *conf;
	c->rng = conf->seed ? conf->seed : 1;
	c->retx_at = INT64_MAX;
	lwbs_buf_init(&c->block, 1u << 20);
	lwbs_buf_init(&c->resp_body, 1u << 20);
	return devsim_device_init(&c->dev, dconf);
}

void devsim_client_finish(struct devsim_client *c)
{
	devsim_device_finish(&c->dev);
	lwbs_buf_finish(&c->block);
	lwbs_buf_finish(&c->resp_body);
	free(c->log);
	memset(c, 0, sizeof(*c));
}

static void end(struct devsim_client *c, bool ok, const char *fmt, const char *arg)
{
	c->state = DEVSIM_CL_DONE;
	c->ok = ok;
	c->retx_at = INT64_MAX;
	snprintf(c->reason, sizeof(c->reason), fmt, arg ? arg : "");
}

void devsim_client_fail(struct devsim_client *c, const char *reason)
{
	if (c->state != DEVSIM_CL_DONE)
		end(c, false, "%s", reason);
}

static void arm(struct devsim_client *c, int64_t now)
{
	/* RFC 7252 §4.2: initial timeout random in [ACK_TIMEOUT, 1.5 * ACK_TIMEOUT]. */
	c->retx_timeout = DEVSIM_ACK_TIMEOUT_MS + rnd(c) % (DEVSIM_ACK_TIMEOUT_MS / 2 + 1);
	c->retx_count = 0;
	c->retx_at = now + c->retx_timeout;
}

/* Writes our confirmable request (POST /bs or GET /bspack) into c->req. */
static int send_request(struct devsim_client *c, bool pack, int64_t now, struct lwbs_buf *out)
{
	struct lwbs_coapmsg m = {0};
	char q_ep[300], q_pct[16];
	uint8_t acc[4];
	struct lwbs_buf b;
	int rc;

	c->mid = (uint16_t)rnd(c);
	uint32_t t = rnd(c);
	memcpy(c->token, &t, 4);
	m.type = LWBS_COAPMSG_CON;
	m.code = pack ? DEVSIM_GET : DEVSIM_POST;
	m.mid = c->mid;
	m.tkl = 4;
	memcpy(m.token, c->token, 4);
	lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_PATH, pack ? "bspack" : "bs", pack ? 6 : 2);
	if (c->conf.endpoint) { /* none: the server takes it from the DTLS identity */
		snprintf(q_ep, sizeof(q_ep), "ep=%s", c->conf.endpoint);
		lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_QUERY, q_ep, strlen(q_ep));
	}
	if (pack) {
		lwbs_coapmsg_add_uint(&m, LWBS_COAPMSG_OPT_ACCEPT, (uint32_t)c->conf.accept, acc);
	} else if (c->conf.pct >= 0 && c->dev.conf.version >= LWBS_V1_1) {
		snprintf(q_pct, sizeof(q_pct), "pct=%d", c->conf.pct);
		lwbs_coapmsg_add_opt(&m, LWBS_COAPMSG_OPT_URI_QUERY, q_pct, strlen(q_pct));
	}
	lwbs_buf_init_fixed(&b, c->req, sizeof(c->req));
	rc = lwbs_coapmsg_encode(&m, &b);
	if (rc)
		return rc;
	c->req_len = b.len;
	c->in_pack = pack;
	c->acked = false;
	c->state = DEVSIM_CL_REQUESTING;
	arm(c, now);
	return lwbs_buf_put(out, c->req, c->req_len);
}

int devsim_client_start(struct devsim_client *c, int64_t now_ms, struct lwbs_buf *out)
{
	int rc = devsim_device_reset(&c->dev);
	if (rc)
		return rc;
	c->ok = false;
	c->reason[0] = 0;
	c->bs_code = c->pack_code = 0;
	c->served = 0;
	c->n_log = 0;
	lwbs_buf_reset(&c->block);
	return send_request(c, c->conf.pack, now_ms, out);
}

int64_t devsim_client_deadline(const struct devsim_client *c)
{
	return c->retx_at;
}

void devsim_client_timer(struct devsim_client *c, int64_t now_ms, struct lwbs_buf *out)
{
	if (c->state != DEVSIM_CL_REQUESTING || c->acked || now_ms < c->retx_at)
		return;
	if (c->retx_count == DEVSIM_MAX_RETRANSMIT) {
		end(c, false, "no answer to the %s", c->in_pack ? "Bootstrap-Pack-Request" : "Bootstrap-Request");
		return;
	}
	c->retx_count++;
	c->retransmissions++;
	c->retx_timeout *= 2;
	c->retx_at = now_ms + c->retx_timeout;
	lwbs_buf_put(out, c->req, c->req_len);
}

static void send_empty(struct lwbs_buf *out, uint8_t type, uint16_t mid)
{
	struct lwbs_coapmsg m = {0};
	m.type = type;
	m.mid = mid;
	lwbs_coapmsg_encode(&m, out);
}

static void on_response(struct devsim_client *c, int64_t now, const struct lwbs_coapmsg *m,
			struct lwbs_buf *out)
{
	char cs[8];

	c->retx_at = INT64_MAX;
	if (c->in_pack) {
		c->pack_code = m->code;
		int64_t cf = lwbs_coapmsg_uint(m, LWBS_COAPMSG_OPT_CONTENT_FORMAT);
		const char *why;
		if (m->code != DEVSIM_CONTENT) {
			/* §1.3: after any error the client falls back to Bootstrap-Request. */
			send_request(c, false, now, out);
			return;
		}
		int rc = devsim_device_apply_pack(&c->dev, (int)cf, m->payload, m->payload_len);
		if (rc)
			return end(c, false, "Bootstrap-Pack not applicable: %s", lwbs_strerror(rc));
		if (devsim_device_check(&c->dev, &why))
			return end(c, false, "after Bootstrap-Pack: %s", why);
		return end(c, true, "bootstrapped from Bootstrap-Pack%s", NULL);
	}
	c->bs_code = m->code;
	if (m->code != DEVSIM_CHANGED)
		return end(c, false, "Bootstrap-Request answered %s", devsim_code_str(m->code, cs));
	if (c->state == DEVSIM_CL_REQUESTING)
		c->state = DEVSIM_CL_SERVING;
}

static void log_request(struct devsim_client *c, const struct devsim_req *r, uint8_t code)
{
	if (!c->conf.log)
		return;
	if (c->n_log == c->cap_log) {
		size_t cap = c->cap_log ? 2 * c->cap_log : 16;
		struct devsim_log_entry *n = realloc(c->log, cap * sizeof(*n));
		if (!n)
			return;
		c->log = n;
		c->cap_log = cap;
	}
	struct devsim_log_entry *e = &c->log[c->n_log++];
	e->method = r->method;
	e->code = code;
	e->accept = r->accept;
	e->cf = r->cf;
	snprintf(e->path, sizeof(e->path), "%s", r->path);
}

static const struct devsim_cache *cached(const struct devsim_client *c, uint16_t mid)
{
	for (int i = 0; i < 2; i++)
		if (c->cache[i].valid && c->cache[i].mid == mid)
			return &c->cache[i];
	return NULL;
}

static void remember(struct devsim_client *c, uint16_t mid, const uint8_t *p, size_t n)
{
	struct devsim_cache *e = &c->cache[c->cache_next];
	c->cache_next = !c->cache_next;
	e->valid = n <= sizeof(e->data);
	if (!e->valid)
		return;
	e->mid = mid;
	e->len = (uint16_t)n;
	memcpy(e->data, p, n);
}

/* Block1 (RFC 7959 §2.3) reassembly. Returns 1 when the whole body is in
 * c->block, 0 when an intermediate answer code was set in *code. */
static int block1(struct devsim_client *c, const struct lwbs_coapmsg *m, const char *path,
		  int cf, uint32_t opt, uint8_t *code)
{
	uint32_t num = opt >> 4, szx = opt & 7;
	bool more = opt & 8;

	if (szx == 7) {
		*code = DEVSIM_BAD_REQUEST;
		return 0;
	}
	if (num == 0) {
		lwbs_buf_reset(&c->block);
		snprintf(c->block_path, sizeof(c->block_path), "%s", path);
		c->block_cf = cf;
	}
	if ((size_t)num << (szx + 4) != c->block.len || strcmp(path, c->block_path) != 0) {
		*code = 0x88; /* 4.08 Request Entity Incomplete */
		return 0;
	}
	lwbs_buf_put(&c->block, m->payload, m->payload_len);
	if (lwbs_buf_err(&c->block)) {
		*code = 0x8d; /* 4.13 Request Entity Too Large */
		return 0;
	}
	if (more) {
		*code = 0x5f; /* 2.31 Continue */
		return 0;
	}
	return 1;
}

static void on_request(struct devsim_client *c, const struct lwbs_coapmsg *m, struct lwbs_buf *out)
{
	struct lwbs_coapmsg r = {0};
	struct devsim_resp resp;
	struct devsim_req req;
	char path[DEVSIM_PATHMAX];
	uint8_t cfb[4], b1[4];
	int64_t block_opt;
	size_t start = out->len;

	if (m->type == LWBS_COAPMSG_CON) {
		const struct devsim_cache *e = cached(c, m->mid);
		if (e) {
			lwbs_buf_put(out, e->data, e->len);
			return;
		}
	}
	if (c->conf.mute_after && c->served >= c->conf.mute_after)
		return;
	lwbs_buf_reset(&c->resp_body);
	resp.body = &c->resp_body;
	resp.cf = -1;
	req.method = m->code;
	req.path = path;
	req.cf = (int)lwbs_coapmsg_uint(m, LWBS_COAPMSG_OPT_CONTENT_FORMAT);
	req.accept = (int)lwbs_coapmsg_uint(m, LWBS_COAPMSG_OPT_ACCEPT);
	req.payload = m->payload;
	req.len = m->payload_len;
	block_opt = lwbs_coapmsg_uint(m, LWBS_COAPMSG_OPT_BLOCK1);
	if (lwbs_coapmsg_path(m, path, sizeof(path))) {
		resp.code = DEVSIM_NOT_FOUND;
	} else if (block_opt >= 0 && !block1(c, m, path, req.cf, (uint32_t)block_opt, &resp.code)) {
		/* intermediate block or block error: resp.code set */
	} else {
		if (block_opt >= 0) {
			req.payload = c->block.data;
			req.len = c->block.len;
		}
		devsim_device_handle(&c->dev, &req, &resp);
		c->served++;
		log_request(c, &req, resp.code);
	}

	r.type = m->type == LWBS_COAPMSG_CON ? LWBS_COAPMSG_ACK : LWBS_COAPMSG_NON;
	r.mid = m->type == LWBS_COAPMSG_CON ? m->mid : c->next_mid++;
	r.code = resp.code;
	r.tkl = m->tkl;
	memcpy(r.token, m->token, m->tkl);
	if (resp.cf >= 0)
		lwbs_coapmsg_add_uint(&r, LWBS_COAPMSG_OPT_CONTENT_FORMAT, (uint32_t)resp.cf, cfb);
	if (block_opt >= 0)
		lwbs_coapmsg_add_uint(&r, LWBS_COAPMSG_OPT_BLOCK1, (uint32_t)block_opt, b1);
	r.payload = c->resp_body.data;
	r.payload_len = lwbs_buf_err(&c->resp_body) ? 0 : c->resp_body.len;
	lwbs_coapmsg_encode(&r, out);
	if (m->type == LWBS_COAPMSG_CON && !lwbs_buf_err(out))
		remember(c, m->mid, out->data + start, out->len - start);

	if (req.method == DEVSIM_POST && strcmp(path, "/bs") == 0 && block_opt < 0 &&
	    c->state != DEVSIM_CL_DONE) {
		char cs[8];
		if (resp.code == DEVSIM_CHANGED)
			end(c, true, "bootstrap finished%s", NULL);
		else
			end(c, false, "Bootstrap-Finish answered %s", devsim_code_str(resp.code, cs));
	}
}

void devsim_client_input(struct devsim_client *c, int64_t now_ms, const uint8_t *p, size_t n,
			 struct lwbs_buf *out)
{
	struct lwbs_coapmsg m;
	bool ours;

	if (lwbs_coapmsg_parse(p, n, &m))
		return;
	if (lwbs_coapmsg_is_request(&m)) {
		on_request(c, &m, out);
		return;
	}
	ours = c->state == DEVSIM_CL_REQUESTING && m.tkl == 4 && memcmp(m.token, c->token, 4) == 0;
	switch (m.type) {
	case LWBS_COAPMSG_ACK:
	case LWBS_COAPMSG_RST:
		if (c->state != DEVSIM_CL_REQUESTING || m.mid != c->mid)
			return;
		if (m.type == LWBS_COAPMSG_RST)
			return end(c, false, "Bootstrap-Request reset by the server%s", NULL);
		if (m.code == 0) {
			c->acked = true;
			c->retx_at = INT64_MAX;
			return;
		}
		if (ours)
			on_response(c, now_ms, &m, out);
		return;
	default:
		/* separate response: CON needs our empty ACK */
		if (m.type == LWBS_COAPMSG_CON)
			send_empty(out, ours ? LWBS_COAPMSG_ACK : LWBS_COAPMSG_RST, m.mid);
		if (ours)
			on_response(c, now_ms, &m, out);
		return;
	}
}
