// The C wall for OpenBLAS: CBLAS plus the runtime queries and a CPU feature probe.
#ifndef WINGTRACK_COPENBLAS_SHIM_H
#define WINGTRACK_COPENBLAS_SHIM_H

#include <cblas.h>

char *openblas_get_corename(void);
char *openblas_get_config(void);
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
/// Bit set of the x86 features that decide OpenBLAS's kernel and wingtrack's own: 1 = AVX2+FMA
/// (OS-enabled), 2 = AVX-512 F/BW/VL/DQ (OS-enabled), 4 = F16C (half-float conversions). 0 on other CPUs.
static inline int wt_cpu_simd_level(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    int ymm = (lo & 6) == 6, zmm = (lo & 0xe6) == 0xe6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    int level = 0;
    if (ymm && avx2 && fma) level |= 1;
    if (zmm && f && dq && bw && vl) level |= 2;
    if (ymm && f16c) level |= 4;
    return level;
}
#else
static inline int wt_cpu_simd_level(void) { return 0; }
#endif

#endif
