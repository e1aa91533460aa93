/* lwbs — object definitions for objects 0, 1, 2, 3, 11 and 21.
 *
 * Which registry version is encoded for each LwM2M version
 * (registry = github:OpenMobileAlliance/lwm2m-registry, DDF files 0.xml,
 * 1.xml, 2.xml, 3.xml, 21.xml, version_history/2-1_1.xml, 3-1_0_2.xml,
 * 11-1_0.xml, 21-1_1.xml, 21-2_0.xml; STANDARDS.md §2 for the rest):
 *
 *   object            LwM2M 1.0   LwM2M 1.1   LwM2M 1.2
 *   0  Security       1.0 (0-12)  1.1 (0-17)  1.2 (0-30)
 *   1  Server         1.0 (0-8)   1.1 (0-23)  1.2 (0-27)
 *   2  Access Control 1.0         1.1         1.1
 *   3  Device         1.0         1.1         1.2
 *   11 APN profile    1.0 (0-25)  1.1 (0-33)  1.1
 *   21 OSCORE         1.0 (0-5)   1.1 (0-6)   2.0
 *
 * How the pairs were chosen:
 * - Leshan's ObjectLoader.loadDefault(version) (eclipse-leshan/leshan,
 *   org.eclipse.leshan.core.model.ObjectLoader) keeps, per object, the newest
 *   bundled DDF whose <LWM2MVersion> is not newer than the client's; its
 *   bundle gives 0/1/2/3 v1.0 to 1.0 clients and 0 v1.1, 1 v1.1, 3 v1.1 to
 *   1.1 clients. The registry's 0.xml v1.2 and 3.xml v1.2 declare
 *   <LWM2MVersion>1.1</LWM2MVersion>, but they carry 1.2 features (TLS 1.3,
 *   MQTT, Error Code 0..32), so lwbs gives them to 1.2 clients only; 1.xml
 *   v1.2 declares LwM2M 1.2.
 * - Object 2: v1.1 (declared <LWM2MVersion>1.0</LWM2MVersion>) only narrows
 *   the ACL value to 0..31 (bits 5+ were already reserved). Leshan keeps 2
 *   v1.0 for 1.1 clients; lwbs uses v1.1 for 1.1 and 1.2 so that a BS never
 *   writes reserved ACL bits, and v1.0 ("16-bit": 0..65535) for 1.0.
 * - Object 11 v1.0 and object 21 v1.0 predate LwM2M 1.1 registries; a BS
 *   may still write them to a 1.0 client, which gets the oldest definition.
 *   21 v2.0 (declared LwM2M 1.1) changed the key types from String to
 *   Opaque, a breaking change: lwbs gives it to 1.2 clients only and 21 v1.1
 *   to 1.1 clients (v1.1 = v1.0 plus resource 6, same types).
 *
 * Values that are not the DDF's own RangeEnumeration: Short Server ID is
 * 1..65534 everywhere (1 v1.0 said 1-65535, but 65535 is MAX_ID, reserved);
 * APN Authentication Type and PDN Type 0..3 come from their enumerations in
 * the description (the DDF has no range); Security Mode 0..4 for 0 v1.0
 * follows STANDARDS.md §2.1 (the 0-1_0 DDF was not available to check).
 * Security 7 (exactly 6 bytes) and 8 (16, 32 or 48 bytes) are kept as upper
 * limits 6 and 48; URIs (0/x/0, 0/x/25) are limited to 255 bytes.
 *
 * Resources without operations in the DDF (Security, OSCORE, Server 13-20 in
 * v1.1) are only reachable through bootstrap: ops is LWBS_OP_NONE, their
 * type is not NONE, and they are writable by Bootstrap-Write.
 */
#include <errno.h>
#include <stdint.h>

#include "lwbs/model.h"

#define NO_RANGE .min = 1, .max = 0

/* Single / multiple, mandatory / optional. */
#define S .multiple = false
#define M .multiple = true
#define MAND .mandatory = true
#define OPT .mandatory = false

#define RES(i, n, t, o, ...)                                                    \
	{                                                                           \
		.id = (i), .name = (n), .type = LWBS_TYPE_##t, .ops = (o), NO_RANGE, \
		__VA_ARGS__                                                         \
	}
