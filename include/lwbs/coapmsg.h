/* lwbs — CoAP message codec (RFC 7252 §3) for CoAP over UDP, with the
 * Block1/Block2 option values of RFC 7959 §2.2. Pure: no I/O, no
 * allocation; parsed options and payload borrow the datagram.
 *
 * Used by lwbsd's native UDP front end (src/coap/udp.c) and by the device
 * simulator (tests/devsim/): one codec for the project.
 */
#ifndef LWBS_COAPMSG_H
#define LWBS_COAPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/buf.h"

enum lwbs_coapmsg_type {
	LWBS_COAPMSG_CON = 0,
	LWBS_COAPMSG_NON = 1,
	LWBS_COAPMSG_ACK = 2,
	LWBS_COAPMSG_RST = 3,
};

/* Option numbers (RFC 7252 §5.10, RFC 7959 §2.1). */
#define LWBS_COAPMSG_OPT_URI_HOST 3
#define LWBS_COAPMSG_OPT_URI_PORT 7
#define LWBS_COAPMSG_OPT_URI_PATH 11
#define LWBS_COAPMSG_OPT_CONTENT_FORMAT 12
#define LWBS_COAPMSG_OPT_URI_QUERY 15
#define LWBS_COAPMSG_OPT_ACCEPT 17
#define LWBS_COAPMSG_OPT_BLOCK2 23
#define LWBS_COAPMSG_OPT_BLOCK1 27
#define LWBS_COAPMSG_OPT_SIZE2 28
#define LWBS_COAPMSG_OPT_SIZE1 60

#define LWBS_COAPMSG_MAX_OPTS 32
#define LWBS_COAPMSG_MAX_TOKEN 8

struct lwbs_coapmsg_opt {
	uint16_t num;
	uint16_t len;
	const uint8_t *val; /* borrowed from the datagram or the caller */
};

struct lwbs_coapmsg {
	uint8_t type; /* enum lwbs_coapmsg_type */
	uint8_t code; /* class << 5 | detail; 0 = empty message */
	uint16_t mid;
	uint8_t tkl;
	uint8_t token[LWBS_COAPMSG_MAX_TOKEN];
	struct lwbs_coapmsg_opt opts[LWBS_COAPMSG_MAX_OPTS]; /* parse: ascending num */
	size_t n_opts;
	const uint8_t *payload; /* borrowed */
	size_t payload_len;
};

/* Parses one datagram into *out (written only on success); pointers in it
 * borrow p. Errors: LWBS_ETRUNC (datagram ends inside the header, token, an
 * option's extended delta/length or its value), -EBADMSG (version not 1,
 * token length 9-15, an empty message (code 0.00) with a token or any
 * byte after the header, a delta or length nibble of 15 that is not the
 * payload marker, a payload marker with nothing after it, an option number
 * above 65535), LWBS_ELIMIT (more than LWBS_COAPMSG_MAX_OPTS options). */
int lwbs_coapmsg_parse(const uint8_t *p, size_t n, struct lwbs_coapmsg *out);

/* Appends the encoded message to out; the buffer's sticky error is
 * returned. Options may be given in any order: they are written in
 * ascending number, stable (repeated options keep their order). -EINVAL
 * for tkl > 8 or more than LWBS_COAPMSG_MAX_OPTS options. An empty payload
 * writes no payload marker. */
int lwbs_coapmsg_encode(const struct lwbs_coapmsg *m, struct lwbs_buf *out);

/* Appends an option to m; val is borrowed until encoding. -ENOBUFS when m
 * is full, -EINVAL for a value over 65535 bytes. */
int lwbs_coapmsg_add_opt(struct lwbs_coapmsg *m, uint16_t num, const void *val, size_t len);
/* Appends an unsigned-integer option in its shortest form (0 is empty);
 * tmp holds the value bytes and must live as long as m. */
int lwbs_coapmsg_add_uint(struct lwbs_coapmsg *m, uint16_t num, uint32_t v, uint8_t tmp[4]);

