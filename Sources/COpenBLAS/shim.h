#ifndef DEEPSWIFT_COPENBLAS_SHIM_H
#define DEEPSWIFT_COPENBLAS_SHIM_H
// OpenBLAS's CBLAS interface plus its thread-control extensions
// (openblas_set_num_threads / openblas_get_num_threads).
#include <cblas.h>
#endif
