/* lwbs — shared by binding.c and detail.c: builds a binding from attribute
 * values in wire form, whichever way they were read. */
#ifndef LWBS_RADIUS_BINDING_INT_H
#define LWBS_RADIUS_BINDING_INT_H

#include "lwbs/radius.h"

struct rad_builder {
	struct lwbs_radius_binding b;
	uint32_t seen;                 /* single-valued fields already set */
	uint32_t status;
	enum lwbs_radius_reason err;   /* first error, OK if none */
	bool not_accounting;
};

void rad_builder_init(struct rad_builder *k);
/* A top-level attribute; unknown types are ignored. Vendor-Specific (26)
 * is split into its sub-attributes. */
void rad_builder_attr(struct rad_builder *k, uint8_t type, const uint8_t *v, size_t n);
/* One 3GPP sub-attribute value; unknown types are ignored. */
void rad_builder_3gpp(struct rad_builder *k, uint8_t vtype, const uint8_t *v, size_t n);
/* Final checks; 0 and *out, or -EBADMSG and *why. */
int rad_builder_finish(struct rad_builder *k, struct lwbs_radius_binding *out,
		       enum lwbs_radius_reason *why);

#endif
