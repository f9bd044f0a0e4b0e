/* 16 lanes in one zmm register: compiled with -mavx512f. */
#define LANES 16
#define LANES_FN tk_segment_avx512_16
#include "lanes.h"
