// ISA-specific instantiation of vector_math_body.h.
#include "deepswift_kernels.h"
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <math.h>
#pragma clang attribute push (__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,bmi2"))), apply_to = function)
#define DS_HAVE_AVX512 1
#define DS_HAVE_FMA 1
#define DS_NAME(f) f##_avx512
#include "vector_math_body.h"
#include "window_body.h"
#include "recurrent_body.h"
#pragma clang attribute pop
