/*
 * exemplar.c - exemplars kept by the built-in entries: checking and
 * writing an exemplar's labels, and the slots a series keeps them in
 * (see entries.h).
 *
 * Recording an exemplar is the rare path of an observation (a sampled
 * trace), so the slots take a lock of their own and are allocated on the
 * first exemplar; an observation without one never touches them.
 */
#include <stdio.h>
#include <string.h>

#include "entries/entries.h"

/* UTF-8 characters in `text` (already checked): the bytes that do not continue one. */
static size_t utf8_chars(const char *text, size_t length)
{
    size_t chars = 0;
    for (size_t i = 0; i < length; i++)
        chars += ((unsigned char)text[i] & 0xC0u) != 0x80u;
    return chars;
}

int extatus__exemplar_render(const extatus_exemplar *exemplar, char *out)
{
    size_t chars = 0;
    char *p = out;

    if (exemplar == NULL || exemplar->label_count == 0 || exemplar->names == NULL ||
        exemplar->values == NULL)
        return extatus__error(EXTATUS_ERR_LABEL, "exemplar: %s",
                              exemplar == NULL ? "NULL" : "at least one label is needed");
    if (!isfinite(exemplar->timestamp) || exemplar->timestamp < 0)
        return extatus__error(EXTATUS_ERR_INVALID,
                              "exemplar: timestamp %g is not a finite time >= 0 (0: now)",
                              exemplar->timestamp);
    for (size_t i = 0; i < exemplar->label_count; i++) {
        const char *name = exemplar->names[i];
        const char *value = exemplar->values[i];
        size_t bad;
        if (name == NULL || value == NULL)
            return extatus__error(EXTATUS_ERR_LABEL, "exemplar: label %zu has a NULL %s", i,
                                  name == NULL ? "name" : "value");
        if (!extatus__valid_label_name(name) || strncmp(name, "__", 2) == 0)
            return extatus__error(EXTATUS_ERR_LABEL,
                                  "exemplar: label name '%s' is invalid (want "
                                  "[a-zA-Z_][a-zA-Z0-9_]*, not starting with __)",
                                  name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(exemplar->names[j], name) == 0)
                return extatus__error(EXTATUS_ERR_LABEL, "exemplar: label name '%s' is given twice",
                                      name);
        if (extatus__check_utf8(value, strlen(value), &bad) != EXTATUS_OK)
            return extatus__error(EXTATUS_ERR_LABEL,
                                  "exemplar: the value of label '%s' is not UTF-8 (byte %zu)", name,
                                  bad);
        chars += strlen(name) + utf8_chars(value, strlen(value));
        if (chars > EXTATUS_EXEMPLAR_LABELS_MAX)
            return extatus__error(EXTATUS_ERR_LABEL,
                                  "exemplar: labels have more than %d characters (names and "
                                  "values together)",
                                  EXTATUS_EXEMPLAR_LABELS_MAX);
    }
    /* Within the limit every label fits: 4 bytes of syntax, at most 4 per character. */
    for (size_t i = 0; i < exemplar->label_count; i++) {
        const char *value = exemplar->values[i];
        if (i > 0)
            *p++ = ',';
        p = (char *)memcpy(p, exemplar->names[i], strlen(exemplar->names[i])) +
            strlen(exemplar->names[i]);
        *p++ = '=';
        *p++ = '"';
        p = extatus__escape(p, value, strlen(value), true);
        *p++ = '"';
    }
    *p = '\0';
    return EXTATUS_OK;
}

/* The exemplars of one series: allocated with its first exemplar. */
struct extatus__exemplars {
    pthread_mutex_t lock;           /* guards the slots */
    uint32_t slot_count;            /* buckets, or 1 for a counter */
    extatus__exemplar_slot slots[]; /* slot_count slots */
};

/* The holder's exemplars, allocated (once, whoever wins) if there are none yet. */
static extatus__exemplars *exemplars_of(extatus__exemplars_holder *holder, uint32_t slot_count)
{
    extatus__exemplars *exemplars = atomic_load_explicit(holder, memory_order_acquire);
    extatus__exemplars *expected = NULL;

    if (exemplars != NULL)
        return exemplars;
    exemplars = extatus__calloc(1, sizeof(*exemplars) + slot_count * sizeof(exemplars->slots[0]));
    if (exemplars == NULL)
        return NULL;
    exemplars->slot_count = slot_count;
    if (pthread_mutex_init(&exemplars->lock, NULL) != 0) {
        extatus__free(exemplars);
        return NULL;
    }
    if (!atomic_compare_exchange_strong_explicit(holder, &expected, exemplars, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        pthread_mutex_destroy(&exemplars->lock); /* another thread was first */
        extatus__free(exemplars);
        return expected;
    }
    return exemplars;
}

int extatus__exemplars_store(extatus__exemplars_holder *holder, uint32_t slot_count, uint32_t slot,
                             const char *labels, double value, double timestamp)
{
    extatus__exemplars *exemplars = exemplars_of(holder, slot_count);
    extatus__exemplar_slot *target;

    if (exemplars == NULL)
        return extatus__error(EXTATUS_ERR_NOMEM, "exemplar: out of memory");
    pthread_mutex_lock(&exemplars->lock);
    target = &exemplars->slots[slot];
    snprintf(target->labels, sizeof(target->labels), "%s", labels);
    target->value = value;
    target->timestamp = timestamp > 0 ? timestamp : (double)extatus__now_realtime_ns() / 1e9;
    target->set = true;
    pthread_mutex_unlock(&exemplars->lock);
    return EXTATUS_OK;
}

int extatus__exemplars_get(extatus__exemplars_holder *holder, size_t slot,
                           extatus_exemplar_value *out)
{
    extatus__exemplars *exemplars = atomic_load_explicit(holder, memory_order_acquire);
    int found = 0;

    if (exemplars == NULL || slot >= exemplars->slot_count)
        return 0;
    pthread_mutex_lock(&exemplars->lock);
    if (exemplars->slots[slot].set) {
        const extatus__exemplar_slot *source = &exemplars->slots[slot];
        memcpy(out->labels, source->labels, sizeof(out->labels));
        out->value = source->value;
        out->timestamp = source->timestamp;
        found = 1;
    }
    pthread_mutex_unlock(&exemplars->lock);
    return found;
}

void extatus__exemplars_clear(extatus__exemplars_holder *holder)
{
    extatus__exemplars *exemplars = atomic_load_explicit(holder, memory_order_acquire);

    if (exemplars == NULL)
        return;
    pthread_mutex_lock(&exemplars->lock);
    for (uint32_t i = 0; i < exemplars->slot_count; i++)
        exemplars->slots[i].set = false;
    pthread_mutex_unlock(&exemplars->lock);
}

void extatus__exemplars_free(extatus__exemplars_holder *holder)
{
    extatus__exemplars *exemplars = atomic_load_explicit(holder, memory_order_acquire);

    if (exemplars == NULL)
        return;
    pthread_mutex_destroy(&exemplars->lock);
    extatus__free(exemplars);
}

int extatus__exemplar_keep(extatus__exemplars_holder *holder, uint32_t slot_count, uint32_t slot,
                           double value, const extatus_exemplar *exemplar)
{
    char labels[EXTATUS_EXEMPLAR_TEXT_MAX];
    int rc = extatus__exemplar_render(exemplar, labels);

    if (rc != EXTATUS_OK)
        return rc;
    return extatus__exemplars_store(holder, slot_count, slot, labels, value, exemplar->timestamp);
}
