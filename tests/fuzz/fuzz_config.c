/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c - config_parse() on any bytes as a configuration file.
 * Checks what the parser promises each option: a name of 1 to
 * CONFIG_NAME_MAX lowercase letters, digits and '-'; a value that is NULL
 * or non-empty, with no newline and no white space at either end; line
 * numbers that only grow; and an error message that starts "line N: ".
 */
#include "proto/config.h"

#include <errno.h>

#include "core/util.h"

#include "fuzz.h"

struct seen {
	unsigned int last_line;
};

static int
check_option(void *ctx, unsigned int line, const char *name,
	     const char *value, char *err)
{
	struct seen *s = ctx;
	size_t n = strlen(name);

	FUZZ_CHECK(n >= 1 && n <= CONFIG_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((name[i] >= 'a' && name[i] <= 'z') ||
			   (name[i] >= '0' && name[i] <= '9') ||
			   name[i] == '-');
	if (value) {
		size_t v = strlen(value);

		FUZZ_CHECK(v >= 1 && v <= CONFIG_LINE_MAX);
		FUZZ_CHECK(!strchr(value, '\n'));
		FUZZ_CHECK(value[0] != ' ' && value[0] != '\t');
		FUZZ_CHECK(value[v - 1] != ' ' && value[v - 1] != '\t' &&
			   value[v - 1] != '\r');
	}
	FUZZ_CHECK(line > s->last_line);
	s->last_line = line;
	/* Refuse one name, as lanyard refuses an unknown option. */
	if (!strcmp(name, "bad"))
		return ERR_SET(err, -EINVAL, "--bad: refused");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 0 };
	char err[ERR_LEN] = "";
	int ret = config_parse((const char *)data, size, check_option, &s,
			       err);

	if (ret) {
		FUZZ_CHECK(ret == -EINVAL);
		FUZZ_CHECK(!strncmp(err, "line ", 5));
		FUZZ_CHECK(memchr(err, '\0', ERR_LEN));
	}
	return 0;
}