#define RESR(i, n, t, o, lo, hi, ...)                                           \
	{                                                                           \
		.id = (i), .name = (n), .type = LWBS_TYPE_##t, .ops = (o),           \
		.min = (lo), .max = (hi), __VA_ARGS__                               \
	}
#define MAXLEN(n) .max_len = (n)

#define R LWBS_OP_R
#define RW (LWBS_OP_R | LWBS_OP_W)
#define E LWBS_OP_E
#define NOOPS LWBS_OP_NONE

/* Security 1.2 (0.xml); versions 1.0 and 1.1 are its first 13 and 18 rows:
 * per STANDARDS.md §2.1 ("Since" column) later versions only add rows. */
static const struct lwbs_res_def security_res[] = {
	RES(0, "LwM2M Server URI", STRING, NOOPS, S, MAND, MAXLEN(255)),
	RES(1, "Bootstrap-Server", BOOLEAN, NOOPS, S, MAND),
	RESR(2, "Security Mode", INTEGER, NOOPS, 0, 4, S, MAND),
	RES(3, "Public Key or Identity", OPAQUE, NOOPS, S, MAND),
	RES(4, "Server Public Key", OPAQUE, NOOPS, S, MAND),
	RES(5, "Secret Key", OPAQUE, NOOPS, S, MAND),
	RESR(6, "SMS Security Mode", INTEGER, NOOPS, 0, 255, S, OPT),
	RES(7, "SMS Binding Key Parameters", OPAQUE, NOOPS, S, OPT, MAXLEN(6)),
	RES(8, "SMS Binding Secret Key(s)", OPAQUE, NOOPS, S, OPT, MAXLEN(48)),
	RES(9, "LwM2M Server SMS Number", STRING, NOOPS, S, OPT),
	RESR(10, "Short Server ID", INTEGER, NOOPS, 1, 65534, S, OPT),
	RES(11, "Client Hold Off Time", INTEGER, NOOPS, S, OPT),
	RES(12, "Bootstrap-Server Account Timeout", INTEGER, NOOPS, S, OPT),
	/* 1.1 */
	RESR(13, "Matching Type", UNSIGNED, NOOPS, 0, 3, S, OPT),
	RES(14, "SNI", STRING, NOOPS, S, OPT),
	RESR(15, "Certificate Usage", UNSIGNED, NOOPS, 0, 3, S, OPT),
	RES(16, "DTLS/TLS Ciphersuite", UNSIGNED, NOOPS, M, OPT),
	RES(17, "OSCORE Security Mode", OBJLNK, NOOPS, S, OPT),
	/* 1.2 */
	RESR(18, "Groups To Use by Client", UNSIGNED, NOOPS, 0, 65535, M, OPT),
	RESR(19, "Signature Algorithms Supported by Server", UNSIGNED, NOOPS, 0, 65535, M, OPT),
	RESR(20, "Signature Algorithms To Use by Client", UNSIGNED, NOOPS, 0, 65535, M, OPT),
	RESR(21, "Signature Algorithm Certs Supported by Server", UNSIGNED, NOOPS, 0, 65535, M, OPT),
	RES(22, "TLS 1.3 Features To Use by Client", UNSIGNED, NOOPS, S, OPT),
	RES(23, "TLS Extensions Supported by Server", UNSIGNED, NOOPS, S, OPT),
	RES(24, "TLS Extensions To Use by Client", UNSIGNED, NOOPS, S, OPT),
	RES(25, "Secondary LwM2M Server URI", STRING, NOOPS, M, OPT, MAXLEN(255)),
	RES(26, "MQTT Server", OBJLNK, NOOPS, S, OPT),
	RES(27, "LwM2M COSE Security", OBJLNK, NOOPS, M, OPT),
	RESR(28, "RDS Destination Port", INTEGER, NOOPS, 0, 15, S, OPT),
	RESR(29, "RDS Source Port", INTEGER, NOOPS, 0, 15, S, OPT),
	RES(30, "RDS Application ID", STRING, NOOPS, S, OPT),
};

