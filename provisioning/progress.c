/* lwbs provisioning — a progress bar on stderr, only when it is a
 * terminal, redrawn at most ten times a second. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "pv.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void draw(const struct pv_progress *p, int pct)
{
	char bar[31];
	int fill = pct * 30 / 100;

	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : ' ';
	bar[30] = 0;
	fprintf(stderr, "\r%-24s [%s] %3d%%", p->label, bar, pct);
	fflush(stderr);
}

void pv_progress_start(struct pv_progress *p, const char *label, size_t total)
{
	p->tty = isatty(STDERR_FILENO);
	p->label = label;
	p->total = total;
	p->last_ms = 0;
	p->last_pct = -1;
	if (p->tty)
		draw(p, 0);
}

void pv_progress_set(struct pv_progress *p, size_t done)
{
	int pct;
	int64_t t;

	if (!p->tty || !p->total)
		return;
	pct = (int)(done >= p->total ? 100 : done * 100 / p->total);
	if (pct == p->last_pct)
		return;
	t = now_ms();
	if (t - p->last_ms < 100 && pct < 100)
		return;
	p->last_ms = t;
	p->last_pct = pct;
	draw(p, pct);
}

void pv_progress_end(struct pv_progress *p)
{
	if (!p->tty)
		return;
	draw(p, 100);
	fputc('\n', stderr);
}
