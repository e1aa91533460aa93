/* lwbsd — daemon wiring. */
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../coap/server.h"
#include "../coap/udp.h"
#include "../radius/listener.h"
#include "audit.h"
#include "conf.h"
#include "log.h"
#include "loop.h"
#include "lwbs/prov.h"
#include "lwbs/store_embedded.h"
#include "metrics.h"

#define ERR_CAP 512

struct daemon {
	struct lwbs_conf *conf;
	struct lwbs_loop *loop;
	struct lwbs_store *store;
	struct lwbs_audit *audit;
	struct lwbs_coap_server *coap; /* listeners with stack: libcoap, or NULL */
	struct lwbs_udp_server *udp;   /* listeners with stack: native, or NULL */
	struct lwbs_metrics_server *msrv;
	struct lwbs_radius_listener *radius; /* radius: section, or NULL */
	struct lwbs_metrics metrics;
	struct lwbs_loop_fd sig_src;
	int sigfd;
	struct lwbs_loop_timer grace;
	bool stopping;
};

static struct lwbs_store *open_store(const struct lwbs_conf *c, char *err, size_t cap)
{
	return lwbs_store_embedded_create((const char *const *)c->store_files, c->n_store_files, err, cap);
}

int lwbs_daemon_check(const char *conf_path)
{
	char err[ERR_CAP];
	struct lwbs_conf *c;
	struct lwbs_store *st;

	if (lwbs_conf_load(conf_path, &c, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	st = open_store(c, err, sizeof(err));
	lwbs_conf_destroy(c);
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	lwbs_store_destroy(st);
	printf("ok\n");
	return 0;
}

static void on_done(void *arg, const struct lwbs_audit_record *r)
{
	struct daemon *d = arg;
	char line[2048];
	size_t n = lwbs_log_format_session(r, line, sizeof(line));

	lwbs_audit_append(d->audit, r, line, n);
}

static size_t active_sessions(const struct daemon *d)
{
	return (d->coap ? lwbs_coap_server_active(d->coap) : 0) + (d->udp ? lwbs_udp_server_active(d->udp) : 0);
}

static void expire_all(struct daemon *d)
{
	if (d->coap)
		lwbs_coap_server_expire_all(d->coap);
	if (d->udp)
		lwbs_udp_server_expire_all(d->udp);
}

static void refresh_metrics(void *arg, struct lwbs_metrics *m)
{
	struct daemon *d = arg;

	m->sessions_active = active_sessions(d);
	m->audit_depth = lwbs_audit_depth(d->audit);
	m->audit_written = lwbs_audit_written(d->audit);
	m->audit_errors = lwbs_audit_errors(d->audit);
}

static void on_grace(void *arg)
{
	struct daemon *d = arg;
	size_t n = active_sessions(d);

	if (n)
		lwbs_log(LWBS_LOG_WARN, "shutdown: grace over, ending %zu sessions in progress", n);
	expire_all(d);
}

static void reload(struct daemon *d)
{
	char err[ERR_CAP];
	int r = lwbs_log_reopen();

	if (r)
		lwbs_log(LWBS_LOG_ERROR, "reload: cannot reopen the log file: %s", strerror(-r));
	r = d->store->ops->reload(d->store, err, sizeof(err));
	if (r) {
		d->metrics.reload_failures++;
		lwbs_log(LWBS_LOG_ERROR, "reload failed, old provisioning data kept: %s", err);
		return;
	}
	d->metrics.reloads++;
	lwbs_log(LWBS_LOG_INFO, "reload: %zu devices, %zu profiles",
		 lwbs_store_embedded_current(d->store)->n_devices,
		 lwbs_store_embedded_current(d->store)->n_profiles);
}

static void on_signal(void *arg, uint32_t events)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			lwbs_log(LWBS_LOG_INFO, "SIGHUP: reloading");
			reload(d);
		} else if (!d->stopping) {
			d->stopping = true;
			lwbs_log(LWBS_LOG_INFO, "%s: stopping, %zu sessions in progress (grace %u s)",
				 strsignal((int)si.ssi_signo), active_sessions(d), d->conf->shutdown_grace_s);
			if (d->coap)
				lwbs_coap_server_drain(d->coap);
			if (d->udp)
				lwbs_udp_server_drain(d->udp);
			lwbs_loop_timer_arm(d->loop, &d->grace, (int64_t)d->conf->shutdown_grace_s * 1000);
		} else {
			lwbs_log(LWBS_LOG_INFO, "second signal: ending sessions now");
			on_grace(d);
		}
	}
}

static void on_iteration(void *arg)
{
	struct daemon *d = arg;

	if (d->stopping && active_sessions(d) == 0)
		lwbs_loop_stop(d->loop);
	lwbs_audit_kick(d->audit);
	lwbs_radius_listener_kick(d->radius);
	lwbs_log_flush();
}

static int setup_signals(struct daemon *d, sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->sigfd < 0 ? -errno : 0;
}

