/* The SHA-NI kernel for CPUs with AVX-512VL: 32 xmm registers, compiled with -msse4.1 -msha -mavx512f -mavx512vl. */
#define SHANI_K 5
#define SHANI_FN tk_segment_shani_vl
#include "shani.h"
