/* lwbs — internal CBOR (RFC 8949) reader and writer shared by the SenML CBOR
 * (112) and LwM2M CBOR (11544) codecs.
 *
 * Reader: a pull parser over a bounds-checked cursor. It accepts every
 * well-formed encoding (non-shortest heads, definite and indefinite lengths)
 * and rejects, with a sticky error:
 *   - input that ends inside an item                       LWBS_ETRUNC
 *   - a string length, array or map count larger than the
 *     bytes left (checked before anything is allocated)    LWBS_ELENGTH
 *   - ill-formed input: reserved additional info 28..30,
 *     indefinite integers, an indefinite string whose
 *     chunks are not definite strings of the same major
 *     type, a break outside an indefinite container,
 *     simple values other than false/true/null/undefined,
 *     an odd number of items in an indefinite map          -EBADMSG
 *   - any tag (major type 6): neither format uses them     LWBS_EFORMAT
 *   - text strings that are not valid UTF-8                LWBS_EUTF8
 *   - more than LWBS_DECODE_MAX_DEPTH open containers      LWBS_EDEPTH
 * Half, single and double precision floats are all read as double.
 *
 * Writer: shortest-form heads and definite lengths only. A double is
 * written as a single-precision float when that conversion gives back the
 * very same bits (so -0.0, infinities and quiet NaNs without a low payload
 * stay short), otherwise as a double; half precision is never written.
 */
#ifndef LWBS_CODEC_CBOR_H
#define LWBS_CODEC_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/arena.h"
#include "lwbs/buf.h"
#include "lwbs/node.h"
#include "lwbs/rd.h"

enum lwbs_cbor_kind {
	LWBS_CBOR_UINT,   /* u = value */
	LWBS_CBOR_NEGINT, /* value = -1 - u (u may exceed INT64_MAX) */
	LWBS_CBOR_BYTES,  /* ptr, len */
	LWBS_CBOR_TEXT,   /* ptr, len (valid UTF-8, not NUL-terminated) */
	LWBS_CBOR_ARRAY,  /* u = item count unless indefinite */
	LWBS_CBOR_MAP,    /* u = pair count unless indefinite */
	LWBS_CBOR_FALSE,
	LWBS_CBOR_TRUE,
	LWBS_CBOR_NULL,
	LWBS_CBOR_UNDEFINED,
	LWBS_CBOR_FLOAT, /* f */
};

struct lwbs_cbor_item {
	enum lwbs_cbor_kind kind;
	bool indefinite; /* ARRAY, MAP */
	uint64_t u;
	double f;
	/* BYTES, TEXT: borrowed from the input (definite length) or from the
	 * reader's arena (indefinite length, chunks joined). */
	const uint8_t *ptr;
	size_t len;
};

struct lwbs_cbor_reader {
	struct lwbs_rd rd;
	struct lwbs_arena *arena; /* joins indefinite-length strings */
	unsigned depth;           /* containers opened and not yet ended */
	int err;                  /* first error, sticky */
};

/* Position inside an array or map returned by lwbs_cbor_read(). */
struct lwbs_cbor_iter {
	uint64_t left;
	bool indefinite;
	bool is_map;
	bool done;
};

/* p[0..n) is borrowed for the reader's life; a is used for indefinite-length
 * strings and must outlive the items read. */
void lwbs_cbor_reader_init(struct lwbs_cbor_reader *r, const void *p, size_t n,
			   struct lwbs_arena *a);

/* Reads one item head (and a whole string). An ARRAY or MAP opens a
 * container: iterate it with lwbs_cbor_iter_init()/lwbs_cbor_iter_next()
 * until that returns 0. Returns 0 or the sticky error. */
int lwbs_cbor_read(struct lwbs_cbor_reader *r, struct lwbs_cbor_item *it);

void lwbs_cbor_iter_init(struct lwbs_cbor_iter *i, const struct lwbs_cbor_item *container);
/* 1 when another element follows (for a map: a key and its value, which the
 * caller reads), 0 at the end of the container (the container is closed and
 * an indefinite container's break consumed), or a negative error. */
int lwbs_cbor_iter_next(struct lwbs_cbor_reader *r, struct lwbs_cbor_iter *i);

/* Reads and discards one complete item (with everything it contains). */
int lwbs_cbor_skip(struct lwbs_cbor_reader *r);

/* 0 when the whole input has been consumed, -EBADMSG on trailing bytes,
 * or the sticky error. */
int lwbs_cbor_finish(struct lwbs_cbor_reader *r);

/* --- item to value --- */

/* Converts a number item (UINT, NEGINT, FLOAT) to a value of type want.
 * want INTEGER/TIME: within int64; UNSIGNED: >= 0 within uint64 (else
 * LWBS_ERANGE_VAL); a float with a fraction (or NaN) for these is
 * LWBS_ETYPE, an integral float is converted. want FLOAT: any number.
 * want NONE (unknown resource): INTEGER for an integer item (UNSIGNED above
 * INT64_MAX, LWBS_ERANGE_VAL below INT64_MIN), FLOAT for a float item.
 * Any other want, or a non-number item, is LWBS_ETYPE. */
int lwbs_cbor_number(const struct lwbs_cbor_item *it, enum lwbs_type want, struct lwbs_value *out);

/* Converts any scalar item: numbers as above; TEXT to STRING (want NONE or
 * STRING), CORELNK, or OBJLNK ("OID:IID"); BYTES to OPAQUE; true/false to
 * BOOLEAN. Mismatches with want, null, undefined and containers are
 * LWBS_ETYPE. Bytes are borrowed from the item. */
int lwbs_cbor_value(const struct lwbs_cbor_item *it, enum lwbs_type want, struct lwbs_value *out);

/* Parses "OID:IID" (decimal, each 0..65535) into an OBJLNK value;
 * LWBS_ETYPE when malformed. */
int lwbs_cbor_objlnk_parse(const uint8_t *p, size_t n, struct lwbs_value *out);
/* Writes "OID:IID" with a NUL into out (at least 12 bytes); returns the length. */
int lwbs_cbor_objlnk_print(const struct lwbs_value *v, char *out, size_t cap);

/* --- writer (errors stick in the buffer; each returns lwbs_buf_err()) --- */

int lwbs_cbor_put_head(struct lwbs_buf *b, unsigned major, uint64_t arg);
int lwbs_cbor_put_uint(struct lwbs_buf *b, uint64_t u);
int lwbs_cbor_put_int(struct lwbs_buf *b, int64_t i);
int lwbs_cbor_put_bytes(struct lwbs_buf *b, const void *p, size_t n);
int lwbs_cbor_put_text(struct lwbs_buf *b, const void *p, size_t n);
int lwbs_cbor_put_bool(struct lwbs_buf *b, bool v);
int lwbs_cbor_put_float(struct lwbs_buf *b, double d);
int lwbs_cbor_put_array(struct lwbs_buf *b, uint64_t n);
int lwbs_cbor_put_map(struct lwbs_buf *b, uint64_t n);
/* A value-carrying node value: INTEGER/TIME int, UNSIGNED uint, FLOAT float,
 * STRING/CORELNK text, BOOLEAN, OPAQUE bytes, OBJLNK text "OID:IID".
 * -EINVAL for NONE. */
int lwbs_cbor_put_value(struct lwbs_buf *b, const struct lwbs_value *v);

#endif
