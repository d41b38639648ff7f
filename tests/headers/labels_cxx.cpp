/*
 * labels_cxx.cpp - label values from C++ (no compound literals there):
 * extatus_labels_of() with an array and a count, or with a fixed-size
 * array it counts itself; EXTATUS_NO_LABELS and EXTATUS_ALL_SERIES. A
 * wrong count is refused as in C. Exit status 0 when every check holds.
 */
#include <extatus.h>

#include <cstdio>
#include <cstring>

static int failures = 0;

static void check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "labels_cxx: FAIL: %s (last error: %s)\n", what, extatus_error_last());
        failures++;
    }
}

int main()
{
    const char *const label_names[] = {"method", "code"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", label_names, 2)};
    extatus_family *family = nullptr;
    extatus_counter *counted = nullptr, *by_count = nullptr, *plain = nullptr;

    check(extatus_process_collector_set_default(0) == EXTATUS_OK, "no process collector");
    check(extatus_family_new(&family, nullptr, "cxx_requests_total", "counter", options, 1) ==
              EXTATUS_OK,
          "family created");

    const char *const values[] = {"GET", "200"};
    check(extatus_counter_get(&counted, family, extatus_labels_of(values)) == EXTATUS_OK,
          "a fixed-size array is counted");
    const char *held[] = {"GET", "200"};
    check(extatus_counter_get(&by_count, family, extatus_labels_of(held, 2)) == EXTATUS_OK,
          "an array with its count");
    check(counted != nullptr && counted == by_count, "both name the same series");
    extatus_counter_inc(counted);

    const char *const three[] = {"GET", "200", "extra"};
    extatus_counter *refused = nullptr;
    check(extatus_counter_get(&refused, family, extatus_labels_of(three)) == EXTATUS_ERR_LABEL,
          "three values for two labels are refused");
    check(std::strstr(extatus_error_last(), "cxx_requests_total") != nullptr &&
              std::strstr(extatus_error_last(), "2 labels") != nullptr &&
              std::strstr(extatus_error_last(), "3 label values") != nullptr,
          "the message names the family and both counts");
    check(refused == nullptr, "no handle on refusal");

    check(extatus_counter_new(&plain, nullptr, "cxx_jobs_total", "Jobs.") == EXTATUS_OK,
          "unlabelled counter");
    check(extatus_update(nullptr, "cxx_jobs_total", EXTATUS_NO_LABELS, 2) == EXTATUS_OK,
          "EXTATUS_NO_LABELS names the one series");
    check(extatus_counter_value(plain) == 2, "update reached it");
    check(extatus_reset(nullptr, "cxx_requests_total", EXTATUS_ALL_SERIES) == EXTATUS_OK,
          "EXTATUS_ALL_SERIES resets every series");
    check(extatus_counter_value(counted) == 0, "reset reached the series");

    extatus_shutdown();
    return failures == 0 ? 0 : 1;
}
