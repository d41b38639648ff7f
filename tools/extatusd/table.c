/*
 * table.c - chained hash indexes of the process records (see table.h).
 */
#include "table.h"

#include <stdlib.h>
#include <string.h>

size_t table_hash(const char *text, size_t length)
{
    uint64_t hash = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < length; i++) {
        hash ^= (unsigned char)text[i];
        hash *= 1099511628211ull;
    }
    hash ^= hash >> 29;
    return hash ? (size_t)hash : 1;
}

static size_t hash_pid(pid_t pid)
{
    uint64_t hash = (uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ull;
    return (size_t)(hash >> 32);
}

int table_init(process_table *table, size_t buckets)
{
    size_t size = 64;
    while (size < buckets)
        size *= 2;
    table->by_name = calloc(size, sizeof(*table->by_name));
    table->by_pid = calloc(size, sizeof(*table->by_pid));
    table->buckets = size;
    table->count = 0;
    if (!table->by_name || !table->by_pid) {
        table_dispose(table, NULL);
        return -1;
    }
    return 0;
}

void table_dispose(process_table *table, void (*free_record)(process_record *))
{
    for (size_t i = 0; free_record && table->by_name && i < table->buckets; i++) {
        process_record *record = table->by_name[i];
        while (record) {
            process_record *next = record->next_by_name; /* read before it is freed */
            free_record(record);
            record = next;
        }
    }
    free(table->by_name);
    free(table->by_pid);
    table->by_name = table->by_pid = NULL;
    table->buckets = 0;
}

process_record *table_find_name(const process_table *table, const char *name, size_t length)
{
    process_record *record = table->by_name[table_hash(name, length) & (table->buckets - 1)];
    while (record && !(strlen(record->name) == length && memcmp(record->name, name, length) == 0))
        record = record->next_by_name;
    return record;
}

process_record *table_find_pid(const process_table *table, pid_t pid)
{
    process_record *record = table->by_pid[hash_pid(pid) & (table->buckets - 1)];
    while (record && record->pid != pid)
        record = record->next_by_pid;
    return record;
}

void table_insert(process_table *table, process_record *record)
{
    size_t at = table_hash(record->name, strlen(record->name)) & (table->buckets - 1);
    record->next_by_name = table->by_name[at];
    table->by_name[at] = record;
    record->next_by_pid = NULL;
    if (record->by_command) {
        at = hash_pid(record->pid) & (table->buckets - 1);
        record->next_by_pid = table->by_pid[at];
        table->by_pid[at] = record;
    }
    table->count++;
}

static void unlink_chain(process_record **slot, process_record *record, bool by_pid)
{
    while (*slot && *slot != record)
        slot = by_pid ? &(*slot)->next_by_pid : &(*slot)->next_by_name;
    if (*slot)
        *slot = by_pid ? record->next_by_pid : record->next_by_name;
}

void table_remove(process_table *table, process_record *record)
{
    unlink_chain(
        &table->by_name[table_hash(record->name, strlen(record->name)) & (table->buckets - 1)],
        record, false);
    if (record->by_command)
        unlink_chain(&table->by_pid[hash_pid(record->pid) & (table->buckets - 1)], record, true);
    table->count--;
}

void table_each(const process_table *table, void (*fn)(process_record *, void *), void *user)
{
    for (size_t i = 0; i < table->buckets; i++)
        for (process_record *record = table->by_name[i]; record; record = record->next_by_name)
            fn(record, user);
}
