#ifndef DEEPSWIFT_CZLIB_SHIM_H
#define DEEPSWIFT_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 / deflateInit2 are macros, which Swift cannot import.
static inline int deepswift_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
static inline int deepswift_deflateInit2(z_streamp stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
#endif
