// The only file in the project that calls `cblas_*` or `openblas_*`.

import CBLAS

/// Row-major single-precision GEMM through OpenBLAS.
public enum BLAS {
    /// Number of threads OpenBLAS uses for one call. Defaults to all cores; set it once at start-up
    /// (``Runtime/configure(threads:)`` does) so that OpenBLAS and ``ThreadPool`` never oversubscribe.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// OpenBLAS's build configuration and the kernel it picked for this CPU, e.g. `"… Zen"`.
    public static var configuration: String {
        String(cString: openblas_get_config()) + " core=" + String(cString: openblas_get_corename())
    }

    /// C[M,N] = alpha · op(A)·op(B) + beta · C, all row-major.
    ///
    /// - Parameters:
    ///   - transA: false: A is [M,K] with leading dimension `lda`; true: A is stored [K,M].
    ///   - transB: false: B is [K,N] with leading dimension `ldb`; true: B is stored [N,K].
    @inlinable
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS leaves C scaled by beta; do the same explicitly (some builds skip it).
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y[M] = alpha · op(A)·x + beta · y with A row-major [M,N] (or [N,M] when `trans`).
    @inlinable
    public static func sgemv(
        trans: Bool, rows: Int, cols: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        if rows == 0 || cols == 0 { return }
        cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(rows), Int32(cols),
                    alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
}
