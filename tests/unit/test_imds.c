/* SPDX-License-Identifier: MIT */
/*
 * IMDS: the IMDSv2 token flow, IMDSv1, listings, 401/404/405/400 cases over
 * the pure core, then the same over a real loopback TCP connection, the way
 * cloud-init and curl talk to 169.254.169.254.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <jansson.h>

#include "vmm/net/imds.h"

struct ev_log {
	char lines[64][160];
	unsigned int n;
};

static void on_event(void *opaque, enum vmm_event ev, const char *detail)
{
	struct ev_log *log = opaque;

	assert_int_equal(ev, VMM_EV_NET_IMDS);
	if (log->n < 64)
		snprintf(log->lines[log->n++], sizeof(log->lines[0]), "%s", detail);
}

struct fixture {
	struct imds *imds;
	struct ev_log log;
	struct dev_host host;
	char ud_path[64];
};

static const struct imds_config base_cfg = {
	.instance_id = "i-0abc1234def567890",
	.instance_type = "t3.micro",
	.ami_id = "ami-0123abcd",
	.region = "eu-west-1",
	.availability_zone = "eu-west-1b",
	.local_ipv4 = "172.31.16.5",
	.mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
};

static int setup_common(void **state, bool with_userdata)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct imds_config cfg = base_cfg;

	assert_non_null(f);
	f->host.event = on_event;
	f->host.opaque = &f->log;
	if (with_userdata) {
		int fd;

		snprintf(f->ud_path, sizeof(f->ud_path), "/tmp/nc-imds-ud-XXXXXX");
		fd = mkstemp(f->ud_path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "#cloud-config\nruncmd: [true]\n", 29), 29);
		close(fd);
		cfg.user_data_path = f->ud_path;
	}
	assert_int_equal(imds_new(&cfg, &f->host, &f->imds), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_common(state, false);
}

static int setup_ud(void **state)
{
	return setup_common(state, true);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	imds_free(f->imds);
	if (f->ud_path[0])
		unlink(f->ud_path);
	free(f);
	return 0;
}

/* Run one raw request through the core; returns status, body in *body. */
static int ask(struct fixture *f, const char *raw, uint64_t now, char **body, char **headers)
{
	size_t used = 0, olen = 0;
	char *out = NULL, *sep;
	bool close_it = false;
	int status = -1;

	assert_int_equal(imds_process(f->imds, raw, strlen(raw), now, &used, &out, &olen, &close_it), 1);
	assert_int_equal(used, strlen(raw));
	assert_int_equal(sscanf(out, "HTTP/1.1 %d", &status), 1);
	sep = strstr(out, "\r\n\r\n");
	assert_non_null(sep);
	if (body)
		*body = strdup(sep + 4);
	if (headers) {
		*sep = '\0';
		*headers = strdup(out);
	}
	free(out);
	return status;
}

static char *get_token(struct fixture *f, const char *ttl, uint64_t now)
{
	char req[256], *body = NULL, *hdr = NULL;

	snprintf(req, sizeof(req), "PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n"
		 "X-aws-ec2-metadata-token-ttl-seconds: %s\r\n\r\n", ttl);
	assert_int_equal(ask(f, req, now, &body, &hdr), 200);
	assert_non_null(strstr(hdr, "X-aws-ec2-metadata-token-ttl-seconds: "));
	free(hdr);
	assert_true(strlen(body) >= 32);
	return body;
}

static int get_with_token(struct fixture *f, const char *path, const char *token, uint64_t now,
			  char **body)
{
	char req[512];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 169.254.169.254\r\n"
		 "X-aws-ec2-metadata-token: %s\r\n\r\n", path, token);
	return ask(f, req, now, body, NULL);
}

static void test_v2_token_flow(void **state)
{
	struct fixture *f = *state;
	char *token = get_token(f, "21600", 1000), *body = NULL;

	assert_int_equal(get_with_token(f, "/latest/meta-data/instance-id", token, 2000, &body), 200);
	assert_string_equal(body, "i-0abc1234def567890");
	free(body);
	/* Expired after its TTL, wrong token, empty token */
	assert_int_equal(get_with_token(f, "/latest/meta-data/instance-id", token,
					1000 + 21600 * 1000ull + 1, NULL), 401);
	assert_int_equal(get_with_token(f, "/latest/meta-data/instance-id", "AAAAbogus", 2000, NULL), 401);
	assert_int_equal(get_with_token(f, "/latest/meta-data/instance-id", "", 2000, NULL), 401);
	free(token);

	/* Short TTL */
	token = get_token(f, "1", 5000);
	assert_int_equal(get_with_token(f, "/latest/meta-data/mac", token, 5500, &body), 200);
	assert_string_equal(body, "02:11:22:33:44:55");
	free(body);
	assert_int_equal(get_with_token(f, "/latest/meta-data/mac", token, 6001, NULL), 401);
	free(token);

	/* Events name every request */
	assert_true(f->log.n >= 6);
	assert_string_equal(f->log.lines[0], "PUT /latest/api/token");
	assert_string_equal(f->log.lines[1], "GET /latest/meta-data/instance-id");
}

