/* lwbs — LwM2M paths: "/", "/OID", "/OID/IID", "/OID/IID/RID", "/OID/IID/RID/RIID".
 * Ids are 0..65534; 65535 (MAX_ID) is reserved and rejected by the parser. */
#ifndef LWBS_PATH_H
#define LWBS_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LWBS_ID_MAX 65534u
#define LWBS_PATH_STRMAX 32 /* "/65534/65534/65534/65534" + NUL fits */

enum lwbs_level {
	LWBS_LEVEL_ROOT = 0,
	LWBS_LEVEL_OBJECT = 1,
	LWBS_LEVEL_INSTANCE = 2,
	LWBS_LEVEL_RESOURCE = 3,
	LWBS_LEVEL_RES_INSTANCE = 4,
};

struct lwbs_path {
	uint16_t id[4];
	uint8_t len; /* 0 = root, 1..4 = number of ids (== enum lwbs_level) */
};

/* Parses s[0..n). Accepts "/" and "" (root) and "/0/1" style paths; an
 * optional single trailing '/' is accepted ("/0/1/"). Leading zeros are
 * accepted ("/00" == "/0"); empty segments, signs, ids > 65534 and more
 * than four ids are rejected with LWBS_EPATH. */
int lwbs_path_parse(const char *s, size_t n, struct lwbs_path *out);
/* Writes the canonical form ("/" for root) with a NUL; returns its length
 * or -ENOBUFS if cap is too small. */
int lwbs_path_print(const struct lwbs_path *p, char *out, size_t cap);

static inline struct lwbs_path lwbs_path_make(int len, uint16_t a, uint16_t b,
					      uint16_t c, uint16_t d)
{
	struct lwbs_path p = {{a, b, c, d}, (uint8_t)len};
	return p;
}
#define LWBS_PATH_ROOT lwbs_path_make(0, 0, 0, 0, 0)
#define LWBS_PATH_OBJ(o) lwbs_path_make(1, (o), 0, 0, 0)
#define LWBS_PATH_INST(o, i) lwbs_path_make(2, (o), (i), 0, 0)
#define LWBS_PATH_RES(o, i, r) lwbs_path_make(3, (o), (i), (r), 0)
#define LWBS_PATH_RI(o, i, r, ri) lwbs_path_make(4, (o), (i), (r), (ri))

/* Lexicographic order by ids, shorter first on a common prefix. */
int lwbs_path_cmp(const struct lwbs_path *a, const struct lwbs_path *b);
bool lwbs_path_equal(const struct lwbs_path *a, const struct lwbs_path *b);
/* True if prefix is p itself or an ancestor of p. */
bool lwbs_path_has_prefix(const struct lwbs_path *p, const struct lwbs_path *prefix);

#endif
