/* lwbs — MD5 and HMAC-MD5 over a list of segments (src/radius/digest.c).
 * Internal to src/radius: the only file there that includes OpenSSL. */
#ifndef LWBS_RADIUS_DIGEST_H
#define LWBS_RADIUS_DIGEST_H

#include <stddef.h>
#include <stdint.h>

struct rad_seg {
	const void *p;
	size_t n;
};

/* out = MD5(seg[0] | seg[1] | ...). 0 or -ENOMEM. */
int rad_md5(const struct rad_seg *seg, size_t nseg, uint8_t out[16]);
/* out = HMAC-MD5(key, seg[0] | ...) (RFC 2104). 0 or -ENOMEM. */
int rad_hmac_md5(const void *key, size_t key_len, const struct rad_seg *seg, size_t nseg,
		 uint8_t out[16]);
/* Constant-time comparison of n bytes: 1 if equal. */
int rad_equal(const void *a, const void *b, size_t n);

#endif
