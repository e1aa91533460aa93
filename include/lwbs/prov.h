/* lwbs — the provisioning model: profiles and devices loaded from YAML
 * files (schema: docs/provisioning.md).
 *
 * Three layers, kept apart so that lwbsctl can use the first without the
 * others:
 *   1. the parsed model (struct lwbs_prov: profiles, devices), filled by
 *      lwbs_prov_load_file() / lwbs_prov_load_buffer() and checked across
 *      files by lwbs_prov_finish();
 *   2. the identity index (lwbs_prov_find), built by lwbs_prov_finish();
 *   3. the bootstrap plans (lwbs_prov_build_plans), one per profile and one
 *      per device with overrides; devices without overrides share their
 *      profile's objects tree.
 *
 * Errors are one line, "file:line:column: message", written to err; the
 * first error stops. A struct lwbs_prov that returned an error must only be
 * destroyed. Secrets (PSK keys, private keys, APN and OSCORE secrets) are
 * marked, never printed, and wiped with OPENSSL_cleanse() on destroy.
 *
 * Not thread-safe: one struct lwbs_prov belongs to one thread at a time;
 * once finished and built it is read-only and may be shared.
 */
#ifndef LWBS_PROV_H
#define LWBS_PROV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwbs/bootstrap.h"
#include "lwbs/node.h"
#include "lwbs/path.h"
#include "lwbs/store.h"

/* Where something was written: index into lwbs_prov.files, 1-based line
 * and column. */
struct lwbs_prov_loc {
	uint32_t file;
	uint32_t line, col;
};

/* Bytes from YAML (hex, base64, file, PEM converted to DER). secret: wiped
 * on destroy, never printed. */
struct lwbs_prov_bytes {
	const uint8_t *ptr;
	size_t len;
	bool secret;
};

/* Security modes, the values of /0/x/2. */
enum lwbs_prov_mode {
	LWBS_PROV_MODE_PSK = 0,
	LWBS_PROV_MODE_RPK = 1,
	LWBS_PROV_MODE_X509 = 2,
	LWBS_PROV_MODE_NOSEC = 3,
	LWBS_PROV_MODE_EST = 4,
};

/* One resource (or resource instance) relative to its instance. */
struct lwbs_prov_res {
	uint16_t rid;
	int32_t riid; /* -1: single resource */
	struct lwbs_value value;
	bool secret;
	struct lwbs_prov_loc loc;
};

/* Bits of lwbs_prov_server.set: which keys the YAML gave. */
enum {
	LWBS_PROV_SRV_URI = 1u << 0,
	LWBS_PROV_SRV_SSID = 1u << 1,
	LWBS_PROV_SRV_MODE = 1u << 2,
	LWBS_PROV_SRV_IDENTITY = 1u << 3,   /* psk_identity, certificate, public_key */
	LWBS_PROV_SRV_SERVER_KEY = 1u << 4, /* server_certificate, server_public_key */
	LWBS_PROV_SRV_SECRET_KEY = 1u << 5, /* psk_key, private_key */
	LWBS_PROV_SRV_LIFETIME = 1u << 6,
	LWBS_PROV_SRV_PMIN = 1u << 7,
	LWBS_PROV_SRV_PMAX = 1u << 8,
	LWBS_PROV_SRV_NSTORE = 1u << 9,
	LWBS_PROV_SRV_DISABLE_TIMEOUT = 1u << 10,
	LWBS_PROV_SRV_BS_ON_FAILURE = 1u << 11,
	LWBS_PROV_SRV_BINDING = 1u << 12,
	LWBS_PROV_SRV_APN = 1u << 13,
	LWBS_PROV_SRV_OSCORE = 1u << 14,
	LWBS_PROV_SRV_SEC_RES = 1u << 15,
	LWBS_PROV_SRV_SRV_RES = 1u << 16,
	LWBS_PROV_SRV_HOLD_OFF = 1u << 17,        /* bootstrap_server only */
	LWBS_PROV_SRV_ACCOUNT_TIMEOUT = 1u << 18, /* bootstrap_server only */
	LWBS_PROV_SRV_GENERATE = 1u << 19,        /* generate_credentials */
};

