// Row-invariant linear layers for continuous batching: a one-row `Linear.forward` normally takes
// the GEMV path, whose summation order differs from GEMM's, so a row decoded alone and the same row
// decoded among others would differ in their last bits. OpenBLAS's SGEMM gives every row the same
// result whatever the number of rows (`BatchSchedulerTests` compares rows decoded together and alone bit for bit), so while this flag is set
// on the calling thread one-row calls take the GEMM path too (also for f16/bf16/Q8_0 weights,
// which then go through their dequantized panels as multi-row calls do).

#if canImport(Glibc)
import Glibc
#endif

/// A per-thread switch that makes `Linear.forward`'s result for a row independent of the row count.
public enum RowInvariance {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        precondition(pthread_key_create(&k, nil) == 0, "pthread_key_create failed")
        return k
    }()

    /// True on a thread inside ``with(_:)``.
    public static var isOn: Bool { pthread_getspecific(key) != nil }

    /// Runs `body` with one-row linear layers on the GEMM path (on this thread).
    public static func with<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(key, previous) }
        return try body()
    }
}
