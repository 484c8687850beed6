/* SPDX-License-Identifier: MIT */
/*
 * Instance metadata service: the pure core. The metadata is a flat list of
 * leaves ("meta-data/placement/region" -> "us-east-1"); directory listings
 * are derived from it, so a path is either a leaf, a directory, or 404.
 */
#include "vmm/net/imds.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "common/util.h"

#define IMDS_MAX_TOKENS   64
#define IMDS_MAX_TTL      21600
#define IMDS_TOKEN_BYTES  24
#define IMDS_MAX_USERDATA (16u << 20)

struct imds_leaf {
	char *path;      /* relative to a version root, e.g. "meta-data/mac" */
	char *value;
	size_t len;
};

struct imds_token {
	char value[2 * IMDS_TOKEN_BYTES + 1];
	uint64_t expires_ms;
};

struct imds {
	pthread_mutex_t lock;
	struct dev_host host;
	bool has_host;
	bool require_token;
	struct imds_leaf *leaves;
	size_t n_leaves;
	struct imds_token tokens[IMDS_MAX_TOKENS];
};

/* Versions cloud-init and the SDKs ask for; every one serves the same tree. */
static const char *const imds_versions[] = {
	"1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15",
	"2008-02-01", "2008-09-01", "2009-04-04", "2011-01-01", "2011-05-01",
	"2012-01-12", "2014-02-25", "2014-11-05", "2015-10-20", "2016-04-19",
	"2016-06-30", "2016-09-02", "2018-03-28", "2018-08-17", "2018-09-24",
	"2019-10-01", "2020-10-27", "2021-01-03", "2021-03-23", "2021-07-15",
	"2022-09-24", "latest",
};

