// VNNI tiles for `--activations q8` (q0 family; quant_q8_tiles.h). None yet: every product of this
// family runs the scalar kernels of quant_dot_q8_kernels.h.
#include "quant_q8_tiles.h"

int sp_q8_tiles_q0(int fmt, const void *w, size_t row_bytes, long rows, const void *xq, size_t xq_stride,
                   long m, long k, float *y, long ldy, int accumulate) {
    (void)fmt; (void)w; (void)row_bytes; (void)rows; (void)xq; (void)xq_stride;
    (void)m; (void)k; (void)y; (void)ldy; (void)accumulate;
    return 0;
}
