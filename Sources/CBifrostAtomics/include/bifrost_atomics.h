/* Relaxed atomic counters for metrics: lock-free, and understood by the thread sanitizer.
 * Doubles are stored as their bit patterns in uint64_t cells. Not part of the plugin ABI. */
#ifndef BIFROST_ATOMICS_H
#define BIFROST_ATOMICS_H

#include <stdint.h>
#include <string.h>

static inline void bifrost_atomic_add_u64(uint64_t *cell, uint64_t value) {
    __atomic_fetch_add(cell, value, __ATOMIC_RELAXED);
}

static inline uint64_t bifrost_atomic_load_u64(const uint64_t *cell) {
    return __atomic_load_n(cell, __ATOMIC_RELAXED);
}

static inline void bifrost_atomic_store_double(uint64_t *cell, double value) {
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    __atomic_store_n(cell, bits, __ATOMIC_RELAXED);
}

static inline double bifrost_atomic_load_double(const uint64_t *cell) {
    uint64_t bits = __atomic_load_n(cell, __ATOMIC_RELAXED);
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline void bifrost_atomic_add_double(uint64_t *cell, double value) {
    uint64_t expected = __atomic_load_n(cell, __ATOMIC_RELAXED);
    for (;;) {
        double current;
        memcpy(&current, &expected, sizeof current);
        double sum = current + value;
        uint64_t desired;
        memcpy(&desired, &sum, sizeof desired);
        if (__atomic_compare_exchange_n(cell, &expected, desired, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return;
    }
}

#endif
