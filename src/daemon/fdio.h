/* lwbsd — blocking write of a whole buffer to a file descriptor, shared by
 * the audit log (src/daemon/audit.c) and the RADIUS journal
 * (src/radius/journal.c).
 */
#ifndef LWBSD_FDIO_H
#define LWBSD_FDIO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

/* Writes all n bytes of p to fd, retrying on EINTR and short writes.
 * Returns 0 or -errno. */
static inline int lwbs_fd_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

#endif
