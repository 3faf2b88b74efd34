// `softprompt jobs list|status|cancel`: the training jobs of a running `softprompt serve`, over its
// HTTP routes (GET/DELETE /management/trainings), so a user never needs curl.

import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `softprompt jobs`.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List, inspect and cancel the training jobs of a running `softprompt serve`.",
        subcommands: [List.self, Status.self, Cancel.self])

    struct Server: ParsableArguments {
        @Option(help: "The server's base URL.") var server = "http://127.0.0.1:8080"

        /// The decoded JSON object of `method path`, or a ValidationError/ExitCode with caikit's `details`.
        func call(_ method: String, _ path: String) async throws -> [String: Any] {
            guard let url = URL(string: server.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path),
                  url.scheme == "http" || url.scheme == "https" else {
                throw ValidationError("--server \(server) is not an http(s) URL")
            }
            var request = URLRequest(url: url)
            request.httpMethod = method
            request.timeoutInterval = 30
            let data: Data, response: URLResponse
            do { (data, response) = try await URLSession.shared.data(for: request) } catch {
                throw JobsError("cannot reach \(server) (\(error.localizedDescription)); is `softprompt serve` running there? (--server URL)")
            }
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard status == 200, let object else {
                let details = object?["details"] as? String ?? String(decoding: data.prefix(500), as: UTF8.self)
                throw JobsError("\(server) answered \(status): \(details)")
            }
            return object
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every job: id, state, model name, progress.")
        @OptionGroup var server: Server

        func run() async throws {
            let all = try await server.call("GET", "/management/trainings")["trainings"] as? [[String: Any]] ?? []
            if all.isEmpty { print("no training jobs"); return }
            print(["TRAINING_ID", "STATE", "MODEL_NAME", "EPOCH", "STEP", "LOSS", "SUBMITTED"].joined(separator: "\t"))
            for j in all { print(JobsCommand.row(j)) }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job's state, timestamps, reasons and progress.")
        @OptionGroup var server: Server
        @Argument(help: "The training_id.") var trainingId: String

        func run() async throws {
            print(JobsCommand.describe(try await server.call("GET", "/management/trainings?training_id=" + JobsCommand.escape(trainingId))))
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a queued or running job (a running one stops within one step).")
        @OptionGroup var server: Server
        @Argument(help: "The training_id.") var trainingId: String

        func run() async throws {
            print(JobsCommand.describe(try await server.call("DELETE", "/management/trainings?training_id=" + JobsCommand.escape(trainingId))))
        }
    }

    static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? s
    }

    static func progress(_ j: [String: Any]) -> (epoch: String, step: String, loss: String) {
        let p = j["progress"] as? [String: Any] ?? [:]
        let loss = (p["loss"] as? Double).map { String(format: "%.4f", $0) } ?? "-"
        return ("\(p["epoch"] as? Int ?? 0)/\(p["num_epochs"] as? Int ?? 0)", "\(p["step"] as? Int ?? 0)/\(p["total_steps"] as? Int ?? 0)", loss)
    }

    static func row(_ j: [String: Any]) -> String {
        let p = progress(j)
        return [j["training_id"] as? String ?? "?", j["state"] as? String ?? "?", j["model_name"] as? String ?? "?",
                p.epoch, p.step, p.loss, j["submission_timestamp"] as? String ?? "-"].joined(separator: "\t")
    }

    static func describe(_ j: [String: Any]) -> String {
        let p = progress(j)
        let eta = ((j["progress"] as? [String: Any])?["eta_seconds"] as? Double).map { String(format: "%.0f s", $0) } ?? "-"
        var lines = [
            "training_id: \(j["training_id"] as? String ?? "?")", "state: \(j["state"] as? String ?? "?")",
            "model_name: \(j["model_name"] as? String ?? "?")",
            "submitted: \(j["submission_timestamp"] as? String ?? "-")", "started: \(j["start_timestamp"] as? String ?? "-")",
            "completed: \(j["completion_timestamp"] as? String ?? "-")",
            "progress: epoch \(p.epoch), step \(p.step), loss \(p.loss), eta \(eta)",
        ]
        if let out = j["output_path"] as? String { lines.append("output: \(out)") }
        for r in j["reasons"] as? [String] ?? [] { lines.append("reason: \(r)") }
        return lines.joined(separator: "\n")
    }
}

/// A failed jobs call: printed as `Error: …`, exit status 1.
struct JobsError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
