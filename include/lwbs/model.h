/* lwbs — LwM2M object model: objects 0, 1, 2, 3, 11, 21 in the versions
 * that LwM2M 1.0, 1.1 and 1.2 clients use (pure tables, no I/O). */
#ifndef LWBS_MODEL_H
#define LWBS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/node.h"

enum lwbs_version {
	LWBS_V1_0 = 10,
	LWBS_V1_1 = 11,
	LWBS_V1_2 = 12,
};

#define LWBS_OID_SECURITY 0
#define LWBS_OID_SERVER 1
#define LWBS_OID_ACL 2
#define LWBS_OID_DEVICE 3
#define LWBS_OID_APN 11
#define LWBS_OID_OSCORE 21

/* Security object resources used by the bootstrap engine. */
#define LWBS_SEC_URI 0
#define LWBS_SEC_BOOTSTRAP 1
#define LWBS_SEC_MODE 2
#define LWBS_SEC_PUBKEY_OR_ID 3
#define LWBS_SEC_SERVER_PUBKEY 4
#define LWBS_SEC_SECRET_KEY 5
#define LWBS_SEC_SSID 10
#define LWBS_SEC_HOLD_OFF 11
#define LWBS_SEC_OSCORE 17
#define LWBS_SRV_SSID 0
#define LWBS_SRV_LIFETIME 1
#define LWBS_SRV_BINDING 7

enum lwbs_res_ops {
	LWBS_OP_NONE = 0,
	LWBS_OP_R = 1,
	LWBS_OP_W = 2,
	LWBS_OP_E = 4,
};

struct lwbs_res_def {
	uint16_t id;
	const char *name;
	enum lwbs_type type;
	uint8_t ops;    /* enum lwbs_res_ops bits */
	bool multiple;
	bool mandatory;
	/* Inclusive integer range; min > max means "no range". */
	int64_t min, max;
	/* String/opaque length limit (0 = none). */
	uint32_t max_len;
};

struct lwbs_obj_def {
	uint16_t oid;
	const char *name;
	uint8_t ver_major, ver_minor; /* object version, e.g. 1.1 */
	bool multiple;
	bool mandatory;
	const struct lwbs_res_def *res; /* ascending id */
	size_t n_res;
};

/* Parses "1.0", "1.1", "1.2" (also "1.1.1", "1.2.2": patch ignored);
 * -EINVAL otherwise. */
int lwbs_version_parse(const char *s, enum lwbs_version *out);
const char *lwbs_version_str(enum lwbs_version v);

/* The definition of object oid as a client of LwM2M version v has it,
 * or NULL when lwbs does not know the object. */
const struct lwbs_obj_def *lwbs_model_object(uint16_t oid, enum lwbs_version v);
const struct lwbs_res_def *lwbs_model_resource(const struct lwbs_obj_def *o, uint16_t rid);

/* A typer (see codec.h) for version *(enum lwbs_version *)ctx. */
enum lwbs_type lwbs_model_type(void *ctx, uint16_t oid, uint16_t rid);
struct lwbs_typer lwbs_model_typer(const enum lwbs_version *v);

/* Where a validation failed, for the caller's error message. */
struct lwbs_model_error {
	struct lwbs_path path;
	const char *what; /* static text: "unknown resource", "wrong type", ... */
};

/* Checks a tree about to be written with Bootstrap-Write to a client of
 * version v: every object known (unknown objects are allowed only when
 * allow_unknown_objects), every resource known for that object version,
 * value types matching (integers within range, strings within max_len),
 * multiplicity matching, instances of known objects carrying their
 * mandatory writable resources, Security: SSID set when not a bootstrap
 * account, SSID in 1..65534. Returns 0 or a negative code and fills err. */
int lwbs_model_validate(const struct lwbs_node *root, enum lwbs_version v, bool allow_unknown_objects,
			struct lwbs_model_error *err);

#endif
