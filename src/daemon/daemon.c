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

#include "../coap/dtls.h"
#include "../coap/server.h"
#include "../coap/srclimit.h"
#include "../coap/udp.h"
#include "../radius/listener.h"
#include "audit.h"
#include "conf.h"
#include "log.h"
#include "loop.h"
#include "lwbs/prov.h"
#include "lwbs/identity.h"
#include "lwbs/store_embedded.h"
#include "lwbs/store_pg.h"
#include "metrics.h"

#define ERR_CAP 512
#define PG_FDS_MAX 64 /* store.pool's maximum */
#define STORE_FLUSH_MS 2000 /* after the grace: for the records of the sessions it ended */

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
	bool dtls_ready; /* DTLS set up on the libcoap server */

	/* PostgreSQL store: its sockets as registered with the loop */
	bool pg;
	struct lwbs_loop_fd pg_src[PG_FDS_MAX];
	struct lwbs_store_pg_fd pg_fds[PG_FDS_MAX];
	size_t n_pg_fds;
	bool pg_settled; /* every connection was up at the last sync */
	struct lwbs_loop_timer pg_timer;
	unsigned long long store_audit_written, store_audit_errors;
	bool sessions_ended; /* grace over: sessions ended, store flushing */
	bool grace_over;     /* and the store's time to flush too */

	/* trusted NoSec listeners: policies and resolvers (per listener) */
	struct lwbs_identity_policy *policies;
	struct lwbs_identity_resolver *resolvers;
};

static struct lwbs_store *open_store(const struct lwbs_conf *c, char *err, size_t cap)
{
	struct lwbs_store_pg_config pc = {
		.dsn_file = c->pg_dsn_file,
		.password_file = c->pg_password_file,
		.pool_size = c->pg_pool,
		.queue_max = c->pg_queue,
		.audit_queue_max = c->audit_queue,
		.statement_timeout_ms = c->pg_statement_timeout_ms,
		.connect_timeout_ms = c->pg_connect_timeout_ms,
		.lookup_timeout_ms = c->pg_lookup_timeout_ms,
	};
	struct lwbs_store *s;

	if (c->store_type == LWBS_CONF_STORE_POSTGRESQL)
		return lwbs_store_pg_create(&pc, err, cap);
	s = lwbs_store_embedded_create((const char *const *)c->store_files, c->n_store_files, err, cap);
	if (s && c->state_journal && lwbs_store_embedded_open_state(s, c->state_journal, err, cap)) {
		lwbs_store_destroy(s);
		return NULL;
	}
	return s;
}

/* "N devices, M profiles" or the PostgreSQL pool's state. */
static void describe_store(struct lwbs_store *s, bool pg, char *out, size_t cap)
{
	struct lwbs_store_pg_stats st;

	if (!pg) {
		snprintf(out, cap, "%zu devices, %zu profiles", lwbs_store_embedded_current(s)->n_devices,
			 lwbs_store_embedded_current(s)->n_profiles);
		return;
	}
	lwbs_store_pg_stats(s, &st);
	snprintf(out, cap, "postgresql store, %u connections", st.pool);
}

/* ---- the PostgreSQL store's sockets in the loop ---- */

static void pg_process(void *arg)
{
	struct daemon *d = arg;

	lwbs_store_pg_process(d->store, lwbs_store_pg_now_ms());
}

static void on_pg_fd(void *arg, uint32_t events)
{
	(void)events;
	pg_process(arg);
}

/* Watches fd as the store's i-th socket: ADD, or MOD when the number is
 * still registered. */
static void pg_watch(struct daemon *d, size_t i, int fd, short events)
{
	int r = lwbs_loop_add_fd(d->loop, &d->pg_src[i], fd, (uint32_t)events, on_pg_fd, d);

	if (r == -EEXIST)
		r = lwbs_loop_mod_fd(d->loop, &d->pg_src[i], (uint32_t)events);
	if (r)
		lwbs_log(LWBS_LOG_ERROR, "postgresql: cannot watch fd %d: %s", fd, strerror(-r));
}

/* Called once per loop iteration: the store's fds and events may have
 * changed with any call into it. A socket that is no longer listed has been
 * closed, which took it out of the epoll set: it is not deleted (its number
 * may already belong to someone else's new descriptor). While a connection
 * is being set up its socket may be replaced by one with the same number,
 * so every listed fd is watched again then; with every connection up only
 * changed events are applied. */
