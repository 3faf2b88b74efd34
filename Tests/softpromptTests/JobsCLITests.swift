// `softprompt jobs` and `train --resume` refuse what they cannot do, with a hint (the engine and
// the routes are tested in SPJobsTests and SPServerTests; resuming in SPServiceTests/ResumeTests).

import Foundation
import Testing

@Suite(.timeLimit(.minutes(2))) struct JobsCLITests {
    @Test func jobsWithoutAServerSaysWhereItLooked() throws {
        let r = try CLI.run(["jobs", "list", "--server", "http://127.0.0.1:1"])
        #expect(r.status != 0 && r.stderr.contains("cannot reach http://127.0.0.1:1") && r.stderr.contains("softprompt serve"), "\(r.stderr)")
        let bad = try CLI.run(["jobs", "status", "x", "--server", "ftp://host"])
        #expect(bad.status != 0 && bad.stderr.contains("not an http(s) URL"), "\(bad.stderr)")
    }

    @Test func resumeNeedsAStateFile() throws {
        let r = try CLI.run(["train", "--base-model", "/nonexistent", "--output", "/tmp/never-written", "--resume"])
        #expect(r.status != 0 && r.stderr.contains("--resume needs --state-file"), "\(r.stderr)")
    }
}