/* generate_credentials of a PSK DM server: lwbs makes the device's PSK
 * identity and key on its first bootstrap and keeps them (docs/identity.md). */
struct lwbs_prov_credgen {
	const char *identity; /* template: {endpoint} {imsi} {msisdn} {imei} */
	uint16_t key_len;     /* bytes, LWBS_IDENTITY_KEY_MIN..MAX, default 16 */
	bool rotate;          /* a new key at every bootstrap */
};

/* A DM server account (Security + Server instance), or with bootstrap set
 * the new Bootstrap-Server account (Security instance only). */
struct lwbs_prov_server {
	struct lwbs_prov_loc loc;
	uint32_t set;
	bool bootstrap;
	const char *uri;
	uint16_t ssid;
	uint8_t mode; /* enum lwbs_prov_mode */
	struct lwbs_prov_bytes identity;   /* /0/x/3 */
	struct lwbs_prov_bytes server_key; /* /0/x/4 */
	struct lwbs_prov_bytes secret_key; /* /0/x/5 (secret) */
	uint32_t lifetime, pmin, pmax, disable_timeout;
	uint32_t hold_off, account_timeout;
	bool notification_storing, bootstrap_on_failure;
	const char *binding;
	const char *apn;    /* name of an entry of the profile's apn list */
	const char *oscore; /* name of an entry of the profile's oscore list */
	struct lwbs_prov_res *sec_res; /* extra /0/x resources */
	size_t n_sec_res;
	struct lwbs_prov_res *srv_res; /* extra /1/x resources */
	size_t n_srv_res;
	const struct lwbs_prov_credgen *generate; /* NULL: credentials as given */
};

struct lwbs_prov_acl_entry {
	uint16_t ssid; /* 0 = default ACL */
	uint16_t rights; /* bits R=1 W=2 E=4 D=8 C=16 */
};

struct lwbs_prov_acl {
	struct lwbs_prov_loc loc;
	uint16_t oid;
	uint16_t iid;   /* 65535: object-level ACL */
	uint16_t owner; /* default 65535 (bootstrap-managed) */
	struct lwbs_prov_acl_entry *entries;
	size_t n_entries;
};

/* APN connection profile (/11). Integers are -1 when not given. */
struct lwbs_prov_apn {
	struct lwbs_prov_loc loc;
	const char *name; /* /11/x/0 and the name servers link by */
	const char *apn;  /* /11/x/1, NULL: not written */
	int auth;         /* /11/x/4: 0 PAP, 1 CHAP, 2 PAP or CHAP, 3 none (default) */
	const char *user; /* /11/x/5 */
	struct lwbs_prov_bytes secret; /* /11/x/6 (secret) */
	int pdn_type;     /* /11/x/24 */
	int enable;       /* /11/x/3 */
	int auto_select;  /* /11/x/2 */
	struct lwbs_prov_res *res;
	size_t n_res;
};

/* OSCORE context (/21). aead/hmac are -1 when not given. */
struct lwbs_prov_oscore {
	struct lwbs_prov_loc loc;
	const char *name;
	struct lwbs_prov_bytes master_secret; /* secret */
	struct lwbs_prov_bytes sender_id, recipient_id, master_salt, id_context;
	bool has_salt, has_id_context;
	int aead, hmac;
};

/* An extra object instance written as given. */
struct lwbs_prov_inst {
	struct lwbs_prov_loc loc;
	uint16_t oid, iid;
	struct lwbs_prov_res *res;
	size_t n_res;
};

/* Bits of lwbs_prov_profile.set. */
enum {
	LWBS_PROV_P_SERVERS = 1u << 0,
	LWBS_PROV_P_ACL = 1u << 1,
	LWBS_PROV_P_APN = 1u << 2,
	LWBS_PROV_P_OSCORE = 1u << 3,
	LWBS_PROV_P_OBJECTS = 1u << 4,
	LWBS_PROV_P_DELETE = 1u << 5,
	LWBS_PROV_P_CF = 1u << 6,
	LWBS_PROV_P_DISCOVER = 1u << 7,
	LWBS_PROV_P_AUTO_IDS = 1u << 8,
	LWBS_PROV_P_READ_EXISTING = 1u << 9,
	LWBS_PROV_P_KEEP_EXISTING = 1u << 10,
	LWBS_PROV_P_WRITE = 1u << 11,
	LWBS_PROV_P_PACK = 1u << 12,
	LWBS_PROV_P_BS = 1u << 13,
};

