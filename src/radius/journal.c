/* lwbs — RADIUS binding journal (journal.h). */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../daemon/fdio.h"
#include "lwbs/err.h"

#define MAGIC "LWBSRJ1\n"
#define MAGIC_LEN 8
#define REC_HDR 8
#define KIND_APPLY 1
/* kind, now, status, has, plen, rat, 4 + 16 + 4 + 16, charging, event */
#define FIXED_LEN (1 + 8 + 1 + 4 + 1 + 1 + 40 + 4 + 4)
#define MAX_PAYLOAD (FIXED_LEN + 8 * (1 + LWBS_RADIUS_STR_MAX) + 1 + LWBS_RADIUS_ULI_MAX)

struct lwbs_radius_journal {
	int fd;
	size_t size;
	char *path;
};

/* CRC-32C, reflected polynomial 0x82F63B78, four bits at a time. */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1, 0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d,
	0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9, 0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75,
};

uint32_t lwbs_radius_crc32c(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *s = p;

	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= s[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
	}
	return ~crc;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_str(uint8_t **w, const char *s)
{
	size_t n = strlen(s);

	*(*w)++ = (uint8_t)n;
	memcpy(*w, s, n);
	*w += n;
}

void lwbs_radius_journal_encode(struct lwbs_buf *out, const struct lwbs_radius_binding *b,
				int64_t now)
{
	uint8_t rec[REC_HDR + MAX_PAYLOAD];
	uint8_t *w = rec + REC_HDR;
	uint64_t t = (uint64_t)now;

	*w++ = KIND_APPLY;
	for (int i = 0; i < 8; i++)
		*w++ = (uint8_t)(t >> (8 * i));
	*w++ = b->status;
	put_le32(w, b->has);
	w += 4;
	*w++ = b->ipv6_plen;
	*w++ = b->rat_type;
	memcpy(w, b->ipv4, 4);
	memcpy(w + 4, b->ipv6, 16);
	memcpy(w + 20, b->nas_ipv4, 4);
	memcpy(w + 24, b->nas_ipv6, 16);
	w += 40;
	put_le32(w, b->charging_id);
	put_le32(w + 4, b->event_time);
	w += 8;
	put_str(&w, b->imsi);
	put_str(&w, b->msisdn);
	put_str(&w, b->imeisv);
	put_str(&w, b->mcc_mnc);
	put_str(&w, b->sgsn_mcc_mnc);
	put_str(&w, b->apn);
	put_str(&w, b->session_id);
	put_str(&w, b->nas_id);
	*w++ = b->uli_len;
	memcpy(w, b->uli, b->uli_len);
	w += b->uli_len;

	uint32_t plen = (uint32_t)(w - rec - REC_HDR);
	put_le32(rec, plen);
	put_le32(rec + 4, lwbs_radius_crc32c(0, rec + REC_HDR, plen));
	lwbs_buf_put(out, rec, (size_t)(w - rec));
}

/* A length-prefixed string of at most max octets, no NUL inside. */
static int get_str(const uint8_t **r, const uint8_t *end, char *dst, size_t max)
{
	if (*r >= end)
		return -EBADMSG;
	size_t n = *(*r)++;
	if (n > max || n > (size_t)(end - *r) || memchr(*r, 0, n))
		return -EBADMSG;
	memcpy(dst, *r, n);
	dst[n] = 0;
	*r += n;
	return 0;
}

int lwbs_radius_journal_decode(const uint8_t *p, size_t n, struct lwbs_radius_binding *b,
			       int64_t *now, size_t *used)
{
	struct lwbs_radius_binding x;
	uint64_t t = 0;

	if (n < REC_HDR)
		return LWBS_ETRUNC;
	uint32_t plen = get_le32(p);
	if (plen < FIXED_LEN || plen > MAX_PAYLOAD)
		return -EBADMSG;
	if (n - REC_HDR < plen)
		return LWBS_ETRUNC;
	const uint8_t *r = p + REC_HDR, *end = r + plen;
	if (lwbs_radius_crc32c(0, r, plen) != get_le32(p + 4) || r[0] != KIND_APPLY)
		return -EBADMSG;
	r++;
	for (int i = 0; i < 8; i++)
		t |= (uint64_t)r[i] << (8 * i);
	r += 8;
	memset(&x, 0, sizeof(x));
	x.status = *r++;
	x.has = get_le32(r);
	r += 4;
	x.ipv6_plen = *r++;
	x.rat_type = *r++;
	memcpy(x.ipv4, r, 4);
	memcpy(x.ipv6, r + 4, 16);
	memcpy(x.nas_ipv4, r + 20, 4);
	memcpy(x.nas_ipv6, r + 24, 16);
	r += 40;
	x.charging_id = get_le32(r);
	x.event_time = get_le32(r + 4);
	r += 8;
	if (get_str(&r, end, x.imsi, LWBS_RADIUS_IMSI_MAX) ||
	    get_str(&r, end, x.msisdn, LWBS_RADIUS_MSISDN_MAX) ||
	    get_str(&r, end, x.imeisv, LWBS_RADIUS_IMEISV_MAX) ||
	    get_str(&r, end, x.mcc_mnc, LWBS_RADIUS_MCC_MNC_MAX) ||
	    get_str(&r, end, x.sgsn_mcc_mnc, LWBS_RADIUS_MCC_MNC_MAX) ||
	    get_str(&r, end, x.apn, LWBS_RADIUS_APN_MAX) ||
	    get_str(&r, end, x.session_id, LWBS_RADIUS_STR_MAX) ||
	    get_str(&r, end, x.nas_id, LWBS_RADIUS_STR_MAX))
		return -EBADMSG;
	if (r >= end)
		return -EBADMSG;
	x.uli_len = *r++;
	if (x.uli_len > LWBS_RADIUS_ULI_MAX || x.uli_len != (size_t)(end - r))
		return -EBADMSG;
	memcpy(x.uli, r, x.uli_len);
	*b = x;
	*now = (int64_t)t;
	*used = REC_HDR + plen;
	return 0;
}

static int snapshot_one(void *arg, const struct lwbs_radius_binding *b)
{
	lwbs_radius_journal_encode(arg, b, b->updated);
	return 0;
}

void lwbs_radius_journal_snapshot(const struct lwbs_radius_table *t, struct lwbs_buf *out)
{
	lwbs_radius_table_foreach(t, snapshot_one, out);
}

/* Reads the whole file; *data is malloc'ed (NULL for an empty file). */
static int read_file(int fd, uint8_t **data, size_t *len)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *p = n ? malloc(n) : NULL;
	if (n && !p)
		return -ENOMEM;
	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? -errno : -EIO;
			free(p);
			return e;
		}
		got += (size_t)r;
	}
	*data = p;
	*len = n;
	return 0;
}

