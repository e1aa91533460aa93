/* lwbs-devsim — a pure LwM2M client object store that answers the
 * Bootstrap interface (no sockets, no clock, no logging).
 *
 * The device keeps its objects in a node tree. Every change builds the new
 * tree in a second arena and swaps it in only when the whole operation is
 * valid, so a refused Write leaves the device exactly as it was, and memory
 * stays bounded by two copies of the store however long a session runs.
 */
#ifndef DEVSIM_DEVICE_H
#define DEVSIM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/arena.h"
#include "lwbs/buf.h"
#include "lwbs/model.h"
#include "lwbs/node.h"

/* CoAP codes as bytes (class << 5 | detail). */
#define DEVSIM_GET 0x01
#define DEVSIM_POST 0x02
#define DEVSIM_PUT 0x03
#define DEVSIM_DELETE 0x04
#define DEVSIM_CHANGED 0x44
#define DEVSIM_DELETED 0x42
#define DEVSIM_CONTENT 0x45
#define DEVSIM_BAD_REQUEST 0x80
#define DEVSIM_NOT_FOUND 0x84
#define DEVSIM_NOT_ALLOWED 0x85
#define DEVSIM_NOT_ACCEPTABLE 0x86
#define DEVSIM_UNSUPPORTED_CF 0x8f

struct devsim_device_conf {
	enum lwbs_version version;
	uint16_t bs_iid;         /* Security instance of the factory BS account */
	const char *bs_uri;      /* /0/bs_iid/0; borrowed during devsim_device_reset */
	const char *endpoint;    /* /3/0/2 serial number; borrowed likewise */
	bool fail_finish;        /* Bootstrap-Finish always answers 4.06 */
};

struct devsim_device {
	struct devsim_device_conf conf;
	struct lwbs_arena *arena[2]; /* arena[cur] holds root */
	struct lwbs_arena *scratch;  /* decoded payloads; reset per request */
	int cur;
	struct lwbs_node *root;
	bool finished; /* Bootstrap-Finish answered 2.04 */
};

/* One request of the Bootstrap interface as the device sees it. */
struct devsim_req {
	uint8_t method;     /* DEVSIM_GET ... */
	const char *path;   /* "/", "/0/1", "/bs"; NUL-terminated */
	int cf;             /* Content-Format or -1 */
	int accept;         /* Accept or -1 */
	const uint8_t *payload;
	size_t len;
};

struct devsim_resp {
	uint8_t code;
	int cf;              /* Content-Format of body or -1 (diagnostic text has none) */
	struct lwbs_buf *body; /* caller's buffer; the device appends to it */
};

/* Sets up dev with the factory state of conf. The device owns its arenas;
 * free them with devsim_device_finish. Returns 0 or -ENOMEM. */
int devsim_device_init(struct devsim_device *dev, const struct devsim_device_conf *conf);
void devsim_device_finish(struct devsim_device *dev);
/* Back to the factory state (a new bootstrap session of the same device). */
int devsim_device_reset(struct devsim_device *dev);

/* Answers one request from the Bootstrap-Server. Never fails: every problem
 * becomes a CoAP error code, with a diagnostic text in body where useful. */
void devsim_device_handle(struct devsim_device *dev, const struct devsim_req *req,
			  struct devsim_resp *resp);

/* Applies a Bootstrap-Pack (content format cf): every object in the pack
 * replaces the instances of that object, except the BS account (and its
 * OSCORE instance) and /3/0, which are kept. 0, or a negative code (the
 * device is then unchanged). */
int devsim_device_apply_pack(struct devsim_device *dev, int cf, const uint8_t *p, size_t n);

/* 0 when the store holds a usable LwM2M server account: a Security
 * instance with Bootstrap-Server false and a Short Server ID, and a
 * Server instance with the same SSID. Otherwise a negative code and *why
 * (static text). */
int devsim_device_check(const struct devsim_device *dev, const char **why);

/* Writes every value of the store as a flat JSON object
 * {"/0/0/0":"coap://...","/0/0/1":true,...}. */
int devsim_device_json(const struct devsim_device *dev, struct lwbs_buf *out);

/* Appends s[0..n) as a JSON string literal (with quotes). */
void devsim_json_string(struct lwbs_buf *out, const void *s, size_t n);

/* Security instance id of the (single) BS account, or -1. */
int devsim_device_bs_account(const struct lwbs_node *root);

#endif
