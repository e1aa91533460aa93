/* lwbs-devsim — transport set-up: UDP, NoSec or under DTLS (dtls.c), or
 * TCP, NoSec or under TLS (tcp.c). */
#include "devsim.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t devsim_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int devsim_parse_server(struct devsim_opts *o, const char **why)
{
	const char *s = o->server, *host, *port = "5683";
	char hbuf[256];
	struct addrinfo hints = {0}, *res;
	size_t hl;

	o->tcp = false;
	if (strncmp(s, "coaps://", 8) == 0) {
		o->secure = true;
		port = "5684";
		host = s + 8;
	} else if (strncmp(s, "coap://", 7) == 0) {
		o->secure = false;
		host = s + 7;
	} else if (strncmp(s, "coaps+tcp://", 12) == 0) {
		o->secure = true;
		o->tcp = true;
		port = "5684";
		host = s + 12;
	} else if (strncmp(s, "coap+tcp://", 11) == 0) {
		o->secure = false;
		o->tcp = true;
		host = s + 11;
	} else {
		goto bad;
	}
	if (*host == '[') {
		const char *e = strchr(host, ']');
		if (!e)
			goto bad;
		hl = (size_t)(e - host - 1);
		if (hl >= sizeof(hbuf))
			goto bad;
		memcpy(hbuf, host + 1, hl);
		e++;
		if (*e == ':')
			port = e + 1;
		else if (*e && *e != '/')
			goto bad;
	} else {
		hl = strcspn(host, ":/");
		if (hl == 0 || hl >= sizeof(hbuf))
			goto bad;
		memcpy(hbuf, host, hl);
		if (host[hl] == ':')
			port = host + hl + 1;
	}
	hbuf[hl] = 0;
	char pbuf[8];
	size_t pl = strcspn(port, "/");
	if (pl == 0 || pl >= sizeof(pbuf))
		goto bad;
	memcpy(pbuf, port, pl);
	pbuf[pl] = 0;
	hints.ai_socktype = o->tcp ? SOCK_STREAM : SOCK_DGRAM;
	if (getaddrinfo(hbuf, pbuf, &hints, &res) != 0) {
		*why = "cannot resolve the --server host";
		return -ENOENT;
	}
	memcpy(&o->server_addr, res->ai_addr, res->ai_addrlen);
	o->server_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	*why = "--server must be coap://, coaps://, coap+tcp:// or coaps+tcp:// HOST[:PORT]";
	return -EINVAL;
}

int devsim_transport_open(const struct devsim_opts *o, const struct sockaddr *local, socklen_t local_len)
{
	int fd = socket(o->server_addr.ss_family, (o->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	int err;

	if (fd < 0)
		return -errno;
	if (local && bind(fd, local, local_len) < 0)
		goto fail;
	if (connect(fd, (const struct sockaddr *)&o->server_addr, o->server_len) < 0 &&
	    !(o->tcp && errno == EINPROGRESS))
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}
