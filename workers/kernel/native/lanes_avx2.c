/* 8 lanes in one ymm register: compiled with -mavx2. */
#define LANES 8
#define LANES_FN tk_segment_avx2_8
#include "lanes.h"
