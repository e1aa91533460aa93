/* lwbs — the embedded store: provisioning YAML files (docs/provisioning.md)
 * loaded into memory, looked up through hash indexes. The default backend.
 *
 * Lookups answer synchronously (the callback runs before lookup() returns)
 * and allocate nothing. Each loaded set of files is one snapshot; a hold
 * given to a lookup callback keeps its snapshot (and so the plan) alive
 * until lwbs_store_release(), even when reload() swapped in a newer one.
 * The backend has no audit (ops->audit is NULL: the daemon writes its own
 * audit file). Single-threaded: use a store from one thread.
 */
#ifndef LWBS_STORE_EMBEDDED_H
#define LWBS_STORE_EMBEDDED_H

#include <stddef.h>

#include "lwbs/store.h"

struct lwbs_prov;

/* Loads files[0..n) (paths copied; the same list is re-read by reload()).
 * Returns the store (caller owns it: lwbs_store_destroy()) or NULL with
 * err filled ("file:line:col: message", or "out of memory"). Every hold
 * must be released before the store is destroyed. */
struct lwbs_store *lwbs_store_embedded_create(const char *const *files, size_t n, char *err, size_t err_cap);

/* Loads, checks and builds a provisioning set from files[0..n) in one go
 * (what the store does on create and reload; also for lwbsctl). Returns
 * the set (caller owns it: lwbs_prov_destroy()) or NULL with err filled. */
struct lwbs_prov *lwbs_store_embedded_load(const char *const *files, size_t n, char *err, size_t err_cap);

/* Opens (creating it) the state journal at path (include/lwbs/store_state.h):
 * devices enrolled from templates and generated DM credentials, which the
 * store then serves and extends. Without it the store neither enrols nor
 * generates credentials (lookups of such devices fail with -ENOTSUP).
 * 0 or a negative code with err filled. */
int lwbs_store_embedded_open_state(struct lwbs_store *s, const char *path, char *err, size_t err_cap);

/* The provisioning set currently served (borrowed until the next reload or
 * destroy), e.g. for counts in logs and metrics. */
const struct lwbs_prov *lwbs_store_embedded_current(struct lwbs_store *s);

#endif
