import Testing
@testable import SPTensor

@Suite struct ALiBiTests {
    @Test func slopesMatchBloom() throws {
        let f = try Fixture("alibi")
        let chunk = Int(f.scalar("torch_vector_chunk"))
        for nh in [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 40, 48, 64, 96, 112] {
            #expect(ALiBi.slopes(heads: nh, chunk: chunk) == f.tensor("slopes.\(nh)").array, "\(nh) heads")
        }
        #expect(ALiBi.slopes(heads: 8) == [0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625])
    }

    @Test(arguments: [6, 8]) func biasMatchesBuildAlibiTensor(_ nh: Int) throws {
        let f = try Fixture("alibi")
        let mask = f.tensor("mask")
        let (B, S) = (mask.shape[0], mask.shape[1])
        let out = Tensor(shape: [B, nh, S])
        ALiBi.bias(out: out.data, mask: mask.data, batch: B, keys: S,
                   slopes: ALiBi.slopes(heads: nh, chunk: Int(f.scalar("torch_vector_chunk"))))
        #expect(out.array == f.tensor("bias.\(nh)").array)
    }
}

@Suite struct RelativeBiasTests {
    @Test(arguments: [true, false]) func bucketsMatchT5(_ bidirectional: Bool) throws {
        let f = try Fixture("t5bias")
        for (nb, md) in [(32, 128), (16, 32), (64, 256), (8, 20)] {
            let ref = f.tensor("bucket.\(bidirectional ? "bi" : "uni").\(nb).\(md)").array.map { Int($0) }
            let ours = (-300...300).map {
                RelativeBias.bucket(relativePosition: $0, bidirectional: bidirectional, numBuckets: nb, maxDistance: md)
            }
            #expect(ours == ref, "buckets \(nb), max distance \(md)")
        }
    }

    @Test(arguments: ["enc", "dec"]) func biasMatchesComputeBias(_ name: String) throws {
        let f = try Fixture("t5bias")
        let c = f.tensor("\(name).config").array.map { Int($0) }
        let (T, S, past, bidirectional) = (c[0], c[1], c[2], c[3] == 1)
        let table = f.tensor("\(name).table")
        let out = Tensor(shape: [4, T, S])
        RelativeBias.bias(out: out.data, table: table.data, heads: 4, queries: T, keys: S, queryOffset: past,
                          bidirectional: bidirectional, numBuckets: 32, maxDistance: 128)
        #expect(out.array == f.tensor("\(name).bias").array)
        let viaWeight = Tensor(shape: [4, T, S])
        RelativeBias.bias(out: viaWeight.data, table: Weight(table), queries: T, keys: S, queryOffset: past,
                          bidirectional: bidirectional, maxDistance: 128)
        #expect(viaWeight.array == out.array)
    }
}
