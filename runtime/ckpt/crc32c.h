/*
 * crc32c.h: the CRC-32C (Castagnoli) checksum every checkpoint record
 * carries.  Chains: crc32c(crc32c(0, a, na), b, nb) is the checksum of a
 * then b.  Uses the SSE4.2 crc32 instruction when the CPU has it (checked
 * once at run time), a table otherwise; both give the same values.
 */
#ifndef CKPT_CRC32C_H
#define CKPT_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The checksum of p[0..n) continued from crc (0 to start). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

/* The same, always by the table (so tests can compare both ways). */
uint32_t crc32c_table(uint32_t crc, const void *p, size_t n);

#endif
