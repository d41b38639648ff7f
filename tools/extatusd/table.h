/*
 * table.h - the daemon's process records and the two indexes over them
 * (by name, and by pid for processes named after their command).
 */
#ifndef EXTATUSD_TABLE_H
#define EXTATUSD_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <extatus.h>

/* One watched process name. */
typedef struct process_record {
    char name[EXTATUS_WORKER_NAME_MAX + 1];
    pid_t pid;              /* the process it stands for; 0 when none */
    int pidfd;              /* -1 when not watched */
    bool by_command;        /* named after its command (indexed by pid too) */
    bool expected;          /* listed in the configuration: never freed */
    extatus_worker *worker; /* registered while the process is alive; NULL when down */
    int64_t last_ping_ns;   /* monotonic time of the last datagram */
    int64_t interval_ns;    /* WATCHDOG_USEC= or the configured timeout */
    bool triggered;         /* WATCHDOG=trigger: idle until the next ping */
    int64_t down_ns;        /* monotonic time it went down (expected names) */
    int64_t window_ns;      /* start of the current rate window */
    unsigned window_count;  /* datagrams accepted in the window */
    size_t status_hash;     /* table_hash() of the last STATUS= logged; 0: none */
    struct process_record *next_by_name, *next_by_pid;
} process_record;

typedef struct process_table {
    process_record **by_name; /* chained buckets */
    process_record **by_pid;
    size_t buckets; /* a power of two */
    size_t count;   /* records held */
} process_table;

/* Allocate `buckets` (rounded up to a power of two) in both indexes. 0 or -1 (no memory). */
int table_init(process_table *table, size_t buckets);

/* The hash of `length` bytes at `text` (the name index's), never 0. */
size_t table_hash(const char *text, size_t length);
/* Free the indexes, and every record with free_record (NULL: the records are kept). */
void table_dispose(process_table *table, void (*free_record)(process_record *));

process_record *table_find_name(const process_table *table, const char *name, size_t length);
process_record *table_find_pid(const process_table *table, pid_t pid);

void table_insert(process_table *table, process_record *record);
void table_remove(process_table *table, process_record *record);

/* Call fn on every record; fn may not insert or remove. */
void table_each(const process_table *table, void (*fn)(process_record *, void *), void *user);

#endif /* EXTATUSD_TABLE_H */
