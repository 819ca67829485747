/*
 * The C baseline of the pagealloc benchmarks: the same system calls, in the same order, as the
 * Java benchmarks make, with nothing in between. Built with `gcc -O2` when the benchmark runs.
 *
 * Usage: pagealloc_bench REPETITIONS SCALE_PERCENT
 * Prints one line per operation: its name, then the ns/op of each repetition. One unmeasured
 * round runs first as a warm-up; repetitions then go round-robin over the operations.
 * SCALE_PERCENT scales every iteration count (100 = full).
 *
 * Operations (page = the system page):
 *   cycle          mmap(PROT_NONE, NORESERVE) + mprotect(RW) + one store + munmap, one page
 *   cycle_mmap_rw  mmap(RW) + one store + munmap: the cheapest way to get a writable page
 *   grow_1MiB      mprotect(RW) of the next page of a 1 MiB reservation, starting empty
 *   grow_1GiB      mprotect(RW) of the next page of a 1 GiB reservation, starting 1 MiB from its end
 *                  (both: when full, munmap and reserve again; that cost is amortized over 256 grows)
 *   protect_flip   mprotect of one written page, alternating PROT_READ and PROT_READ|PROT_WRITE
 *   labs           labs() through a volatile function pointer: a libc call with no system call
 *   munmap_busyN   munmap of one written page with N threads spinning in this process; each call
 *                  is timed alone (the mapping is made outside the timed part)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define GROW_STEPS 256

static long page_bytes;

static void fail(const char *what) {
    perror(what);
    exit(1);
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t) t.tv_sec * 1000000000u + (uint64_t) t.tv_nsec;
}

static char *reserve(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        fail("mmap");
    }
    return p;
}

static void protect(char *p, size_t bytes, int prot) {
    if (mprotect(p, bytes, prot) != 0) {
        fail("mprotect");
    }
}

static void release(char *p, size_t bytes) {
    if (munmap(p, bytes) != 0) {
        fail("munmap");
    }
}

/* Each operation runs `n` times and returns the elapsed ns per operation. */

static double op_cycle(long n) {
    uint64_t start = now_ns();
    for (long i = 0; i < n; i++) {
        char *p = reserve(page_bytes);
        protect(p, page_bytes, PROT_READ | PROT_WRITE);
        *(volatile long *) p = i;
        release(p, page_bytes);
    }
    return (double) (now_ns() - start) / n;
}

static double op_cycle_mmap_rw(long n) {
    uint64_t start = now_ns();
    for (long i = 0; i < n; i++) {
        void *p = mmap(NULL, page_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            fail("mmap");
        }
        *(volatile long *) p = i;
        release(p, page_bytes);
    }
    return (double) (now_ns() - start) / n;
}

static double op_grow(long n, size_t region_bytes) {
    size_t start_bytes = region_bytes - GROW_STEPS * page_bytes;
    char *p = NULL;
    size_t committed = region_bytes;
    uint64_t start = now_ns();
    for (long i = 0; i < n; i++) {
        if (committed == region_bytes) {
            if (p != NULL) {
                release(p, region_bytes);
            }
            p = reserve(region_bytes);
            if (start_bytes > 0) {
                protect(p, start_bytes, PROT_READ | PROT_WRITE);
            }
            committed = start_bytes;
        }
        protect(p + committed, page_bytes, PROT_READ | PROT_WRITE);
        committed += page_bytes;
    }
    double result = (double) (now_ns() - start) / n;
    release(p, region_bytes);
    return result;
}

static double op_grow_1mib(long n) {
    return op_grow(n, (size_t) 1 << 20);
}

static double op_grow_1gib(long n) {
    return op_grow(n, (size_t) 1 << 30);
}

static double op_protect_flip(long n) {
    char *p = reserve(page_bytes);
    protect(p, page_bytes, PROT_READ | PROT_WRITE);
    *(volatile long *) p = 1;
    uint64_t start = now_ns();
    for (long i = 0; i < n; i += 2) {
        protect(p, page_bytes, PROT_READ);
        protect(p, page_bytes, PROT_READ | PROT_WRITE);
    }
    double result = (double) (now_ns() - start) / n;
    release(p, page_bytes);
    return result;
}

