/* lwbs provisioning — `lwbsctl provision export`: the stored profiles and
 * devices as YAML that `apply` takes back unchanged. Each profile and
 * device is one line, a JSON object (JSON is YAML). Secrets are written
 * as "redacted" unless --show-secrets. Devices are split into documents
 * of 50,000 to bound the loader's memory when the file is read back.
 *
 * Without --batch the auto-enrolment templates are written too (as
 * `templates:`, so that apply replaces the stored list with them). Devices
 * lwbsd enrolled from a template are not written: they are state made at
 * bootstrap, like their generated credentials (lwbsctl credentials
 * export), not provisioning input; the header says how many there are. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/provision.h"
#include "pv.h"

#define DEVICES_PER_DOC 50000

/* The secrets of a row as [{"p": path, "v": value}], the value "redacted"
 * unless shown. */
#define SECRETS_SQL(table, col, id, show)                                                                  \
	"(SELECT jsonb_agg(jsonb_build_object('p', to_jsonb(x.path), 'v', " show ")) FROM " table " x WHERE x." col \
	" = " id ")"
#define SHOWN "CASE WHEN x.is_text THEN to_jsonb(convert_from(x.secret, 'UTF8')) " \
	      "ELSE to_jsonb('hex:' || encode(x.secret, 'hex')) END"
#define HIDDEN "to_jsonb('redacted'::text)"

static int copy_out(PGconn *c, const char *sql, FILE *out, const char *prefix, size_t per_doc, const char *header,
		    size_t *count)
{
	PGresult *r = PQexec(c, sql);
	char *line;
	int n;
	size_t k = 0;

	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		fprintf(stderr, "lwbsctl: export: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	while ((n = PQgetCopyData(c, &line, 0)) > 0) {
		/* one jsonb column, COPY text escaping: \\ and \n etc. */
		if (per_doc && k && k % per_doc == 0)
			fprintf(out, "---\n%s", header);
		fputs(prefix, out);
		for (int i = 0; i < n; i++) {
			if (line[i] == '\\' && i + 1 < n) {
				char e = line[++i];
				fputc(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e, out);
			} else {
				fputc(line[i], out);
			}
		}
		explicit_bzero(line, (size_t)n);
		PQfreemem(line);
		k++;
	}
	while ((r = PQgetResult(c))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "lwbsctl: export: %s", PQresultErrorMessage(r));
			PQclear(r);
			return -1;
		}
		PQclear(r);
	}
	*count = k;
	return 0;
}

