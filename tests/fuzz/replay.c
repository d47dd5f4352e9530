/* SPDX-License-Identifier: MIT */
/*
 * replay.c - a main() for the fuzz targets without libFuzzer: feeds every
 * file named on the command line, or found (recursively) under a directory
 * named there, to LLVMFuzzerTestOneInput() once.  This is how the seed
 * corpora run as ordinary meson tests under gcc, clang and the sanitizers.
 *
 * A missing path, an unreadable file or a directory without any file is an
 * error: a corpus that silently vanished must not pass.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Read all of @path into a malloc'ed buffer (never NULL on success). */
static int
read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);

			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

static int
run_file(const char *path, unsigned long *count)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = read_file(path, &buf, &len);

	if (ret) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(-ret));
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	(*count)++;
	return 0;
}

static int
run_path(const char *path, unsigned long *count)
{
	struct stat st;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, count);

	struct dirent **ents;
	int n = scandir(path, &ents, NULL, alphasort);
	unsigned long before = *count;
	int ret = 0;

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (ret == 0 && name[0] != '.') {
			size_t len = strlen(path) + strlen(name) + 2;
			char *sub = malloc(len);

			if (!sub) {
				ret = -1;
			} else {
				snprintf(sub, len, "%s/%s", path, name);
				ret = run_path(sub, count);
				free(sub);
			}
		}
		free(ents[i]);
	}
	free(ents);
	if (ret == 0 && *count == before) {
		fprintf(stderr, "replay: %s: no input files\n", path);
		return -1;
	}
	return ret;
}

int
main(int argc, char **argv)
{
	unsigned long count = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &count))
			return 1;
	printf("replay: ran %lu inputs\n", count);
	return 0;
}