static int start(struct daemon *d, char *err, size_t cap)
{
	struct lwbs_conf *c = d->conf;
	struct lwbs_coap_opts co = {0};
	int r;

	d->store = open_store(c, err, cap);
	if (!d->store)
		return -EINVAL;
	d->loop = lwbs_loop_create();
	if (!d->loop) {
		snprintf(err, cap, "event loop: %s", strerror(errno));
		return -errno;
	}
	lwbs_loop_timer_init(&d->grace, on_grace, d);
	r = lwbs_loop_add_fd(d->loop, &d->sig_src, d->sigfd, EPOLLIN, on_signal, d);
	if (r) {
		snprintf(err, cap, "epoll: %s", strerror(-r));
		return r;
	}
	r = lwbs_audit_create(d->loop, c->audit_file, c->audit_fsync, &d->audit, err, cap);
	if (r)
		return r;
	if (c->radius.enabled) {
		r = lwbs_radius_listener_create(d->loop, &c->radius, &d->radius, err, cap);
		if (r)
			return r;
	}
	co.loop = d->loop;
	co.store = d->store;
	co.metrics = &d->metrics;
	co.done = on_done;
	co.done_arg = d;
	co.session_timeout_ms = c->session_timeout_s * 1000;
	co.max_sessions = c->max_sessions;
	for (size_t i = 0; i < c->n_listeners; i++) {
		const struct lwbs_conf_listener *l = &c->listeners[i];
		bool native = l->stack == LWBS_CONF_STACK_NATIVE;
		char e[256];
		size_t got;

		if (native && !d->udp) {
			r = lwbs_udp_server_create(&co, &d->udp, err, cap);
			if (r)
				return r;
		} else if (!native && !d->coap) {
			lwbs_coap_set_log_level(c->coap_log_level);
			r = lwbs_coap_server_create(&co, &d->coap, err, cap);
			if (r)
				return r;
		}
		if (native)
			r = lwbs_udp_server_listen(d->udp, (const struct sockaddr *)&l->addr, l->addr_len,
						   l->receive_buffer, &got, e, sizeof(e));
		else
			r = lwbs_coap_server_listen(d->coap, (const struct sockaddr *)&l->addr, l->addr_len,
						    l->receive_buffer, &got, e, sizeof(e));
		if (r) {
			snprintf(err, cap, "%s: listener %s port %u: %s", c->path, l->address, l->port, e);
			return r;
		}
		if (got == 0)
			lwbs_log(LWBS_LOG_WARN, "listener %s port %u: socket not found, receive buffer not set",
				 l->address, l->port);
		else if (got < l->receive_buffer)
			lwbs_log(LWBS_LOG_WARN,
				 "listener %s port %u: kernel capped the receive buffer at %zu bytes "
				 "(wanted %zu; raise net.core.rmem_max)",
				 l->address, l->port, got, l->receive_buffer);
		lwbs_log(LWBS_LOG_INFO, "listening on udp %s port %u (%s stack, receive buffer %zu bytes%s)",
			 l->address, l->port, native ? "native" : "libcoap", got, l->trusted ? ", trusted" : "");
	}
	if (c->metrics) {
		r = lwbs_metrics_server_create(d->loop, (const struct sockaddr *)&c->metrics_addr,
					       c->metrics_addr_len, &d->metrics, refresh_metrics, d, &d->msrv);
		if (r) {
			snprintf(err, cap, "%s: metrics listen %s: %s", c->path, c->metrics_listen, strerror(-r));
			return r;
		}
		lwbs_log(LWBS_LOG_INFO, "metrics on http://%s/metrics", c->metrics_listen);
	}
	return 0;
}

static void stop(struct daemon *d)
{
	lwbs_metrics_server_destroy(d->msrv);
	/* sessions still running end as timed out and release their plans */
	lwbs_coap_server_destroy(d->coap);
	lwbs_udp_server_destroy(d->udp);
	lwbs_audit_destroy(d->audit); /* writes what is queued, then the log lines */
	lwbs_radius_listener_destroy(d->radius); /* answers the batch being written */
	if (d->loop)
		lwbs_loop_timer_cancel(d->loop, &d->grace);
	lwbs_store_destroy(d->store);
	lwbs_loop_destroy(d->loop);
	if (d->sigfd >= 0)
		close(d->sigfd);
}

int lwbs_daemon_run(const char *conf_path)
{
	struct daemon d = {.sigfd = -1};
	char err[ERR_CAP];
	sigset_t set;
	int r, status = 0;

	if (lwbs_conf_load(conf_path, &d.conf, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	r = lwbs_log_open(d.conf->log_file, d.conf->log_json, (enum lwbs_log_level)d.conf->log_level);
	if (r) {
		fprintf(stderr, "%s: log file %s: %s\n", conf_path, d.conf->log_file, strerror(-r));
		lwbs_conf_destroy(d.conf);
		return 1;
	}
	r = setup_signals(&d, &set);
	if (r) {
		fprintf(stderr, "signals: %s\n", strerror(-r));
		status = 1;
		goto out;
	}
	r = start(&d, err, sizeof(err));
	if (r) {
		lwbs_log(LWBS_LOG_ERROR, "%s", err);
		status = 1;
		goto out;
	}
	lwbs_log(LWBS_LOG_INFO, "lwbsd %s ready: %zu devices, %zu profiles, session timeout %u s", LWBS_VERSION,
		 lwbs_store_embedded_current(d.store)->n_devices, lwbs_store_embedded_current(d.store)->n_profiles,
		 d.conf->session_timeout_s);
	lwbs_log_flush();
	lwbs_loop_set_hook(d.loop, on_iteration, &d);
	r = lwbs_loop_run(d.loop);
	if (r) {
		lwbs_log(LWBS_LOG_ERROR, "event loop: %s", strerror(-r));
		status = 1;
	}
out:
	stop(&d);
	lwbs_log(LWBS_LOG_INFO, "lwbsd stopped");
	lwbs_log_close();
	lwbs_conf_destroy(d.conf);
	return status;
}
