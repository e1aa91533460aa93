/* lwbs — lwbsctl commands of the dns/ folder (not pure: files, clock,
 * network). Each takes argv with argv[0] = the command's name and returns
 * the process exit status. */
#ifndef LWBS_DNS_DNS_CMD_H
#define LWBS_DNS_DNS_CMD_H

#include "lwbs/dns.h"

/* lwbsctl zone generate --plmns FILE --out DIR [--date YYYYMMDD] [--zone-dir PATH] */
int lwbs_dns_cmd_zone_generate(int argc, char **argv);
/* lwbsctl dns check --server ADDR[:PORT] --plmns FILE [--timeout SECONDS] */
int lwbs_dns_cmd_check(int argc, char **argv);

/* Reads and parses the PLMN file; on error prints one line
 * ("file:line:column: message" or "file: reason") to stderr. */
int lwbs_dns_load_plmns(const char *path, struct lwbs_arena *a, struct lwbs_dns_input *in);

#endif
