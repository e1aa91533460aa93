/* lwbs — fuzz target: RADIUS binding journal records. Every record that
 * decodes re-encodes to the same octets and is applied to a table (the
 * replay path); the input is walked record by record as a replay does.
 * The first input octet chooses whether the CRCs are fixed up first (odd),
 * so that mutations reach the payload checks behind the CRC. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/radius/journal.h"
#include "lwbs/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lwbs_radius_table *t;
	struct lwbs_buf re;
	size_t pos = 0;
	uint8_t *copy;

	if (size == 0)
		return 0;
	copy = malloc(size);
	t = lwbs_radius_table_create();
	if (!copy || !t) {
		free(copy);
		lwbs_radius_table_destroy(t);
		return 0;
	}
	memcpy(copy, data + 1, size - 1);
	size--;
	for (size_t p = 0; (data[0] & 1) && size - p >= 8;) {
		uint32_t len = (uint32_t)copy[p] | (uint32_t)copy[p + 1] << 8 | (uint32_t)copy[p + 2] << 16 |
			       (uint32_t)copy[p + 3] << 24;
		if (len > size - p - 8)
			break;
		uint32_t crc = lwbs_radius_crc32c(0, copy + p + 8, len);
		for (int i = 0; i < 4; i++)
			copy[p + 4 + i] = (uint8_t)(crc >> (8 * i));
		p += 8 + (size_t)len;
	}
	data = copy;
	lwbs_buf_init(&re, 1 << 20);
	while (pos < size) {
		struct lwbs_radius_binding b;
		enum lwbs_radius_apply res;
		int64_t now;
		size_t used;

		if (lwbs_radius_journal_decode(data + pos, size - pos, &b, &now, &used))
			break;
		if (used == 0 || used > size - pos)
			abort();
		lwbs_buf_reset(&re);
		lwbs_radius_journal_encode(&re, &b, now);
		if (re.len != used || memcmp(re.data, data + pos, used))
			abort();
		lwbs_radius_table_apply(t, &b, now, &res, NULL);
		pos += used;
	}
	lwbs_buf_finish(&re);
	lwbs_radius_table_destroy(t);
	free(copy);
	return 0;
}
