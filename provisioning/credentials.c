/* lwbs — `lwbsctl credentials export`: the DM credentials lwbs generated
 * (docs/identity.md), for the DM server, read from the embedded store's
 * state journal (--state) or from PostgreSQL's generated_credentials
 * (--dsn-file / --dsn), in the order they were first generated.
 *
 *   --format leshan  a JSON array of Leshan security entries,
 *                    {"endpoint": E, "psk": {"identity": I, "key": HEX}}
 *                    (the shape of the Leshan server demo's security API)
 *   --format csv     endpoint,ssid,psk_identity,psk_key_hex (RFC 4180)
 *
 * The output holds keys: exporting them is what the command is for, so it
 * needs no further flag; it goes to stdout only, for the operator to pipe
 * into the DM server's provisioning. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/provision.h"
#include "lwbs/store_state.h"
#include "pv.h"

struct out {
	bool csv;
	bool first;
};

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void begin(struct out *o)
{
	o->first = true;
	if (o->csv)
		printf("endpoint,ssid,psk_identity,psk_key\n");
	else
		printf("[");
}

/* One entry; key_hex in lower-case hex. */
static void entry(struct out *o, const char *endpoint, unsigned ssid, const char *identity, const char *key_hex)
{
	if (o->csv) {
		csv_str(stdout, endpoint);
		printf(",%u,", ssid);
		csv_str(stdout, identity);
		printf(",%s\n", key_hex);
	} else {
		printf("%s\n  {\"endpoint\": ", o->first ? "" : ",");
		json_str(stdout, endpoint);
		printf(", \"psk\": {\"identity\": ");
		json_str(stdout, identity);
		printf(", \"key\": \"%s\"}}", key_hex);
	}
	o->first = false;
}

static void end(struct out *o)
{
	if (!o->csv)
		printf("%s]\n", o->first ? "" : "\n");
}

static int from_journal(struct out *o, const char *path, long ssid)
{
	static const char digits[] = "0123456789abcdef";
	struct lwbs_store_state *st;
	char err[512], key[2 * 64 + 1];

	if (lwbs_store_state_read(path, &st, err, sizeof(err))) {
		fprintf(stderr, "lwbsctl: %s\n", err);
		return 1;
	}
	begin(o);
	for (size_t i = 0; i < lwbs_store_state_n_creds(st); i++) {
		const struct lwbs_store_state_cred *cr = lwbs_store_state_cred_at(st, i);
		size_t n = cr->key_len < 64 ? cr->key_len : 64;
		if (ssid && cr->ssid != ssid)
			continue;
		for (size_t k = 0; k < n; k++) {
			key[2 * k] = digits[cr->key[k] >> 4];
			key[2 * k + 1] = digits[cr->key[k] & 15];
		}
		key[2 * n] = 0;
		entry(o, cr->endpoint, cr->ssid, cr->identity, key);
	}
	explicit_bzero(key, sizeof(key));
	end(o);
	lwbs_store_state_destroy(st);
	return 0;
}

static int from_postgres(struct out *o, const char *dsn, const char *dsn_file, long ssid)
{
	char ssid_text[16];
	const char *params[1] = {ssid_text};
	PGconn *c = pv_connect(dsn, dsn_file);
	PGresult *r;

	if (!c)
		return 1;
	snprintf(ssid_text, sizeof(ssid_text), "%ld", ssid);
	if (pv_query(c, "generated credentials",
		     "SELECT d.endpoint, g.ssid, g.psk_identity, encode(g.psk_key, 'hex') FROM generated_credentials g "
		     "JOIN devices d ON d.id = g.device_id WHERE $1::integer = 0 OR g.ssid = $1::integer "
		     "ORDER BY g.created_at, g.device_id, g.ssid",
		     1, params, &r)) {
		PQfinish(c);
		return 1;
	}
	begin(o);
	for (int i = 0; i < PQntuples(r); i++) {
		entry(o, PQgetvalue(r, i, 0), (unsigned)strtoul(PQgetvalue(r, i, 1), NULL, 10), PQgetvalue(r, i, 2),
		      PQgetvalue(r, i, 3));
		explicit_bzero(PQgetvalue(r, i, 3), (size_t)PQgetlength(r, i, 3));
	}
	end(o);
	PQclear(r);
	PQfinish(c);
	return 0;
}

static int usage(FILE *f)
{
	fprintf(f, "usage: lwbsctl credentials export (--state FILE | --dsn-file FILE | --dsn DSN)"
		   " [--format leshan|csv] [--ssid N]\n"
		   "Writes the generated DM credentials, keys included, to stdout.\n");
	return f == stdout ? 0 : 2;
}

int lwbs_provision_cmd_credentials_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state", required_argument, NULL, 's'},    {"format", required_argument, NULL, 'f'},
		{"ssid", required_argument, NULL, 'i'},     {"dsn", required_argument, NULL, 'd'},
		{"dsn-file", required_argument, NULL, 'D'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *state = NULL, *format = "leshan", *dsn = NULL, *dsn_file = NULL;
	struct out o = {0};
	long ssid = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'f': format = optarg; break;
		case 'd': dsn = optarg; break;
		case 'D': dsn_file = optarg; break;
		case 'i': {
			char *tail;
			ssid = strtol(optarg, &tail, 10);
			if (*tail || ssid < 1 || ssid > 65534) {
				fprintf(stderr, "lwbsctl: --ssid: 1..65534\n");
				return 2;
			}
			break;
		}
		case 'h': return usage(stdout);
		default: return usage(stderr);
		}
	}
	/* exactly one source */
	if (!state == !(dsn || dsn_file) || (dsn && dsn_file) || optind != argc ||
	    (strcmp(format, "leshan") && strcmp(format, "csv")))
		return usage(stderr);
	o.csv = !strcmp(format, "csv");
	rc = state ? from_journal(&o, state, ssid) : from_postgres(&o, dsn, dsn_file, ssid);
	if (rc)
		return rc;
	return fflush(stdout) ? 1 : 0;
}
