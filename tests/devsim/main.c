/* lwbs-devsim — LwM2M device simulator (bootstrap client) and load
 * generator. See docs/devsim.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "devsim.h"
#include "discover.h"

static void usage(FILE *f)
{
	fputs("usage: lwbs-devsim --server coap://HOST:PORT --ep NAME [--lwm2m 1.0|1.1|1.2]\n"
	      "         [--pct N] [--pack [--accept N]] [--bs-iid N] [--fail-finish]\n"
	      "         [--mute-after N] [--local ADDR] [--timeout S]\n"
	      "       lwbs-devsim --server coap://HOST:PORT --load N [--duration T | --sessions K]\n"
	      "         [--ep-prefix P] [--endpoints M] [--local-base ADDR] [--warmup S]\n"
	      "         [--timeout S] [--lwm2m V] [--pct N] [--bs-iid N]\n"
	      "       lwbs-devsim --discover dns --imsi IMSI --mnc-len 2|3 --dns ADDR[:PORT]\n"
	      "         [--label L] [--suffix S] [--scheme coap|coaps] --ep NAME [single-device flags]\n"
	      "       coaps://HOST[:PORT] (single mode; --ep optional) with\n"
	      "         --psk-identity ID --psk-key hex:HEX|TEXT | --cert FILE --key FILE\n"
	      "         [--ca FILE] [--ciphers OPENSSL-CIPHER-LIST]\n"
	      "       coaps://HOST[:PORT] --load N (PSK) with --psk-identity-prefix P\n"
	      "         --psk-key hex:HEX|TEXT [--handshake-only] [--ciphers LIST] [load flags]\n",
	      f);
}

static int num(const char *name, const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "lwbs-devsim: bad value for --%s: %s\n", name, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

enum {
	O_SERVER = 1, O_EP, O_LWM2M, O_PCT, O_PACK, O_ACCEPT, O_BS_IID, O_FAIL_FINISH, O_MUTE,
	O_LOCAL, O_TIMEOUT, O_LOAD, O_DURATION, O_SESSIONS, O_EP_PREFIX, O_ENDPOINTS,
	O_LOCAL_BASE, O_WARMUP, O_DISCOVER, O_IMSI, O_MNC_LEN, O_DNS, O_LABEL, O_SUFFIX, O_SCHEME,
	O_PSK_IDENTITY, O_PSK_KEY, O_CERT, O_KEY, O_CA, O_CIPHERS, O_PSK_ID_PREFIX, O_HANDSHAKE_ONLY,
	O_HELP,
};

static const struct option longopts[] = {
	{"server", required_argument, NULL, O_SERVER},
	{"ep", required_argument, NULL, O_EP},
	{"lwm2m", required_argument, NULL, O_LWM2M},
	{"pct", required_argument, NULL, O_PCT},
	{"pack", no_argument, NULL, O_PACK},
	{"accept", required_argument, NULL, O_ACCEPT},
	{"bs-iid", required_argument, NULL, O_BS_IID},
	{"fail-finish", no_argument, NULL, O_FAIL_FINISH},
	{"mute-after", required_argument, NULL, O_MUTE},
	{"local", required_argument, NULL, O_LOCAL},
	{"timeout", required_argument, NULL, O_TIMEOUT},
	{"load", required_argument, NULL, O_LOAD},
	{"duration", required_argument, NULL, O_DURATION},
	{"sessions", required_argument, NULL, O_SESSIONS},
	{"ep-prefix", required_argument, NULL, O_EP_PREFIX},
	{"endpoints", required_argument, NULL, O_ENDPOINTS},
	{"local-base", required_argument, NULL, O_LOCAL_BASE},
	{"warmup", required_argument, NULL, O_WARMUP},
	{"discover", required_argument, NULL, O_DISCOVER},
	{"imsi", required_argument, NULL, O_IMSI},
	{"mnc-len", required_argument, NULL, O_MNC_LEN},
	{"dns", required_argument, NULL, O_DNS},
	{"label", required_argument, NULL, O_LABEL},
	{"suffix", required_argument, NULL, O_SUFFIX},
	{"scheme", required_argument, NULL, O_SCHEME},
	{"psk-identity", required_argument, NULL, O_PSK_IDENTITY},
	{"psk-key", required_argument, NULL, O_PSK_KEY},
	{"cert", required_argument, NULL, O_CERT},
	{"key", required_argument, NULL, O_KEY},
	{"ca", required_argument, NULL, O_CA},
	{"ciphers", required_argument, NULL, O_CIPHERS},
	{"psk-identity-prefix", required_argument, NULL, O_PSK_ID_PREFIX},
	{"handshake-only", no_argument, NULL, O_HANDSHAKE_ONLY},
	{"help", no_argument, NULL, O_HELP},
	{NULL, 0, NULL, 0},
};

/* --discover dns: find the server, then bootstrap as with --server (single
 * mode); a failed discovery is reported as JSON and exits 1. */
