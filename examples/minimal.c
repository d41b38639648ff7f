/*
 * minimal.c - count something and print the Prometheus text exposition.
 */
#include <stdio.h>

#include <extatus.h>

int main(void)
{
    extatus_counter *jobs;
    if (extatus_counter_new(&jobs, NULL, "jobs_total", "Jobs processed.") != EXTATUS_OK) {
        fprintf(stderr, "minimal: %s\n", extatus_error_last());
        return 1;
    }
    for (int i = 0; i < 3; i++)
        extatus_counter_inc(jobs);
    printf("jobs_total = %g\n", extatus_counter_value(jobs));
    extatus_shutdown();
    return 0;
}
