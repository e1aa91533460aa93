/* lwbs-dhcpd — answers DHCPINFORM and DHCPv6 Information-request with the
 * LwM2M bootstrap-server URI. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcpd.h"

static void usage(FILE *f)
{
	fputs("usage: lwbs-dhcpd [-c FILE] [--check-config]\n"
	      "  -c, --config FILE   configuration (default /etc/lwbs/lwbs-dhcpd.yaml)\n"
	      "      --check-config  load the configuration, report errors, exit\n"
	      "signals: SIGHUP reloads, SIGUSR1 prints the counters, SIGTERM/SIGINT stop\n",
	      f);
}

static void refresh(void *ctx)
{
	dhcpd_subs_refresh(ctx, DHCPD_SUBS_REFRESH_BYTES);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *path = "/etc/lwbs/lwbs-dhcpd.yaml";
	int check = 0, ch;
	char err[512];

	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'k': check = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	struct dhcpd_conf conf;
	dhcpd_conf_defaults(&conf);
	if (dhcpd_conf_load(path, &conf, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: ok\n", path);
		return 0;
	}
	struct dhcpd *d = dhcpd_create(&conf, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "lwbs-dhcpd: %s\n", err);
		return 1;
	}
	struct dhcpd_subs *subs = NULL;
	if (conf.subs.journal[0]) {
		subs = dhcpd_subs_create(&conf.subs, err, sizeof(err));
		if (!subs) {
			fprintf(stderr, "lwbs-dhcpd: %s\n", err);
			dhcpd_destroy(d);
			return 1;
		}
		struct dhcpd_subs_stats st;
		dhcpd_subs_stats(subs, &st);
		fprintf(stderr, "lwbs-dhcpd: subscribers: %zu bindings from %s, %u PLMN URIs\n",
			st.bindings, conf.subs.journal, conf.subs.n_plmn);
		dhcpd_set_uri_lookup(d, dhcpd_subs_lookup, subs);
		dhcpd_set_tick(d, conf.subs.refresh, refresh, subs);
	}
	fprintf(stderr, "lwbs-dhcpd: serving %s\n", conf.uri);
	int rc = dhcpd_run(d, path);
	dhcpd_destroy(d);
	dhcpd_subs_destroy(subs);
	return rc ? 1 : 0;
}
