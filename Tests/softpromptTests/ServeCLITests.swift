// `softprompt serve` refuses what it cannot serve before binding a port (the server itself is
// tested in SPServerTests).

import Foundation
import Testing

@Suite(.timeLimit(.minutes(2))) struct ServeCLITests {
    @Test func refusesBadSettingsBeforeServing() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = try CLI.run(["serve", "--local-models-dir", dir + "/absent", "--http-port", "0"])
        #expect(missing.status != 0 && missing.stderr.contains("is not a directory"), "\(missing.stderr)")
        try "runtime: {grpc: {server_shutdown_grace_period_seconds: 5}}\n".write(toFile: dir + "/grpc.yaml", atomically: true, encoding: .utf8)
        let grpc = try CLI.run(["serve", "--config", dir + "/grpc.yaml", "--local-models-dir", dir])
        #expect(grpc.status != 0 && grpc.stderr.contains("runtime.grpc.server_shutdown_grace_period_seconds") && grpc.stderr.contains("not implemented"),
                "\(grpc.stderr)")
        try "runtime: {tls: {server: {key: \(dir)/absent.key, cert: \(dir)/absent.pem}}}\n".write(toFile: dir + "/tls.yaml", atomically: true, encoding: .utf8)
        let tls = try CLI.run(["serve", "--config", dir + "/tls.yaml", "--local-models-dir", dir])
        #expect(tls.status != 0 && tls.stderr.contains("runtime.tls.server.key") && tls.stderr.contains("cannot read"), "\(tls.stderr)")
        let grpcPort = try CLI.run(["serve", "--local-models-dir", dir, "--grpc-port", "-1"])
        #expect(grpcPort.status != 0 && grpcPort.stderr.contains("--grpc-port"), "\(grpcPort.stderr)")
        let port = try CLI.run(["serve", "--local-models-dir", dir, "--http-port", "70000"])
        #expect(port.status != 0 && port.stderr.contains("--http-port"), "\(port.stderr)")
        let body = try CLI.run(["serve", "--local-models-dir", dir, "--max-train-body-bytes", "10"])
        #expect(body.status != 0 && body.stderr.contains("--max-train-body-bytes must be in 1024"), "\(body.stderr)")
    }
}
