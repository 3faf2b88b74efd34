// A normalisation layer (LayerNorm or RMSNorm) with its frozen parameters.

import SPTensor

/// LayerNorm (`nn.LayerNorm`) or RMSNorm (Llama / T5 style, optional `(1 + w)` offset) over the last
/// dimension, with frozen weight and bias.
public struct NormLayer: @unchecked Sendable {
    public enum Kind: Sendable, Equatable { case layer, rms(weightOffset: Float) }
    public let kind: Kind
    public let width: Int
    public let eps: Float
    public let weight: Tensor?
    public let bias: Tensor?

    public init(kind: Kind, width: Int, eps: Float, weight: Tensor?, bias: Tensor? = nil) {
        self.kind = kind
        self.width = width
        self.eps = eps
        self.weight = weight
        self.bias = bias
    }

    /// y[N,C] = norm(x[N,C]); `mean`/`rstd` [N] are saved for ``backward`` when given.
    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int,
                        mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?) {
        switch kind {
        case .layer:
            LayerNorm.forward(x, weight: weight.map { UnsafePointer($0.data) },
                              bias: bias.map { UnsafePointer($0.data) }, y, mean: mean, rstd: rstd,
                              rows: rows, cols: width, eps: eps)
        case .rms(let offset):
            RMSNorm.forward(x, weight: weight.map { UnsafePointer($0.data) }, y, rstd: rstd,
                            rows: rows, cols: width, eps: eps, weightOffset: offset)
        }
    }

    /// dx[N,C] (+)= d norm(x)/dx · dy, from the forward input `x` and saved statistics.
    public func backward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                         rstd: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, rows: Int,
                         accumulate: Bool) {
        switch kind {
        case .layer:
            LayerNorm.backward(dy, x, weight: weight.map { UnsafePointer($0.data) }, mean: mean,
                               rstd: rstd, dx, rows: rows, cols: width, accumulate: accumulate)
        case .rms(let offset):
            RMSNorm.backward(dy, x, weight: weight.map { UnsafePointer($0.data) }, rstd: rstd, dx,
                             rows: rows, cols: width, weightOffset: offset, accumulate: accumulate)
        }
    }
}
