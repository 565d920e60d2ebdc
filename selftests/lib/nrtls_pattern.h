/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contents of the tests' files: byte i of the file with a seed, so
 * that any range can be made or checked without keeping a copy.  Shared
 * by the tests and by the helpers that serve such files (nrtls_slowfs).
 */
#ifndef NRTLS_PATTERN_H
#define NRTLS_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t nrtls_file_word(uint32_t seed, uint64_t word)
{
	uint64_t x = (word + 1) * 0x9E3779B97F4A7C15ull ^ seed * 0xBF58476D1CE4E5B9ull;

	x ^= x >> 31;
	x *= 0x94D049BB133111EBull;
	x ^= x >> 29;
	return x;
}

/* Byte @i of the test file with @seed. */
static inline uint8_t nrtls_file_byte(uint32_t seed, uint64_t i)
{
	return nrtls_file_word(seed, i / 8) >> ((i % 8) * 8);
}

/* Bytes [@off, @off + @len) of the pattern @seed, 8 at a time. */
static inline void nrtls_file_fill(uint32_t seed, uint64_t off, uint8_t *buf,
				   size_t len)
{
	size_t i = 0;

	/* Unaligned head, whole words, tail: same bytes as nrtls_file_byte(). */
	for (; i < len && (off + i) % 8; i++)
		buf[i] = nrtls_file_byte(seed, off + i);
	for (; i + 8 <= len; i += 8) {
		uint64_t x = nrtls_file_word(seed, (off + i) / 8);

		memcpy(buf + i, &x, 8);
	}
	for (; i < len; i++)
		buf[i] = nrtls_file_byte(seed, off + i);
}

#endif /* NRTLS_PATTERN_H */
