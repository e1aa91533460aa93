/* Fuzz the PLMN YAML loader; every accepted input must render every zone,
 * and a rendered zone read back as the previous file must count as
 * unchanged with the same serial. Every error names its place. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lwbs_arena *a = lwbs_arena_create(0);
	struct lwbs_dns_input in;
	struct lwbs_dns_diag d = {0};
	struct lwbs_buf b, again;

	if (!a)
		return 0;
	lwbs_arena_set_limit(a, 1 << 20);
	if (lwbs_dns_input_parse((const char *)data, size, "fuzz.yaml", a, &in, &d)) {
		if (strncmp(d.text, "fuzz.yaml:", 10) != 0 && d.text[0])
			abort();
		lwbs_arena_destroy(a);
		return 0;
	}
	lwbs_buf_init(&b, 0);
	lwbs_buf_init(&again, 0);
	for (size_t i = 0; i < lwbs_dns_zone_count(&in) && i < 8; i++) {
		uint32_t serial = 0;
		bool changed = true;
		lwbs_buf_reset(&b);
		lwbs_buf_reset(&again);
		if (lwbs_dns_zone_render(&in, i, 2026010203, &b) ||
		    lwbs_dns_zone_find_serial((char *)b.data, b.len, &serial) || serial != 2026010203)
			abort();
		if (lwbs_dns_zone_plan(&in, i, (char *)b.data, b.len, 20260101, &again, &serial,
				       &changed) || changed || serial != 2026010203 ||
		    again.len != b.len || memcmp(again.data, b.data, b.len))
			abort();
	}
	lwbs_buf_reset(&b);
	if (lwbs_dns_named_conf(&in, "/z", &b))
		abort();
	lwbs_buf_finish(&again);
	lwbs_buf_finish(&b);
	lwbs_arena_destroy(a);
	return 0;
}
