/* Fuzz the provisioning YAML loader from memory (file: references refused):
 * load, cross-check, build plans; every lookup of every device's endpoint
 * must find that device. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/prov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lwbs_prov *p = lwbs_prov_create();
	char err[256];

	if (!p)
		return 0;
	if (!lwbs_prov_load_buffer(p, "fuzz.yaml", data, size, NULL, err, sizeof(err)) &&
	    !lwbs_prov_finish(p, err, sizeof(err)) && !lwbs_prov_build_plans(p, err, sizeof(err))) {
		for (size_t i = 0; i < p->n_devices; i++) {
			const char *ep = p->devices[i].ident[LWBS_IDENT_ENDPOINT];
			const struct lwbs_prov_device *d = lwbs_prov_find(p, LWBS_IDENT_ENDPOINT, ep, strlen(ep));
			if (d != &p->devices[i] || !d->plan.objects || d->plan.endpoint != ep)
				abort();
		}
	} else if (!memchr(err, ':', sizeof(err))) {
		abort(); /* every error names its place */
	}
	lwbs_prov_destroy(p);
	return 0;
}
