/* lwbs — the RADIUS binding journal: an append-only file of the records
 * applied to the binding table, replayed at start-up to rebuild it.
 *
 * File: the 8 octets "LWBSRJ1\n", then records
 *     u32 payload length | u32 CRC-32C of the payload | payload
 * (little-endian). The payload is one applied record: the caller's time
 * and the binding (status, addresses, NAS, strings length-prefixed).
 * Replaying applies them in order with lwbs_radius_table_apply(), which
 * gives the table that the listener had. A record cut short or with a bad
 * CRC ends the replay: the file is truncated there (a write torn by a
 * crash was never acknowledged). A compaction rewrites the file as one
 * record per binding (tmp file, fdatasync, rename, directory fsync).
 *
 * Blocking I/O: the listener calls append/replace from its writer thread,
 * lwbsctl directly. One writer at a time.
 */
#ifndef LWBS_RADIUS_JOURNAL_H
#define LWBS_RADIUS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lwbs/buf.h"
#include "lwbs/radius.h"

struct lwbs_radius_journal;

struct lwbs_radius_journal_info {
	size_t records;       /* replayed */
	size_t skipped;       /* well-formed but refused by the table */
	size_t bytes;         /* file size after the replay */
	size_t dropped_bytes; /* torn or corrupt tail truncated */
};

/* CRC-32C (Castagnoli) of p[0..n), chained from crc (0 to start). */
uint32_t lwbs_radius_crc32c(uint32_t crc, const void *p, size_t n);

/* Appends the record of b applied at now to out. */
void lwbs_radius_journal_encode(struct lwbs_buf *out, const struct lwbs_radius_binding *b,
				int64_t now);

/* Decodes one record from p[0..n): 0 with *b, *now and *used (octets of the
 * record), LWBS_ETRUNC when p holds only part of a record, -EBADMSG for a
 * bad CRC or payload. */
int lwbs_radius_journal_decode(const uint8_t *p, size_t n, struct lwbs_radius_binding *b,
			       int64_t *now, size_t *used);

/* Opens or creates path, replays it into t (which should be empty) and
 * truncates a torn tail; holds an exclusive flock() on it until closed
 * (-EWOULDBLOCK when another process has it). Caller owns the journal. 0, or a negative errno /
 * -EBADMSG (not a journal) with err filled. */
int lwbs_radius_journal_open(const char *path, struct lwbs_radius_table *t,
			     struct lwbs_radius_journal **out, struct lwbs_radius_journal_info *info,
			     char *err, size_t err_cap);
/* Replays path into t without changing or locking the file (a reader
 * while lwbsd writes it: a record being appended counts as torn). */
int lwbs_radius_journal_load(const char *path, struct lwbs_radius_table *t,
			     struct lwbs_radius_journal_info *info, char *err, size_t err_cap);
/* NULL-safe. */
void lwbs_radius_journal_close(struct lwbs_radius_journal *j);

/* Appends data (encoded records) and fdatasync()s. On failure the file is
 * truncated back to its previous size when possible. */
int lwbs_radius_journal_append(struct lwbs_radius_journal *j, const void *data, size_t n);

/* Every binding of t as a record at its own update time, into out. */
void lwbs_radius_journal_snapshot(const struct lwbs_radius_table *t, struct lwbs_buf *out);

/* Replaces the file with the header and data (a snapshot) atomically. */
int lwbs_radius_journal_replace(struct lwbs_radius_journal *j, const void *data, size_t n);

/* Current file size in octets. */
size_t lwbs_radius_journal_size(const struct lwbs_radius_journal *j);

#endif
