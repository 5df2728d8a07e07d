#ifndef IMPORTER_NUMSET_H
#define IMPORTER_NUMSET_H
/*
 * A set of E.164 numbers (as 64-bit integers) for de-duplication in
 * bounded memory: open addressing, linear probing, 8 bytes per slot,
 * at most 3/4 full.  Numbers are below 10^15 < 2^50, which leaves the top
 * bits for a small tag stored with each number.
 */
#include <stddef.h>
#include <stdint.h>

#define NUMSET_TAG_SHIFT 56
#define NUMSET_KEY_MASK ((UINT64_C(1) << NUMSET_TAG_SHIFT) - 1)

struct numset {
	uint64_t *slots;
	size_t mask;    /* slots - 1 (a power of two minus one) */
	size_t count;
};

/* Sized for `expect` numbers without growing. */
void numset_init(struct numset *s, size_t expect);
void numset_release(struct numset *s);
/*
 * Add key (non-zero, < 2^56) with tag (0..255).  Returns 0 if it was new,
 * else 1 + the tag stored with it when it was first added.
 */
int numset_add(struct numset *s, uint64_t key, unsigned tag);
/* 0 if key is not in the set, else 1 + its tag (never grows the set). */
int numset_find(const struct numset *s, uint64_t key);
/* Bytes held by the table. */
size_t numset_bytes(const struct numset *s);

#endif