/* Server 1.1; version 1.0 is its first 9 rows. */
static const struct lwbs_res_def server11_res[] = {
	RESR(0, "Short Server ID", INTEGER, R, 1, 65534, S, MAND),
	RES(1, "Lifetime", INTEGER, RW, S, MAND),
	RES(2, "Default Minimum Period", INTEGER, RW, S, OPT),
	RES(3, "Default Maximum Period", INTEGER, RW, S, OPT),
	RES(4, "Disable", NONE, E, S, OPT),
	RES(5, "Disable Timeout", INTEGER, RW, S, OPT),
	RES(6, "Notification Storing When Disabled or Offline", BOOLEAN, RW, S, MAND),
	RES(7, "Binding", STRING, RW, S, MAND),
	RES(8, "Registration Update Trigger", NONE, E, S, MAND),
	/* 1.1 */
	RES(9, "Bootstrap-Request Trigger", NONE, E, S, OPT),
	RES(10, "APN Link", OBJLNK, RW, S, OPT),
	RESR(11, "TLS-DTLS Alert Code", UNSIGNED, R, 0, 255, S, OPT),
	RES(12, "Last Bootstrapped", TIME, R, S, OPT),
	RES(13, "Registration Priority Order", UNSIGNED, NOOPS, S, OPT),
	RES(14, "Initial Registration Delay Timer", UNSIGNED, NOOPS, S, OPT),
	RES(15, "Registration Failure Block", BOOLEAN, NOOPS, S, OPT),
	RES(16, "Bootstrap on Registration Failure", BOOLEAN, NOOPS, S, OPT),
	RES(17, "Communication Retry Count", UNSIGNED, NOOPS, S, OPT),
	RES(18, "Communication Retry Timer", UNSIGNED, NOOPS, S, OPT),
	RES(19, "Communication Sequence Delay Timer", UNSIGNED, NOOPS, S, OPT),
	RES(20, "Communication Sequence Retry Count", UNSIGNED, NOOPS, S, OPT),
	RES(21, "Trigger", BOOLEAN, RW, S, OPT),
	RES(22, "Preferred Transport", STRING, RW, S, OPT),
	RES(23, "Mute Send", BOOLEAN, RW, S, OPT),
};

/* Server 1.2: Lifetime became Unsigned Integer, 13-20 got operations. */
static const struct lwbs_res_def server12_res[] = {
	RESR(0, "Short Server ID", INTEGER, R, 1, 65534, S, MAND),
	RES(1, "Lifetime", UNSIGNED, RW, S, MAND),
	RES(2, "Default Minimum Period", INTEGER, RW, S, OPT),
	RES(3, "Default Maximum Period", INTEGER, RW, S, OPT),
	RES(4, "Disable", NONE, E, S, OPT),
	RES(5, "Disable Timeout", INTEGER, RW, S, OPT),
	RES(6, "Notification Storing When Disabled or Offline", BOOLEAN, RW, S, MAND),
	RES(7, "Binding", STRING, RW, S, MAND),
	RES(8, "Registration Update Trigger", NONE, E, S, MAND),
	RES(9, "Bootstrap-Request Trigger", NONE, E, S, OPT),
	RES(10, "APN Link", OBJLNK, RW, S, OPT),
	RESR(11, "TLS-DTLS Alert Code", UNSIGNED, R, 0, 255, S, OPT),
	RES(12, "Last Bootstrapped", TIME, R, S, OPT),
	RES(13, "Registration Priority Order", UNSIGNED, R, S, OPT),
	RES(14, "Initial Registration Delay Timer", UNSIGNED, RW, S, OPT),
	RES(15, "Registration Failure Block", BOOLEAN, R, S, OPT),
	RES(16, "Bootstrap on Registration Failure", BOOLEAN, R, S, OPT),
	RES(17, "Communication Retry Count", UNSIGNED, RW, S, OPT),
	RES(18, "Communication Retry Timer", UNSIGNED, RW, S, OPT),
	RES(19, "Communication Sequence Delay Timer", UNSIGNED, RW, S, OPT),
	RES(20, "Communication Sequence Retry Count", UNSIGNED, RW, S, OPT),
	RES(21, "Trigger", BOOLEAN, RW, S, OPT),
	RES(22, "Preferred Transport", STRING, RW, S, OPT),
	RES(23, "Mute Send", BOOLEAN, RW, S, OPT),
	RES(24, "Alternate APN Links", OBJLNK, RW, M, OPT),
	RES(25, "Supported Server Versions", STRING, RW, M, OPT),
	RESR(26, "Default Notification Mode", INTEGER, RW, 0, 1, S, OPT),
	RESR(27, "Profile ID Hash Algorithm", UNSIGNED, RW, 0, 255, S, OPT),
};

