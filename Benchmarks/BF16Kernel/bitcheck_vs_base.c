// Bit-for-bit check of Sources/CBLAS/bf16.c against the same file at a base commit (symbols renamed
// old_*): both entry points (per-part sp_bf16_gemm and the packed path) over edge shapes (odd K,
// row, column and group tails, strides, accumulate and rounding). Run by scripts/bench_bf16_kernel.sh.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "softprompt_bf16.h"
void old_sp_bf16_gemm(int, int, int, int, const float *, int, const uint16_t *, int, float *, int, int, int, void *);
size_t old_sp_bf16_gemm_scratch_bytes(int m, int n, int k);
void old_sp_bf16_pack_b(int transB, int n, int k, const uint16_t *b, int ldb, int q0, int q1, uint32_t *out);
void old_sp_bf16_gemm_packed(int m, int n, int k, const float *a, int lda, const uint32_t *bpacked, float *c, int ldc, int accumulate, int round_out, void *scratch);
int main(void) {
    int shapes[][3] = {{1,1,1},{1,5,3},{7,33,17},{12,384,32},{29,771,70},{64,1000,97},{50,1700,131},{13,31,15},{6,32,16},{97,1700,150},{60,1701,150},{49,800,700},{53,700,900},{5,2,64},{11,767,129},{8,1537,33}};
    unsigned s = 7; long bad = 0, total = 0;
    for (size_t q = 0; q < sizeof shapes / sizeof shapes[0]; q++) for (int t = 0; t < 2; t++) for (int acc = 0; acc < 2; acc++) {
        int m = shapes[q][0], k = shapes[q][1], n = shapes[q][2], lda = k + 3, ldb = t ? k + 5 : n + 7, ldc = n + 2;
        float *a = malloc(4 * (size_t)m * lda); uint16_t *b = malloc(2 * (size_t)(t ? n : k) * ldb + 64);
        float *c[4]; for (int i = 0; i < 4; i++) c[i] = malloc(4 * (size_t)m * ldc);
        for (long j = 0; j < (long)m * lda; j++) { s = s * 1103515245u + 12345u; a[j] = ((int)(s >> 9) % 2001 - 1000) * 1.37e-3f; }
        for (long j = 0; j < (long)(t ? n : k) * ldb; j++) { s = s * 1103515245u + 12345u; b[j] = (uint16_t)(0x3c00 + (s >> 20) % 512) ^ ((s >> 3) & 0x8000); }
        for (int i = 0; i < 4; i++) for (long j = 0; j < (long)m * ldc; j++) c[i][j] = 0.25f * (j % 5);
        void *scr = aligned_alloc(64, (old_sp_bf16_gemm_scratch_bytes(m, n, k) + sp_bf16_gemm_scratch_bytes(m, n, k) + 127) / 64 * 64);
        uint32_t *bp = aligned_alloc(64, (sp_bf16_packed_b_bytes(n, k) + 63) / 64 * 64);
        old_sp_bf16_gemm(t, m, n, k, a, lda, b, ldb, c[0], ldc, acc, acc, scr);
        sp_bf16_gemm(t, m, n, k, a, lda, b, ldb, c[1], ldc, acc, acc, scr);
        old_sp_bf16_pack_b(t, n, k, b, ldb, 0, (n + 63) / 64, bp);
        old_sp_bf16_gemm_packed(m, n, k, a, lda, bp, c[2], ldc, acc, !acc, scr);
        sp_bf16_pack_b(t, n, k, b, ldb, 0, (n + 63) / 64, bp);
        sp_bf16_gemm_packed(m, n, k, a, lda, bp, c[3], ldc, acc, !acc, scr);
        total++;
        if (memcmp(c[0], c[1], 4 * (size_t)m * ldc) || memcmp(c[2], c[3], 4 * (size_t)m * ldc)) { bad++; printf("DIFF %d %d %d t%d acc%d\n", m, k, n, t, acc); }
        free(a); free(b); for (int i = 0; i < 4; i++) free(c[i]); free(scr); free(bp);
    }
    printf("%ld of %ld cases differ\n", bad, total);
    return bad != 0;
}
