/* SPDX-License-Identifier: MIT */
/*
 * Instance metadata service, as EC2 serves it at 169.254.169.254:80.
 *
 * Two halves: a pure request -> response core (imds_http_parse, imds_handle,
 * imds_process: bytes in, bytes out, time passed in) that tests drive
 * without sockets, and the transport (imds_server_*): one thread serving
 * HTTP/1.1 connections accepted on a listening socket (a Unix socket that
 * libslirp connects guest TCP connections to, or loopback TCP in tests).
 *
 * IMDSv2: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds
 * (1..21600) returns a token; GETs carrying X-aws-ec2-metadata-token must
 * present a live one (401 otherwise). IMDSv1 (no token header) is allowed
 * unless require_token is set. Every request is reported as
 * VMM_EV_NET_IMDS "METHOD PATH".
 */
#ifndef NC_VMM_NET_IMDS_H
#define NC_VMM_NET_IMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"

struct imds_config {
	/* NULL fields get EC2-looking defaults (see imds.c). */
	const char *instance_id;
	const char *instance_type;
	const char *ami_id;
	const char *region;
	const char *availability_zone;
	const char *local_ipv4;
	const char *local_hostname;
	const char *interface_id;
	const char *subnet_id;
	const char *subnet_cidr;
	const char *vpc_id;
	const char *vpc_cidr;
	const char *account_id;
	uint8_t mac[6];
	const char *user_data_path; /* NULL: user-data answers 404 */
	bool require_token;         /* IMDSv2 only */
};

struct imds;

/* host may be NULL (no events). -ENOENT etc. when user_data_path cannot be
 * read. */
int imds_new(const struct imds_config *cfg, const struct dev_host *host, struct imds **ret);
void imds_free(struct imds *imds);

#define IMDS_MAX_REQUEST 16384

struct imds_request {
	char method[16];
	char path[1024];          /* origin-form, query removed */
	bool has_token;
	char token[128];
	bool has_ttl;
	char ttl[32];
	bool forwarded;           /* X-Forwarded-For present */
	bool close;               /* Connection: close, or HTTP/1.0 */
	size_t content_length;
};

/* Parse one request from buf. 1: complete (ret filled, *ret_consumed bytes
 * used incl. body), 0: need more bytes, -EBADMSG: malformed, -E2BIG: too
 * large. */
int imds_http_parse(const char *buf, size_t len, struct imds_request *ret, size_t *ret_consumed);

struct imds_response {
	int status;
	char *body;               /* malloc'd, may be NULL when body_len is 0 */
	size_t body_len;
	long token_ttl;           /* > 0: echo the TTL header */
};

/* The service itself. now_ms: a monotonic clock in milliseconds. */
int imds_handle(struct imds *imds, const struct imds_request *req, uint64_t now_ms,
		struct imds_response *ret);
void imds_response_clear(struct imds_response *r);

/* Bytes in, bytes out: consume at most one request from in. Returns 1 with
 * *ret_out (malloc'd HTTP response) when a request was answered, 0 when more
 * input is needed, or -errno; malformed input yields a 400 response and
 * *ret_close set. */
int imds_process(struct imds *imds, const char *in, size_t len, uint64_t now_ms,
		 size_t *ret_consumed, char **ret_out, size_t *ret_out_len, bool *ret_close);

/* ---- Transport ----------------------------------------------------------- */
struct imds_server;

/* Takes listen_fd (a listening stream socket) in every case. */
int imds_server_start(struct imds *imds, int listen_fd, struct imds_server **ret);
void imds_server_stop(struct imds_server *srv);
/* Listening sockets: loopback TCP (port 0 picks one) or a Unix path. */
int imds_listen_tcp_loopback(uint16_t port, int *ret_fd, uint16_t *ret_port);
int imds_listen_unix(const char *path, int *ret_fd);

#endif