static void pg_sync(struct daemon *d)
{
	struct lwbs_store_pg_fd now[PG_FDS_MAX];
	struct lwbs_store_pg_stats st;
	size_t n = lwbs_store_pg_fds(d->store, now, PG_FDS_MAX);
	bool settled;
	int t;

	lwbs_store_pg_stats(d->store, &st);
	settled = st.connected == st.pool;
	for (size_t i = 0; i < n; i++) {
		bool known = settled && d->pg_settled && i < d->n_pg_fds && d->pg_fds[i].fd == now[i].fd;

		if (!known)
			pg_watch(d, i, now[i].fd, now[i].events);
		else if (now[i].events != d->pg_fds[i].events)
			lwbs_loop_mod_fd(d->loop, &d->pg_src[i], (uint32_t)now[i].events);
	}
	memcpy(d->pg_fds, now, n * sizeof(now[0]));
	d->n_pg_fds = n;
	d->pg_settled = settled;
	t = lwbs_store_pg_next_timeout_ms(d->store, lwbs_store_pg_now_ms());
	if (t >= 0)
		lwbs_loop_timer_arm(d->loop, &d->pg_timer, t);
	else
		lwbs_loop_timer_cancel(d->loop, &d->pg_timer);
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
	for (size_t i = 0; i < c->n_listeners; i++) {
		const struct lwbs_conf_x509 *x = &c->listeners[i].x509;
		struct lwbs_dtls_conf dc = {.cert_file = x->cert, .key_file = x->key, .ca_file = x->ca};

		if (x->cert && lwbs_dtls_check_files(&dc, err, sizeof(err))) {
			fprintf(stderr, "%s: listener %s port %u: %s\n", c->path, c->listeners[i].address,
				c->listeners[i].port, err);
			lwbs_conf_destroy(c);
			return 1;
		}
	}
	st = open_store(c, err, sizeof(err));
	lwbs_conf_destroy(c);
	/* a postgresql store has only read its files and checked the DSN here */
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	lwbs_store_destroy(st);
	printf("ok\n");
	return 0;
}

/* A record on its way to the store: a copy, so that a batch lost with its
 * connection can be sent again (at least once: a batch that committed just
 * before the connection dropped is stored twice). */
struct store_audit {
	struct daemon *d;
	unsigned tries;
	struct lwbs_audit_record r;
	char strings[];
};

#define STORE_AUDIT_TRIES 5

static const char *copy_str(char **pos, const char *s)
{
	char *out = *pos;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	memcpy(out, s, n);
	*pos += n;
	return out;
}

static void on_store_audit(void *arg, int err);

static void store_audit_send(struct store_audit *a)
{
	struct daemon *d = a->d;
	int e;

	a->tries++;
	e = d->store->ops->audit(d->store, &a->r, on_store_audit, a);
	if (e) {
		d->store_audit_errors++;
		lwbs_log(LWBS_LOG_ERROR, "audit: record of %s not queued for the store: %s", a->r.peer,
			 strerror(-e));
		free(a);
	}
}

static void on_store_audit(void *arg, int err)
{
	struct store_audit *a = arg;
	struct daemon *d = a->d;

	if (!err) {
		d->store_audit_written++;
		free(a);
		return;
	}
	if (a->tries < STORE_AUDIT_TRIES) {
		store_audit_send(a);
		return;
	}
	d->store_audit_errors++;
	lwbs_log(LWBS_LOG_ERROR, "audit: record of %s not stored after %u tries: %s", a->r.peer, a->tries,
		 strerror(-err));
	free(a);
}

static void store_audit(struct daemon *d, const struct lwbs_audit_record *r)
{
	const char *f[] = {r->endpoint, r->peer, r->transport, r->version, r->format, r->result, r->reason,
			   r->diagnostic};
	size_t n = 0;
	struct store_audit *a;
	char *pos;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		n += f[i] ? strlen(f[i]) + 1 : 0;
	a = malloc(sizeof(*a) + n);
	if (!a) {
		d->store_audit_errors++;
		lwbs_log(LWBS_LOG_ERROR, "audit: out of memory for the record of %s", r->peer);
		return;
	}
	a->d = d;
	a->tries = 0;
	a->r = *r;
	pos = a->strings;
	a->r.endpoint = copy_str(&pos, r->endpoint);
	a->r.peer = copy_str(&pos, r->peer);
	a->r.transport = copy_str(&pos, r->transport);
	a->r.version = copy_str(&pos, r->version);
	a->r.format = copy_str(&pos, r->format);
	a->r.result = copy_str(&pos, r->result);
	a->r.reason = copy_str(&pos, r->reason);
	a->r.diagnostic = copy_str(&pos, r->diagnostic);
	store_audit_send(a);
}

