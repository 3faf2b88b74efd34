// The OpenBLAS loader: which kernel set it asks for, and how it reports a library it cannot use.

import Foundation
import Testing
@testable import SPTensor

@Suite("OpenBLAS loader")
struct BLASLoaderTests {
    @Test("auto on an AVX-512 CPU asks for SkylakeX, overriding a narrower OPENBLAS_CORETYPE")
    func autoWithAVX512() {
        guard case .set(let core, let why) = BLAS.chooseCore(mode: nil, user: nil, avx512: true) else {
            Issue.record("expected .set"); return
        }
        #expect(core == "SkylakeX" && why.contains("AVX-512"))
        guard case .set(let core2, let why2) = BLAS.chooseCore(mode: "auto", user: "Haswell", avx512: true) else {
            Issue.record("expected .set"); return
        }
        #expect(core2 == "SkylakeX")
        #expect(why2.contains("OPENBLAS_CORETYPE=Haswell overridden") && why2.contains("SOFTPROMPT_BLAS_CORE=env"))
        // Already an AVX-512 kernel set: the user's choice stands.
        #expect(BLAS.chooseCore(mode: "AUTO", user: "cooperlake", avx512: true) == .leave(reason: "OPENBLAS_CORETYPE"))
    }

    @Test("auto without AVX-512 keeps OpenBLAS's choice and drops a core that would SIGILL")
    func autoWithoutAVX512() {
        #expect(BLAS.chooseCore(mode: nil, user: nil, avx512: false) == .leave(reason: "OpenBLAS's detection"))
        #expect(BLAS.chooseCore(mode: "", user: "Zen", avx512: false) == .leave(reason: "OPENBLAS_CORETYPE"))
        guard case .unset(let why) = BLAS.chooseCore(mode: nil, user: "SkylakeX", avx512: false) else {
            Issue.record("expected .unset"); return
        }
        #expect(why.contains("OPENBLAS_CORETYPE=SkylakeX ignored"))
    }

    @Test("env honours OPENBLAS_CORETYPE; a name is used as given, AVX-512 ones only where they run")
    func explicitModes() {
        #expect(BLAS.chooseCore(mode: "env", user: "Haswell", avx512: true) == .leave(reason: "OPENBLAS_CORETYPE"))
        #expect(BLAS.chooseCore(mode: "ENV", user: nil, avx512: true) == .leave(reason: "OpenBLAS's detection"))
        #expect(BLAS.chooseCore(mode: "Haswell", user: "SkylakeX", avx512: true)
                == .set(core: "Haswell", reason: "SOFTPROMPT_BLAS_CORE"))
        guard case .error(let message) = BLAS.chooseCore(mode: "SapphireRapids", user: nil, avx512: false) else {
            Issue.record("expected .error"); return
        }
        #expect(message.contains("SOFTPROMPT_BLAS_CORE=SapphireRapids needs AVX-512"))
    }

    @Test("the loaded kernels match this CPU and the environment the process started with")
    func liveChoice() throws {
        try BLAS.load()
        let env = ProcessInfo.processInfo.environment
        let mode = env["SOFTPROMPT_BLAS_CORE"], user = env["OPENBLAS_CORETYPE"]
        #expect(BLAS.configuration.contains("core=" + BLAS.coreChoice))
        if (mode ?? "auto").lowercased() == "auto" {
            // Never an AVX-512 kernel on a CPU without it (SIGILL), always one on a CPU with it.
            #expect(BLAS.usesAVX512 == BLAS.cpuHasAVX512, "\(BLAS.coreChoice)")
        }
        // The loader puts the user's OPENBLAS_CORETYPE back after OpenBLAS has read it.
        #expect(getenv("OPENBLAS_CORETYPE").map { String(cString: $0) } == user)
        var c: [Float] = [0]
        BLAS.sgemm(transA: false, transB: false, m: 1, n: 1, k: 2, a: [1, 2], lda: 2, b: [3, 4], ldb: 1, c: &c, ldc: 1)
        #expect(c == [11])
    }

    @Test("probing a missing file or a library that is not OpenBLAS names it and how to fix it")
    func probe() throws {
        let missing = try #require(BLAS.probe(path: "/nonexistent/libopenblas.so"))
        #expect(missing.contains("/nonexistent/libopenblas.so") && missing.contains("scripts/setup.sh"))
        let libc = try #require(BLAS.probe(path: "libc.so.6"))
        #expect(libc.contains("not an OpenBLAS library") && libc.contains("cblas_sgemm"))
        #expect(BLAS.probe(path: "libopenblas.so.0") == nil)
    }
}
