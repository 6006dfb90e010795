/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The BOOTP/DHCP wire format (RFC 2131, RFC 2132, RFC 3396): parsing a
 * request into a struct with an options table, and building replies into a
 * caller's buffer. Pure functions over bytes, no allocation, no sockets.
 *
 * Parsing walks the options field with a cursor, then the `file` and `sname`
 * fields when option 52 (overload) says they carry options too. An option
 * that appears more than once is concatenated in order (RFC 3396). The first
 * length that runs past its field makes the whole packet DHCP_E_MALFORMED.
 *
 * Addresses in these structs are IPv4 in host byte order.
 */
#ifndef BT_DHCP_PACKET_H
#define BT_DHCP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Positive codes for input from outside that we drop (never fatal). */
enum {
	DHCP_E_MALFORMED = 1, /* truncated, bad magic, option past its field, ... */
	DHCP_E_UNSUPPORTED,   /* not a request, not Ethernet, not a message we handle */
	DHCP_E_NOT_FOR_US,    /* another server was selected, wrong interface, not PXE */
	DHCP_E_EXHAUSTED,     /* no free address in the range */
	DHCP_E_RATE,	      /* this MAC sends too fast */
	DHCP_E_NOSPACE,	      /* the reply does not fit in the client's maximum size */
};

/* A short text for a DHCP_E_* code (or "ok" for 0). */
const char *dhcp_strerror(int code);

#define DHCP_PORT_SERVER 67
#define DHCP_PORT_CLIENT 68
#define DHCP_PORT_PXE 4011

#define DHCP_OP_REQUEST 1
#define DHCP_OP_REPLY 2
#define DHCP_HTYPE_ETHER 1
#define DHCP_FLAG_BROADCAST 0x8000

/* The fixed BOOTP header, the magic cookie, and the smallest reply we send
 * (BOOTP relays and some ROMs drop anything shorter than 300 bytes). */
#define DHCP_HEADER_LEN 236
#define DHCP_MIN_LEN 240
#define DHCP_MIN_REPLY_LEN 300
/* The largest DHCP message we read or write: an Ethernet MTU less IP and
 * UDP headers. Larger datagrams are dropped, never allocated. */
#define DHCP_PACKET_MAX 1472
/* RFC 2131: every client must accept 576-byte IP datagrams. */
#define DHCP_DEFAULT_MAX 548

enum dhcp_msg_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

enum dhcp_option_code {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_SUBNET_MASK = 1,
	DHCP_OPT_ROUTER = 3,
	DHCP_OPT_DNS = 6,
	DHCP_OPT_HOSTNAME = 12,
	DHCP_OPT_DOMAIN = 15,
	DHCP_OPT_BROADCAST = 28,
	DHCP_OPT_VENDOR = 43,
	DHCP_OPT_REQUESTED_IP = 50,
	DHCP_OPT_LEASE_TIME = 51,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PARAM_LIST = 55,
	DHCP_OPT_MESSAGE = 56,
	DHCP_OPT_MAX_SIZE = 57,
	DHCP_OPT_RENEWAL = 58,
	DHCP_OPT_REBINDING = 59,
	DHCP_OPT_VENDOR_CLASS = 60,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_TFTP_SERVER = 66,
	DHCP_OPT_BOOTFILE = 67,
	DHCP_OPT_USER_CLASS = 77,
	DHCP_OPT_RELAY_AGENT = 82,
	DHCP_OPT_CLIENT_ARCH = 93,
	DHCP_OPT_CLIENT_NDI = 94,
	DHCP_OPT_UUID = 97,
	DHCP_OPT_IPXE_ENCAP = 175,
	DHCP_OPT_PXELINUX_CONFIG = 209,
	DHCP_OPT_PXELINUX_PREFIX = 210,
	DHCP_OPT_END = 255,
};

/* A parsed request. Option data lives in optdata (concatenated per code). */
struct dhcp_packet {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	/* 0 when option 53 is absent (a BOOTP packet). */
	uint8_t msg_type;
	/* Bit n set when option n is present. */
	uint8_t present[32];
	uint16_t opt_off[256];
	uint16_t opt_len[256];
	uint16_t optdata_len;
	uint8_t optdata[DHCP_PACKET_MAX];
};

/* Parses len bytes of a BOOTP/DHCP message into *pkt. Returns 0, or
 * DHCP_E_MALFORMED for a packet shorter than the header, a bad magic cookie,
 * hlen > 16, an option running past its field, a bad overload value or a
 * bad option 53; DHCP_E_UNSUPPORTED for a packet larger than
 * DHCP_PACKET_MAX. */
int dhcp_packet_parse(struct dhcp_packet *pkt, const uint8_t *data, size_t len) WUR;

/* The data of option code (NULL when absent); *len gets its length. */
const uint8_t *dhcp_packet_option(const struct dhcp_packet *pkt, uint8_t code, size_t *len);
bool dhcp_packet_has(const struct dhcp_packet *pkt, uint8_t code);
/* Option code as one IPv4 address (host order): true when present with
 * exactly four bytes. */
bool dhcp_packet_option_ip(const struct dhcp_packet *pkt, uint8_t code, uint32_t *ip);
/* The largest reply this client accepts (option 57, at least 548 bytes,
 * never more than DHCP_PACKET_MAX). */
size_t dhcp_packet_max_reply(const struct dhcp_packet *pkt);

/*
 * A reply being built into a caller's buffer of cap bytes. Options are
 * appended in order; one that does not fit (leaving room for the END byte)
 * fails with DHCP_E_NOSPACE and leaves the reply as it was, so callers add
 * the options that matter most first.
 */
struct dhcp_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

/* Starts a reply to req: op BOOTREPLY, the client's xid, flags, giaddr,
 * chaddr and hlen copied, the magic cookie, and option 53 = type.
 * cap must be at least DHCP_MIN_REPLY_LEN. */
void dhcp_builder_init(struct dhcp_builder *b, uint8_t *buf, size_t cap,
		       const struct dhcp_packet *req, uint8_t type);
void dhcp_builder_set_addrs(struct dhcp_builder *b, uint32_t ciaddr, uint32_t yiaddr,
			    uint32_t siaddr);
/* Copies a NUL-terminated string into the sname (64) or file (128) field;
 * returns false (and leaves the field empty) when it does not fit. */
bool dhcp_builder_set_sname(struct dhcp_builder *b, const char *s);
bool dhcp_builder_set_file(struct dhcp_builder *b, const char *s);
/* Appends an option; data longer than 255 bytes is split into several
 * options of the same code (RFC 3396). 0 or DHCP_E_NOSPACE. */
int dhcp_builder_option(struct dhcp_builder *b, uint8_t code, const void *data, size_t len) WUR;
int dhcp_builder_option_u32(struct dhcp_builder *b, uint8_t code, uint32_t v) WUR;
int dhcp_builder_option_str(struct dhcp_builder *b, uint8_t code, const char *s) WUR;
/* Writes the END option, pads to DHCP_MIN_REPLY_LEN and returns the length. */
size_t dhcp_builder_finish(struct dhcp_builder *b);

/* Formats a MAC as "aa:bb:cc:dd:ee:ff" into out (at least 18 bytes). */
const char *dhcp_mac_str(char *out, const uint8_t mac[6]);
/* Formats a host-order IPv4 address into out (at least 16 bytes). */
const char *dhcp_ip_str(char *out, uint32_t ip);

#endif
