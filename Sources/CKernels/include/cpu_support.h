// The C wall for wingtrack's own numeric kernels (WingNN imports it; nothing else does).
#ifndef WINGTRACK_CPU_SUPPORT_H
#define WINGTRACK_CPU_SUPPORT_H

/// 1 when this CPU and OS can run the AVX-512 kernels (AVX-512F with its register state, F16C), else 0.
int wt_avx512_supported(void);

#endif
