// OpenMPI (libopenmpi-dev, pkg-config ompi-c). MPI_COMM_WORLD, MPI_FLOAT, MPI_DOUBLE, MPI_SUM,
// MPI_IN_PLACE and MPI_ERRORS_RETURN are macros (pointers to globals) that Swift cannot import.
#include <mpi.h>
#include <stdint.h>

static inline MPI_Comm ds_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype ds_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype ds_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op ds_mpi_sum(void) { return MPI_SUM; }
static inline void *ds_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int ds_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int ds_mpi_success(void) { return MPI_SUCCESS; }
static inline MPI_Errhandler ds_mpi_errors_are_fatal(void) { return MPI_ERRORS_ARE_FATAL; }

// Half-precision sums for compressed gradient exchange: MPI_UINT16_T buffers holding IEEE float16,
// added by ds_f16_add (CDeepSwiftKernels, linked into every program that uses DeepSwiftDistributed).
void ds_f16_add(uint16_t *inout, const uint16_t *in, long n);

static inline MPI_Datatype ds_mpi_uint16(void) { return MPI_UINT16_T; }

static void ds_mpi_f16_sum_function(void *in, void *inout, int *length, MPI_Datatype *type) {
    (void)type;
    ds_f16_add((uint16_t *)inout, (const uint16_t *)in, *length);
}

// The user-defined MPI operation (created on first use, after MPI_Init; commutative).
static inline MPI_Op ds_mpi_f16_sum(void) {
    static MPI_Op op = MPI_OP_NULL;
    if (op == MPI_OP_NULL) MPI_Op_create(ds_mpi_f16_sum_function, 1, &op);
    return op;
}
