// Issue 12 items 1, 2 and 6 (lock, long names): `--output` never destroys what is there, an
// interrupted save is recovered, two trainings cannot both write one output.

import Foundation
import Testing

@Suite(.serialized) struct BadInputOutputTests {
    static let model = try! CLI.tinyModelWithTokenizer()
    static let good = (0..<6).map { i in "{\"input\": \"w\(i) w\(i + 1)\", \"output\": \"w\(10 + i % 2)\"}" }

    /// A fresh directory with `train.jsonl` in it.
    func workspace() throws -> String {
        let d = try CLI.tempDir()
        try Self.good.joined(separator: "\n").write(toFile: d + "/train.jsonl", atomically: true, encoding: .utf8)
        return d
    }

    func train(_ d: String, output: String, _ extra: [String] = []) -> [String] {
        ["train", "--base-model", Self.model, "--train-data", d + "/train.jsonl", "--output", output,
         "--num-virtual-tokens", "2", "--num-epochs", "1", "--batch-size", "2", "--accumulate-steps", "1",
         "--silence-progress-bars"] + extra
    }

    @Test func outputHoldingTheTrainingDataIsRefused() throws {
        let d = try workspace()
        try FileManager.default.createDirectory(atPath: d + "/v", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: d + "/train.jsonl", toPath: d + "/v/train.jsonl")
        var args = train(d, output: d + "/v")
        args[args.firstIndex(of: d + "/train.jsonl")!] = d + "/v/train.jsonl"
        try expectRefused(args, mentions: ["output", "which this run reads"], root: d)
        try expectRefused(args + ["--overwrite"], mentions: ["output"], root: d)
    }

    @Test func dotEmptyRootAndHomeAreAlwaysRefused() throws {
        let d = try workspace()
        try expectRefused(train(d, output: "."), mentions: ["output", "current directory"], root: d)
        try expectRefused(train(d, output: "") + ["--overwrite"], mentions: ["output", "empty"], root: d)
        try expectRefused(train(d, output: "/"), mentions: ["output", "root"], root: d)
        try expectRefused(train(d, output: d) + ["--overwrite"], mentions: ["output"], root: d, env: ["HOME": d],
                          cwd: "/tmp")
        try expectRefused(train(d, output: "../" + (d as NSString).lastPathComponent), mentions: ["output"], root: d)
    }

    @Test func existingFilesDevicesAndForeignDirectoriesAreRefused() throws {
        let d = try workspace()
        try "keep me".write(toFile: d + "/notes.txt", atomically: true, encoding: .utf8)
        try expectRefused(train(d, output: d + "/notes.txt") + ["--overwrite"], mentions: ["output", "not a directory"],
                          root: d)
        try expectRefused(train(d, output: "/dev/null") + ["--overwrite"], mentions: ["output", "not a directory"], root: d)
        #expect(FileManager.default.fileExists(atPath: "/dev/null"))
        try FileManager.default.createDirectory(atPath: d + "/photos", withIntermediateDirectories: true)
        try "jpeg".write(toFile: d + "/photos/a.jpg", atomically: true, encoding: .utf8)
        try expectRefused(train(d, output: d + "/photos") + ["--overwrite"], mentions: ["output", "did not write"], root: d)
    }

    @Test func anEarlierPromptNeedsOverwrite() throws {
        let d = try workspace()
        let out = d + "/prompt"
        let first = try CLI.run(train(d, output: out))
        #expect(first.status == 0, "\(first.stderr)")
        let yml = try String(contentsOfFile: out + "/config.yml", encoding: .utf8)
        #expect(yml.contains("softprompt_version: ") && yml.contains("caikit_nlp_version: 0.5.15"), "\(yml)")
        try expectRefused(train(d, output: out), mentions: ["output", "--overwrite"], root: d)
        try expectRefused(train(d, output: out, ["--overwrite"]), mentions: ["output", "current directory"], root: d,
                          cwd: out + "/tiny-gpt2")
        let second = try CLI.run(train(d, output: out, ["--overwrite"]))
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: d).sorted() == ["prompt", "train.jsonl"])
    }

    @Test func namesOverTheFileSystemLimitAreRefusedBeforeTraining() throws {
        let d = try workspace()
        try expectRefused(train(d, output: d + "/" + String(repeating: "n", count: 250)), mentions: ["output", "bytes"],
                          root: d)
    }

    @Test func aRunFailingAfterTheOutputCheckLeavesNoParentsOrLock() throws {
        let d = try workspace()
        var args = train(d, output: d + "/new/deeper/prompt")
        args[2] = d + "/no-such-model"
        try expectRefused(args, mentions: ["no-such-model"], root: d)
    }

    @Test func aSecondTrainingIntoTheSameOutputFails() throws {
        let d = try workspace()
        let out = d + "/prompt"
        // Hold the lock as a running training would.
        let fd = open(d + "/.prompt.lock", O_RDWR | O_CREAT, 0o644)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        try expectRefused(train(d, output: out), mentions: ["another softprompt process"], root: d, output: out)
        flock(fd, LOCK_UN)
        close(fd)
        let r = try CLI.run(train(d, output: out))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: d + "/.prompt.lock"), "the lock file is removed after the run")
    }

    @Test func anInterruptedSaveIsRecoveredByTheNextRun() throws {
        let d = try workspace()
        let out = d + "/prompt"
        #expect(try CLI.run(train(d, output: out)).status == 0)
        // What a kill between "move the old prompt aside" and "rename the new one in" leaves.
        try FileManager.default.moveItem(atPath: out, toPath: d + "/.prompt.sp-old")
        try FileManager.default.createDirectory(atPath: d + "/.prompt.sp-new", withIntermediateDirectories: true)
        let g = try CLI.run(["generate", "--model", out, "--base-model", Self.model, "--text", "w1", "--max-new-tokens", "1"])
        #expect(g.stderr.contains("restored"), "\(g.stderr)")
        #expect(g.status == 0, "\(g.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: d).sorted() == ["prompt", "train.jsonl"])
        try FileManager.default.createDirectory(atPath: d + "/.prompt.sp-new", withIntermediateDirectories: true)
        let r = try CLI.run(train(d, output: out, ["--overwrite"]))
        #expect(r.status == 0 && r.stderr.contains("removed .prompt.sp-new"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: d).sorted() == ["prompt", "train.jsonl"])
    }
}
