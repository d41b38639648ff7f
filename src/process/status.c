/*
 * status.c - the status text of a worker name: set by anyone holding the
 * worker's handle, published by the handler as an event with the name's
 * unchanged state, so that one thread still publishes everything in one
 * order. Names whose text changed wait in a list until the handler's next
 * pass; an event of the name published meanwhile takes them off it.
 */
#include "process/process_internal.h"

#include <string.h>

static void text_queue_locked(extatus__pname *pname)
{
    if (pname->text_queued)
        return;
    pname->text_queued = true;
    pname->text_next = NULL;
    pname->text_prev = extatus__proc.text_last;
    if (extatus__proc.text_last)
        extatus__proc.text_last->text_next = pname;
    else
        extatus__proc.text_first = pname;
    extatus__proc.text_last = pname;
}

void extatus__text_unqueue_locked(extatus__pname *pname)
{
    if (!pname->text_queued)
        return;
    if (pname->text_prev)
        pname->text_prev->text_next = pname->text_next;
    else
        extatus__proc.text_first = pname->text_next;
    if (pname->text_next)
        pname->text_next->text_prev = pname->text_prev;
    else
        extatus__proc.text_last = pname->text_prev;
    pname->text_queued = false;
    pname->text_prev = pname->text_next = NULL;
}

void extatus__texts_announce_locked(void)
{
    while (extatus__proc.text_first) {
        extatus__pname *pname = extatus__proc.text_first;
        if (pname->state == EXTATUS__STATE_NONE)
            extatus__text_unqueue_locked(pname); /* its first `up` will carry the text */
        else
            extatus__event_record_locked(pname);
    }
}

int extatus_worker_set_status_text(extatus_worker *worker, const char *text)
{
    if (!worker)
        return extatus__error(EXTATUS_ERR_INVALID, "status text: the worker is NULL");
    if (!text)
        text = "";
    size_t length = strlen(text);
    if (length > EXTATUS_STATUS_TEXT_MAX)
        return extatus__error(EXTATUS_ERR_INVALID,
                              "status text '%.32s...' is %zu bytes long; at most %d are allowed",
                              text, length, EXTATUS_STATUS_TEXT_MAX);
    size_t bad = 0;
    if (extatus__check_utf8(text, length, &bad) != EXTATUS_OK)
        return extatus__error(EXTATUS_ERR_INVALID, "status text is not valid UTF-8 (byte %zu)",
                              bad);
    pthread_mutex_lock(&extatus__proc.lock);
    extatus__pname *pname = worker->pname;
    if (strcmp(pname->text, text) != 0) {
        memcpy(pname->text, text, length + 1);
        text_queue_locked(pname);
        pthread_cond_signal(&extatus__proc.wake);
    }
    pthread_mutex_unlock(&extatus__proc.lock);
    return EXTATUS_OK;
}

int extatus_process_status_text(const char *name, char *buffer, size_t size)
{
    if (!name || !buffer || size == 0)
        return extatus__error(EXTATUS_ERR_INVALID, "status text: NULL argument or empty buffer");
    buffer[0] = '\0';
    pthread_mutex_lock(&extatus__proc.lock);
    const extatus__pname *pname = extatus__pname_find_locked(name);
    size_t length = pname ? strlen(pname->text) : 0;
    if (pname && length < size)
        memcpy(buffer, pname->text, length + 1);
    pthread_mutex_unlock(&extatus__proc.lock);
    if (!pname)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "status text: no worker named '%.*s'",
                              EXTATUS_WORKER_NAME_MAX, name);
    if (length >= size)
        return extatus__error(EXTATUS_ERR_NOSPACE, "status text: %zu bytes do not fit in %zu",
                              length + 1, size);
    return (int)length;
}
