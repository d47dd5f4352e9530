/* SPDX-License-Identifier: MIT */
/*
 * paths.h - where lanyard keeps its sockets by default: /run/lanyard as
 * root, else $XDG_RUNTIME_DIR/lanyard, else /tmp/lanyard-UID.  Shared by
 * lanyard and lanyardctl so both agree without options.
 */
#ifndef LANYARD_CORE_PATHS_H
#define LANYARD_CORE_PATHS_H

#include <stddef.h>

#define PATHS_CTL_NAME "ctl.sock"

int paths_runtime_dir(char *buf, size_t len);
int paths_default_ctl(char *buf, size_t len);

#endif /* LANYARD_CORE_PATHS_H */
