import Testing
@testable import SPTensor

@Suite struct LinearTests {
    @Test func forwardByHand() {
        // x[2,3] · W[2,3]ᵀ + b
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let w = Weight(Tensor(shape: [2, 3], values: [1, 0, -1, 2, 1, 0]))
        let b: [Float] = [0.5, -1]
        let y = Tensor(shape: [2, 2])
        Linear.forward(x.data, w, bias: b, y.data, m: 2)
        #expect(y.array == [-1.5, 3, -1.5, 12])
    }
}