static int add_leaf(struct imds *imds, const char *path, const char *value, size_t len)
{
	struct imds_leaf *l = realloc(imds->leaves, (imds->n_leaves + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	imds->leaves = l;
	l = &l[imds->n_leaves];
	l->path = strdup(path);
	l->value = malloc(len + 1);
	if (!l->path || !l->value) {
		free(l->path);
		free(l->value);
		return -ENOMEM;
	}
	memcpy(l->value, value, len);
	l->value[len] = '\0';
	l->len = len;
	imds->n_leaves++;
	return 0;
}

static int add_str(struct imds *imds, const char *path, const char *value)
{
	return add_leaf(imds, path, value, strlen(value));
}

static const char *or(const char *v, const char *def)
{
	return v && *v ? v : def;
}

static char *identity_document(const struct imds_config *cfg, const char *ip)
{
	json_t *doc = json_pack("{s:s, s:s, s:s, s:n, s:n, s:s, s:s, s:s, s:n, s:n, s:s, s:s, s:n, s:s, s:s}",
				"accountId", or(cfg->account_id, "123456789012"),
				"architecture", "x86_64",
				"availabilityZone", or(cfg->availability_zone, "us-east-1a"),
				"billingProducts",
				"devpayProductCodes",
				"imageId", or(cfg->ami_id, "ami-0nitrocheck000000"),
				"instanceId", or(cfg->instance_id, "i-0123456789abcdef0"),
				"instanceType", or(cfg->instance_type, "m5.large"),
				"kernelId",
				"marketplaceProductCodes",
				"pendingTime", "2024-01-01T00:00:00Z",
				"privateIp", ip,
				"ramdiskId",
				"region", or(cfg->region, "us-east-1"),
				"version", "2017-09-30");
	char *s;

	if (!doc)
		return NULL;
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return s;
}

static int build_tree(struct imds *imds, const struct imds_config *cfg)
{
	char mac[18], ipdash[64], host_default[96], p[256];
	const char *ip = or(cfg->local_ipv4, "172.31.16.5");
	const char *hostname, *region = or(cfg->region, "us-east-1");
	_cleanup_free_ char *doc = NULL;
	int r = 0;

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", cfg->mac[0], cfg->mac[1],
		 cfg->mac[2], cfg->mac[3], cfg->mac[4], cfg->mac[5]);
	snprintf(ipdash, sizeof(ipdash), "%s", ip);
	for (char *c = ipdash; *c; c++)
		if (*c == '.')
			*c = '-';
	/* us-east-1 uses ec2.internal, every other region <region>.compute.internal */
	if (streq(region, "us-east-1"))
		snprintf(host_default, sizeof(host_default), "ip-%s.ec2.internal", ipdash);
	else
		snprintf(host_default, sizeof(host_default), "ip-%s.%s.compute.internal", ipdash, region);
	hostname = or(cfg->local_hostname, host_default);

	const char *const pairs[][2] = {
		{ "meta-data/ami-id", or(cfg->ami_id, "ami-0nitrocheck000000") },
		{ "meta-data/ami-launch-index", "0" },
		{ "meta-data/ami-manifest-path", "(unknown)" },
		{ "meta-data/block-device-mapping/ami", "/dev/xvda" },
		{ "meta-data/block-device-mapping/root", "/dev/xvda" },
		{ "meta-data/hostname", hostname },
		{ "meta-data/instance-action", "none" },
		{ "meta-data/instance-id", or(cfg->instance_id, "i-0123456789abcdef0") },
		{ "meta-data/instance-life-cycle", "on-demand" },
		{ "meta-data/instance-type", or(cfg->instance_type, "m5.large") },
		{ "meta-data/local-hostname", hostname },
		{ "meta-data/local-ipv4", ip },
		{ "meta-data/mac", mac },
		{ "meta-data/placement/availability-zone", or(cfg->availability_zone, "us-east-1a") },
		{ "meta-data/placement/region", region },
		{ "meta-data/profile", "default-hvm" },
		{ "meta-data/reservation-id", "r-0123456789abcdef0" },
		{ "meta-data/security-groups", "default" },
		{ "meta-data/services/domain", "amazonaws.com" },
		{ "meta-data/services/partition", "aws" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(pairs) && r == 0; i++)
		r = add_str(imds, pairs[i][0], pairs[i][1]);

	const char *const nic[][2] = {
		{ "device-number", "0" },
		{ "interface-id", or(cfg->interface_id, "eni-0123456789abcdef0") },
		{ "local-hostname", hostname },
		{ "local-ipv4s", ip },
		{ "mac", mac },
		{ "owner-id", or(cfg->account_id, "123456789012") },
		{ "security-group-ids", "sg-0123456789abcdef0" },
		{ "security-groups", "default" },
		{ "subnet-id", or(cfg->subnet_id, "subnet-0123456789abcdef0") },
		{ "subnet-ipv4-cidr-block", or(cfg->subnet_cidr, "172.31.16.0/20") },
		{ "vpc-id", or(cfg->vpc_id, "vpc-0123456789abcdef0") },
		{ "vpc-ipv4-cidr-block", or(cfg->vpc_cidr, "172.31.0.0/16") },
		{ "vpc-ipv4-cidr-blocks", or(cfg->vpc_cidr, "172.31.0.0/16") },
	};
	for (size_t i = 0; i < ARRAY_SIZE(nic) && r == 0; i++) {
		snprintf(p, sizeof(p), "meta-data/network/interfaces/macs/%s/%s", mac, nic[i][0]);
		r = add_str(imds, p, nic[i][1]);
	}
	if (r < 0)
		return r;

	doc = identity_document(cfg, ip);
	if (!doc)
		return -ENOMEM;
	r = add_str(imds, "dynamic/instance-identity/document", doc);
	if (r < 0)
		return r;

	if (cfg->user_data_path) {
		_cleanup_free_ char *ud = NULL;
		size_t len;

		r = read_file_full(cfg->user_data_path, IMDS_MAX_USERDATA, &ud, &len);
		if (r < 0)
			return r;
		r = add_leaf(imds, "user-data", ud, len);
	}
	return r;
}

int imds_new(const struct imds_config *cfg, const struct dev_host *host, struct imds **ret)
{
	struct imds *imds;
	int r;

	if (!cfg || !ret)
		return -EINVAL;
	imds = calloc(1, sizeof(*imds));
	if (!imds)
		return -ENOMEM;
	pthread_mutex_init(&imds->lock, NULL);
	if (host) {
		imds->host = *host;
		imds->has_host = true;
	}
	imds->require_token = cfg->require_token;
	r = build_tree(imds, cfg);
	if (r < 0) {
		imds_free(imds);
		return r;
	}
	*ret = imds;
	return 0;
}

void imds_free(struct imds *imds)
{
	if (!imds)
		return;
	for (size_t i = 0; i < imds->n_leaves; i++) {
		free(imds->leaves[i].path);
		free(imds->leaves[i].value);
	}
	free(imds->leaves);
	pthread_mutex_destroy(&imds->lock);
	free(imds);
}

/* ---- HTTP request parsing ------------------------------------------------- */

static const char *find_header_end(const char *buf, size_t len, size_t *ret_hlen)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n') {
			*ret_hlen = i + 2;
			return buf + i;
		}
		if (i + 3 < len && buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n') {
			*ret_hlen = i + 4;
			return buf + i;
		}
	}
	return NULL;
}

