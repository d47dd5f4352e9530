/* SPDX-License-Identifier: MIT */
/*
 * log.c - stderr logging with levels and per-call-site rate limits.
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum log_level log_level_current = LOG_LVL_INFO;

static const char *const level_names[] = {
	[LOG_LVL_ERR] = "err",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

/**
 * log_level_parse() - read a level name ("err", "warn", "info", "debug")
 * @s:   the name
 * @out: the level, on success
 *
 * Return: 0, or -1 if @s names no level.
 */
int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "error") == 0) {
		*out = LOG_LVL_ERR;
		return 0;
	}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

/**
 * log_set_level() - set the most verbose level that is printed
 * @lvl: the level
 */
void
log_set_level(enum log_level lvl)
{
	log_level_current = lvl;
}

/**
 * log_msg() - print one message to stderr if @lvl is enabled
 * @lvl: its level
 * @fmt: printf format
 */
void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (lvl > log_level_current)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "lanyard: %s: %s\n", level_names[lvl], line);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * log_ratelimit_ok() - may this call site print now?
 * @rl:         the call site's state
 * @suppressed: set to the number of messages dropped since the last one
 *              printed (only meaningful when true is returned)
 *
 * Return: true if the message should be printed.
 */
bool
log_ratelimit_ok(struct log_ratelimit *rl, unsigned int *suppressed)
{
	uint64_t now = mono_ms();

	if (now - rl->window_start_ms >= rl->interval_ms) {
		rl->window_start_ms = now;
		rl->printed = 0;
	}
	if (rl->printed >= rl->burst) {
		rl->suppressed++;
		return false;
	}
	rl->printed++;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}