static long (*volatile labs_pointer)(long) = labs;
static volatile long labs_sink;

static double op_labs(long n) {
    long sum = 0;
    uint64_t start = now_ns();
    for (long i = 0; i < n; i++) {
        sum += labs_pointer(-i);
    }
    double result = (double) (now_ns() - start) / n;
    labs_sink = sum;
    return result;
}

static volatile int busy_running;

static void *busy_loop(void *unused) {
    (void) unused;
    uint64_t x = 1;
    while (busy_running) {
        x = x * 6364136223846793005u + 1442695040888963407u;
    }
    return (void *) (uintptr_t) x;
}

static double op_munmap(long n, int busy_threads) {
    pthread_t threads[8];
    busy_running = 1;
    for (int t = 0; t < busy_threads; t++) {
        if (pthread_create(&threads[t], NULL, busy_loop, NULL) != 0) {
            fail("pthread_create");
        }
    }
    uint64_t total = 0;
    for (long i = 0; i < n; i++) {
        char *p = reserve(page_bytes);
        protect(p, page_bytes, PROT_READ | PROT_WRITE);
        *(volatile long *) p = i;
        uint64_t start = now_ns();
        release(p, page_bytes);
        total += now_ns() - start;
    }
    busy_running = 0;
    for (int t = 0; t < busy_threads; t++) {
        pthread_join(threads[t], NULL);
    }
    return (double) total / n;
}

static double op_munmap_busy0(long n) {
    return op_munmap(n, 0);
}

static double op_munmap_busy2(long n) {
    return op_munmap(n, 2);
}

struct operation {
    const char *name;
    double (*run)(long n);
    long iterations;
};

static const struct operation operations[] = {
    {"cycle", op_cycle, 25000},
    {"cycle_mmap_rw", op_cycle_mmap_rw, 25000},
    {"grow_1MiB", op_grow_1mib, GROW_STEPS * 200},
    {"grow_1GiB", op_grow_1gib, GROW_STEPS * 200},
    {"protect_flip", op_protect_flip, 100000},
    {"labs", op_labs, 25000000},
    {"munmap_busy0", op_munmap_busy0, 25000},
    {"munmap_busy2", op_munmap_busy2, 10000},
};

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s REPETITIONS SCALE_PERCENT\n", argv[0]);
        return 2;
    }
    int repetitions = atoi(argv[1]);
    long scale_percent = atol(argv[2]);
    if (repetitions < 1 || scale_percent < 1) {
        fprintf(stderr, "REPETITIONS and SCALE_PERCENT must be positive\n");
        return 2;
    }
    page_bytes = sysconf(_SC_PAGESIZE);
    enum { OPERATIONS = sizeof operations / sizeof operations[0] };
    long counts[OPERATIONS];
    double *samples = calloc((size_t) OPERATIONS * (size_t) repetitions, sizeof(double));
    if (samples == NULL) {
        fail("calloc");
    }
    for (size_t o = 0; o < OPERATIONS; o++) {
        counts[o] = operations[o].iterations * scale_percent / 100;
        if (counts[o] < 2) {
            counts[o] = 2;
        }
        operations[o].run(counts[o]);
    }
    /* Round-robin: a burst of load from elsewhere on the machine hits one repetition of every
     * operation, not every repetition of one. */
    for (int r = 0; r < repetitions; r++) {
        for (size_t o = 0; o < OPERATIONS; o++) {
            samples[o * (size_t) repetitions + (size_t) r] = operations[o].run(counts[o]);
        }
    }
    printf("# page_bytes %ld\n", page_bytes);
    for (size_t o = 0; o < OPERATIONS; o++) {
        printf("%s", operations[o].name);
        for (int r = 0; r < repetitions; r++) {
            printf(" %.3f", samples[o * (size_t) repetitions + (size_t) r]);
        }
        printf("\n");
    }
    free(samples);
    return 0;
}
