/* lwbsctl radius ... (src/radius/import.c): the binding journal from the
 * command line. argv[0] is the command's name; they return the exit
 * status. */
#ifndef LWBS_RADIUS_CMD_H
#define LWBS_RADIUS_CMD_H

/* import --journal PATH | --dsn-file FILE  DETAIL...: FreeRADIUS detail
 * files into the journal (with lwbsd stopped: the journal is locked while
 * it runs) or into PostgreSQL's radius_bindings. */
int lwbs_radius_cmd_import(int argc, char **argv);
/* show --journal PATH [ADDRESS]: the bindings the journal holds. */
int lwbs_radius_cmd_show(int argc, char **argv);

#endif
