/* 16 lanes as two ymm registers: the AVX-512 kernel's code, compiled with -mavx2. */
#define LANES 16
#define LANES_FN tk_segment_avx2_16
#include "lanes.h"
