/* lwbs — `lwbsctl zone generate`: PLMN file -> zone files + named.conf
 * snippet in one directory. Everything is rendered in memory first; files
 * are then staged as temporaries and renamed into place, so a bad input
 * writes nothing and an unchanged zone keeps its serial and its file. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dns_cmd.h"
#include "lwbs/err.h"

#define INPUT_MAX (4u << 20)

/* Reads path into a NUL-terminated malloc'ed buffer. -ENOENT if absent. */
static int read_all(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct lwbs_buf b;
	char chunk[8192];
	size_t n;
	int r;

	if (!f)
		return -errno;
	lwbs_buf_init(&b, max + 1);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		lwbs_buf_put(&b, chunk, n);
	r = ferror(f) ? -EIO : lwbs_buf_err(&b);
	fclose(f);
	if (!r)
		r = lwbs_buf_putc(&b, 0);
	if (r) {
		lwbs_buf_finish(&b);
		return r == -ENOBUFS ? -EFBIG : r;
	}
	*out = (char *)b.data;
	*len = b.len - 1;
	return 0;
}

int lwbs_dns_load_plmns(const char *path, struct lwbs_arena *a, struct lwbs_dns_input *in)
{
	struct lwbs_dns_diag diag = {0};
	char *text;
	size_t len;
	int r = read_all(path, INPUT_MAX, &text, &len);

	if (r) {
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
		return r;
	}
	r = lwbs_dns_input_parse(text, len, path, a, in, &diag);
	free(text);
	if (r)
		fprintf(stderr, "%s\n", diag.text[0] ? diag.text : lwbs_strerror(r));
	return r;
}

struct out_file {
	char *path;      /* final name */
	char *tmp;       /* staged temporary, NULL once renamed or not staged */
	struct lwbs_buf text;
	bool changed;
	uint32_t serial;
	bool is_zone;
};

static int stage(struct out_file *f)
{
	size_t n = strlen(f->path) + 32;
	int fd;

	f->tmp = malloc(n);
	if (!f->tmp)
		return -ENOMEM;
	snprintf(f->tmp, n, "%s.tmp.%ld", f->path, (long)getpid());
	fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = -errno;
		free(f->tmp);
		f->tmp = NULL;
		return e;
	}
	for (size_t off = 0; off < f->text.len;) {
		ssize_t w = write(fd, f->text.data + off, f->text.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? -errno : -EIO;
			close(fd);
			return e;
		}
		off += (size_t)w;
	}
	if (fsync(fd) || close(fd))
		return -errno;
	return 0;
}

static void usage_generate(void)
{
	fprintf(stderr, "usage: lwbsctl zone generate --plmns FILE --out DIR [--date YYYYMMDD] "
			"[--zone-dir PATH]\n");
}

static int today_utc(uint32_t *out)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return -EINVAL;
	*out = (uint32_t)(tm.tm_year + 1900) * 10000 + (uint32_t)(tm.tm_mon + 1) * 100 +
	       (uint32_t)tm.tm_mday;
	return 0;
}

