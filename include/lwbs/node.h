/* lwbs — the LwM2M node tree shared by every codec.
 *
 * A tree always starts at a ROOT node; its children are objects, whose
 * children are instances, then resources, then resource instances. Children
 * are kept in ascending id order. A resource node is either single (carries
 * a value) or multiple (multiple == true; its children are resource
 * instances carrying values; it may have zero children).
 *
 * All memory comes from the arena given at creation; nothing is freed
 * individually. Strings and opaque values point into the arena (strings are
 * also NUL-terminated there, but len is authoritative).
 */
#ifndef LWBS_NODE_H
#define LWBS_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/arena.h"
#include "lwbs/path.h"

enum lwbs_type {
	LWBS_TYPE_NONE = 0, /* no value ("none" type, e.g. executable resources) */
	LWBS_TYPE_STRING,
	LWBS_TYPE_INTEGER,
	LWBS_TYPE_UNSIGNED,
	LWBS_TYPE_FLOAT,
	LWBS_TYPE_BOOLEAN,
	LWBS_TYPE_OPAQUE,
	LWBS_TYPE_TIME,    /* seconds since the epoch, signed, stored in v.i */
	LWBS_TYPE_OBJLNK,
	LWBS_TYPE_CORELNK, /* stored as bytes, like a string */
};

struct lwbs_value {
	enum lwbs_type type;
	/* true when the wire format did not say the type (TLV, plain text)
	 * and no typer knew the resource: the raw bytes are kept in v.bytes
	 * with type LWBS_TYPE_OPAQUE. */
	bool untyped;
	union {
		int64_t i;  /* INTEGER, TIME */
		uint64_t u; /* UNSIGNED */
		double f;   /* FLOAT */
		bool b;     /* BOOLEAN */
		struct {
			const uint8_t *ptr;
			size_t len;
		} bytes; /* STRING, OPAQUE, CORELNK */
		struct {
			uint16_t oid, iid; /* 65535:65535 = no link */
		} objlnk;
	} v;
};

struct lwbs_node {
	struct lwbs_node *next;  /* next sibling (greater id) */
	struct lwbs_node *child; /* first child (smallest id) */
	uint16_t id;
	uint8_t level;  /* enum lwbs_level */
	bool multiple;  /* resource level only */
	bool has_value; /* single resource or resource instance with a value */
	struct lwbs_value value;
};

/* A new ROOT node; NULL on allocation failure. */
struct lwbs_node *lwbs_node_root(struct lwbs_arena *a);

/* The node at path p under root (root must be a ROOT node), or NULL. */
struct lwbs_node *lwbs_node_find(const struct lwbs_node *root, const struct lwbs_path *p);

/* Finds or creates the node at p (len >= 1) and every node above it.
 * A path of length 4 marks the resource at length 3 as multiple; asking
 * for a resource-instance under a resource that already holds a single
 * value, or setting a value on a multiple resource, is LWBS_EPATH.
 * On success *out (if not NULL) is the node. */
int lwbs_node_insert(struct lwbs_arena *a, struct lwbs_node *root, const struct lwbs_path *p,
		     struct lwbs_node **out);

/* Creates the node at p (len 3 or 4) with value v (copied; string/opaque
 * bytes are copied into the arena). A node that already has a value is
 * LWBS_EDUP. */
int lwbs_node_set(struct lwbs_arena *a, struct lwbs_node *root, const struct lwbs_path *p,
		  const struct lwbs_value *v);

/* Deep copy of the subtree at src into root at the same path. */
int lwbs_node_copy(struct lwbs_arena *a, struct lwbs_node *dst_root, const struct lwbs_node *src_root,
		   const struct lwbs_path *p);

/* Deep equality: same shape, ids, multiplicity and values. Floats compare
 * by bits (so NaN equals the same NaN); untyped values compare by bytes. */
bool lwbs_node_equal(const struct lwbs_node *a, const struct lwbs_node *b);
bool lwbs_value_equal(const struct lwbs_value *a, const struct lwbs_value *b);

/* Number of children of n. */
size_t lwbs_node_count(const struct lwbs_node *n);

/* Resource type lookup used by decoders of formats that do not carry the
 * type (TLV, plain text) and to pick integer vs unsigned vs float for
 * numbers (SenML, CBOR). Returns LWBS_TYPE_NONE when the resource is unknown
 * ("none" resources have no value anyway). May be NULL. */
typedef enum lwbs_type (*lwbs_type_fn)(void *ctx, uint16_t oid, uint16_t rid);

struct lwbs_typer {
	lwbs_type_fn fn;
	void *ctx;
};

/* Value constructors (no allocation: bytes are borrowed). */
struct lwbs_value lwbs_value_string(const char *s);
struct lwbs_value lwbs_value_bytes(enum lwbs_type t, const void *p, size_t n);
struct lwbs_value lwbs_value_int(int64_t i);
struct lwbs_value lwbs_value_uint(uint64_t u);
struct lwbs_value lwbs_value_float(double f);
struct lwbs_value lwbs_value_bool(bool b);
struct lwbs_value lwbs_value_time(int64_t t);
struct lwbs_value lwbs_value_objlnk(uint16_t oid, uint16_t iid);
struct lwbs_value lwbs_value_none(void);

/* Name of a type ("string", "integer", ...). */
const char *lwbs_type_name(enum lwbs_type t);

/* Walks every value-carrying node under root in path order; stops and
 * returns the callback's value if it is non-zero. */
typedef int (*lwbs_node_visit_fn)(void *ctx, const struct lwbs_path *p, const struct lwbs_node *n);
int lwbs_node_walk(const struct lwbs_node *root, lwbs_node_visit_fn fn, void *ctx);

#endif
