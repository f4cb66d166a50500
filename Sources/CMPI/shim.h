// OpenMPI (libopenmpi-dev, pkg-config ompi-c). MPI_COMM_WORLD, MPI_FLOAT, MPI_DOUBLE, MPI_SUM,
// MPI_IN_PLACE and MPI_ERRORS_RETURN are macros (pointers to globals) that Swift cannot import.
#include <mpi.h>

static inline MPI_Comm ds_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype ds_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype ds_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op ds_mpi_sum(void) { return MPI_SUM; }
static inline void *ds_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int ds_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int ds_mpi_success(void) { return MPI_SUCCESS; }
static inline MPI_Errhandler ds_mpi_errors_are_fatal(void) { return MPI_ERRORS_ARE_FATAL; }
