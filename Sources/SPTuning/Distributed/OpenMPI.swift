// The only caller of MPI. libmpi is opened with dlopen at run time, not linked: a `softprompt`
// built here runs single-process on a machine without Open MPI, and only a process an MPI launcher
// started (mpirun, srun --mpi=pmix) ever loads it. RTLD_GLOBAL matters: Open MPI's MCA plugins
// (transports, PMIx) are shared objects that resolve their symbols from libmpi's global scope.
//
// Open MPI's handles are addresses of global objects, not integers (mpi.h: `#define MPI_COMM_WORLD
// OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)`), so they come from dlsym too;
// MPI_IN_PLACE is `(void *) 1`.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// MPI_COMM_WORLD of Open MPI, loaded with `dlopen`.
public final class OpenMPI: Collective, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Ranks on this host (`OMPI_COMM_WORLD_LOCAL_SIZE`, else 1): the CLI divides the cores by it.
    public let localSize: Int

    private typealias Handle = UnsafeMutableRawPointer
    private typealias InitThread = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?, Int32,
                                                   UnsafeMutablePointer<Int32>?) -> Int32
    private typealias CommInt = @convention(c) (Handle?, UnsafeMutablePointer<Int32>?) -> Int32
    private typealias Allreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle?, Handle?,
                                                  Handle?) -> Int32
    private typealias Bcast = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle?, Int32, Handle?) -> Int32
    private typealias Abort = @convention(c) (Handle?, Int32) -> Int32
    private typealias Finalize = @convention(c) () -> Int32

    private let world, float, byte, sum: Handle
    private let allreduce: Allreduce, bcast: Bcast, abortFn: Abort, finalizeFn: Finalize

    /// The library file names tried in order (Debian's `libopenmpi3` ships `libmpi.so.40`).
    public static let libraryNames = ["libmpi.so.40", "libmpi.so"]
    static let installHint = "install Open MPI (Debian/Ubuntu: apt-get install libopenmpi-dev openmpi-bin)"

    /// Whether an MPI launcher started this process: Open MPI's mpirun sets `OMPI_COMM_WORLD_SIZE`,
    /// PMIx launchers (srun --mpi=pmix, prterun) `PMIX_RANK`, PMI-2 ones `PMI_RANK`.
    public static func launched(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"].contains { environment[$0] != nil }
    }

    /// Loads libmpi and calls `MPI_Init_thread` (MPI_THREAD_SERIALIZED: one thread at a time calls MPI).
    /// - Throws: `DistributedError.library` when the library or a symbol is missing, `.call` when init fails.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var lib: UnsafeMutableRawPointer?, errors: [String] = []
        for name in Self.libraryNames {
            lib = dlopen(name, RTLD_NOW | RTLD_GLOBAL)
            if lib != nil { break }
            errors.append(dlerror().map { String(cString: $0) } ?? name)
        }
        guard let lib else {
            throw DistributedError.library(name: Self.libraryNames[0], reason: errors.joined(separator: "; "), hint: Self.installHint)
        }
        func sym(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(lib, name) else {
                throw DistributedError.library(name: Self.libraryNames[0], reason: "no symbol \(name): not Open MPI 4 or 5?",
                                               hint: Self.installHint)
            }
            return p
        }
        func fn<F>(_ name: String, _: F.Type) throws -> F { unsafeBitCast(try sym(name), to: F.self) }
        world = try sym("ompi_mpi_comm_world")
        float = try sym("ompi_mpi_float")
        byte = try sym("ompi_mpi_byte")
        sum = try sym("ompi_mpi_op_sum")
        allreduce = try fn("MPI_Allreduce", Allreduce.self)
        bcast = try fn("MPI_Bcast", Bcast.self)
        abortFn = try fn("MPI_Abort", Abort.self)
        finalizeFn = try fn("MPI_Finalize", Finalize.self)
        let initThread = try fn("MPI_Init_thread", InitThread.self)
        let commRank = try fn("MPI_Comm_rank", CommInt.self), commSize = try fn("MPI_Comm_size", CommInt.self)
        var provided: Int32 = 0
        let serialized: Int32 = 2   // MPI_THREAD_SERIALIZED in Open MPI's mpi.h
        try Self.check("MPI_Init_thread", initThread(nil, nil, serialized, &provided))
        var r: Int32 = 0, s: Int32 = 0
        try Self.check("MPI_Comm_rank", commRank(world, &r))
        try Self.check("MPI_Comm_size", commSize(world, &s))
        rank = Int(r)
        size = Int(s)
        localSize = max(1, environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? 1)
    }

    private static func check(_ name: String, _ code: Int32) throws {
        if code != 0 { throw DistributedError.call(name: name, code: code) }
    }

    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        guard values.count > 0 else { return }
        let inPlace = UnsafeRawPointer(bitPattern: 1)   // MPI_IN_PLACE
        try Self.check("MPI_Allreduce", allreduce(inPlace, values.baseAddress, Int32(values.count), float, sum, world))
    }

    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws {
        guard bytes.count > 0 else { return }
        try Self.check("MPI_Bcast", bcast(bytes.baseAddress, Int32(bytes.count), byte, Int32(root), world))
    }

    /// Ends the whole job now (every rank), exit status `code`: for a rank that fails where the
    /// others cannot learn it (before or outside the training loop's allreduces).
    public func abort(code: Int32) -> Never {
        _ = abortFn(world, code)
        exit(code)
    }

    /// `MPI_Finalize`: every rank calls it once before exiting normally.
    public func finalize() { _ = finalizeFn() }
}