/* Applies the records of data[0..len) (after the header) to t; *good is
 * the end of the last good record. */
static int replay_data(const char *path, const uint8_t *data, size_t len, struct lwbs_radius_table *t,
		       struct lwbs_radius_journal_info *info, size_t *good, char *err, size_t cap)
{
	size_t pos = MAGIC_LEN;

	if (len < MAGIC_LEN || memcmp(data, MAGIC, MAGIC_LEN)) {
		snprintf(err, cap, "radius journal %s: not a binding journal", path);
		return -EBADMSG;
	}
	while (pos < len) {
		struct lwbs_radius_binding b;
		enum lwbs_radius_apply res;
		int64_t now;
		size_t used;

		if (lwbs_radius_journal_decode(data + pos, len - pos, &b, &now, &used))
			break;
		int r = lwbs_radius_table_apply(t, &b, now, &res, NULL);
		if (r == -ENOMEM) {
			snprintf(err, cap, "radius journal %s: out of memory after %zu records", path,
				 info->records);
			return r;
		}
		if (r)
			info->skipped++;
		else
			info->records++;
		pos += used;
	}
	info->dropped_bytes = len - pos;
	info->bytes = pos;
	*good = pos;
	return 0;
}

static int replay(struct lwbs_radius_journal *j, struct lwbs_radius_table *t,
		  struct lwbs_radius_journal_info *info, char *err, size_t cap)
{
	uint8_t *data = NULL;
	size_t len = 0, good;
	int r = read_file(j->fd, &data, &len);

	if (r) {
		snprintf(err, cap, "radius journal %s: %s", j->path, strerror(-r));
		return r;
	}
	if (len == 0) {
		r = lwbs_fd_write_all(j->fd, (const uint8_t *)MAGIC, MAGIC_LEN);
		if (!r && fdatasync(j->fd) < 0)
			r = -errno;
		if (r)
			snprintf(err, cap, "radius journal %s: %s", j->path, strerror(-r));
		j->size = MAGIC_LEN;
		info->bytes = MAGIC_LEN;
		return r;
	}
	r = replay_data(j->path, data, len, t, info, &good, err, cap);
	free(data);
	if (r)
		return r;
	if (good < len && (ftruncate(j->fd, (off_t)good) < 0 || fdatasync(j->fd) < 0)) {
		r = -errno;
		snprintf(err, cap, "radius journal %s: truncating a torn tail: %s", j->path, strerror(errno));
		return r;
	}
	j->size = good;
	return 0;
}