static int export(PGconn *c, const char *batch, bool show, FILE *out)
{
	char *lit = NULL, *sql = NULL;
	size_t np = 0, nd = 0, nt = 0;
	long enrolled = 0;
	PGresult *res;
	int rc = -1;
	const char *secret = show ? SHOWN : HIDDEN;

	if (batch && !(lit = PQescapeLiteral(c, batch, strlen(batch)))) {
		fprintf(stderr, "lwbsctl: export: %s", PQerrorMessage(c));
		return -1;
	}
	if (pv_exec(c, "begin", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
		goto out;
	if (pv_query(c, "export", "SELECT count(*) FROM devices WHERE enrolled_at IS NOT NULL", 0, NULL, &res))
		goto out;
	enrolled = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	fprintf(out, "# lwbs provisioning export%s%s%s\n", batch ? " (batch " : "", batch ? batch : "",
		batch ? ")" : "");
	if (enrolled && !batch)
		fprintf(out, "# not exported: %ld devices lwbsd enrolled from templates (state, not provisioning)\n",
			enrolled);
	fputs("profiles:\n", out);
	if (asprintf(&sql,
		     "COPY (SELECT lwbs_unredact(p.doc, " SECRETS_SQL("profile_secrets", "profile_id", "p.id", "%s")
		     ") FROM profiles p %s%s%s ORDER BY p.name) TO STDOUT",
		     secret, batch ? "WHERE p.id IN (SELECT profile_id FROM devices WHERE batch = " : "",
		     batch ? lit : "", batch ? ")" : "") < 0)
		goto out;
	if (copy_out(c, sql, out, "  - ", 0, "", &np))
		goto out;
	free(sql);
	sql = NULL;
	if (!batch) {
		fputs("templates:\n", out);
		if (copy_out(c,
			     "COPY (SELECT jsonb_strip_nulls(jsonb_build_object('plmn', t.plmn, 'apn', t.apn, "
			     "'profile', p.name)) FROM templates t JOIN profiles p ON p.id = t.profile_id "
			     "ORDER BY t.position) TO STDOUT",
			     out, "  - ", 0, "", &nt))
			goto out;
	}
	fputs("devices:\n", out);
	if (asprintf(&sql,
		     "COPY (SELECT lwbs_unredact(jsonb_strip_nulls(jsonb_build_object('endpoint', d.endpoint, "
		     "'profile', p.name, 'batch', d.batch, 'overrides', d.overrides)) || coalesce(i.ids, '{}'), "
		     SECRETS_SQL("device_credentials", "device_id", "d.id", "%s") ") "
		     "FROM devices d JOIN profiles p ON p.id = d.profile_id "
		     "LEFT JOIN (SELECT device_id, jsonb_object_agg(CASE kind WHEN 'psk_id' THEN 'psk_identity' "
		     "WHEN 'imei' THEN CASE WHEN length(value) = 16 THEN 'imeisv' ELSE 'imei' END ELSE kind END, "
		     "value) AS ids FROM device_identities GROUP BY device_id) i ON i.device_id = d.id "
		     "WHERE d.enrolled_at IS NULL %s%s ORDER BY d.endpoint) TO STDOUT",
		     secret, batch ? "AND d.batch = " : "", batch ? lit : "") < 0)
		goto out;
	if (copy_out(c, sql, out, "  - ", DEVICES_PER_DOC, "devices:\n", &nd))
		goto out;
	pv_exec(c, "commit", "COMMIT");
	if (fflush(out) || ferror(out)) {
		fprintf(stderr, "lwbsctl: export: write error\n");
		goto out;
	}
	fprintf(stderr, "exported %zu profiles, %zu devices%s", np, nd, show ? " (with secrets)" : "");
	if (!batch)
		fprintf(stderr, ", %zu templates", nt);
	if (enrolled && !batch)
		fprintf(stderr, "; %ld enrolled devices not exported", enrolled);
	fputc('\n', stderr);
	rc = 0;
out:
	if (rc)
		pv_rollback(c);
	free(sql);
	PQfreemem(lit);
	return rc;
}

int lwbs_provision_cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dsn", required_argument, NULL, 'd'},
		{"dsn-file", required_argument, NULL, 'f'},
		{"batch", required_argument, NULL, 'b'},
		{"show-secrets", no_argument, NULL, 's'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *dsn = NULL, *dsn_file = NULL, *batch = NULL, *path = NULL;
	bool show = false;
	FILE *out = stdout;
	PGconn *c;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dsn = optarg; break;
		case 'f': dsn_file = optarg; break;
		case 'b': batch = optarg; break;
		case 's': show = true; break;
		case 'o': path = optarg; break;
		case 'h':
			printf("usage: lwbsctl provision export [--dsn-file FILE | --dsn DSN] [--batch B] [--show-secrets]"
			       " [--out FILE]\nWrites YAML that 'lwbsctl provision apply' accepts; secrets are"
			       " \"redacted\" unless --show-secrets.\n");
			return 0;
		default: return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "lwbsctl provision export: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (path && !(out = fopen(path, "w"))) {
		perror(path);
		return 1;
	}
	if (!(c = pv_connect(dsn, dsn_file))) {
		if (path)
			fclose(out);
		return 1;
	}
	rc = export(c, batch, show, out);
	PQfinish(c);
	if (path && fclose(out))
		rc = -1;
	return rc ? 1 : 0;
}
