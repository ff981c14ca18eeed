/*
 * batches.c: the batches([...], [...], ...) source, each list one batch.
 *
 * It has no instance: its lists are constants, evaluated once by the job,
 * which hands list k to batch k as a block of values.  When every source
 * of a job is a batches list, the job runs on the virtual clock: batch
 * times advance one interval per list with no waiting.
 */
#include <stddef.h>

#include "registry.h"
#include "source.h"

const struct source_desc source_batches = {
	.name = "batches",
	.caps = SOURCE_VIRTUAL_CLOCK | SOURCE_REPLAYABLE,
};
