/* SPDX-License-Identifier: MIT */
/*
 * lanyardctl_top.h - "lanyardctl top": live per-port rates, for
 * lanyardctl.c's command dispatch.
 */
#ifndef LANYARD_TOOLS_LANYARDCTL_TOP_H
#define LANYARD_TOOLS_LANYARDCTL_TOP_H

#include <stdbool.h>

int lanyardctl_top(const char *ctl_path, bool json, int argc, char **argv);

#endif /* LANYARD_TOOLS_LANYARDCTL_TOP_H */