int lwbs_radius_journal_load(const char *path, struct lwbs_radius_table *t,
			     struct lwbs_radius_journal_info *info, char *err, size_t err_cap)
{
	struct lwbs_radius_journal_info inf = {0};
	uint8_t *data = NULL;
	size_t len = 0, good;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0) {
		r = -errno;
		snprintf(err, err_cap, "radius journal %s: %s", path, strerror(errno));
		return r;
	}
	r = read_file(fd, &data, &len);
	close(fd);
	if (r) {
		snprintf(err, err_cap, "radius journal %s: %s", path, strerror(-r));
		return r;
	}
	r = replay_data(path, data ? data : (const uint8_t *)"", len, t, &inf, &good, err, err_cap);
	free(data);
	if (!r)
		*info = inf;
	return r;
}

int lwbs_radius_journal_open(const char *path, struct lwbs_radius_table *t,
			     struct lwbs_radius_journal **out, struct lwbs_radius_journal_info *info,
			     char *err, size_t err_cap)
{
	struct lwbs_radius_journal *j = calloc(1, sizeof(*j));
	struct lwbs_radius_journal_info inf = {0};
	int r;

	if (!j || !(j->path = strdup(path))) {
		free(j);
		snprintf(err, err_cap, "radius journal: out of memory");
		return -ENOMEM;
	}
	j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		r = -errno;
		snprintf(err, err_cap, "radius journal %s: %s", path, strerror(errno));
		goto fail;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		snprintf(err, err_cap, "radius journal %s: %s", path,
			 errno == EWOULDBLOCK ? "in use by another process (lwbsd running?)" : strerror(errno));
		goto fail;
	}
	r = replay(j, t, &inf, err, err_cap);
	if (r)
		goto fail;
	if (lseek(j->fd, (off_t)j->size, SEEK_SET) < 0) {
		r = -errno;
		snprintf(err, err_cap, "radius journal %s: %s", path, strerror(errno));
		goto fail;
	}
	*info = inf;
	*out = j;
	return 0;
fail:
	lwbs_radius_journal_close(j);
	return r;
}

void lwbs_radius_journal_close(struct lwbs_radius_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	free(j);
}

int lwbs_radius_journal_append(struct lwbs_radius_journal *j, const void *data, size_t n)
{
	int r = lwbs_fd_write_all(j->fd, data, n);

	if (!r && fdatasync(j->fd) < 0)
		r = -errno;
	if (!r) {
		j->size += n;
		return 0;
	}
	/* leave no partial batch behind: a later append must not follow it */
	if (ftruncate(j->fd, (off_t)j->size) == 0)
		lseek(j->fd, (off_t)j->size, SEEK_SET);
	return r;
}

static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int r = 0;

	if (!copy)
		return -ENOMEM;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

int lwbs_radius_journal_replace(struct lwbs_radius_journal *j, const void *data, size_t n)
{
	size_t plen = strlen(j->path);
	char *tmp = malloc(plen + 5);
	int fd, r;

	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, j->path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	/* the new inode carries the lock from the rename on */
	r = flock(fd, LOCK_EX | LOCK_NB) < 0 ? -errno : 0;
	if (!r)
		r = lwbs_fd_write_all(fd, (const uint8_t *)MAGIC, MAGIC_LEN);
	if (!r)
		r = lwbs_fd_write_all(fd, data, n);
	if (!r && fdatasync(fd) < 0)
		r = -errno;
	if (!r && rename(tmp, j->path) < 0)
		r = -errno;
	if (r) {
		close(fd);
		unlink(tmp);
		free(tmp);
		return r;
	}
	free(tmp);
	/* the rename is durable once the directory is: until then a crash
	 * leaves the old journal, which replays to the same table */
	r = fsync_dir(j->path);
	close(j->fd);
	j->fd = fd;
	j->size = MAGIC_LEN + n;
	lseek(fd, (off_t)j->size, SEEK_SET);
	return r;
}

size_t lwbs_radius_journal_size(const struct lwbs_radius_journal *j)
{
	return j->size;
}