struct lwbs_prov_profile {
	struct lwbs_prov_loc loc;
	const char *name; /* NULL for a device's overrides */
	uint32_t set;
	struct lwbs_prov_server *servers;
	size_t n_servers;
	struct lwbs_prov_server *bootstrap_server; /* NULL: none */
	struct lwbs_prov_acl *acl;
	size_t n_acl;
	struct lwbs_prov_apn *apn;
	size_t n_apn;
	struct lwbs_prov_oscore *oscore;
	size_t n_oscore;
	struct lwbs_prov_inst *objects;
	size_t n_objects;
	struct lwbs_path *deletes;
	size_t n_deletes;
	int content_format; /* LWBS_CF_NONE = auto */
	bool discover, auto_security_ids, read_existing, keep_existing;
	bool write_per_object, allow_pack;

	/* Set by lwbs_prov_build_plans(); endpoint is NULL. */
	struct lwbs_bs_plan plan;
	bool built;
};

struct lwbs_prov_device {
	/* Identities by kind; NULL when not given. ident[LWBS_IDENT_ENDPOINT]
	 * is always set; ident[LWBS_IDENT_IMEI] is the IMEI or IMEISV as given
	 * (matched on its first 14 digits). */
	const char *ident[LWBS_IDENT_COUNT];
	const char *profile_name;
	const struct lwbs_prov_profile *profile; /* set by lwbs_prov_finish() */
	const char *batch;                       /* NULL: none */
	struct lwbs_prov_bytes psk_key;          /* the device's own DTLS PSK (secret) */
	struct lwbs_prov_profile *overrides;     /* NULL: none */
	struct lwbs_prov_loc loc;
	/* Set by lwbs_prov_build_plans(): endpoint is ident[ENDPOINT]; objects
	 * and deletes are shared with the profile when there are no overrides. */
	struct lwbs_bs_plan plan;
	/* Set by lwbs_prov_finish(): the profile with overrides merged in,
	 * or NULL when there are no overrides. */
	struct lwbs_prov_profile *merged;
};

/* Auto-enrolment template: an unknown device whose binding has this home
 * PLMN and APN is enrolled with this profile (docs/identity.md). */
struct lwbs_prov_template {
	struct lwbs_prov_loc loc;
	const char *plmn; /* home MCC+MNC, NULL: any */
	const char *apn;  /* NULL: any; compared case-insensitively */
	const char *profile_name;
	const struct lwbs_prov_profile *profile; /* set by lwbs_prov_finish() */
};

struct lwbs_prov_index;
struct lwbs_arena;

struct lwbs_prov {
	const char **files; /* names given to the loaders, by lwbs_prov_loc.file */
	size_t n_files;
	struct lwbs_prov_profile **profiles;
	size_t n_profiles;
	struct lwbs_prov_device *devices; /* array; may move until lwbs_prov_finish() */
	size_t n_devices;
	/* internal */
	size_t cap_profiles, cap_devices;
	struct lwbs_arena *arena;
	struct { void *ptr; size_t len; } *secrets;
	size_t n_secrets, cap_secrets;
	struct lwbs_prov_index *index;
	char *pool; /* unaligned string pool inside the arena */
	size_t pool_left;
	bool finished, failed;
	/* Set by the caller before loading (lwbsctl provision): a secret
	 * written as the plain word `redacted` (what `lwbsctl provision export`
	 * writes without --show-secrets) loads as lwbs_prov_redacted instead of
	 * being refused. */
	bool allow_redacted;
	/* Auto-enrolment templates in file order (top-level `templates:`). */
	struct lwbs_prov_template *templates;
	size_t n_templates, cap_templates;
	/* Some document had a top-level `templates:` key (an empty one
	 * included): lwbsctl provision apply replaces the stored list. */
	bool has_templates;
	/* Profiles sorted by name (internal, set by lwbs_prov_finish()). */
	struct lwbs_prov_profile **sorted_profiles;
};