static int discover_and_run(struct devsim_opts *o, struct devsim_discover_conf *dc)
{
	struct devsim_discovery d;
	int r;

	dc->timeout = o->timeout;
	r = devsim_discover(dc, &d);
	if (r == -EINVAL) {
		fprintf(stderr, "lwbs-devsim: %s\n", d.reason);
		r = 2;
	} else if (r || lwbs_buf_err(&d.steps)) {
		if (!r)
			snprintf(d.reason, sizeof(d.reason), "out of memory");
		devsim_discovery_print_failure(&d, lwbs_version_str(o->version));
		r = 1;
	} else {
		o->server = o->discovered = d.uri;
		o->discovery_json = (const char *)d.steps.data;
		memcpy(&o->server_addr, &d.addr, d.addr_len);
		o->server_len = d.addr_len;
		r = devsim_single_run(o);
	}
	devsim_discovery_finish(&d);
	return r;
}

int main(int argc, char **argv)
{
	struct devsim_opts o = {
		.version = LWBS_V1_1,
		.pct = -1,
		.accept = 112,
		.ep_prefix = "dev-",
		.warmup = 2,
	};
	struct devsim_discover_conf dc = {
		.label = "bsf",
		.suffix = "pub.3gppnetwork.org",
		.scheme = "coap",
	};
	bool timeout_set = false, local_base_set = false, discover = false;
	const char *why;
	double v;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int rc = 0;
		switch (c) {
		case O_SERVER: o.server = optarg; break;
		case O_EP: o.ep = optarg; break;
		case O_LWM2M:
			if (lwbs_version_parse(optarg, &o.version)) {
				fprintf(stderr, "lwbs-devsim: --lwm2m must be 1.0, 1.1 or 1.2\n");
				return 2;
			}
			break;
		case O_PCT: rc = num("pct", optarg, 0, 65535, &v); o.pct = (int)v; break;
		case O_PACK: o.pack = true; break;
		case O_ACCEPT: rc = num("accept", optarg, 0, 65535, &v); o.accept = (int)v; break;
		case O_BS_IID: rc = num("bs-iid", optarg, 0, 65534, &v); o.bs_iid = (uint16_t)v; break;
		case O_FAIL_FINISH: o.fail_finish = true; break;
		case O_MUTE: rc = num("mute-after", optarg, 0, 1e9, &v); o.mute_after = (unsigned)v; break;
		case O_LOCAL: o.local = optarg; break;
		case O_TIMEOUT: rc = num("timeout", optarg, 0.001, 1e6, &o.timeout); timeout_set = true; break;
		case O_LOAD: rc = num("load", optarg, 1, 60000, &v); o.load = (unsigned)v; break;
		case O_DURATION: rc = num("duration", optarg, 0.001, 1e6, &o.duration); break;
		case O_SESSIONS: rc = num("sessions", optarg, 1, 1e12, &v); o.sessions = (unsigned long)v; break;
		case O_EP_PREFIX: o.ep_prefix = optarg; break;
		case O_ENDPOINTS: rc = num("endpoints", optarg, 1, 1e9, &v); o.endpoints = (unsigned)v; break;
		case O_LOCAL_BASE: o.local_base = optarg; local_base_set = true; break;
		case O_WARMUP: rc = num("warmup", optarg, 0, 1e6, &o.warmup); break;
		case O_DISCOVER:
			if (strcmp(optarg, "dns") != 0) {
				fprintf(stderr, "lwbs-devsim: --discover takes only dns\n");
				return 2;
			}
			discover = true;
			break;
		case O_IMSI: dc.imsi = optarg; break;
		case O_MNC_LEN: rc = num("mnc-len", optarg, 2, 3, &v); dc.mnc_len = (int)v; break;
		case O_DNS: dc.dns = optarg; break;
		case O_LABEL: dc.label = optarg; break;
		case O_SUFFIX: dc.suffix = optarg; break;
		case O_SCHEME: dc.scheme = optarg; break;
		case O_PSK_IDENTITY: o.dtls.psk_identity = optarg; break;
		case O_PSK_KEY:
			if (devsim_dtls_parse_key(optarg, o.dtls.psk_key, &o.dtls.psk_key_len)) {
				fprintf(stderr, "lwbs-devsim: --psk-key must be hex:HEX or text, 1..%d bytes\n",
					DEVSIM_PSK_MAX);
				return 2;
			}
			break;
		case O_CERT: o.dtls.cert = optarg; break;
		case O_KEY: o.dtls.key = optarg; break;
		case O_CA: o.dtls.ca = optarg; break;
		case O_CIPHERS: o.dtls.ciphers = optarg; break;
		case O_PSK_ID_PREFIX: o.psk_identity_prefix = optarg; break;
		case O_HANDSHAKE_ONLY: o.handshake_only = true; break;
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (rc)
			return 2;
	}
	if (o.psk_identity_prefix || o.handshake_only) {
		if (!o.load || !o.psk_identity_prefix || o.dtls.psk_identity || o.dtls.cert) {
			fprintf(stderr, "lwbs-devsim: --psk-identity-prefix (with --psk-key) and --handshake-only "
					"are for --load over coaps:// only\n");
			return 2;
		}
		o.dtls.psk_identity = o.psk_identity_prefix;
	}
	bool creds = o.dtls.psk_identity || o.dtls.cert;
	if (optind != argc || (!o.server == !discover) || (!o.load && !o.ep && !creds) ||
	    (discover && (!dc.imsi || !dc.mnc_len || !dc.dns || o.load))) {
		usage(stderr);
		return 2;
	}
	if (o.pack && o.version < LWBS_V1_2) {
		fprintf(stderr, "lwbs-devsim: --pack needs --lwm2m 1.2\n");
		return 2;
	}
	if (!discover && devsim_parse_server(&o, &why)) {
		fprintf(stderr, "lwbs-devsim: %s\n", why);
		return 2;
	}
	if (!!o.dtls.psk_identity != !!o.dtls.psk_key_len || !!o.dtls.cert != !!o.dtls.key ||
	    (o.dtls.psk_identity && o.dtls.cert)) {
		fprintf(stderr, "lwbs-devsim: give --psk-identity with --psk-key, or --cert with --key\n");
		return 2;
	}
	if (discover && creds) {
		fprintf(stderr, "lwbs-devsim: --discover bootstraps over coap:// only\n");
		return 2;
	}
	if (!discover && o.secure != creds) {
		fprintf(stderr, "lwbs-devsim: %s\n", o.secure ? "coaps:// needs --psk-identity/--psk-key or --cert/--key"
							  : "DTLS credentials need a coaps:// server");
		return 2;
	}
	if (o.tcp && o.load) {
		fprintf(stderr, "lwbs-devsim: --load runs over coap:// and coaps:// only\n");
		return 2;
	}
	if (o.secure && o.load && !o.psk_identity_prefix) {
		fprintf(stderr, "lwbs-devsim: --load over coaps:// takes --psk-identity-prefix and --psk-key\n");
		return 2;
	}
	if (!timeout_set)
		o.timeout = o.load ? 10 : 30;
	if (discover)
		return discover_and_run(&o, &dc);
	if (!o.load)
		return devsim_single_run(&o);
	if (!o.endpoints)
		o.endpoints = o.load;
	if (!o.duration && !o.sessions)
		o.duration = 10;
	/* Distinct loopback sources by default when the server is on loopback. */
	if (!local_base_set && o.server_addr.ss_family == AF_INET &&
	    ((const unsigned char *)&((const struct sockaddr_in *)&o.server_addr)->sin_addr)[0] == 127)
		o.local_base = "127.0.1.1";
	return devsim_load_run(&o);
}
