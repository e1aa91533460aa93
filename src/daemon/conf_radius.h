/* lwbsd — the `radius:` section of the configuration (docs/radius.md),
 * parsed into src/radius/listener.h's struct lwbs_radius_conf. */
#ifndef LWBSD_CONF_RADIUS_H
#define LWBSD_CONF_RADIUS_H

#include <stddef.h>
#include <yaml.h>

#include "../radius/listener.h"

/* map is the section's node in doc; file names the config file for
 * errors, dir is the base of relative paths. Fills *out (cleared first;
 * lwbs_radius_conf_clear() frees it, also after a failure). Returns 0 or
 * a negative code with err = "file:line:col: message". Secrets read from
 * secret_file are never part of a message. */
int lwbs_conf_radius_parse(yaml_document_t *doc, yaml_node_t *map, const char *file, const char *dir,
			   struct lwbs_radius_conf *out, char *err, size_t err_cap);

#endif
