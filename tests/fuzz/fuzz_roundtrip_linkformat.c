/* Fuzz target: parse -> emit -> parse gives the same links, and emitting
 * them again gives the same bytes. */
#include "fuzz_codec.h"

static int str_eq(const char *x, const char *y)
{
	if (!x || !y)
		return x == y;
	return strcmp(x, y) == 0;
}

static int same(const struct lwbs_linkset *x, const struct lwbs_linkset *y)
{
	if (x->n != y->n)
		return 0;
	for (size_t i = 0; i < x->n; i++) {
		const struct lwbs_link *l = &x->links[i], *m = &y->links[i];
		if (!str_eq(l->target, m->target) || l->has_path != m->has_path || l->n_attrs != m->n_attrs)
			return 0;
		if (l->has_path && !lwbs_path_equal(&l->path, &m->path))
			return 0;
		for (size_t j = 0; j < l->n_attrs; j++)
			if (!str_eq(l->attrs[j].name, m->attrs[j].name) ||
			    !str_eq(l->attrs[j].value, m->attrs[j].value) ||
			    l->attrs[j].quoted != m->attrs[j].quoted)
				return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lwbs_arena *a = fuzz_arena();
	struct lwbs_linkset l1, l2;
	struct lwbs_buf b1, b2;

	if (!a)
		return 0;
	lwbs_buf_init(&b1, 0);
	lwbs_buf_init(&b2, 0);
	if (lwbs_link_parse(data, size, a, &l1) == 0) {
		if (lwbs_link_emit(&l1, &b1) != 0)
			abort();
		int rc = lwbs_link_parse(b1.len ? b1.data : (const uint8_t *)"", b1.len, a, &l2);
		if (rc == -ENOMEM)
			goto out;
		if (rc != 0 || !same(&l1, &l2))
			abort();
		if (lwbs_link_emit(&l2, &b2) != 0 || b1.len != b2.len || (b1.len && memcmp(b1.data, b2.data, b1.len) != 0))
			abort();
	}
out:
	lwbs_buf_finish(&b1);
	lwbs_buf_finish(&b2);
	lwbs_arena_destroy(a);
	return 0;
}
