#include "cpu_support.h"

#if defined(__x86_64__)
#include <cpuid.h>

int wt_avx512_supported(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !f16c) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6) != 0xe6) return 0;   // SSE, AVX and the three AVX-512 states enabled
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 16) & 1;                // AVX-512F
}

#else

int wt_avx512_supported(void) { return 0; }

#endif