/* The bytes a redacted secret points to (compare the pointer). */
extern const uint8_t lwbs_prov_redacted[8];

/* Caller owns the result (lwbs_prov_destroy); NULL on allocation failure. */
struct lwbs_prov *lwbs_prov_create(void);
/* Wipes every secret and frees everything. NULL-safe. */
void lwbs_prov_destroy(struct lwbs_prov *p);

/* Parses one YAML file into p. `file:` references are read relative to
 * the file's directory. Returns 0 or a negative code with err filled. */
int lwbs_prov_load_file(struct lwbs_prov *p, const char *path, char *err, size_t err_cap);
/* The same from memory; name is used in messages. base_dir: directory for
 * relative `file:` references, or NULL to refuse every `file:` reference
 * (untrusted input). */
int lwbs_prov_load_buffer(struct lwbs_prov *p, const char *name, const void *buf, size_t len,
			  const char *base_dir, char *err, size_t err_cap);

/* Called after each file of lwbs_prov_load_files with how many are done. */
typedef void lwbs_prov_file_fn(void *arg, size_t files_done);
/* Like lwbs_prov_load_file for paths[0..n) in order, with one thread
 * parsing the YAML of the next documents while the caller's thread walks
 * the current one into p: the same result and the same first error. */
int lwbs_prov_load_files(struct lwbs_prov *p, char *const *paths, int n, lwbs_prov_file_fn *done, void *arg,
			 char *err, size_t err_cap);

/* Cross-file checks once every file is loaded: every device's profile
 * exists, overrides merge into a valid profile, every identity is unique
 * (per kind). Builds the index. */
int lwbs_prov_finish(struct lwbs_prov *p, char *err, size_t err_cap);

/* Builds the plan of every profile and device (after lwbs_prov_finish) and
 * checks each against the LwM2M 1.2 model. */
int lwbs_prov_build_plans(struct lwbs_prov *p, char *err, size_t err_cap);

/* Builds the objects tree and flags of profile pr into out (endpoint NULL),
 * allocating from p's arena. */
int lwbs_prov_build_plan(struct lwbs_prov *p, const struct lwbs_prov_profile *pr, struct lwbs_bs_plan *out,
			 char *err, size_t err_cap);

/* The device with identity value[0..len) of kind k, or NULL. IMEI values of
 * 14, 15 (IMEI) or 16 (IMEISV) digits match on the first 14. After
 * lwbs_prov_finish(); no allocation. */
const struct lwbs_prov_device *lwbs_prov_find(const struct lwbs_prov *p, enum lwbs_ident_kind k,
					       const char *value, size_t len);

/* The profile named name, or NULL (after lwbs_prov_finish). */
const struct lwbs_prov_profile *lwbs_prov_profile_find(const struct lwbs_prov *p, const char *name);

/* True when a server of pr has generate_credentials. */
bool lwbs_prov_profile_generates(const struct lwbs_prov_profile *pr);

/* The first template whose plmn and apn fit a device: plmn is the binding's
 * home MCC+MNC (3GPP-IMSI-MCC-MNC) or NULL/empty, then a template's plmn
 * must prefix imsi; apn may be NULL. NULL when none fits. */
const struct lwbs_prov_template *lwbs_prov_template_find(const struct lwbs_prov *p, const char *plmn,
							  const char *imsi, const char *apn);

/* Bytes of memory p holds (arena, device array, index, secret list): for
 * logs and metrics. */
size_t lwbs_prov_memory(const struct lwbs_prov *p);

/* Internal to src/store (shared between its files). */
int lwbs_prov_keep_secret(struct lwbs_prov *p, void *ptr, size_t len);
void lwbs_prov_errf(char *err, size_t cap, const struct lwbs_prov *p, const struct lwbs_prov_loc *loc,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
