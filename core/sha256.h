#ifndef CORE_SHA256_H
#define CORE_SHA256_H
/* SHA-256 (FIPS 180-4): recognises a file imported before, keys the
 * token cache without storing the authorization header. */
#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t nbuf;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* Finish and write 64 lowercase hex digits and a NUL to hex. */
void sha256_hex(struct sha256 *c, char hex[65]);
/* One-shot: hex digest of data[0..len). */
void sha256_hex_of(const void *data, size_t len, char hex[65]);

#endif
