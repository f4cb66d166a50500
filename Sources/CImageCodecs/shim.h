// libpng (simplified API) and libjpeg-turbo's TurboJPEG API (libpng-dev, libturbojpeg0-dev).
#include <png.h>
#include <turbojpeg.h>

// PNG_IMAGE_SIZE and friends are macros Swift cannot import.
static inline int ds_png_image_version(void) { return PNG_IMAGE_VERSION; }
static inline unsigned ds_png_format_gray(void) { return PNG_FORMAT_GRAY; }
static inline unsigned ds_png_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline int ds_png_failed(const png_image *image) { return PNG_IMAGE_FAILED(*image); }