static void on_done(void *arg, const struct lwbs_audit_record *r)
{
	struct daemon *d = arg;
	char line[2048];
	size_t n = lwbs_log_format_session(r, line, sizeof(line));

	if (d->conf->audit_to_store)
		store_audit(d, r);
	/* without an audit file (audit to the store) this writes the log line at once */
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
	if (d->coap)
		lwbs_coap_server_metrics(d->coap, m);
	m->radius = d->radius != NULL;
	if (d->radius)
		lwbs_radius_listener_stats(d->radius, &m->radius_st);
	if (d->conf->audit_to_store) {
		struct lwbs_store_pg_stats st;

		lwbs_store_pg_stats(d->store, &st);
		m->audit_depth = st.queued_audits;
		m->audit_written = d->store_audit_written;
		m->audit_errors = d->store_audit_errors;
	}
}

static void on_grace(void *arg)
{
	struct daemon *d = arg;
	size_t n = active_sessions(d);

	if (d->grace_over)
		return;
	if (!d->sessions_ended) {
		if (n)
			lwbs_log(LWBS_LOG_WARN, "shutdown: grace over, ending %zu sessions in progress", n);
		d->sessions_ended = true;
		expire_all(d);
		if (d->pg && lwbs_store_pg_pending(d->store)) {
			/* the audit records of the sessions just ended */
			lwbs_loop_timer_arm(d->loop, &d->grace, STORE_FLUSH_MS);
			return;
		}
	}
	d->grace_over = true;
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
	describe_store(d->store, d->pg, err, sizeof(err));
	lwbs_log(LWBS_LOG_INFO, "reload: %s%s", err, d->pg ? ", plan cache emptied" : "");
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

	if (d->stopping && active_sessions(d) == 0) {
		/* with PostgreSQL, wait (up to the grace) for lookups and audit records */
		size_t pending = d->pg ? lwbs_store_pg_pending(d->store) : 0;

		if (!pending || d->grace_over) {
			if (pending)
				lwbs_log(LWBS_LOG_WARN, "shutdown: %zu store operations not done, dropped", pending);
			lwbs_loop_stop(d->loop);
		}
	}
	lwbs_audit_kick(d->audit);
	lwbs_radius_listener_kick(d->radius);
	if (d->pg)
		pg_sync(d);
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

static unsigned dtls_accept(unsigned accept)
{
	return ((accept & LWBS_CONF_ACCEPT_PSK) ? LWBS_DTLS_PSK : 0) |
	       ((accept & LWBS_CONF_ACCEPT_X509) ? LWBS_DTLS_X509 : 0);
}

/* DTLS on the libcoap context, once: the certificate set and handshake
 * limit are the same on every DTLS listener (checked by conf.c). */
static int setup_dtls(struct daemon *d, char *err, size_t cap)
{
	const struct lwbs_conf *c = d->conf;
	const struct lwbs_conf_listener *first = NULL, *cert = NULL;
	struct lwbs_dtls_conf dc = {0};

	if (d->dtls_ready)
		return 0;
	if (strcmp(d->store->ops->name, "embedded") != 0) {
		snprintf(err, cap, "dtls listeners need the embedded store (PSKs are asked for inside the handshake)");
		return -ENOTSUP;
	}
	for (size_t i = 0; i < c->n_listeners; i++) {
		const struct lwbs_conf_listener *l = &c->listeners[i];

		if (l->transport != LWBS_CONF_TRANSPORT_DTLS && l->transport != LWBS_CONF_TRANSPORT_TLS)
			continue;
		if (!first || (first->transport != LWBS_CONF_TRANSPORT_DTLS && l->transport == LWBS_CONF_TRANSPORT_DTLS))
			first = l; /* the handshake limit is a dtls one */
		if (!cert && l->x509.cert)
			cert = l;
	}
	dc.loop = d->loop;
	dc.lookup = lwbs_dtls_lookup_embedded;
	dc.lookup_arg = d->store;
	dc.max_failures = first->hs_max_incomplete;
	dc.window_s = first->hs_window_s;
	dc.block_s = first->hs_block_s;
	if (cert) {
		dc.cert_file = cert->x509.cert;
		dc.key_file = cert->x509.key;
		dc.ca_file = cert->x509.ca;
		dc.subject = (enum lwbs_dtls_subject)cert->x509.identity;
	}
	if (lwbs_coap_server_set_dtls(d->coap, &dc, err, cap))
		return -EINVAL;
	d->dtls_ready = true;
	return 0;
}

/* A trusted NoSec listener: its requests are resolved through the RADIUS
 * binding of their source address and the listener's policy
 * (docs/identity.md) instead of being looked up by endpoint name. */
static void setup_identity(struct daemon *d, size_t i)
{
	const struct lwbs_conf_listener *l = &d->conf->listeners[i];
	const struct lwbs_conf_identity *ci = &l->identity;
	struct lwbs_identity_policy *p = &d->policies[i];
	struct lwbs_identity_resolver *r = &d->resolvers[i];

	lwbs_identity_policy_init(p);
	p->trusted_apns = (const char *const *)ci->trusted_apns;
	p->n_trusted_apns = ci->n_trusted_apns;
	p->allowed_plmns = (const char *const *)ci->allowed_plmns;
	p->n_allowed_plmns = ci->n_allowed_plmns;
	p->allow_roaming = ci->allow_roaming;
	/* bindings carry wall-clock milliseconds (src/radius/listener.h) */
	p->max_binding_age = (int64_t)ci->max_binding_age_s * 1000;
	p->match_endpoint = ci->match_endpoint;
	p->auto_enrol = ci->auto_enrol;
	r->store = d->store;
	r->policy = p;
	r->binding = d->radius ? lwbs_radius_listener_binding : NULL;
	r->binding_arg = d->radius;
	lwbs_udp_server_set_identity(d->udp, r);
	if (!d->radius)
		lwbs_log(LWBS_LOG_WARN, "listener %s port %u is trusted but there is no radius section: "
			 "every request will be refused (no_binding)", l->address, l->port);
	if (!ci->n_trusted_apns)
		lwbs_log(LWBS_LOG_WARN, "listener %s port %u is trusted but its policy trusts no APN: "
			 "every request will be refused (apn_not_trusted)", l->address, l->port);
}

static bool loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

/* A NoSec listener (trusted: conf.c refuses any other): how its devices
 * are identified, and the per-source limit on requests refused as
 * unknown. */
static int setup_nosec(struct daemon *d, size_t i, char *err, size_t cap)
{
	const struct lwbs_conf_listener *l = &d->conf->listeners[i];
	struct lwbs_srclimit_conf lim = {
		.max = l->unknown_max, .window_s = l->unknown_window_s, .block_s = l->unknown_block_s,
	};
	bool native = l->stack == LWBS_CONF_STACK_NATIVE;
	int r;

	if (l->identify == LWBS_CONF_IDENTIFY_NETWORK)
		setup_identity(d, i); /* native udp only (conf.c) */
	else if (!loopback(&l->addr))
		lwbs_log(LWBS_LOG_WARN, "listener %s port %u believes the endpoint name NoSec devices claim "
			 "(identify: endpoint): anyone reaching %s can bootstrap as any device; only for a closed "
			 "network (docs/identity.md)", l->address, l->port, l->address);
	r = native ? lwbs_udp_server_set_unknown_limit(d->udp, &lim) : lwbs_coap_server_set_unknown_limit(d->coap, &lim);
	if (r)
		snprintf(err, cap, "%s: listener %s port %u: unknown_limit: %s", d->conf->path, l->address, l->port,
			 strerror(-r));
	return r;
}

static int start(struct daemon *d, char *err, size_t cap)
{
	struct lwbs_conf *c = d->conf;
	struct lwbs_coap_opts co = {0};
	int r;

	d->store = open_store(c, err, cap);
	if (!d->store)
		return -EINVAL;
	d->pg = c->store_type == LWBS_CONF_STORE_POSTGRESQL;
	d->loop = lwbs_loop_create();
	if (!d->loop) {
		snprintf(err, cap, "event loop: %s", strerror(errno));
		return -errno;
	}
	lwbs_loop_timer_init(&d->grace, on_grace, d);
	lwbs_loop_timer_init(&d->pg_timer, pg_process, d);
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
	co.ack_delay_ms = c->ack_delay_ms;
	d->policies = calloc(c->n_listeners, sizeof(*d->policies));
	d->resolvers = calloc(c->n_listeners, sizeof(*d->resolvers));
	if (!d->policies || !d->resolvers) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->n_listeners; i++) {
		const struct lwbs_conf_listener *l = &c->listeners[i];
		bool native = l->stack == LWBS_CONF_STACK_NATIVE;
		bool dtls = l->transport == LWBS_CONF_TRANSPORT_DTLS;
		bool tls = l->transport == LWBS_CONF_TRANSPORT_TLS;
		bool tcp = l->transport == LWBS_CONF_TRANSPORT_TCP;
		static const char *const tname[] = {"udp", "dtls", "tcp", "tls"};
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
		if ((dtls || tls) && (r = setup_dtls(d, e, sizeof(e)))) {
			snprintf(err, cap, "%s: listener %s port %u: %s", c->path, l->address, l->port, e);
			return r;
		}
		got = 0;
		if (dtls)
			r = lwbs_coap_server_listen_dtls(d->coap, (const struct sockaddr *)&l->addr, l->addr_len,
							 dtls_accept(l->accept), l->receive_buffer, &got, e, sizeof(e));
		else if (tls)
			r = lwbs_coap_server_listen_tls(d->coap, (const struct sockaddr *)&l->addr, l->addr_len,
							dtls_accept(l->accept), e, sizeof(e));
		else if (tcp)
			r = lwbs_coap_server_listen_tcp(d->coap, (const struct sockaddr *)&l->addr, l->addr_len, e,
							sizeof(e));
		else if (native)
			r = lwbs_udp_server_listen(d->udp, (const struct sockaddr *)&l->addr, l->addr_len,
						   l->receive_buffer, &got, e, sizeof(e));
		else
			r = lwbs_coap_server_listen(d->coap, (const struct sockaddr *)&l->addr, l->addr_len,
						    l->receive_buffer, &got, e, sizeof(e));
		if (r) {
			snprintf(err, cap, "%s: listener %s port %u: %s", c->path, l->address, l->port, e);
			return r;
		}
		if (!dtls && !tls && (r = setup_nosec(d, i, err, cap)))
			return r;
		if (tcp || tls) {
			/* no receive buffer: TCP's are per connection */
			lwbs_log(LWBS_LOG_INFO, "listening on %s %s port %u (libcoap stack%s%s)", tname[l->transport],
				 l->address, l->port, tls ? ", accepts " : "",
				 !tls ? "" : l->accept == LWBS_CONF_ACCEPT_PSK ? "psk"
					: l->accept == LWBS_CONF_ACCEPT_X509 ? "x509" : "psk, x509");
			continue;
		}
		if (got == 0)
			lwbs_log(LWBS_LOG_WARN, "listener %s port %u: socket not found, receive buffer not set",
				 l->address, l->port);
		else if (got < l->receive_buffer)
			lwbs_log(LWBS_LOG_WARN,
				 "listener %s port %u: kernel capped the receive buffer at %zu bytes "
				 "(wanted %zu; raise net.core.rmem_max)",
				 l->address, l->port, got, l->receive_buffer);
		lwbs_log(LWBS_LOG_INFO, "listening on %s %s port %u (%s stack, receive buffer %zu bytes%s%s%s)",
			 dtls ? "dtls" : "udp", l->address, l->port, native ? "native" : "libcoap", got,
			 dtls ? "" : l->identify == LWBS_CONF_IDENTIFY_NETWORK ? ", trusted, identify network"
								    : ", trusted, identify endpoint",
			 dtls ? ", accepts " : "",
			 !dtls ? "" : l->accept == LWBS_CONF_ACCEPT_PSK ? "psk"
				: l->accept == LWBS_CONF_ACCEPT_X509 ? "x509" : "psk, x509");
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
	if (d->loop) {
		lwbs_loop_timer_cancel(d->loop, &d->grace);
		lwbs_loop_timer_cancel(d->loop, &d->pg_timer);
	}
	lwbs_store_destroy(d->store);
	free(d->resolvers);
	free(d->policies);
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
	describe_store(d.store, d.pg, err, sizeof(err));
	lwbs_log(LWBS_LOG_INFO, "lwbsd %s ready: %s, session timeout %u s", LWBS_VERSION, err,
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
