/* Fuzz target: link-format parser, emitter and Bootstrap-Discover reading. */
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lwbs_arena *a = fuzz_arena();
	struct lwbs_linkset ls;
	struct lwbs_discover d;

	if (!a)
		return 0;
	if (lwbs_link_parse(data, size, a, &ls) == 0) {
		struct lwbs_buf b;
		lwbs_buf_init(&b, 0);
		if (lwbs_link_emit(&ls, &b) != 0)
			abort();
		lwbs_buf_finish(&b);
		if (lwbs_discover_parse(&ls, a, &d) == 0) {
			if (d.n_objs > ls.n || d.n_inst > ls.n)
				abort();
			for (size_t i = 0; i < d.n_inst; i++)
				if (d.inst[i].ssid < -1 || d.inst[i].ssid > 65535)
					abort();
		}
	}
	lwbs_arena_destroy(a);
	return 0;
}
