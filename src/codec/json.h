/* lwbs — strict JSON (RFC 8259) for the JSON content formats (internal to
 * src/codec: SenML JSON and LwM2M 1.0 JSON).
 *
 * lwbs_json_parse() turns bytes into a small DOM allocated from the arena:
 * the text must be UTF-8, without BOM, trailing commas, comments, leading
 * zeros, NaN/Infinity, lone surrogates in \u escapes or duplicate keys in
 * one object; nesting is limited to LWBS_DECODE_MAX_DEPTH arrays/objects.
 * Numbers are classified from their lexeme (see enum lwbs_json_num); they
 * are read with strtod, so the process must use the "C" LC_NUMERIC locale
 * (the default; lwbs never calls setlocale).
 */
#ifndef LWBS_CODEC_JSON_H
#define LWBS_CODEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/arena.h"
#include "lwbs/buf.h"
#include "lwbs/node.h"

/* At most this many JSON values per document (LWBS_ELIMIT beyond). */
#define LWBS_JSON_MAX_VALUES (8u * LWBS_DECODE_MAX_NODES)

enum lwbs_json_type {
	LWBS_JSON_NULL,
	LWBS_JSON_FALSE,
	LWBS_JSON_TRUE,
	LWBS_JSON_NUMBER,
	LWBS_JSON_STRING,
	LWBS_JSON_ARRAY,
	LWBS_JSON_OBJECT,
};

enum lwbs_json_num {
	LWBS_JSON_NUM_INT,    /* integer lexeme within int64: v.i */
	LWBS_JSON_NUM_UINT,   /* integer lexeme in (INT64_MAX, UINT64_MAX]: v.u */
	LWBS_JSON_NUM_DOUBLE, /* fraction or exponent, or an integer beyond uint64: v.d (finite) */
};

struct lwbs_json {
	struct lwbs_json *next;  /* next element or member of the parent */
	struct lwbs_json *child; /* first element or member (array, object) */
	const char *key;         /* member name when the parent is an object (unescaped, NUL-terminated) */
	size_t key_len;
	size_t count; /* number of elements or members (array, object) */
	uint8_t type; /* enum lwbs_json_type */
	uint8_t num;  /* enum lwbs_json_num (NUMBER) */
	union {
		int64_t i;
		uint64_t u;
		double d;
		struct {
			const char *ptr; /* unescaped, NUL-terminated (may contain NUL: len rules) */
			size_t len;
		} s;
	} v;
};

/* Parses p[0..n) into *out (allocated from a). Errors: LWBS_ETRUNC (input
 * ends inside a value), LWBS_ESYNTAX, LWBS_EUTF8 (bad UTF-8 or a lone
 * surrogate escape), LWBS_EDEPTH, LWBS_EDUP (duplicate key), LWBS_ELIMIT,
 * LWBS_ERANGE_VAL (a number that overflows a double), -ENOMEM (arena). */
int lwbs_json_parse(const uint8_t *p, size_t n, struct lwbs_arena *a, struct lwbs_json **out);

/* The member named key of object obj, or NULL. */
const struct lwbs_json *lwbs_json_get(const struct lwbs_json *obj, const char *key);
/* True when object member m is named key. */
bool lwbs_json_key_is(const struct lwbs_json *m, const char *key);

/* The type typer gives the resource of path p (LWBS_TYPE_NONE without a
 * typer). */
enum lwbs_type lwbs_json_res_type(const struct lwbs_typer *typer, const struct lwbs_path *p);
/* True when record/entry name p is a resource or resource-instance path
 * under the request path base. */
bool lwbs_json_value_path(const struct lwbs_path *p, const struct lwbs_path *base);

/* Converts the JSON number num to a value for a resource of type t
 * (LWBS_TYPE_NONE when unknown: INT -> INTEGER, UINT -> UNSIGNED, else
 * FLOAT). INTEGER/TIME/UNSIGNED take integral numbers only (LWBS_ETYPE for a
 * fraction, LWBS_ERANGE_VAL outside the type's range); FLOAT takes any;
 * any other t is LWBS_ETYPE. */
int lwbs_json_number_value(const struct lwbs_json *num, enum lwbs_type t, struct lwbs_value *out);

/* Parses an objlnk "OID:IID" (each 0..65535, decimal digits only);
 * -EBADMSG when malformed. */
int lwbs_json_objlnk_parse(const char *s, size_t n, uint16_t *oid, uint16_t *iid);
/* The objlnk string val as a value for a resource of type t: LWBS_ETYPE
 * unless t is LWBS_TYPE_NONE or LWBS_TYPE_OBJLNK, -EBADMSG when malformed. */
int lwbs_json_objlnk_value(const struct lwbs_json *val, enum lwbs_type t, struct lwbs_value *out);

/* Writes s[0..n) as a JSON string with quotes and escapes (LWBS_EUTF8 if
 * s is not valid UTF-8). */
int lwbs_json_put_string(struct lwbs_buf *b, const void *s, size_t n);
/* Writes d as the shortest decimal text that reads back to the same double,
 * always with a '.' or an exponent (so it reads back as a non-integer
 * lexeme); -ERANGE for NaN and infinities, which JSON cannot carry. */
int lwbs_json_put_double(struct lwbs_buf *b, double d);

#endif
