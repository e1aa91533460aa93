/* lwbs — provisioning into PostgreSQL: the canonical form of a profile or
 * device (change detection, storage, export) and the diff rule.
 *
 * Pure part (canon.c): a profile or device from the loader (lwbs/prov.h)
 * becomes one JSON object in the YAML schema of docs/provisioning.md, keys
 * in a fixed order, every value in one spelling (bytes as "hex:..",
 * resources as {type, value}). JSON is YAML, so the loader reads it back
 * unchanged: export -> apply finds nothing to do. Secrets are written as
 * "redacted" and returned separately with their JSON path.
 *
 * Two SHA-256 digests are kept per row: `hash` over the document and its
 * secrets, `hash_redacted` over the document alone. A document whose
 * secrets were exported redacted has no `hash` and is compared on
 * `hash_redacted` (its secrets are kept as stored).
 *
 * The rest (db.c, migrate.c, apply.c, export.c, progress.c, credentials.c)
 * is the lwbsctl front end: libpq, synchronous.
 */
#ifndef LWBS_PROVISION_H
#define LWBS_PROVISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/buf.h"
#include "lwbs/prov.h"

#define LWBS_PROVISION_HASH_LEN 32

/* One secret of a document: its JSON path as a PostgreSQL text[] literal
 * ("{overrides,servers,0,psk_key}"), and its value. text: substituted as
 * a JSON string as is (APN secret, string resources); otherwise as
 * "hex:..". redacted: the input said "redacted" (value empty). */
struct lwbs_provision_secret {
	char path[128];
	const uint8_t *ptr;
	size_t len;
	bool text;
	bool redacted;
};

struct lwbs_provision_doc {
	struct lwbs_buf json; /* the redacted document, not NUL-terminated */
	struct lwbs_provision_secret *secrets;
	size_t n_secrets, cap_secrets;
	bool has_redacted; /* some secret was "redacted": hash is not set */
	uint8_t hash[LWBS_PROVISION_HASH_LEN];
	uint8_t hash_redacted[LWBS_PROVISION_HASH_LEN];
	/* Device documents: the "overrides" object within json (its value,
	 * braces included); overrides_len 0 when the device has none. */
	size_t overrides_off, overrides_len;
};

void lwbs_provision_doc_init(struct lwbs_provision_doc *d);
/* Empties d for the next document; keeps storage. */
void lwbs_provision_doc_reset(struct lwbs_provision_doc *d);
void lwbs_provision_doc_finish(struct lwbs_provision_doc *d);

/* The canonical profile document (with "name"). */
int lwbs_provision_profile_doc(const struct lwbs_prov_profile *pr, struct lwbs_provision_doc *out);
/* The canonical device document: endpoint, profile, identities, batch,
 * psk_key and overrides. d->profile (set by lwbs_prov_finish) resolves
 * which key an override's credential is spelt with. */
int lwbs_provision_device_doc(const struct lwbs_prov_device *d, struct lwbs_provision_doc *out);

/* The diff rule. stored_hash NULL: the row was last written from a
 * redacted document. */
enum lwbs_provision_change {
	LWBS_PROVISION_SAME = 0,
	LWBS_PROVISION_CHANGED,
};
enum lwbs_provision_change lwbs_provision_compare(const struct lwbs_provision_doc *in, const uint8_t *stored_hash,
						  const uint8_t *stored_hash_redacted);

/* Normalised identity key, as the loader matches it: msisdn without its
 * '+', imei/imeisv on the first 14 digits, others as given. Returns the
 * length of the key within value. */
size_t lwbs_provision_ident_key(enum lwbs_ident_kind k, const char *value, const char **key);
/* "imsi", "msisdn", "imei", "psk_id", "cert_subject" (the SQL kinds). */
const char *lwbs_provision_ident_sql(enum lwbs_ident_kind k);

/* Command entry points (argv[0] = command name); exit status. */
int lwbs_provision_cmd_validate(int argc, char **argv);
int lwbs_provision_cmd_diff(int argc, char **argv);
int lwbs_provision_cmd_apply(int argc, char **argv);
int lwbs_provision_cmd_export(int argc, char **argv);
int lwbs_provision_cmd_migrate(int argc, char **argv);
/* lwbsctl credentials export (credentials.c): from the state journal or
 * from PostgreSQL. */
int lwbs_provision_cmd_credentials_export(int argc, char **argv);

#endif