static const struct lwbs_res_def acl10_res[] = {
	RESR(0, "Object ID", INTEGER, R, 1, 65534, S, MAND),
	RESR(1, "Object Instance ID", INTEGER, R, 0, 65535, S, MAND),
	RESR(2, "ACL", INTEGER, RW, 0, 65535, M, OPT),
	RESR(3, "Access Control Owner", INTEGER, RW, 0, 65535, S, MAND),
};

static const struct lwbs_res_def acl11_res[] = {
	RESR(0, "Object ID", INTEGER, R, 1, 65534, S, MAND),
	RESR(1, "Object Instance ID", INTEGER, R, 0, 65535, S, MAND),
	RESR(2, "ACL", INTEGER, RW, 0, 31, M, OPT),
	RESR(3, "Access Control Owner", INTEGER, RW, 0, 65535, S, MAND),
};

#define DEVICE_ROWS(err_max)                                                        \
	RES(0, "Manufacturer", STRING, R, S, OPT),                                   \
	RES(1, "Model Number", STRING, R, S, OPT),                                   \
	RES(2, "Serial Number", STRING, R, S, OPT),                                  \
	RES(3, "Firmware Version", STRING, R, S, OPT),                               \
	RES(4, "Reboot", NONE, E, S, MAND),                                          \
	RES(5, "Factory Reset", NONE, E, S, OPT),                                    \
	RESR(6, "Available Power Sources", INTEGER, R, 0, 7, M, OPT),          \
	RES(7, "Power Source Voltage", INTEGER, R, M, OPT),                          \
	RES(8, "Power Source Current", INTEGER, R, M, OPT),                          \
	RESR(9, "Battery Level", INTEGER, R, 0, 100, S, OPT),                  \
	RES(10, "Memory Free", INTEGER, R, S, OPT),                                  \
	RESR(11, "Error Code", INTEGER, R, 0, err_max, M, MAND),               \
	RES(12, "Reset Error Code", NONE, E, S, OPT),                                \
	RES(13, "Current Time", TIME, RW, S, OPT),                                   \
	RES(14, "UTC Offset", STRING, RW, S, OPT),                                   \
	RES(15, "Timezone", STRING, RW, S, OPT),                                     \
	RES(16, "Supported Binding and Modes", STRING, R, S, MAND),                  \
	RES(17, "Device Type", STRING, R, S, OPT),                                   \
	RES(18, "Hardware Version", STRING, R, S, OPT),                              \
	RES(19, "Software Version", STRING, R, S, OPT),                              \
	RESR(20, "Battery Status", INTEGER, R, 0, 6, S, OPT),                  \
	RES(21, "Memory Total", INTEGER, R, S, OPT),                                 \
	RES(22, "ExtDevInfo", OBJLNK, R, M, OPT)

/* Device 1.0 and 1.1 (Error Code 0..8). */
static const struct lwbs_res_def device10_res[] = {DEVICE_ROWS(8)};
/* Device 1.2 (Error Code 0..32: 16..32 device specific). */
static const struct lwbs_res_def device12_res[] = {DEVICE_ROWS(32)};

