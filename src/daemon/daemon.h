/* lwbsd — the daemon: wires configuration, store, CoAP front end, audit,
 * log, metrics and signals to one event loop. */
#ifndef LWBSD_DAEMON_H
#define LWBSD_DAEMON_H

/* --check-config: loads the configuration and the provisioning files it
 * names; prints "ok" (exit status 0) or one "file:line:col: message" line
 * on stderr (1). */
int lwbs_daemon_check(const char *conf_path);

/* Runs until SIGTERM/SIGINT; returns the exit status. */
int lwbs_daemon_run(const char *conf_path);

#endif
