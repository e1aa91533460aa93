/* lwbs — internal to src/store: the identity index of a struct lwbs_prov. */
#ifndef LWBS_STORE_PROV_INT_H
#define LWBS_STORE_PROV_INT_H

#include "lwbs/prov.h"

/* Builds the index of p's devices (one open-addressing table per identity
 * kind). A duplicate identity is -EEXIST with err naming both devices. */
int lwbs_prov_index_build(struct lwbs_prov *p, struct lwbs_prov_index **out, char *err, size_t err_cap);
void lwbs_prov_index_free(struct lwbs_prov_index *ix);
/* Bytes the index uses. */
size_t lwbs_prov_index_bytes(const struct lwbs_prov_index *ix);

#endif