/* APN connection profile 1.1; version 1.0 is its first 26 rows. */
static const struct lwbs_res_def apn_res[] = {
	RES(0, "Profile name", STRING, RW, S, MAND),
	RES(1, "APN", STRING, RW, S, OPT),
	RES(2, "Auto select APN by device", BOOLEAN, RW, S, OPT),
	RES(3, "Enable status", BOOLEAN, RW, S, OPT),
	RESR(4, "Authentication Type", INTEGER, RW, 0, 3, S, MAND),
	RES(5, "User Name", STRING, RW, S, OPT),
	RES(6, "Secret", STRING, RW, S, OPT),
	RES(7, "Reconnect Schedule", STRING, RW, S, OPT),
	RES(8, "Validity (MCC, MNC)", STRING, RW, M, OPT),
	RES(9, "Connection establishment time", TIME, R, M, OPT),
	RES(10, "Connection establishment result", INTEGER, R, M, OPT),
	RESR(11, "Connection establishment reject cause", INTEGER, R, 0, 111, M, OPT),
	RES(12, "Connection end time", TIME, R, M, OPT),
	RES(13, "TotalBytesSent", INTEGER, R, S, OPT),
	RES(14, "TotalBytesReceived", INTEGER, R, S, OPT),
	RES(15, "IP address", STRING, RW, M, OPT),
	RES(16, "Prefix length", STRING, RW, M, OPT),
	RES(17, "Subnet mask", STRING, RW, M, OPT),
	RES(18, "Gateway", STRING, RW, M, OPT),
	RES(19, "Primary DNS address", STRING, RW, M, OPT),
	RES(20, "Secondary DNS address", STRING, RW, M, OPT),
	RESR(21, "QCI", INTEGER, R, 1, 9, S, OPT),
	RES(22, "Vendor specific extensions", OBJLNK, R, S, OPT),
	RES(23, "TotalPacketsSent", INTEGER, R, S, OPT),
	RESR(24, "PDN Type", INTEGER, RW, 0, 3, S, OPT),
	RES(25, "APN Rate Control", INTEGER, R, S, OPT),
	/* 1.1 */
	RES(26, "Serving PLMN Rate control", UNSIGNED, RW, S, OPT),
	RESR(27, "Uplink Time Unit", UNSIGNED, RW, 0, 4, S, OPT),
	RES(28, "APN Rate Control for Exception Data", INTEGER, R, S, OPT),
	RESR(29, "APN Exception Data Uplink Time Unit", UNSIGNED, RW, 0, 4, S, OPT),
	RES(30, "Supported RAT Types", UNSIGNED, RW, M, OPT),
	RES(31, "RDS Application ID", STRING, RW, M, OPT),
	RESR(32, "RDS Destination Port", INTEGER, RW, 0, 15, M, OPT),
	RESR(33, "RDS Source Port", INTEGER, RW, 0, 15, M, OPT),
};

/* OSCORE 1.1; version 1.0 is its first 6 rows. */
static const struct lwbs_res_def oscore11_res[] = {
	RES(0, "OSCORE Master Secret", STRING, NOOPS, S, MAND),
	RES(1, "OSCORE Sender ID", STRING, NOOPS, S, MAND),
	RES(2, "OSCORE Recipient ID", STRING, NOOPS, S, MAND),
	RES(3, "OSCORE AEAD Algorithm", INTEGER, NOOPS, S, OPT),
	RES(4, "OSCORE HMAC Algorithm", INTEGER, NOOPS, S, OPT),
	RES(5, "OSCORE Master Salt", STRING, NOOPS, S, OPT),
	/* 1.1 */
	RES(6, "OSCORE ID Context", STRING, NOOPS, S, OPT),
};

