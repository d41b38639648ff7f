/*
 * series.h - what the files of the family code share about series
 * lifetime (core/series.c) and per-series calls (core/series_calls.c).
 * Core only.
 */
#ifndef EXTATUS_SERIES_H
#define EXTATUS_SERIES_H

#include "core/internal.h"

/*
 * Free a series no table, list or pin holds any more: the layers are told,
 * its read cache and its entry state go, then its memory.
 */
void extatus__series_destroy(extatus_series *series);
/* extatus__series_destroy every series of a list chained through `next`. */
void extatus__series_destroy_list(extatus_series *first);
/*
 * Copy the live series of a family in creation order to `out` (room for
 * series_table.count); returns how many. Call with the family lock held.
 */
size_t extatus__family_order_copy(const extatus_family *family, extatus_series **out);
/* When the family itself is freed: destroy every series and the table. */
void extatus__family_series_free(extatus_family *family);

/*
 * Give options (already checked by extatus__setopts_check) to the entry of
 * one series; a failure without a message of the entry's own gets one
 * naming the family.
 */
int extatus__series_apply_options(extatus_series *series, const extatus_option *options,
                                  size_t count);

#endif /* EXTATUS_SERIES_H */