static void test_token_errors(void **state)
{
	struct fixture *f = *state;

	/* No TTL, TTL zero, too large, not a number */
	assert_int_equal(ask(f, "PUT /latest/api/token HTTP/1.1\r\n\r\n", 0, NULL, NULL), 400);
	assert_int_equal(ask(f, "PUT /latest/api/token HTTP/1.1\r\n"
			     "X-aws-ec2-metadata-token-ttl-seconds: 0\r\n\r\n", 0, NULL, NULL), 400);
	assert_int_equal(ask(f, "PUT /latest/api/token HTTP/1.1\r\n"
			     "X-aws-ec2-metadata-token-ttl-seconds: 21601\r\n\r\n", 0, NULL, NULL), 400);
	assert_int_equal(ask(f, "PUT /latest/api/token HTTP/1.1\r\n"
			     "x-aws-ec2-metadata-token-ttl-seconds: 12abc\r\n\r\n", 0, NULL, NULL), 400);
	/* Through a proxy: refused */
	assert_int_equal(ask(f, "PUT /latest/api/token HTTP/1.1\r\nX-Forwarded-For: 10.0.0.1\r\n"
			     "X-aws-ec2-metadata-token-ttl-seconds: 60\r\n\r\n", 0, NULL, NULL), 403);
	/* GET on the token endpoint, POST on metadata */
	assert_int_equal(ask(f, "GET /latest/api/token HTTP/1.1\r\n\r\n", 0, NULL, NULL), 405);
	assert_int_equal(ask(f, "POST /latest/meta-data/ HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
			     0, NULL, NULL), 405);
}

static void test_v1_and_tree(void **state)
{
	struct fixture *f = *state;
	char *body = NULL;
	json_t *doc;
	json_error_t jerr;

	assert_int_equal(ask(f, "GET /latest/meta-data/ HTTP/1.1\r\n\r\n", 0, &body, NULL), 200);
	assert_non_null(strstr(body, "instance-id\n"));
	assert_non_null(strstr(body, "placement/\n"));
	assert_non_null(strstr(body, "network/"));
	assert_null(strstr(body, "macs"));   /* only immediate children */
	free(body);

	const char *const leaves[][2] = {
		{ "/latest/meta-data/instance-type", "t3.micro" },
		{ "/latest/meta-data/ami-id", "ami-0123abcd" },
		{ "/latest/meta-data/local-ipv4", "172.31.16.5" },
		{ "/latest/meta-data/local-hostname", "ip-172-31-16-5.eu-west-1.compute.internal" },
		{ "/latest/meta-data/hostname", "ip-172-31-16-5.eu-west-1.compute.internal" },
		{ "/latest/meta-data/placement/availability-zone", "eu-west-1b" },
		{ "/latest/meta-data/placement/region", "eu-west-1" },
		{ "/latest/meta-data/network/interfaces/macs/", "02:11:22:33:44:55/" },
		{ "/latest/meta-data/network/interfaces/macs/02:11:22:33:44:55/device-number", "0" },
		{ "/latest/meta-data/network/interfaces/macs/02:11:22:33:44:55/local-ipv4s", "172.31.16.5" },
		{ "/latest/meta-data/network/interfaces/macs/02:11:22:33:44:55/vpc-ipv4-cidr-block", "172.31.0.0/16" },
		{ "/latest/meta-data/public-keys/", "" },
		{ "/2009-04-04/meta-data/instance-id", "i-0abc1234def567890" },
		{ "/2021-03-23/meta-data/instance-id", "i-0abc1234def567890" },
		{ "/latest/dynamic/", "instance-identity/" },
	};
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		char req[512];

		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n", leaves[i][0]);
		assert_int_equal(ask(f, req, 0, &body, NULL), 200);
		assert_string_equal(body, leaves[i][1]);
		free(body);
	}
	assert_int_equal(ask(f, "GET /latest/meta-data/network/interfaces/macs/02:11:22:33:44:55/ HTTP/1.1\r\n\r\n",
			     0, &body, NULL), 200);
	assert_non_null(strstr(body, "subnet-id"));
	assert_non_null(strstr(body, "interface-id"));
	free(body);
	/* Absolute-form target and a query string */
	assert_int_equal(ask(f, "GET http://169.254.169.254/latest/meta-data/mac?x=1 HTTP/1.1\r\n\r\n",
			     0, &body, NULL), 200);
	assert_string_equal(body, "02:11:22:33:44:55");
	free(body);

	assert_int_equal(ask(f, "GET /latest/dynamic/instance-identity/document HTTP/1.1\r\n\r\n",
			     0, &body, NULL), 200);
	doc = json_loads(body, 0, &jerr);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "instanceId")), "i-0abc1234def567890");
	assert_string_equal(json_string_value(json_object_get(doc, "region")), "eu-west-1");
	assert_string_equal(json_string_value(json_object_get(doc, "privateIp")), "172.31.16.5");
	assert_true(json_is_null(json_object_get(doc, "kernelId")));
	json_decref(doc);
	free(body);

	/* 404s: unknown leaf, unknown version, user-data absent */
	assert_int_equal(ask(f, "GET /latest/meta-data/nope HTTP/1.1\r\n\r\n", 0, NULL, NULL), 404);
	assert_int_equal(ask(f, "GET /1999-01-01/meta-data/ HTTP/1.1\r\n\r\n", 0, NULL, NULL), 404);
	assert_int_equal(ask(f, "GET /latest/user-data HTTP/1.1\r\n\r\n", 0, NULL, NULL), 404);
	assert_int_equal(ask(f, "GET /latest/meta-data/../user-data HTTP/1.1\r\n\r\n", 0, NULL, NULL), 400);
	/* The root lists versions */
	assert_int_equal(ask(f, "GET / HTTP/1.1\r\n\r\n", 0, &body, NULL), 200);
	assert_non_null(strstr(body, "2009-04-04\n"));
	assert_non_null(strstr(body, "latest"));
	free(body);
}