static bool copy_field(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

static int parse_request_line(const char *line, size_t n, struct imds_request *req)
{
	const char *sp1 = memchr(line, ' ', n), *sp2, *target;
	size_t tlen;

	if (!sp1 || sp1 == line)
		return -EBADMSG;
	if (!copy_field(req->method, sizeof(req->method), line, (size_t)(sp1 - line)))
		return -EBADMSG;
	for (const char *c = req->method; *c; c++)
		if (!isupper((unsigned char)*c))
			return -EBADMSG;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', n - (size_t)(target - line));
	if (!sp2)
		return -EBADMSG;
	if ((size_t)(line + n - (sp2 + 1)) == 8 && !memcmp(sp2 + 1, "HTTP/1.0", 8))
		req->close = true;
	else if ((size_t)(line + n - (sp2 + 1)) != 8 || memcmp(sp2 + 1, "HTTP/1.1", 8))
		return -EBADMSG;
	tlen = (size_t)(sp2 - target);
	/* absolute-form: drop scheme and authority */
	if (tlen > 7 && !strncasecmp(target, "http://", 7)) {
		const char *slash = memchr(target + 7, '/', tlen - 7);

		if (!slash)
			return -EBADMSG;
		tlen -= (size_t)(slash - target);
		target = slash;
	}
	if (tlen == 0 || target[0] != '/')
		return -EBADMSG;
	for (size_t i = 0; i < tlen; i++)
		if (target[i] == '?' || target[i] == '#') {
			tlen = i;
			break;
		}
	if (!copy_field(req->path, sizeof(req->path), target, tlen))
		return -EBADMSG;
	return 0;
}

static bool header_is(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && !strncasecmp(name, want, nlen);
}

int imds_http_parse(const char *buf, size_t len, struct imds_request *ret, size_t *ret_consumed)
{
	struct imds_request req = { 0 };
	size_t hlen, pos, body;
	bool have_line = false;

	/* Tolerate blank lines before a request (RFC 9112 2.2). */
	pos = 0;
	while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
		pos++;
	if (!find_header_end(buf + pos, len - pos, &hlen))
		return len - pos > IMDS_MAX_REQUEST ? -E2BIG : 0;
	if (hlen > IMDS_MAX_REQUEST)
		return -E2BIG;

	for (size_t i = pos; i < pos + hlen;) {
		const char *line = buf + i, *nl = memchr(line, '\n', pos + hlen - i);
		size_t n;

		if (!nl)
			break;
		n = (size_t)(nl - line);
		i += n + 1;
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (!have_line) {
			if (parse_request_line(line, n, &req) < 0)
				return -EBADMSG;
			have_line = true;
			continue;
		}
		const char *colon = memchr(line, ':', n);
		const char *v;
		size_t vlen;

		if (!colon || colon == line || line[0] == ' ' || line[0] == '\t')
			return -EBADMSG;   /* no obsolete line folding either */
		v = colon + 1;
		vlen = n - (size_t)(v - line);
		while (vlen && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		size_t nlen = (size_t)(colon - line);

		if (header_is(line, nlen, "X-aws-ec2-metadata-token")) {
			if (!copy_field(req.token, sizeof(req.token), v, vlen))
				req.token[0] = '\0';   /* too long: can never match */
			req.has_token = true;
		} else if (header_is(line, nlen, "X-aws-ec2-metadata-token-ttl-seconds")) {
			if (!copy_field(req.ttl, sizeof(req.ttl), v, vlen))
				req.ttl[0] = '\0';
			req.has_ttl = true;
		} else if (header_is(line, nlen, "X-Forwarded-For")) {
			req.forwarded = true;
		} else if (header_is(line, nlen, "Connection")) {
			if (vlen == 5 && !strncasecmp(v, "close", 5))
				req.close = true;
		} else if (header_is(line, nlen, "Content-Length")) {
			char tmp[24];
			char *end;
			unsigned long long cl;

			if (!copy_field(tmp, sizeof(tmp), v, vlen) || !isdigit((unsigned char)tmp[0]))
				return -EBADMSG;
			errno = 0;
			cl = strtoull(tmp, &end, 10);
			if (*end || errno || cl > IMDS_MAX_REQUEST)
				return -EBADMSG;
			req.content_length = (size_t)cl;
		} else if (header_is(line, nlen, "Transfer-Encoding")) {
			return -EBADMSG;   /* nobody sends chunked bodies to IMDS */
		}
	}
	if (!have_line)
		return -EBADMSG;
	body = req.content_length;
	if (len - pos - hlen < body)
		return 0;
	*ret = req;
	*ret_consumed = pos + hlen + body;
	return 1;
}

/* ---- The service ---------------------------------------------------------- */

static int set_body(struct imds_response *r, const char *s, size_t len)
{
	r->body = malloc(len + 1);
	if (!r->body)
		return -ENOMEM;
	memcpy(r->body, s, len);
	r->body[len] = '\0';
	r->body_len = len;
	return 0;
}

void imds_response_clear(struct imds_response *r)
{
	free(r->body);
	*r = (struct imds_response){ 0 };
}

static bool token_valid(struct imds *imds, const char *token, uint64_t now_ms)
{
	for (size_t i = 0; i < IMDS_MAX_TOKENS; i++)
		if (imds->tokens[i].value[0] && imds->tokens[i].expires_ms > now_ms &&
		    streq(imds->tokens[i].value, token))
			return true;
	return false;
}

static int token_issue(struct imds *imds, long ttl, uint64_t now_ms, struct imds_response *r)
{
	uint8_t raw[IMDS_TOKEN_BYTES];
	struct imds_token *slot = &imds->tokens[0];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	/* Reuse an expired slot, else the one closest to expiry. */
	for (size_t i = 0; i < IMDS_MAX_TOKENS; i++) {
		if (imds->tokens[i].expires_ms <= now_ms) {
			slot = &imds->tokens[i];
			break;
		}
		if (imds->tokens[i].expires_ms < slot->expires_ms)
			slot = &imds->tokens[i];
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(slot->value + 2 * i, 3, "%02x", raw[i]);
	slot->expires_ms = now_ms + (uint64_t)ttl * 1000;
	r->token_ttl = ttl;
	return set_body(r, slot->value, strlen(slot->value));
}

/* Directory listing of dir ("" or ending in '/'): immediate children, a
 * trailing '/' on sub-directories, in tree order. */
static int list_dir(struct imds *imds, const char *dir, struct imds_response *r)
{
	size_t dlen = strlen(dir), cap = 256, len = 0;
	char *out = malloc(cap);
	bool found = false;

	if (!out)
		return -ENOMEM;
	out[0] = '\0';
	for (size_t i = 0; i < imds->n_leaves; i++) {
		const char *p = imds->leaves[i].path, *rest, *slash;
		size_t nlen;
		bool dup = false;

		if (strncmp(p, dir, dlen))
			continue;
		rest = p + dlen;
		slash = strchr(rest, '/');
		nlen = slash ? (size_t)(slash - rest) + 1 : strlen(rest);
		found = true;
		/* already listed? */
		for (const char *q = out; *q;) {
			const char *e = strchr(q, '\n');
			size_t l = e ? (size_t)(e - q) : strlen(q);

			if (l == nlen && !strncmp(q, rest, nlen)) {
				dup = true;
				break;
			}
			q += l + (e ? 1 : 0);
		}
		if (dup)
			continue;
		if (len + nlen + 2 > cap) {
			char *n;

			cap = (len + nlen + 2) * 2;
			n = realloc(out, cap);
			if (!n) {
				free(out);
				return -ENOMEM;
			}
			out = n;
		}
		if (len)
			out[len++] = '\n';
		memcpy(out + len, rest, nlen);
		len += nlen;
		out[len] = '\0';
	}
	if (!found) {
		free(out);
		r->status = 404;
		return 0;
	}
	r->status = 200;
	r->body = out;
	r->body_len = len;
	return 0;
}

static int serve_path(struct imds *imds, const char *rel, struct imds_response *r)
{
	char dir[1024];
	size_t n = strlen(rel);

	for (size_t i = 0; i < imds->n_leaves; i++)
		if (streq(imds->leaves[i].path, rel)) {
			r->status = 200;
			return set_body(r, imds->leaves[i].value, imds->leaves[i].len);
		}
	if (streq(rel, "meta-data/public-keys") || streq(rel, "meta-data/public-keys/")) {
		r->status = 200;   /* no keys: an empty listing */
		return 0;
	}
	if (n == 0 || rel[n - 1] == '/')
		return list_dir(imds, rel, r);
	if (n + 2 > sizeof(dir)) {
		r->status = 404;
		return 0;
	}
	/* "meta-data" without the slash lists too, as on EC2 */
	snprintf(dir, sizeof(dir), "%s/", rel);
	return list_dir(imds, dir, r);
}

static int version_root(const char *path, const char **ret_rel)
{
	const char *p = path + 1, *slash = strchr(p, '/');
	size_t n = slash ? (size_t)(slash - p) : strlen(p);

	for (size_t i = 0; i < ARRAY_SIZE(imds_versions); i++)
		if (strlen(imds_versions[i]) == n && !strncmp(p, imds_versions[i], n)) {
			*ret_rel = slash ? slash + 1 : p + n;
			return 0;
		}
	return -ENOENT;
}

static int handle_locked(struct imds *imds, const struct imds_request *req, uint64_t now_ms,
			 struct imds_response *r)
{
	bool get = streq(req->method, "GET") || streq(req->method, "HEAD");
	const char *rel;

	if (strstr(req->path, "/..") || strstr(req->path, "//")) {
		r->status = 400;
		return 0;
	}
	if (streq(req->path, "/")) {
		size_t cap = 0;
		char *out;

		if (!get) {
			r->status = 405;
			return 0;
		}
		for (size_t i = 0; i < ARRAY_SIZE(imds_versions); i++)
			cap += strlen(imds_versions[i]) + 1;
		out = calloc(1, cap + 1);
		if (!out)
			return -ENOMEM;
		for (size_t i = 0; i < ARRAY_SIZE(imds_versions); i++) {
			if (i)
				strcat(out, "\n");
			strcat(out, imds_versions[i]);
		}
		r->status = 200;
		r->body = out;
		r->body_len = strlen(out);
		return 0;
	}
	if (version_root(req->path, &rel) < 0) {
		r->status = 404;
		return 0;
	}

	if (streq(rel, "api/token")) {
		char *end;
		long ttl;

		if (!streq(req->method, "PUT")) {
			r->status = 405;
			return 0;
		}
		/* A proxied request is refused: the token must not leave the
		 * instance. */
		if (req->forwarded) {
			r->status = 403;
			return 0;
		}
		if (!req->has_ttl || !req->ttl[0]) {
			r->status = 400;
			return 0;
		}
		errno = 0;
		ttl = strtol(req->ttl, &end, 10);
		if (*end || errno || ttl < 1 || ttl > IMDS_MAX_TTL) {
			r->status = 400;
			return 0;
		}
		r->status = 200;
		return token_issue(imds, ttl, now_ms, r);
	}
	if (!get) {
		r->status = 405;
		return 0;
	}
	if (req->has_token ? !token_valid(imds, req->token, now_ms) : imds->require_token) {
		r->status = 401;
		return 0;
	}
	return serve_path(imds, rel, r);
}

int imds_handle(struct imds *imds, const struct imds_request *req, uint64_t now_ms,
		struct imds_response *ret)
{
	char detail[sizeof(req->method) + sizeof(req->path) + 2];
	int r;

	*ret = (struct imds_response){ 0 };
	pthread_mutex_lock(&imds->lock);
	r = handle_locked(imds, req, now_ms, ret);
	pthread_mutex_unlock(&imds->lock);
	if (r < 0) {
		imds_response_clear(ret);
		return r;
	}
	if (imds->has_host && imds->host.event) {
		snprintf(detail, sizeof(detail), "%s %s", req->method, req->path);
		imds->host.event(imds->host.opaque, VMM_EV_NET_IMDS, detail);
	}
	return 0;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	default: return "Internal Server Error";
	}
}

static int format_response(const struct imds_response *resp, bool head, bool close,
			   char **ret_out, size_t *ret_len)
{
	char hdr[512], ttl[80] = "";
	const char *body = resp->body;
	size_t blen = resp->body_len;
	char *out;
	int hlen;

	/* Errors carry a small HTML body, as EC2's do. */
	char errbody[160];

	if (resp->status != 200) {
		snprintf(errbody, sizeof(errbody),
			 "<html><head><title>%d - %s</title></head><body>%d - %s</body></html>\n",
			 resp->status, reason(resp->status), resp->status, reason(resp->status));
		body = errbody;
		blen = strlen(errbody);
	}
	if (resp->token_ttl > 0)
		snprintf(ttl, sizeof(ttl), "X-aws-ec2-metadata-token-ttl-seconds: %ld\r\n", resp->token_ttl);
	hlen = snprintf(hdr, sizeof(hdr),
			"HTTP/1.1 %d %s\r\n"
			"Content-Type: %s\r\n"
			"Content-Length: %zu\r\n"
			"%s"
			"%s"
			"Connection: %s\r\n"
			"Server: EC2ws\r\n"
			"\r\n",
			resp->status, reason(resp->status),
			resp->status == 200 ? "text/plain" : "text/html",
			blen, ttl,
			resp->status == 405 ? "Allow: GET, HEAD, PUT\r\n" : "",
			close ? "close" : "keep-alive");
	if (hlen < 0 || (size_t)hlen >= sizeof(hdr))
		return -EINVAL;
	if (head)
		blen = 0;
	out = malloc((size_t)hlen + blen + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, hdr, (size_t)hlen);
	if (blen)
		memcpy(out + hlen, body, blen);
	out[hlen + blen] = '\0';
	*ret_out = out;
	*ret_len = (size_t)hlen + blen;
	return 0;
}

int imds_process(struct imds *imds, const char *in, size_t len, uint64_t now_ms,
		 size_t *ret_consumed, char **ret_out, size_t *ret_out_len, bool *ret_close)
{
	struct imds_request req;
	struct imds_response resp = { 0 };
	size_t used = 0;
	int r;

	r = imds_http_parse(in, len, &req, &used);
	if (r == 0)
		return 0;
	if (r < 0) {
		resp.status = 400;
		*ret_consumed = len;
		*ret_close = true;
		r = format_response(&resp, false, true, ret_out, ret_out_len);
		return r < 0 ? r : 1;
	}
	r = imds_handle(imds, &req, now_ms, &resp);
	if (r < 0)
		return r;
	r = format_response(&resp, streq(req.method, "HEAD"), req.close, ret_out, ret_out_len);
	imds_response_clear(&resp);
	if (r < 0)
		return r;
	*ret_consumed = used;
	*ret_close = req.close;
	return 1;
}
