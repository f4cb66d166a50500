// HDF5's C API for DeepSwiftKeras. Its type and property-list constants are macros that read
// globals after H5open(); Swift cannot import them, so these inline functions return them.
#include <hdf5.h>

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
