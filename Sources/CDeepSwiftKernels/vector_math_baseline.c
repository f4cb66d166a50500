// ISA-specific instantiation of vector_math_body.h.
#include "deepswift_kernels.h"
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <math.h>
#define DS_NAME(f) f##_baseline
#include "vector_math_body.h"
#include "window_body.h"
#include "recurrent_body.h"