/* OSCORE 2.0: key material became Opaque. */
static const struct lwbs_res_def oscore20_res[] = {
	RES(0, "OSCORE Master Secret", OPAQUE, NOOPS, S, MAND),
	RES(1, "OSCORE Sender ID", OPAQUE, NOOPS, S, MAND),
	RES(2, "OSCORE Recipient ID", OPAQUE, NOOPS, S, MAND),
	RES(3, "OSCORE AEAD Algorithm", INTEGER, NOOPS, S, OPT),
	RES(4, "OSCORE HMAC Algorithm", INTEGER, NOOPS, S, OPT),
	RES(5, "OSCORE Master Salt", OPAQUE, NOOPS, S, OPT),
	RES(6, "OSCORE ID Context", OPAQUE, NOOPS, S, OPT),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define OBJ(o, n, maj, min, mult, mand, table, count)                               \
	{                                                                            \
		.oid = (o), .name = (n), .ver_major = (maj), .ver_minor = (min),     \
		.multiple = (mult), .mandatory = (mand), .res = (table), .n_res = (count) \
	}

static const struct lwbs_obj_def security10 = OBJ(0, "LwM2M Security", 1, 0, true, true, security_res, 13);
static const struct lwbs_obj_def security11 = OBJ(0, "LwM2M Security", 1, 1, true, true, security_res, 18);
static const struct lwbs_obj_def security12 =
	OBJ(0, "LwM2M Security", 1, 2, true, true, security_res, N(security_res));
static const struct lwbs_obj_def server10 = OBJ(1, "LwM2M Server", 1, 0, true, true, server11_res, 9);
static const struct lwbs_obj_def server11 =
	OBJ(1, "LwM2M Server", 1, 1, true, true, server11_res, N(server11_res));
static const struct lwbs_obj_def server12 =
	OBJ(1, "LwM2M Server", 1, 2, true, true, server12_res, N(server12_res));
static const struct lwbs_obj_def acl10 =
	OBJ(2, "LwM2M Access Control", 1, 0, true, false, acl10_res, N(acl10_res));
static const struct lwbs_obj_def acl11 =
	OBJ(2, "LwM2M Access Control", 1, 1, true, false, acl11_res, N(acl11_res));
static const struct lwbs_obj_def device10 = OBJ(3, "Device", 1, 0, false, true, device10_res, N(device10_res));
static const struct lwbs_obj_def device11 = OBJ(3, "Device", 1, 1, false, true, device10_res, N(device10_res));
static const struct lwbs_obj_def device12 = OBJ(3, "Device", 1, 2, false, true, device12_res, N(device12_res));
static const struct lwbs_obj_def apn10 = OBJ(11, "APN connection profile", 1, 0, true, false, apn_res, 26);
static const struct lwbs_obj_def apn11 =
	OBJ(11, "APN connection profile", 1, 1, true, false, apn_res, N(apn_res));
static const struct lwbs_obj_def oscore10 = OBJ(21, "LwM2M OSCORE", 1, 0, true, false, oscore11_res, 6);
static const struct lwbs_obj_def oscore11 =
	OBJ(21, "LwM2M OSCORE", 1, 1, true, false, oscore11_res, N(oscore11_res));
static const struct lwbs_obj_def oscore20 =
	OBJ(21, "LwM2M OSCORE", 2, 0, true, false, oscore20_res, N(oscore20_res));

struct version_row {
	uint16_t oid;
	const struct lwbs_obj_def *v10, *v11, *v12;
};

static const struct version_row versions[] = {
	{0, &security10, &security11, &security12},
	{1, &server10, &server11, &server12},
	{2, &acl10, &acl11, &acl11},
	{3, &device10, &device11, &device12},
	{11, &apn10, &apn11, &apn11},
	{21, &oscore10, &oscore11, &oscore20},
};

int lwbs_version_parse(const char *s, enum lwbs_version *out)
{
	enum lwbs_version v;

	if (!s || s[0] != '1' || s[1] != '.')
		return -EINVAL;
	switch (s[2]) {
	case '0':
		v = LWBS_V1_0;
		break;
	case '1':
		v = LWBS_V1_1;
		break;
	case '2':
		v = LWBS_V1_2;
		break;
	default:
		return -EINVAL;
	}
	s += 3;
	if (*s == '.') {
		/* patch: one or more digits */
		s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

const char *lwbs_version_str(enum lwbs_version v)
{
	switch (v) {
	case LWBS_V1_0:
		return "1.0";
	case LWBS_V1_1:
		return "1.1";
	case LWBS_V1_2:
		return "1.2";
	}
	return "unknown";
}

const struct lwbs_obj_def *lwbs_model_object(uint16_t oid, enum lwbs_version v)
{
	for (size_t i = 0; i < N(versions); i++) {
		if (versions[i].oid != oid)
			continue;
		switch (v) {
		case LWBS_V1_0:
			return versions[i].v10;
		case LWBS_V1_1:
			return versions[i].v11;
		case LWBS_V1_2:
			return versions[i].v12;
		}
		return NULL;
	}
	return NULL;
}

const struct lwbs_res_def *lwbs_model_resource(const struct lwbs_obj_def *o, uint16_t rid)
{
	size_t lo = 0, hi;

	if (!o)
		return NULL;
	hi = o->n_res;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->res[mid].id == rid)
			return &o->res[mid];
		if (o->res[mid].id < rid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

enum lwbs_type lwbs_model_type(void *ctx, uint16_t oid, uint16_t rid)
{
	const struct lwbs_res_def *r;

	if (!ctx)
		return LWBS_TYPE_NONE;
	r = lwbs_model_resource(lwbs_model_object(oid, *(const enum lwbs_version *)ctx), rid);
	return r ? r->type : LWBS_TYPE_NONE;
}

struct lwbs_typer lwbs_model_typer(const enum lwbs_version *v)
{
	/* The typer only reads *v; ctx is void * because typers are generic. */
	struct lwbs_typer t = {lwbs_model_type, (void *)(uintptr_t)v};
	return t;
}
