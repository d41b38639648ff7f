/*
 * label_shapes.c - call shapes for label values, compiled one at a time by
 * label_shapes.cmake: shape 0 (the counted form) must compile, every other
 * shape (label values without their count, the API before extatus_labels)
 * must not.
 */
#include <extatus.h>

int label_shape(extatus_family *family);

int label_shape(extatus_family *family)
{
    extatus_counter *counter = NULL;
#if LABEL_SHAPE == 0
    const char *values[] = {"GET", "200"};
    int rc = extatus_counter_get(&counter, family, EXTATUS_LABELS("GET", "200"));
    if (rc == EXTATUS_OK)
        rc = extatus_counter_get(&counter, family, extatus_labels_of(values, 2));
    if (rc == EXTATUS_OK)
        rc = extatus_update(NULL, "jobs_total", EXTATUS_NO_LABELS, 1);
    if (rc == EXTATUS_OK)
        rc = extatus_reset(NULL, "http_requests_total", EXTATUS_ALL_SERIES);
    return rc;
#elif LABEL_SHAPE == 1
    const char *values[] = {"GET", "200"};
    return extatus_counter_get(&counter, family, values); /* an array without its count */
#elif LABEL_SHAPE == 2
    return extatus_counter_get(&counter, family, NULL); /* NULL for "no labels" */
#elif LABEL_SHAPE == 3
    (void)counter;
    (void)family;
    return extatus_update(NULL, "x", (const char *const[]){"a"}, 1); /* a compound literal */
#elif LABEL_SHAPE == 4
    extatus_series *series = NULL;
    (void)counter;
    return extatus_family_series(&series, family, (const char *const *)0);
#else
#error "unknown LABEL_SHAPE"
#endif
}
