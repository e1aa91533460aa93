/* Fuzz target: CoAP message codec (src/coap/msg.c). A datagram that
 * parses must encode back to the same bytes (every delta and length has
 * exactly one encoding), parse again to the same message, and its Block
 * options must decode within RFC 7959's limits. */
#include <stdlib.h>
#include <string.h>

#include "lwbs/coapmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const struct lwbs_coapmsg *a, const struct lwbs_coapmsg *b)
{
	if (a->type != b->type || a->code != b->code || a->mid != b->mid || a->tkl != b->tkl ||
	    memcmp(a->token, b->token, a->tkl) || a->n_opts != b->n_opts || a->payload_len != b->payload_len ||
	    (a->payload_len && memcmp(a->payload, b->payload, a->payload_len)))
		abort();
	for (size_t i = 0; i < a->n_opts; i++)
		if (a->opts[i].num != b->opts[i].num || a->opts[i].len != b->opts[i].len ||
		    memcmp(a->opts[i].val, b->opts[i].val, a->opts[i].len))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lwbs_coapmsg m, again;
	struct lwbs_coapmsg_block blk;
	struct lwbs_buf b;
	char path[256];

	if (lwbs_coapmsg_parse(data, size, &m) != 0)
		return 0;
	if (m.tkl > 8 || (m.payload && (m.payload < data || m.payload + m.payload_len != data + size)))
		abort();
	for (size_t i = 1; i < m.n_opts; i++)
		if (m.opts[i].num < m.opts[i - 1].num)
			abort();
	lwbs_buf_init(&b, 1u << 20);
	if (lwbs_coapmsg_encode(&m, &b) != 0 || b.len != size || memcmp(b.data, data, size) != 0)
		abort();
	if (lwbs_coapmsg_parse(b.data, b.len, &again) != 0)
		abort();
	same_or_abort(&m, &again);
	lwbs_buf_finish(&b);
	for (size_t i = 0; i < m.n_opts; i++) {
		if (m.opts[i].num != LWBS_COAPMSG_OPT_BLOCK1 && m.opts[i].num != LWBS_COAPMSG_OPT_BLOCK2)
			continue;
		if (lwbs_coapmsg_block_decode(&m.opts[i], &blk) == 0 &&
		    (blk.szx > 6 || blk.num > LWBS_COAPMSG_BLOCK_MAX_NUM ||
		     lwbs_coapmsg_block_value(&blk) < 0))
			abort();
	}
	if (lwbs_coapmsg_path(&m, path, sizeof(path)) == 0 && (path[0] != '/' || strlen(path) >= sizeof(path)))
		abort();
	(void)lwbs_coapmsg_uint(&m, LWBS_COAPMSG_OPT_CONTENT_FORMAT);
	return 0;
}
