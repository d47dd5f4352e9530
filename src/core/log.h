/* SPDX-License-Identifier: MIT */
/*
 * log.h - leveled, printf-checked logging to stderr, with a per-call-site
 * rate limit for anything the network can trigger.
 *
 * Messages name the object first, start lower-case, carry no final period
 * and put errno text last: "port vm1: stream: read: Connection reset".
 * The data path never logs; it counts (see port.h).
 */
#ifndef LANYARD_CORE_LOG_H
#define LANYARD_CORE_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/*
 * struct log_ratelimit - state of one call site: at most 'burst' messages
 * per 'interval_ms'; the number suppressed is reported with the next one.
 */
struct log_ratelimit {
	uint64_t window_start_ms;
	unsigned int interval_ms;
	unsigned int burst;
	unsigned int printed;
	unsigned int suppressed;
};

extern enum log_level log_level_current;

int log_level_parse(const char *s, enum log_level *out);
void log_set_level(enum log_level lvl);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool log_ratelimit_ok(struct log_ratelimit *rl, unsigned int *suppressed);

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_level_current >= LOG_LVL_DEBUG)                        \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                   \
	} while (0)

/*
 * log_ratelimited() - log at 'lvl' at most 10 times per 5 s from this call
 * site; the count of suppressed messages is appended to the next one.
 */
#define log_ratelimited(lvl, fmt, ...)                                         \
	do {                                                                   \
		static struct log_ratelimit rl_ = {.interval_ms = 5000,        \
						   .burst = 10};               \
		unsigned int sup_;                                             \
		if (log_ratelimit_ok(&rl_, &sup_)) {                           \
			if (sup_)                                              \
				log_msg(lvl, fmt " (%u similar suppressed)",   \
					##__VA_ARGS__, sup_);                  \
			else                                                   \
				log_msg(lvl, fmt, ##__VA_ARGS__);              \
		}                                                              \
	} while (0)

#endif /* LANYARD_CORE_LOG_H */
