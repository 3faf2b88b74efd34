// Tensor: a contiguous, row-major Float buffer with a shape. Kernels take raw pointers and explicit
// dimensions (llm.c style); Tensor is the owner that keeps those pointers alive.

#if canImport(Glibc)
import Glibc
#endif

/// A contiguous, row-major `Float` buffer with a shape.
///
/// A `Tensor` owns 64-byte-aligned memory and is a reference type so that activation buffers can be
/// allocated once per batch shape and reused across steps. Kernels read and write through ``data``.
public final class Tensor: @unchecked Sendable {
    /// The dimensions, outermost first.
    public private(set) var shape: [Int]
    /// Number of elements (`shape.reduce(1, *)`).
    public private(set) var count: Int
    /// Number of elements the allocation can hold (≥ ``count``).
    public private(set) var capacity: Int
    /// The first element.
    public private(set) var data: UnsafeMutablePointer<Float>

    /// Allocates a zero-filled tensor of the given shape.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.capacity = Swift.max(count, 1)
        self.data = Tensor.allocate(capacity)
        data.initialize(repeating: 0, count: capacity)
    }

    /// Allocates a tensor holding a copy of `values`; `values.count` must equal the shape's product.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { free(data) }

    /// Changes the shape; reallocates only when the new element count exceeds the capacity.
    /// Contents are unspecified afterwards unless `zero` is true.
    public func reshape(_ newShape: [Int], zero: Bool = false) {
        let n = newShape.reduce(1, *)
        if n > capacity {
            free(data)
            capacity = n
            data = Tensor.allocate(n)
            data.initialize(repeating: 0, count: n)
        } else if zero {
            data.update(repeating: 0, count: n)
        }
        shape = newShape
        count = n
    }

    /// Sets every element to zero.
    public func zero() { data.update(repeating: 0, count: count) }

    /// The elements as an array (copy).
    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// Element at a multi-dimensional index (slow; for tests and debugging).
    public subscript(_ index: Int...) -> Float {
        get { data[offset(index)] }
        set { data[offset(index)] = newValue }
    }

    private func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index rank \(index.count) for shape \(shape)")
        var o = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of bounds for \(shape)")
            o = o * d + i
        }
        return o
    }

    static func allocate(_ n: Int) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        let rc = posix_memalign(&raw, 64, n * MemoryLayout<Float>.stride)
        guard rc == 0, let raw else { fatalError("out of memory allocating \(n) floats") }
        return raw.bindMemory(to: Float.self, capacity: n)
    }
}
