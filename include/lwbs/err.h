/* lwbs — error codes.
 *
 * Every function that can fail returns int: 0 on success or a negative value.
 * Negative errno values are used where one fits (-ENOMEM, -EINVAL, -EBADMSG,
 * -ENOBUFS, -ENOTSUP, -ENOENT, -EEXIST, -ERANGE); project codes start at
 * LWBS_ERR_MIN and go down. lwbs_strerror() names both kinds.
 */
#ifndef LWBS_ERR_H
#define LWBS_ERR_H

#define LWBS_ERR_MIN (-1000)

enum lwbs_err {
	LWBS_ETRUNC = LWBS_ERR_MIN - 1,   /* input ends inside an element */
	LWBS_ELENGTH = LWBS_ERR_MIN - 2,  /* a length field exceeds its container */
	LWBS_EDEPTH = LWBS_ERR_MIN - 3,   /* nesting deeper than the format allows */
	LWBS_EUTF8 = LWBS_ERR_MIN - 4,    /* string is not valid UTF-8 */
	LWBS_ETYPE = LWBS_ERR_MIN - 5,    /* value does not fit the resource type */
	LWBS_EDUP = LWBS_ERR_MIN - 6,     /* the same path appears twice */
	LWBS_EPATH = LWBS_ERR_MIN - 7,    /* malformed or out-of-place path */
	LWBS_ESYNTAX = LWBS_ERR_MIN - 8,  /* text syntax error (JSON, link format) */
	LWBS_ELIMIT = LWBS_ERR_MIN - 9,   /* a configured size or count limit hit */
	LWBS_EUNKNOWN = LWBS_ERR_MIN - 10, /* unknown object or resource */
	LWBS_EMISSING = LWBS_ERR_MIN - 11, /* mandatory element missing */
	LWBS_ERANGE_VAL = LWBS_ERR_MIN - 12, /* value outside the allowed range */
	LWBS_EFORMAT = LWBS_ERR_MIN - 13, /* content format not supported here */
	LWBS_ERR_LAST = LWBS_ERR_MIN - 14,
};

/* Static string for an error code (negative errno or project code). */
const char *lwbs_strerror(int err);

#endif
