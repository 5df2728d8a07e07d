#ifndef RECEIVER_ACL_H
#define RECEIVER_ACL_H
/*
 * Source-address allowlists (IPv4 and IPv6 CIDR) and the client address
 * behind trusted proxies (X-Forwarded-For).
 */
#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

struct ip_addr {
	int family;                 /* AF_INET or AF_INET6 */
	unsigned char a[16];        /* network order; 4 bytes for AF_INET */
};

struct cidr {
	struct ip_addr net;
	int prefix;
};

struct acl {
	struct cidr *v;
	size_t nr, alloc;
};

/* Orange's documented DR source addresses. */
#define ACL_ORANGE_DEFAULT "80.12.13.2,80.12.102.66,80.12.209.66,80.12.66.97"

void acl_init(struct acl *acl);
void acl_release(struct acl *acl);
/* Append "CIDR,CIDR,..." (a bare address is a /32 or /128).  0, or -1
 * after error() naming the bad entry. */
int acl_add_list(struct acl *acl, const char *list);
bool acl_match(const struct acl *acl, const struct ip_addr *ip);

/* Parse one address (IPv4, IPv6, IPv4-mapped IPv6 becomes IPv4); 0 / -1. */
int ip_parse(const char *s, struct ip_addr *out);
/* From a socket address; 0 / -1 for other families. */
int ip_from_sockaddr(const struct sockaddr *sa, struct ip_addr *out);
/* Text form into buf (INET6_ADDRSTRLEN bytes suffice). */
void ip_format(const struct ip_addr *ip, char *buf, size_t size);

/*
 * The address a request comes from: the peer, unless the peer is a
 * trusted proxy and X-Forwarded-For is present, in which case the
 * rightmost entry that is not itself a trusted proxy (the leftmost when
 * all are).  xff may hold several headers joined by commas.
 * Returns 0, or -1 when the header holds an unparsable entry.
 */
int acl_client_addr(const struct ip_addr *peer, const char *xff,
		    const struct acl *trusted, struct ip_addr *out);

/* Compare a secret in time independent of where the first difference is. */
bool secret_equal(const char *given, size_t given_len, const char *secret);

#endif
