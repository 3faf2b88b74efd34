// A bounded load test of a running server on loopback: `clients` threads send requests round robin
// (alternating unary and streaming), each answer is compared with the answer the same request
// gets alone, and latency, time to first token and token throughput are collected.

import Foundation
import SPJSON

/// One request of a load test and the answer it must get (from a run of it alone).
public struct LoadRequest: Sendable {
    public var modelId: String
    public var inputs: String
    /// The `parameters` object, as JSON text.
    public var parameters: String
    public var expectedText: String
    public var expectedTokens: Int

    public init(modelId: String, inputs: String, parameters: String, expectedText: String, expectedTokens: Int) {
        self.modelId = modelId
        self.inputs = inputs
        self.parameters = parameters
        self.expectedText = expectedText
        self.expectedTokens = expectedTokens
    }

    var body: String {
        #"{"model_id": \#(JSONValue.string(modelId).dumps()), "inputs": \#(JSONValue.string(inputs).dumps()), "parameters": \#(parameters)}"#
    }
}

/// What a load test measured.
public struct LoadReport: Sendable {
    /// Requests answered (errors included).
    public var requests = 0
    /// Answers that were not a 200 with a result (or a stream ending in a result).
    public var errors = 0
    /// Results that differ from the request's answer alone.
    public var mismatches = 0
    /// Generated tokens in the results.
    public var tokens = 0
    /// Wall-clock seconds of the test.
    public var seconds = 0.0
    /// Seconds per request, send to last byte.
    public var latencies: [Double] = []
    /// Seconds to the first streamed token (streaming requests).
    public var firstTokens: [Double] = []
    /// The first few errors and mismatches, for the report.
    public var samples: [String] = []

    /// Aggregate generated tokens per second.
    public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }

    /// The `q` quantile (0...1) of `xs` (nearest rank), NaN when empty.
    public static func quantile(_ xs: [Double], _ q: Double) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s[min(s.count - 1, max(0, Int((q * Double(s.count)).rounded(.up)) - 1))]
    }

    mutating func note(_ s: String) { if samples.count < 5 { samples.append(s) } }
}

/// Drives a server with concurrent clients.
public enum ServeLoad {
    /// Sends requests from `clients` threads until `duration` seconds have passed (requests in
    /// flight then finish and count). Client `c`'s k-th request is `requests[(c + k) % count]`,
    /// streamed when `c + k` is odd.
    public static func run(port: Int, requests: [LoadRequest], clients: Int, duration: Double) async -> LoadReport {
        let report = Locked(LoadReport())
        let start = monotonicSeconds()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let group = DispatchGroup()
            for c in 0..<max(1, clients) {
                group.enter()
                let thread = Thread {
                    var k = 0
                    while monotonicSeconds() - start < duration, !requests.isEmpty {
                        let r = requests[(c + k) % requests.count], streaming = (c + k) % 2 == 1
                        let one = exchange(port: port, r, streaming: streaming)
                        report.with { $0.add(one, r, streaming: streaming) }
                        k += 1
                    }
                    group.leave()
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
            group.notify(queue: .global()) { done.resume() }
        }
        return report.with { r in
            r.seconds = monotonicSeconds() - start
            return r
        }
    }

    /// One answer: its text and token count, or what went wrong.
    struct Outcome {
        var text = "", tokens = 0, latency = 0.0, firstEvent: Double?, error: String?
    }

    static func exchange(port: Int, _ r: LoadRequest, streaming: Bool) -> Outcome {
        let path = streaming ? HTTPServer.streamingRoute : HTTPServer.textGenerationRoute
        let t0 = monotonicSeconds()
        var o = Outcome()
        do {
            let response = try LoopbackClient.post(port: port, path: path, body: r.body)
            o.latency = monotonicSeconds() - t0
            o.firstEvent = response.firstEvent
            guard response.status == 200 else { o.error = "HTTP \(response.status): \(response.body.prefix(200))"; return o }
            if streaming {
                for block in response.body.components(separatedBy: "\r\n\r\n") where !block.isEmpty {
                    let lines = block.components(separatedBy: "\r\n")
                    let data = lines.first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) } ?? ""
                    guard lines.first == "event: message", let m = object(data) else { o.error = "stream: \(block.prefix(200))"; return o }
                    o.text += m["generated_text"] as? String ?? ""
                    if let d = m["details"] as? [String: Any], let n = d["generated_tokens"] as? Int { o.tokens = n }
                }
            } else {
                guard let m = object(response.body), let text = m["generated_text"] as? String,
                      let n = m["generated_tokens"] as? Int else { o.error = "unary: \(response.body.prefix(200))"; return o }
                (o.text, o.tokens) = (text, n)
            }
        } catch {
            o.error = "\(error)"
        }
        return o
    }

    static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }
}

extension LoadReport {
    mutating func add(_ o: ServeLoad.Outcome, _ r: LoadRequest, streaming: Bool) {
        requests += 1
        if let e = o.error {
            errors += 1
            note("error (\(streaming ? "stream" : "unary") \(r.modelId)): \(e)")
            return
        }
        latencies.append(o.latency)
        if streaming, let f = o.firstEvent { firstTokens.append(f) }
        tokens += o.tokens
        if o.text != r.expectedText || o.tokens != r.expectedTokens {
            mismatches += 1
            note("mismatch (\(streaming ? "stream" : "unary") \(r.modelId)): \(o.tokens) tokens \(JSONValue.string(o.text).dumps()) vs \(r.expectedTokens) \(JSONValue.string(r.expectedText).dumps())")
        }
    }
}
