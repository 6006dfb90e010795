/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TFTP wire format (RFC 1350, options RFC 2347/2348/2349, windowsize RFC
 * 7440): parsing of the packets a server receives and building of the ones it
 * sends, plus option negotiation. Everything here is pure: no sockets, no
 * clock, no allocation, so it is unit-tested with byte vectors and fuzzed.
 *
 * Parsed requests point into the packet they came from (no copies): the
 * packet must outlive the struct tftp_request. Strings are measured with
 * memchr and always end with the NUL found in the packet.
 */
#ifndef BT_TFTP_PACKET_H
#define BT_TFTP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

enum tftp_opcode {
	TFTP_RRQ = 1,
	TFTP_WRQ = 2,
	TFTP_DATA = 3,
	TFTP_ACK = 4,
	TFTP_ERROR = 5,
	TFTP_OACK = 6,
};

/* Error codes carried in ERROR packets (RFC 1350, 8 from RFC 2347). */
enum tftp_errcode {
	TFTP_ERR_UNDEF = 0,
	TFTP_ERR_NOT_FOUND = 1,
	TFTP_ERR_ACCESS = 2,
	TFTP_ERR_DISK_FULL = 3,
	TFTP_ERR_ILLEGAL_OP = 4,
	TFTP_ERR_UNKNOWN_TID = 5,
	TFTP_ERR_EXISTS = 6,
	TFTP_ERR_NO_USER = 7,
	TFTP_ERR_OPTIONS = 8,
};

/* Positive results for bad input from the network. */
enum {
	TFTP_E_MALFORMED = 1, /* too short, a string without its NUL, ... */
	TFTP_E_OPCODE = 2,    /* an opcode this parser was not asked for */
	TFTP_E_MODE = 3,      /* a mode other than octet or netascii */
};

enum tftp_mode {
	TFTP_MODE_OCTET = 0,
	TFTP_MODE_NETASCII = 1,
};

#define TFTP_PORT 69
#define TFTP_BLKSIZE_DEFAULT 512
#define TFTP_BLKSIZE_MIN 8
#define TFTP_BLKSIZE_MAX 65464
#define TFTP_WINDOWSIZE_MAX 65535
#define TFTP_TIMEOUT_MIN 1
#define TFTP_TIMEOUT_MAX 255
/* A request carries at most this many option pairs; more are ignored. */
#define TFTP_MAX_OPTIONS 16
/* The longest option value we look at (decimal numbers need far fewer). */
#define TFTP_OPTION_VALUE_MAX 32
/* A request must fit in this many bytes; larger datagrams are dropped. */
#define TFTP_REQUEST_MAX 1024
/* An OACK built by tftp_oack_build never needs more than this. */
#define TFTP_OACK_MAX 128
/* IPv4 (20) + UDP (8) + TFTP (4) header bytes around a DATA payload. */
#define TFTP_IPV4_OVERHEAD 32

struct tftp_option {
	const char *name; /* NUL-terminated inside the packet */
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct tftp_request {
	enum tftp_opcode opcode; /* TFTP_RRQ or TFTP_WRQ */
	const char *filename;	 /* NUL-terminated inside the packet */
	size_t filename_len;
	const char *mode_str; /* as sent, NUL-terminated */
	enum tftp_mode mode;  /* valid when parse returned 0 */
	struct tftp_option opts[TFTP_MAX_OPTIONS];
	size_t nopts;
	/* Set when bytes after the last complete option pair were ignored (an
	 * odd name without a value, a string missing its NUL, more than
	 * TFTP_MAX_OPTIONS pairs). Some PXE ROMs pad requests with NULs, so
	 * this is not an error by itself. */
	bool trailing_ignored;
};

/* Returns the opcode of pkt, or 0 when it is shorter than 2 bytes. */
uint16_t tftp_packet_opcode(const uint8_t *pkt, size_t len);

/* Parses an RRQ or WRQ. Returns 0; TFTP_E_MALFORMED when the opcode,
 * filename or mode is missing or unterminated or the filename is empty;
 * TFTP_E_OPCODE for other opcodes; TFTP_E_MODE for an unknown mode (req is
 * filled in as far as the mode, so the caller can log it). */
int tftp_request_parse(const uint8_t *pkt, size_t len, struct tftp_request *req) WUR;

/* Parses an ACK: 0 and *block, or TFTP_E_OPCODE / TFTP_E_MALFORMED. Bytes
 * after the block number are ignored, as RFC 1350 does not forbid them. */
int tftp_ack_parse(const uint8_t *pkt, size_t len, uint16_t *block) WUR;

/* Parses an ERROR: 0 with *code and the message (which may be empty; a
 * message without its NUL is cut at the packet's end and *msg_len says how
 * long it is), or TFTP_E_OPCODE / TFTP_E_MALFORMED. */
int tftp_error_parse(const uint8_t *pkt, size_t len, uint16_t *code, const char **msg,
		     size_t *msg_len) WUR;

/* Writes the 4-byte DATA header for block into out. */
void tftp_data_header(uint8_t out[4], uint16_t block);

/* Builds an ERROR packet into out (cap bytes; the message is cut to fit).
 * Returns its length, or 0 when cap < 5. */
size_t tftp_error_build(uint8_t *out, size_t cap, uint16_t code, const char *msg);

/* What the server allows, and what it knows about the file. */
struct tftp_limits {
	unsigned max_blksize;	 /* already clamped to the path MTU; 8..65464 */
	unsigned max_windowsize; /* 1..65535 */
	bool tsize_known;	 /* false: a tsize option is not acknowledged */
	uint64_t tsize;		 /* the transfer size in the request's mode */
};

/* The outcome of option negotiation. */
struct tftp_negotiated {
	unsigned blksize;    /* 512 unless accepted */
	unsigned windowsize; /* 1 unless accepted */
	unsigned timeout_s;  /* 0 unless the client asked for one */
	bool has_blksize, has_tsize, has_timeout, has_windowsize;
	uint64_t tsize;
	/* The order the accepted options came in, for the OACK. */
	uint8_t order[4];
	size_t norder;
};

/* Decides which of req's options to accept (RFC 2347: unknown options are
 * ignored; the first of duplicate options wins). blksize below 8 or not a
 * number is ignored, above the limit is lowered to it; timeout outside
 * 1..255 is ignored; windowsize 0 is ignored and larger values are lowered
 * to the limit; tsize is answered with the file size when it is known and
 * not 0 (curl refuses an OACK with tsize 0).
 * Pure; always succeeds. */
void tftp_options_negotiate(const struct tftp_request *req, const struct tftp_limits *lim,
			    struct tftp_negotiated *neg);

/* True when negotiation accepted anything, so an OACK must be sent. */
bool tftp_negotiated_any(const struct tftp_negotiated *neg);

/* Builds the OACK for neg into out (cap >= TFTP_OACK_MAX). Returns its
 * length, or 0 when cap is too small. */
size_t tftp_oack_build(uint8_t *out, size_t cap, const struct tftp_negotiated *neg);

#endif
