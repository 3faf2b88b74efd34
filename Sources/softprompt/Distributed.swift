import ArgumentParser
import Foundation
import SPTensor
import SPTuning

/// `train` under an MPI launcher: joins the group, sizes the threads, and ends every rank the same way.
enum DistributedLaunch {
    /// The group when an MPI launcher started this process (or `required` asks for one); nil: one process.
    /// - Throws: `DistributedError.notLaunched` when `required` and no launcher is around;
    ///   `.library` when one is but libmpi cannot be loaded.
    static func join(required: Bool) throws -> OpenMPI? {
        guard OpenMPI.launched() else {
            if required {
                throw DistributedError.notLaunched(
                    hint: "start it as `mpirun -np 2 softprompt train --distributed …` (several hosts: --hostfile; Slurm: srun --mpi=pmix), see docs/DISTRIBUTED.md")
            }
            return nil
        }
        return try OpenMPI()
    }

    /// Threads per rank: `--threads`, else this host's cores shared by its ranks.
    static func threads(_ threads: Int?, group: OpenMPI?) -> Int? {
        guard threads == nil, let group else { return threads }
        return max(1, Runtime.coreCount / group.localSize)
    }

    /// Runs `body` as one rank and ends it: `MPI_Finalize` after success, after a cancellation or an
    /// error every rank threw together (rank 0 alone prints it); any other error is printed by the
    /// rank that hit it and ends the whole job (`MPI_Abort`), so no rank waits for it.
    static func run(_ group: OpenMPI?, _ body: () throws -> Void) throws {
        guard let group else { return try body() }
        do {
            try body()
            group.finalize()
        } catch let error as DistributedError where error.isAgreed {
            if group.rank == 0 { FileHandle.standardError.write(Data("Error: \(error)\n".utf8)) }
            group.finalize()
            exit(1)
        } catch {
            if error is ExitCode {
                group.finalize()
                throw error
            }
            FileHandle.standardError.write(Data("Error: rank \(group.rank) of \(group.size): \(error); ending the job\n".utf8))
            group.abort(code: 1)
        }
    }
}