static void test_user_data(void **state)
{
	struct fixture *f = *state;
	char *body = NULL, *token;

	assert_int_equal(ask(f, "GET /latest/user-data HTTP/1.1\r\n\r\n", 0, &body, NULL), 200);
	assert_string_equal(body, "#cloud-config\nruncmd: [true]\n");
	free(body);
	token = get_token(f, "60", 0);
	assert_int_equal(get_with_token(f, "/latest/user-data", token, 10, &body), 200);
	assert_string_equal(body, "#cloud-config\nruncmd: [true]\n");
	free(body);
	free(token);
	assert_int_equal(ask(f, "GET /latest/ HTTP/1.1\r\n\r\n", 0, &body, NULL), 200);
	assert_non_null(strstr(body, "user-data"));
	free(body);
}

static void test_require_token(void **state)
{
	struct imds_config cfg = base_cfg;
	struct fixture f = { 0 };
	char *token, *body = NULL;

	cfg.require_token = true;
	assert_int_equal(imds_new(&cfg, NULL, &f.imds), 0);
	assert_int_equal(ask(&f, "GET /latest/meta-data/instance-id HTTP/1.1\r\n\r\n", 0, NULL, NULL), 401);
	token = get_token(&f, "100", 0);
	assert_int_equal(get_with_token(&f, "/latest/meta-data/instance-id", token, 1, &body), 200);
	free(body);
	free(token);
	imds_free(f.imds);
	/* A missing user-data file is an error at creation */
	cfg.user_data_path = "/nonexistent/nitrocheck-user-data";
	assert_int_equal(imds_new(&cfg, NULL, &f.imds), -ENOENT);
}