int lwbs_dns_cmd_zone_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"plmns", required_argument, NULL, 'p'},
		{"out", required_argument, NULL, 'o'},
		{"date", required_argument, NULL, 'd'},
		{"zone-dir", required_argument, NULL, 'z'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *plmns = NULL, *outdir = NULL, *zone_dir = NULL, *date = NULL;
	struct lwbs_arena *a = NULL;
	struct lwbs_dns_input in;
	struct out_file *files = NULL;
	size_t nfiles = 0;
	char absdir[PATH_MAX], apex[LWBS_DNS_NAME_MAX];
	uint32_t today;
	int c, r, rc = 1;

	while ((c = getopt_long(argc, argv, "p:o:d:z:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': plmns = optarg; break;
		case 'o': outdir = optarg; break;
		case 'd': date = optarg; break;
		case 'z': zone_dir = optarg; break;
		case 'h': usage_generate(); return 0;
		default: usage_generate(); return 2;
		}
	}
	if (!plmns || !outdir || optind != argc) {
		usage_generate();
		return 2;
	}
	if (date) {
		char *end;
		unsigned long v = strtoul(date, &end, 10);
		uint32_t probe;
		if (strlen(date) != 8 || *end || lwbs_dns_serial_next(0, (uint32_t)v, &probe)) {
			fprintf(stderr, "lwbsctl zone generate: bad --date \"%s\" (YYYYMMDD)\n", date);
			return 2;
		}
		today = (uint32_t)v;
	} else if (today_utc(&today)) {
		fprintf(stderr, "lwbsctl zone generate: cannot read the clock\n");
		return 1;
	}

	a = lwbs_arena_create(0);
	if (!a || lwbs_dns_load_plmns(plmns, a, &in))
		goto out;
	if (mkdir(outdir, 0755) && errno != EEXIST) {
		fprintf(stderr, "%s: %s\n", outdir, strerror(errno));
		goto out;
	}
	if (!zone_dir) {
		if (!realpath(outdir, absdir)) {
			fprintf(stderr, "%s: %s\n", outdir, strerror(errno));
			goto out;
		}
		zone_dir = absdir;
	}

	nfiles = lwbs_dns_zone_count(&in) + 1;
	files = calloc(nfiles, sizeof(*files));
	if (!files)
		goto out;
	for (size_t i = 0; i < nfiles; i++) {
		struct out_file *f = &files[i];
		char *old = NULL;
		size_t old_len = 0;
		bool zone = i + 1 < nfiles;

		lwbs_buf_init(&f->text, 0);
		f->is_zone = zone;
		if (zone && lwbs_dns_zone_apex(&in, i, apex, sizeof(apex)))
			goto out;
		if (asprintf(&f->path, "%s/%s%s", outdir, zone ? apex : "named.conf.lwbs",
			     zone ? ".zone" : "") < 0) {
			f->path = NULL;
			goto out;
		}
		r = read_all(f->path, INPUT_MAX, &old, &old_len);
		if (r && r != -ENOENT) {
			fprintf(stderr, "%s: %s\n", f->path, strerror(-r));
			goto out;
		}
		if (zone) {
			r = lwbs_dns_zone_plan(&in, i, old, old_len, today, &f->text, &f->serial,
					       &f->changed);
		} else {
			r = lwbs_dns_named_conf(&in, zone_dir, &f->text);
			f->changed = !old || old_len != f->text.len ||
				     memcmp(old, f->text.data, old_len) != 0;
		}
		free(old);
		if (r) {
			fprintf(stderr, "%s: %s\n", f->path, lwbs_strerror(r));
			goto out;
		}
	}
	/* Stage every changed file, then rename them all. */
	for (size_t i = 0; i < nfiles; i++) {
		if (files[i].changed && (r = stage(&files[i]))) {
			fprintf(stderr, "%s: %s\n", files[i].tmp ? files[i].tmp : files[i].path,
				strerror(-r));
			goto out;
		}
	}
	for (size_t i = 0; i < nfiles; i++) {
		struct out_file *f = &files[i];
		if (f->tmp && rename(f->tmp, f->path)) {
			fprintf(stderr, "%s: %s\n", f->path, strerror(errno));
			goto out;
		}
		free(f->tmp);
		f->tmp = NULL;
		if (f->is_zone)
			printf("%s: serial %u, %s\n", f->path, f->serial,
			       f->changed ? "written" : "unchanged");
		else
			printf("%s: %s\n", f->path, f->changed ? "written" : "unchanged");
	}
	rc = 0;
out:
	for (size_t i = 0; files && i < nfiles; i++) {
		if (files[i].tmp) {
			unlink(files[i].tmp);
			free(files[i].tmp);
		}
		free(files[i].path);
		lwbs_buf_finish(&files[i].text);
	}
	free(files);
	lwbs_arena_destroy(a);
	return rc;
}
