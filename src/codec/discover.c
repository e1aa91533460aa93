/* lwbs — interpretation of a Bootstrap-Discover answer (a parsed link set).
 *
 * The enabler version comes from `</>;lwm2m=X.Y` or from a target-less first
 * element `lwm2m=X.Y` / `lwm2m="X.Y"` (LwM2M 1.0 clients); "X.Y.Z" (1.1.1,
 * 1.2.2) keeps major.minor; the first lwm2m attribute wins. </O> and </O/I>
 * links name objects (listed once each, in order of first mention; `ver`
 * on </O> sets the object version); </O/I> links are instances with `ssid`
 * (0..65535) and `uri`. Links that are not object or instance paths are
 * ignored. A malformed version, ssid or value-less uri is LWBS_ESYNTAX; an
 * ssid above 65535 is LWBS_ERANGE_VAL.
 */
#include <errno.h>
#include <string.h>

#include "lwbs/codec.h"
#include "lwbs/err.h"

/* "X.Y" or "X.Y.Z", each component 1..3 digits and <= 255. */
static int parse_version(const char *s, uint8_t *major, uint8_t *minor)
{
	unsigned parts[3];
	int n = 0;

	if (!s)
		return LWBS_ESYNTAX;
	for (;;) {
		unsigned v = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return LWBS_ESYNTAX;
		parts[n++] = v;
		if (*s == 0)
			break;
		if (*s != '.' || n == 3)
			return LWBS_ESYNTAX;
		s++;
	}
	if (n < 2)
		return LWBS_ESYNTAX;
	*major = (uint8_t)parts[0];
	*minor = (uint8_t)parts[1];
	return 0;
}

static int parse_ssid(const char *s, int32_t *out)
{
	uint32_t v = 0;
	size_t digits = 0;

	if (!s || !*s)
		return LWBS_ESYNTAX;
	for (; *s; s++, digits++) {
		if (*s < '0' || *s > '9')
			return LWBS_ESYNTAX;
		if (v <= 65535)
			v = v * 10 + (uint32_t)(*s - '0');
	}
	if (v > 65535)
		return LWBS_ERANGE_VAL;
	*out = (int32_t)v;
	return 0;
}

/* Open-addressing set of object ids -> index in objs. */
struct objmap {
	uint32_t *slot; /* 0 = empty, else index + 1 */
	size_t mask;
};

static size_t obj_index(struct objmap *m, struct lwbs_discover *d, uint16_t oid)
{
	size_t h = ((size_t)oid * 2654435761u) & m->mask;
	while (m->slot[h]) {
		size_t i = m->slot[h] - 1;
		if (d->objs[i].oid == oid)
			return i;
		h = (h + 1) & m->mask;
	}
	d->objs[d->n_objs].oid = oid;
	m->slot[h] = (uint32_t)(++d->n_objs);
	return d->n_objs - 1;
}

static int version_attr(const struct lwbs_link *l, struct lwbs_discover *d)
{
	bool present;
	const char *v = lwbs_link_attr(l, "lwm2m", &present);
	if (!present || d->has_version)
		return 0;
	int rc = parse_version(v, &d->ver_major, &d->ver_minor);
	if (rc)
		return rc;
	d->has_version = true;
	return 0;
}

int lwbs_discover_parse(const struct lwbs_linkset *ls, struct lwbs_arena *a, struct lwbs_discover *out)
{
	struct lwbs_discover d = {0};
	struct objmap m;
	size_t cap = ls->n ? ls->n : 1;
	size_t slots = 16;
	int rc;

	while (slots < 2 * cap)
		slots *= 2;
	m.mask = slots - 1;
	m.slot = lwbs_arena_alloc(a, slots * sizeof(*m.slot));
	d.objs = lwbs_arena_alloc(a, cap * sizeof(*d.objs));
	d.inst = lwbs_arena_alloc(a, cap * sizeof(*d.inst));
	if (!m.slot || !d.objs || !d.inst)
		return -ENOMEM;

	for (size_t i = 0; i < ls->n; i++) {
		const struct lwbs_link *l = &ls->links[i];
		bool present;
		const char *v;

		if (!l->target || (l->has_path && l->path.len == 0)) {
			rc = version_attr(l, &d);
			if (rc)
				return rc;
			continue;
		}
		if (!l->has_path || l->path.len > LWBS_LEVEL_INSTANCE)
			continue;
		size_t oi = obj_index(&m, &d, l->path.id[0]);
		if (l->path.len == LWBS_LEVEL_OBJECT) {
			v = lwbs_link_attr(l, "ver", &present);
			if (present) {
				rc = parse_version(v, &d.objs[oi].ver_major, &d.objs[oi].ver_minor);
				if (rc)
					return rc;
			}
			continue;
		}
		struct lwbs_disc_instance *in = &d.inst[d.n_inst];
		in->oid = l->path.id[0];
		in->iid = l->path.id[1];
		in->ssid = -1;
		in->uri = NULL;
		v = lwbs_link_attr(l, "ssid", &present);
		if (present) {
			rc = parse_ssid(v, &in->ssid);
			if (rc)
				return rc;
		}
		v = lwbs_link_attr(l, "uri", &present);
		if (present) {
			if (!v)
				return LWBS_ESYNTAX;
			in->uri = lwbs_arena_strdup(a, v);
			if (!in->uri)
				return -ENOMEM;
		}
		d.n_inst++;
	}
	*out = d;
	return 0;
}
