#include "importer/numset.h"
#include "core/util.h"

#include <string.h>

static size_t slots_for(size_t expect)
{
	size_t n = 1024;

	while (n - n / 4 < expect)
		n <<= 1;
	return n;
}

void numset_init(struct numset *s, size_t expect)
{
	size_t n = slots_for(expect);

	s->slots = xcalloc(n, sizeof(*s->slots));
	s->mask = n - 1;
	s->count = 0;
}

void numset_release(struct numset *s)
{
	free(s->slots);
	s->slots = NULL;
	s->mask = 0;
	s->count = 0;
}

static size_t hash(uint64_t key, size_t mask)
{
	key *= UINT64_C(0x9E3779B97F4A7C15);
	return (size_t)(key >> 32 ^ key) & mask;
}

static void grow(struct numset *s)
{
	size_t old_n = s->mask + 1, i;
	uint64_t *old = s->slots;

	s->slots = xcalloc(old_n * 2, sizeof(*s->slots));
	s->mask = old_n * 2 - 1;
	for (i = 0; i < old_n; i++) {
		size_t j;
		if (!old[i])
			continue;
		j = hash(old[i] & NUMSET_KEY_MASK, s->mask);
		while (s->slots[j])
			j = (j + 1) & s->mask;
		s->slots[j] = old[i];
	}
	free(old);
}

int numset_add(struct numset *s, uint64_t key, unsigned tag)
{
	size_t j;

	if (s->count + 1 > (s->mask + 1) - (s->mask + 1) / 4)
		grow(s);
	j = hash(key, s->mask);
	while (s->slots[j]) {
		if ((s->slots[j] & NUMSET_KEY_MASK) == key)
			return 1 + (int)(s->slots[j] >> NUMSET_TAG_SHIFT);
		j = (j + 1) & s->mask;
	}
	s->slots[j] = key | (uint64_t)(tag & 0xff) << NUMSET_TAG_SHIFT;
	s->count++;
	return 0;
}

int numset_find(const struct numset *s, uint64_t key)
{
	size_t j = hash(key, s->mask);

	while (s->slots[j]) {
		if ((s->slots[j] & NUMSET_KEY_MASK) == key)
			return 1 + (int)(s->slots[j] >> NUMSET_TAG_SHIFT);
		j = (j + 1) & s->mask;
	}
	return 0;
}

size_t numset_bytes(const struct numset *s)
{
	return (s->mask + 1) * sizeof(*s->slots);
}