static void test_parser(void **state)
{
	struct imds_request req;
	size_t used = 0;
	const char *two = "GET /latest/meta-data/ HTTP/1.1\r\n\r\nGET /latest/ HTTP/1.0\r\n\r\n";

	/* Incomplete, then two pipelined requests */
	assert_int_equal(imds_http_parse("GET /latest/ HTTP/1.1\r\nHost: x\r\n", 33, &req, &used), 0);
	assert_int_equal(imds_http_parse(two, strlen(two), &req, &used), 1);
	assert_string_equal(req.path, "/latest/meta-data/");
	assert_false(req.close);
	assert_int_equal(imds_http_parse(two + used, strlen(two) - used, &req, &used), 1);
	assert_true(req.close);
	/* Body not yet arrived */
	assert_int_equal(imds_http_parse("PUT /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", 42, &req, &used), 0);
	/* Malformed */
	assert_int_equal(imds_http_parse("GET\r\n\r\n", 7, &req, &used), -EBADMSG);
	assert_int_equal(imds_http_parse("GET /x SPDY/3\r\n\r\n", 17, &req, &used), -EBADMSG);
	assert_int_equal(imds_http_parse("get /x HTTP/1.1\r\n\r\n", 19, &req, &used), -EBADMSG);
	assert_int_equal(imds_http_parse("GET x HTTP/1.1\r\n\r\n", 18, &req, &used), -EBADMSG);
	assert_int_equal(imds_http_parse("GET /x HTTP/1.1\r\nBad header\r\n\r\n", 31, &req, &used), -EBADMSG);
	assert_int_equal(imds_http_parse("GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 39, &req, &used),
			 -EBADMSG);
	assert_int_equal(imds_http_parse("GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 47, &req, &used),
			 -EBADMSG);
	{
		char *big = malloc(IMDS_MAX_REQUEST + 100);

		memset(big, 'a', IMDS_MAX_REQUEST + 100);
		assert_int_equal(imds_http_parse(big, IMDS_MAX_REQUEST + 100, &req, &used), -E2BIG);
		free(big);
	}
}

/* ---- over a real socket ------------------------------------------------ */

static int connect_to(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Read one response with Content-Length; returns status. */
static int read_response(int fd, char *body, size_t size)
{
	char buf[8192];
	size_t len = 0;
	int status = -1;

	for (;;) {
		char *sep, *cl;
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

		assert_true(n > 0);
		len += (size_t)n;
		buf[len] = '\0';
		sep = strstr(buf, "\r\n\r\n");
		if (!sep)
			continue;
		cl = strstr(buf, "Content-Length: ");
		assert_non_null(cl);
		if (len - (size_t)(sep + 4 - buf) < strtoul(cl + 16, NULL, 10))
			continue;
		sscanf(buf, "HTTP/1.1 %d", &status);
		snprintf(body, size, "%.*s", (int)strtoul(cl + 16, NULL, 10), sep + 4);
		return status;
	}
}

static void send_all(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), 0), (ssize_t)strlen(s));
}

static void test_over_tcp(void **state)
{
	struct fixture *f = *state;
	struct imds_server *srv;
	char body[4096], req[512], token[128];
	uint16_t port;
	int lfd, fd;

	assert_int_equal(imds_listen_tcp_loopback(0, &lfd, &port), 0);
	assert_int_equal(imds_server_start(f->imds, lfd, &srv), 0);

	/* IMDSv2 on one keep-alive connection, the token PUT split in pieces */
	fd = connect_to(port);
	send_all(fd, "PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n");
	usleep(20000);
	send_all(fd, "X-aws-ec2-metadata-token-ttl-seconds: 21600\r\n\r\n");
	assert_int_equal(read_response(fd, token, sizeof(token)), 200);
	snprintf(req, sizeof(req), "GET /latest/meta-data/placement/region HTTP/1.1\r\n"
		 "X-aws-ec2-metadata-token: %s\r\n\r\n", token);
	send_all(fd, req);
	assert_int_equal(read_response(fd, body, sizeof(body)), 200);
	assert_string_equal(body, "eu-west-1");
	/* Two pipelined requests, one with a bad token */
	send_all(fd, "GET /latest/meta-data/instance-type HTTP/1.1\r\n\r\n"
		     "GET /latest/meta-data/instance-id HTTP/1.1\r\nX-aws-ec2-metadata-token: nope\r\n\r\n");
	assert_int_equal(read_response(fd, body, sizeof(body)), 200);
	assert_string_equal(body, "t3.micro");
	assert_int_equal(read_response(fd, body, sizeof(body)), 401);
	close(fd);

	/* HTTP/1.0: answered, then closed */
	fd = connect_to(port);
	send_all(fd, "GET /latest/meta-data/local-ipv4 HTTP/1.0\r\n\r\n");
	assert_int_equal(read_response(fd, body, sizeof(body)), 200);
	assert_string_equal(body, "172.31.16.5");
	assert_int_equal(recv(fd, body, sizeof(body), 0), 0);
	close(fd);

	/* Garbage: 400 and closed */
	fd = connect_to(port);
	send_all(fd, "HELLO\r\n\r\n");
	assert_int_equal(read_response(fd, body, sizeof(body)), 400);
	assert_int_equal(recv(fd, body, sizeof(body), 0), 0);
	close(fd);

	imds_server_stop(srv);
	assert_true(f->log.n >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v2_token_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_and_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_data, setup_ud, teardown),
		cmocka_unit_test(test_require_token),
		cmocka_unit_test(test_parser),
		cmocka_unit_test_setup_teardown(test_over_tcp, setup, teardown),
	};

	return cmocka_run_group_tests_name("imds", tests, NULL, NULL);
}
