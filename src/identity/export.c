/* lwbs — `lwbsctl credentials export`: the generated DM credentials of the
 * embedded store's state journal, for the DM server.
 *
 *   --format leshan  a JSON array of Leshan security entries,
 *                    {"endpoint": E, "psk": {"identity": I, "key": HEX}}
 *                    (the shape of the Leshan server demo's security API)
 *   --format csv     endpoint,ssid,psk_identity,psk_key_hex (RFC 4180)
 *
 * The output holds keys: it goes to stdout only, for the operator to pipe
 * into the DM server's provisioning. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwbs/identity.h"
#include "lwbs/store_state.h"

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

static void hex(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

static int usage(FILE *f)
{
	fprintf(f, "usage: lwbsctl credentials export --state FILE [--format leshan|csv] [--ssid N]\n");
	return f == stdout ? 0 : 2;
}

int lwbs_identity_cmd_credentials_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"state", required_argument, NULL, 's'}, {"format", required_argument, NULL, 'f'},
		{"ssid", required_argument, NULL, 'i'},  {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *state = NULL, *format = "leshan";
	struct lwbs_store_state *st;
	long ssid = 0;
	char err[512];
	bool first = true;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'f': format = optarg; break;
		case 'i': {
			char *end;
			ssid = strtol(optarg, &end, 10);
			if (*end || ssid < 1 || ssid > 65534) {
				fprintf(stderr, "lwbsctl: --ssid: 1..65534\n");
				return 2;
			}
			break;
		}
		case 'h': return usage(stdout);
		default: return usage(stderr);
		}
	}
	if (!state || optind != argc || (strcmp(format, "leshan") && strcmp(format, "csv")))
		return usage(stderr);
	if (lwbs_store_state_read(state, &st, err, sizeof(err))) {
		fprintf(stderr, "lwbsctl: %s\n", err);
		return 1;
	}
	if (!strcmp(format, "csv"))
		printf("endpoint,ssid,psk_identity,psk_key\n");
	else
		printf("[");
	for (size_t i = 0; i < lwbs_store_state_n_creds(st); i++) {
		const struct lwbs_store_state_cred *cr = lwbs_store_state_cred_at(st, i);
		if (ssid && cr->ssid != ssid)
			continue;
		if (!strcmp(format, "csv")) {
			csv_str(stdout, cr->endpoint);
			printf(",%u,", cr->ssid);
			csv_str(stdout, cr->identity);
			putchar(',');
			hex(stdout, cr->key, cr->key_len);
			putchar('\n');
		} else {
			printf("%s\n  {\"endpoint\": ", first ? "" : ",");
			json_str(stdout, cr->endpoint);
			printf(", \"psk\": {\"identity\": ");
			json_str(stdout, cr->identity);
			printf(", \"key\": \"");
			hex(stdout, cr->key, cr->key_len);
			printf("\"}}");
		}
		first = false;
	}
	if (strcmp(format, "csv"))
		printf("%s]\n", first ? "" : "\n");
	lwbs_store_state_destroy(st);
	return fflush(stdout) ? 1 : 0;
}
