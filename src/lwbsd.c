/* lwbsd — the LwM2M bootstrap server daemon (thin main; see src/daemon/). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/daemon.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: lwbsd [--check-config] -c FILE\n"
		   "       lwbsd --version | --help\n"
		   "\n"
		   "  -c, --config FILE   configuration file (YAML; see docs/lwbsd.md)\n"
		   "  -t, --check-config  validate the configuration and the provisioning files\n"
		   "                      it names, print \"ok\" and exit 0, or print one\n"
		   "                      \"file:line:col: message\" line and exit 1\n"
		   "  -V, --version       print the version\n"
		   "  -h, --help          print this help\n"
		   "\n"
		   "Signals: SIGTERM/SIGINT stop (sessions in progress get a short grace),\n"
		   "SIGHUP reloads the provisioning files and reopens the log file.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 't'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *conf = NULL;
	int check = 0, c;

	while ((c = getopt_long(argc, argv, "c:tVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'V':
			printf("lwbsd %s\n", LWBS_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!conf || optind != argc) {
		usage(stderr);
		return 2;
	}
	return check ? lwbs_daemon_check(conf) : lwbs_daemon_run(conf);
}
