/* lwbs provisioning — `lwbsctl db migrate`: applies the missing numbered
 * migrations of sql/ (embedded at build time) in one transaction. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/provision.h"
#include "pv.h"

/* Serialises concurrent migrate/apply runs on one database. */
#define PV_LOCK "SELECT pg_advisory_xact_lock(7307251)"

static int migrate(PGconn *c)
{
	PGresult *r;
	int have = 0, done = 0;

	if (pv_exec(c, "begin", "BEGIN") || pv_exec(c, "lock", PV_LOCK))
		return -1;
	if (pv_query(c, "schema_version", "SELECT to_regclass('schema_version') IS NOT NULL", 0, NULL, &r))
		goto fail;
	bool exists = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (exists) {
		if (pv_query(c, "schema_version", "SELECT coalesce(max(version), 0) FROM schema_version", 0, NULL, &r))
			goto fail;
		have = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	for (size_t i = 0; i < pv_n_migrations; i++) {
		const struct pv_migration *m = &pv_migrations[i];
		char v[16];
		const char *params[2] = {v, m->name};
		if (m->version <= have)
			continue;
		if (pv_exec(c, m->name, m->sql))
			goto fail;
		snprintf(v, sizeof(v), "%d", m->version);
		if (pv_query(c, m->name, "INSERT INTO schema_version (version, name) VALUES ($1, $2)", 2, params, NULL))
			goto fail;
		printf("applied %s\n", m->name);
		have = m->version;
		done++;
	}
	if (pv_exec(c, "commit", "COMMIT"))
		return -1;
	if (!done)
		printf("schema at version %d: nothing to do\n", have);
	else
		printf("schema at version %d\n", have);
	return 0;
fail:
	pv_rollback(c);
	return -1;
}

int lwbs_provision_cmd_migrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dsn", required_argument, NULL, 'd'},
		{"dsn-file", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *dsn = NULL, *dsn_file = NULL;
	PGconn *c;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dsn = optarg; break;
		case 'f': dsn_file = optarg; break;
		case 'h':
			printf("usage: lwbsctl db migrate [--dsn-file FILE | --dsn DSN]\n"
			       "Without either, libpq's PG* environment or PGSERVICE is used.\n");
			return 0;
		default: return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "lwbsctl db migrate: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (!(c = pv_connect(dsn, dsn_file)))
		return 1;
	rc = migrate(c);
	PQfinish(c);
	return rc ? 1 : 0;
}
