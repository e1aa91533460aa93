/* lwbs — fuzz target: FreeRADIUS detail file reader. Every record is read
 * to the end; the cursor must only move forward and stay in bounds. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "lwbs/err.h"
#include "lwbs/radius.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lwbs_radius_detail d;
	struct lwbs_radius_binding b;
	enum lwbs_radius_reason why;
	lwbs_radius_detail_init(&d, (const char *)data, size);
	for (;;) {
		size_t pos = d.pos;
		int rc = lwbs_radius_detail_next(&d, &b, &why);
		if (d.pos > size)
			abort();
		if (rc == -ENOENT || rc == LWBS_ETRUNC)
			break;
		if (d.pos <= pos)
			abort(); /* no progress */
		if (rc == 0 && why != LWBS_RADIUS_R_OK)
			abort();
		if (rc == -EBADMSG && why == LWBS_RADIUS_R_OK)
			abort();
	}
	return 0;
}
