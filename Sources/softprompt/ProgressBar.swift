import Foundation
import SPService
import SPTuning

/// A one-line progress bar on stderr: epoch, step, loss, tokens/s, ETA.
final class ProgressBar: TrainingObserver {
    private var last = 0.0
    private let isTTY = isatty(2) != 0

    func microStep(epoch: Int, batch: Int, of batches: Int, loss: Float, tokensPerSecond: Double, eta: Double) {
        let now = Date().timeIntervalSince1970
        guard batch + 1 == batches || now - last > 0.25 else { return }
        last = now
        let width = 24, done = (batch + 1) * width / max(1, batches)
        let bar = String(repeating: "█", count: done) + String(repeating: "·", count: width - done)
        let line = "epoch \(epoch + 1) [\(bar)] \(batch + 1)/\(batches)  loss \(String(format: "%.4f", loss))  "
            + "\(Int(tokensPerSecond)) tok/s  ETA \(clock(eta))"
        FileHandle.standardError.write(Data(((isTTY ? "\r\u{1B}[K" : "") + line + (isTTY ? "" : "\n")).utf8))
    }

    /// Draws a tuning job's progress events.
    func show(_ event: PromptTuningJob.Event) {
        switch event {
        case let .microStep(epoch, batch, batches, loss, tokensPerSecond, eta):
            microStep(epoch: epoch, batch: batch, of: batches, loss: loss, tokensPerSecond: tokensPerSecond, eta: eta)
        case .epochEnded(let s): epochEnded(s)
        case .warning, .loading, .note: break
        }
    }

    func epochEnded(_ s: EpochSummary) {
        var line = "epoch \(s.epoch + 1): train loss \(String(format: "%.4f", s.trainLoss))"
        if let v = s.validationLoss { line += ", validation loss \(String(format: "%.4f", v))" }
        if let a = s.validationAccuracy { line += ", validation exact match \(String(format: "%.1f", 100 * a))%" }
        line += String(format: " (%.1f s, %.0f tok/s)", s.seconds, s.tokensPerSecond)
        FileHandle.standardError.write(Data(((isTTY ? "\r\u{1B}[K" : "") + line + "\n").utf8))
    }

    private func clock(_ s: Double) -> String {
        guard s.isFinite else { return "--:--" }
        let t = Int(s.rounded())
        return String(format: "%02d:%02d", t / 60, t % 60)
    }
}

/// Ctrl-C sets a flag the training loop checks after each micro-batch; a second Ctrl-C exits at once.
enum Interrupt {
    static let flag = CancellationFlag()
    static func install() {
        // A parent may have SIGINT blocked (a test runner, some process spawners): unblock it here.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in
            if Interrupt.flag.isCancelled { _exit(130) }
            Interrupt.flag.cancel()
        }
    }
}
