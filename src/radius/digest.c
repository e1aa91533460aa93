/* lwbs — MD5 / HMAC-MD5 for RADIUS authenticators through OpenSSL EVP.
 * HMAC is built here from MD5 (RFC 2104) so that one digest API serves both
 * and no provider lookup happens per packet. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "digest.h"

static int md5_run(EVP_MD_CTX *ctx, const void *pre, size_t pre_n, const struct rad_seg *seg,
		   size_t nseg, uint8_t out[16])
{
	unsigned int len = 0;
	if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
		return -ENOMEM;
	if (pre_n && EVP_DigestUpdate(ctx, pre, pre_n) != 1)
		return -ENOMEM;
	for (size_t i = 0; i < nseg; i++)
		if (seg[i].n && EVP_DigestUpdate(ctx, seg[i].p, seg[i].n) != 1)
			return -ENOMEM;
	if (EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != 16)
		return -ENOMEM;
	return 0;
}

int rad_md5(const struct rad_seg *seg, size_t nseg, uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	int rc = md5_run(ctx, NULL, 0, seg, nseg, out);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int rad_hmac_md5(const void *key, size_t key_len, const struct rad_seg *seg, size_t nseg,
		 uint8_t out[16])
{
	uint8_t k[64] = {0}, pad[64], inner[16];
	int rc;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (key_len > sizeof(k)) {
		struct rad_seg ks = {key, key_len};
		rc = md5_run(ctx, NULL, 0, &ks, 1, k);
		if (rc)
			goto out;
	} else if (key_len) {
		memcpy(k, key, key_len);
	}
	for (size_t i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	rc = md5_run(ctx, pad, 64, seg, nseg, inner);
	if (rc)
		goto out;
	for (size_t i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	struct rad_seg is = {inner, sizeof(inner)};
	rc = md5_run(ctx, pad, 64, &is, 1, out);
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	EVP_MD_CTX_free(ctx);
	return rc;
}

int rad_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