/* The first option num, or NULL. */
const struct lwbs_coapmsg_opt *lwbs_coapmsg_find(const struct lwbs_coapmsg *m, uint16_t num);
/* Value of an unsigned-integer option: -1 when absent, -EBADMSG when its
 * value is longer than 4 bytes. */
int64_t lwbs_coapmsg_uint(const struct lwbs_coapmsg *m, uint16_t num);
/* Joins the Uri-Path options as "/a/b" ("/" when none) into out[cap] with a
 * NUL; -ENOBUFS when it does not fit. */
int lwbs_coapmsg_path(const struct lwbs_coapmsg *m, char *out, size_t cap);

static inline bool lwbs_coapmsg_is_request(const struct lwbs_coapmsg *m)
{
	return m->code >= 1 && m->code <= 31;
}

/* Block1/Block2 option value (RFC 7959 §2.2): NUM (up to 20 bits), M,
 * SZX (block size 16 << szx; 7 is reserved). */
struct lwbs_coapmsg_block {
	uint32_t num;
	bool more;
	uint8_t szx;
};

#define LWBS_COAPMSG_BLOCK_MAX_NUM 0xfffffu
#define LWBS_COAPMSG_BLOCK_SIZE(szx) ((size_t)16 << (szx))

/* Decodes the value of a Block1/Block2 option (0-3 bytes). -EBADMSG for a
 * longer value or SZX 7. */
int lwbs_coapmsg_block_decode(const struct lwbs_coapmsg_opt *o, struct lwbs_coapmsg_block *out);
/* The option's unsigned value for b (give it to lwbs_coapmsg_add_uint).
 * -EINVAL for num above LWBS_COAPMSG_BLOCK_MAX_NUM or szx above 6. */
int64_t lwbs_coapmsg_block_value(const struct lwbs_coapmsg_block *b);

/* CoAP over TCP, TLS and WebSockets framing (RFC 8323 §3.2): Len/TKL byte,
 * extended length (Len 13: +1 byte, 14: +2, 15: +4, offsets 13, 269,
 * 65805), Code, Token, then options and payload as over UDP. No version,
 * type or message id: parsed messages have type LWBS_COAPMSG_CON and mid 0,
 * and the encoder ignores both. Signalling codes (§5) and the CSM options
 * (§5.3): */
#define LWBS_COAPMSG_CSM 0xe1     /* 7.01 */
#define LWBS_COAPMSG_PING 0xe2    /* 7.02 */
#define LWBS_COAPMSG_PONG 0xe3    /* 7.03 */
#define LWBS_COAPMSG_RELEASE 0xe4 /* 7.04 */
#define LWBS_COAPMSG_ABORT 0xe5   /* 7.05 */
#define LWBS_COAPMSG_OPT_MAX_MESSAGE_SIZE 2 /* in a CSM */
#define LWBS_COAPMSG_OPT_BLOCK_WISE 4       /* in a CSM: empty */

/* The length of the frame starting at p (header, token, options and
 * payload), from its first 1-6 bytes, into *frame_len: a stream reader
 * waits until it has that many bytes. LWBS_ETRUNC when the length is not
 * complete yet, -EBADMSG for a token length 9-15, -EMSGSIZE when the
 * length does not fit a size_t. */
int lwbs_coapmsg_tcp_frame_len(const uint8_t *p, size_t n, size_t *frame_len);
/* Parses exactly one frame of n bytes into *out (written only on success,
 * pointers borrow p). Errors as lwbs_coapmsg_tcp_frame_len(), and
 * LWBS_ETRUNC when p holds less than the frame, -EBADMSG when it holds
 * more, and those of the options and payload as lwbs_coapmsg_parse(). */
int lwbs_coapmsg_tcp_parse(const uint8_t *p, size_t n, struct lwbs_coapmsg *out);
/* Appends m as one frame, with the shortest length encoding; the buffer's
 * sticky error is returned. -EINVAL as lwbs_coapmsg_encode(). */
int lwbs_coapmsg_tcp_encode(const struct lwbs_coapmsg *m, struct lwbs_buf *out);

#endif
