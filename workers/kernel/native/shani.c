/* The SHA-NI kernel with 2 streams for CPUs without AVX-512VL: 16 xmm registers, compiled with -msse4.1 -msha. */
#define SHANI_K 2
#define SHANI_FN tk_segment_shani
#include "shani.h"
