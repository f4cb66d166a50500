// HDF5's C API for DeepSwiftKeras. Its type and property-list constants are macros that read
// globals after H5open(); Swift cannot import them, so these inline functions return them.
#include <hdf5.h>
#include <string.h>

static inline hid_t ds_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t ds_h5s_all(void) { return H5S_ALL; }
static inline hid_t ds_h5e_default(void) { return H5E_DEFAULT; }
static inline hid_t ds_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t ds_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t ds_h5t_c_s1(void) { return H5T_C_S1; }
static inline size_t ds_h5t_variable(void) { return H5T_VARIABLE; }
static inline unsigned ds_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }

// 1 for a group, 2 for a dataset, 0 for anything else, -1 when there is no such object.
static inline int ds_h5_object_kind(hid_t location, const char *name) {
    if (H5Lexists(location, name, H5P_DEFAULT) <= 0) return -1;
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info_by_name3(location, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
#else
    H5O_info_t info;
    if (H5Oget_info_by_name2(location, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
#endif
    if (info.type == H5O_TYPE_GROUP) return 1;
    if (info.type == H5O_TYPE_DATASET) return 2;
    return 0;
}

// Opens an HDF5 file held in memory, read-only and without copying it: the file-image callbacks
// hand HDF5 the caller's buffer (which must stay valid and unchanged until H5Fclose) instead of
// allocating and copying (HDF5's own H5LT "don't copy" mode works the same way).
typedef struct { void *buffer; size_t size; } ds_h5_image;

static void *ds_h5_image_malloc(size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op;
    ds_h5_image *image = (ds_h5_image *)udata;
    return size == image->size ? image->buffer : NULL;
}
static void *ds_h5_image_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op; (void)udata;
    if (dest != src) memcpy(dest, src, size);
    return dest;
}
static void *ds_h5_image_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)ptr; (void)size; (void)op; (void)udata;
    return NULL;   // read-only: the image never grows
}
static herr_t ds_h5_image_free(void *ptr, H5FD_file_image_op_t op, void *udata) {
    (void)ptr; (void)op; (void)udata;
    return 0;      // the caller owns the buffer
}
static void *ds_h5_udata_copy(void *udata) { return udata; }
static herr_t ds_h5_udata_free(void *udata) { (void)udata; return 0; }

// `image` (buffer + size) must outlive the returned file. `name` must be unique among open files:
// HDF5 identifies in-memory files by name and would hand back an already open one.
static inline hid_t ds_h5_open_image(ds_h5_image *image, const char *name) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return -1;
    H5FD_file_image_callbacks_t callbacks = {ds_h5_image_malloc, ds_h5_image_memcpy, ds_h5_image_realloc, ds_h5_image_free,
                                             ds_h5_udata_copy, ds_h5_udata_free, image};
    if (H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 || H5Pset_fapl_core(fapl, 1 << 20, 0) < 0
        || H5Pset_file_image_callbacks(fapl, &callbacks) < 0
        || H5Pset_file_image(fapl, image->buffer, image->size) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    hid_t file = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    return file;
}

// Opens a file read-only; closing it closes everything opened in it (H5F_CLOSE_STRONG), so a damaged
// file that left objects half-open cannot keep the library busy at exit.
static inline hid_t ds_h5_open_path(const char *path) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return -1;
    if (H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) { H5Pclose(fapl); return -1; }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    return file;
}
