/* lwbsctl — the operator's command-line tool. One table line per command;
 * each command parses its own options (argv[0] = its name). */
#include <stdio.h>
#include <string.h>

#include "dns_cmd.h"
#include "lwbs/provision.h"
#include "../radius/radius_cmd.h"

struct command {
	const char *word1, *word2; /* "zone", "generate" */
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"zone", "generate", lwbs_dns_cmd_zone_generate,
	 "--plmns FILE --out DIR [--date YYYYMMDD] [--zone-dir PATH]  write DNS zone files"},
	{"dns", "check", lwbs_dns_cmd_check,
	 "--server ADDR[:PORT] --plmns FILE [--timeout S]  compare a DNS server with the zones"},
	{"db", "migrate", lwbs_provision_cmd_migrate, "[--dsn-file FILE]  create or update the PostgreSQL schema"},
	{"provision", "validate", lwbs_provision_cmd_validate, "FILE...  check provisioning YAML (no database)"},
	{"provision", "diff", lwbs_provision_cmd_diff, "[--dsn-file FILE] [--prune BATCH] FILE...  what apply would change"},
	{"provision", "apply", lwbs_provision_cmd_apply, "[--dsn-file FILE] [--prune BATCH] FILE...  write YAML into PostgreSQL"},
	{"provision", "export", lwbs_provision_cmd_export, "[--dsn-file FILE] [--batch B] [--show-secrets]  stored data as YAML"},
	{"radius", "import", lwbs_radius_cmd_import, "--journal PATH | --dsn-file F  FILE...  FreeRADIUS detail files into the bindings"},
	{"radius", "show", lwbs_radius_cmd_show, "--journal PATH [ADDRESS]  bindings held by the journal"},
	{"credentials", "export", lwbs_provision_cmd_credentials_export,
	 "--state FILE | --dsn-file F  [--format leshan|csv] [--ssid N]  generated DM credentials for the DM server"},
};

static int help(FILE *f)
{
	fprintf(f, "usage: lwbsctl COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s %s %s\n", commands[i].word1, commands[i].word2, commands[i].summary);
	fprintf(f, "  help\n\n'lwbsctl COMMAND --help' shows a command's usage.\n");
	return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return help(stderr);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help(stdout);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];
		if (argc >= 3 && !strcmp(argv[1], c->word1) && !strcmp(argv[2], c->word2))
			return c->run(argc - 2, argv + 2);
	}
	fprintf(stderr, "lwbsctl: unknown command \"%s%s%s\"\n", argv[1], argc >= 3 ? " " : "",
		argc >= 3 ? argv[2] : "");
	return help(stderr);
}
