/* lwbs — error strings. */
#include <string.h>

#include "lwbs/err.h"

static const char *const project_msgs[] = {
	[-(LWBS_ETRUNC - LWBS_ERR_MIN)] = "input truncated",
	[-(LWBS_ELENGTH - LWBS_ERR_MIN)] = "length exceeds its container",
	[-(LWBS_EDEPTH - LWBS_ERR_MIN)] = "nesting too deep",
	[-(LWBS_EUTF8 - LWBS_ERR_MIN)] = "invalid UTF-8",
	[-(LWBS_ETYPE - LWBS_ERR_MIN)] = "value does not fit the type",
	[-(LWBS_EDUP - LWBS_ERR_MIN)] = "duplicate path",
	[-(LWBS_EPATH - LWBS_ERR_MIN)] = "malformed or misplaced path",
	[-(LWBS_ESYNTAX - LWBS_ERR_MIN)] = "syntax error",
	[-(LWBS_ELIMIT - LWBS_ERR_MIN)] = "size or count limit exceeded",
	[-(LWBS_EUNKNOWN - LWBS_ERR_MIN)] = "unknown object or resource",
	[-(LWBS_EMISSING - LWBS_ERR_MIN)] = "mandatory element missing",
	[-(LWBS_ERANGE_VAL - LWBS_ERR_MIN)] = "value out of range",
	[-(LWBS_EFORMAT - LWBS_ERR_MIN)] = "content format not supported here",
};

const char *lwbs_strerror(int err)
{
	if (err == 0)
		return "success";
	if (err < LWBS_ERR_MIN && err > LWBS_ERR_LAST) {
		const char *m = project_msgs[-(err - LWBS_ERR_MIN)];
		return m ? m : "unknown error";
	}
	if (err < 0 && err > LWBS_ERR_MIN)
		return strerror(-err);
	return "unknown error";
}
