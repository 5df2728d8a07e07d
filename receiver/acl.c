#include "receiver/acl.h"
#include "core/log.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void acl_init(struct acl *acl)
{
	memset(acl, 0, sizeof(*acl));
}

void acl_release(struct acl *acl)
{
	free(acl->v);
	acl_init(acl);
}

static const unsigned char v4mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };

int ip_parse(const char *s, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = AF_INET6;
		if (!memcmp(out->a, v4mapped, 12)) {
			memmove(out->a, out->a + 12, 4);
			memset(out->a + 4, 0, 12);
			out->family = AF_INET;
		}
		return 0;
	}
	return -1;
}

int ip_from_sockaddr(const struct sockaddr *sa, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		out->family = AF_INET;
		memcpy(out->a, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		out->family = AF_INET6;
		memcpy(out->a, &in6->sin6_addr, 16);
		if (!memcmp(out->a, v4mapped, 12)) {
			memmove(out->a, out->a + 12, 4);
			memset(out->a + 4, 0, 12);
			out->family = AF_INET;
		}
		return 0;
	}
	return -1;
}

void ip_format(const struct ip_addr *ip, char *buf, size_t size)
{
	if (!inet_ntop(ip->family, ip->a, buf, (socklen_t)size) && size)
		buf[0] = '\0';
}

static int cidr_parse(const char *s, struct cidr *out)
{
	char buf[64];
	char *slash;
	long prefix;
	int i, max;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strlcpy_(buf, s, sizeof(buf));
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (ip_parse(buf, &out->net) < 0)
		return -1;
	max = out->net.family == AF_INET ? 32 : 128;
	/* a mapped IPv6 prefix (::ffff:a.b.c.d/120) counts on the IPv4 part */
	if (slash && out->net.family == AF_INET && strchr(buf, ':')) {
		if (parse_long(slash, 96, 128, &prefix) < 0)
			return -1;
		prefix -= 96;
	} else if (slash) {
		if (parse_long(slash, 0, max, &prefix) < 0)
			return -1;
	} else {
		prefix = max;
	}
	out->prefix = (int)prefix;
	/* clear host bits so that matching is a plain compare */
	for (i = 0; i < 16; i++) {
		int bits = out->prefix - i * 8;
		if (bits >= 8)
			continue;
		out->net.a[i] &= bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
	}
	return 0;
}

int acl_add_list(struct acl *acl, const char *list)
{
	const char *p = list;

	while (*p) {
		char item[80];
		size_t n = strcspn(p, ",");
		size_t b = 0;

		while (b < n && (p[b] == ' ' || p[b] == '\t'))
			b++;
		while (n > b && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n - b >= sizeof(item))
			return error("address list: entry too long: '%.*s...'", 20, p + b);
		memcpy(item, p + b, n - b);
		item[n - b] = '\0';
		if (*item) {
			if (acl->nr == acl->alloc) {
				acl->alloc = acl->alloc ? acl->alloc * 2 : 8;
				acl->v = xrealloc(acl->v, acl->alloc * sizeof(*acl->v));
			}
			if (cidr_parse(item, &acl->v[acl->nr]) < 0)
				return error("address list: '%s' is not an IPv4 or IPv6 address or CIDR",
					     item);
			acl->nr++;
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

static bool cidr_match(const struct cidr *c, const struct ip_addr *ip)
{
	int full = c->prefix / 8, rest = c->prefix % 8;

	if (c->net.family != ip->family)
		return false;
	if (memcmp(c->net.a, ip->a, full))
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((ip->a[full] & mask) != c->net.a[full])
			return false;
	}
	return true;
}

bool acl_match(const struct acl *acl, const struct ip_addr *ip)
{
	size_t i;

	for (i = 0; i < acl->nr; i++)
		if (cidr_match(&acl->v[i], ip))
			return true;
	return false;
}

/* Entry [b, e) of an X-Forwarded-For list, trimmed, as an address. */
static int xff_entry(const char *b, const char *e, struct ip_addr *out)
{
	char buf[64];

	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e - b <= 0 || (size_t)(e - b) >= sizeof(buf))
		return -1;
	memcpy(buf, b, (size_t)(e - b));
	buf[e - b] = '\0';
	return ip_parse(buf, out);
}

int acl_client_addr(const struct ip_addr *peer, const char *xff,
		    const struct acl *trusted, struct ip_addr *out)
{
	const char *end, *start;
	struct ip_addr cur;

	*out = *peer;
	if (!xff || !*xff || !acl_match(trusted, peer))
		return 0;
	/* walk right to left: each hop was appended by the one after it */
	end = xff + strlen(xff);
	while (end > xff) {
		start = end;
		while (start > xff && start[-1] != ',')
			start--;
		if (xff_entry(start, end, &cur) < 0)
			return -1;
		*out = cur;
		if (!acl_match(trusted, &cur))
			return 0;
		end = start > xff ? start - 1 : xff;
	}
	return 0;
}

bool secret_equal(const char *given, size_t given_len, const char *secret)
{
	size_t n = strlen(secret), i;
	unsigned char diff = given_len != n;

	/* Always walk the whole secret; index the given string modulo its
	 * length so that a short guess costs the same time. */
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(secret[i] ^ (given_len ? given[i % given_len] : 0));
	return diff == 0 && n > 0;
}
