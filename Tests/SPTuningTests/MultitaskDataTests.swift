// Multitask data: a record's task (`task_id` integer or `task` name), ids for names in order of
// first appearance, and the bad inputs (ids out of range, names unknown to a closed set, more names
// than tasks, both kinds mixed).

import Foundation
import SPJSON
import Testing
@testable import SPTuning

@Suite struct MultitaskDataTests {
    func record(_ json: String) throws -> TrainRecord {
        try TrainRecord(json: JSONValue.parse(json: Data(json.utf8), source: "r"), file: "d.jsonl", index: 0)
    }

    @Test func recordsNameTheirTask() throws {
        #expect(try record(#"{"input": "a", "output": "b"}"#).task == nil)
        #expect(try record(#"{"input": "a", "output": "b", "task_id": 2}"#).task == .id(2))
        #expect(try record(#"{"input": "a", "output": "b", "task_id": "1"}"#).task == .id(1))   // a CSV cell
        #expect(try record(#"{"text": "a", "labels": ["b"], "task": "sst2"}"#).task == .name("sst2"))
        expectTuningError(["task_id", "integer"]) { _ = try record(#"{"input": "a", "output": "b", "task_id": -1}"#) }
        expectTuningError(["task_id", "integer"]) { _ = try record(#"{"input": "a", "output": "b", "task_id": 1.5}"#) }
        expectTuningError(["`task`", "non-empty"]) { _ = try record(#"{"input": "a", "output": "b", "task": ""}"#) }
        expectTuningError(["both"]) { _ = try record(#"{"input": "a", "output": "b", "task": "x", "task_id": 0}"#) }
    }

    @Test func namesGetIdsInOrderOfFirstAppearance() throws {
        func r(_ t: TaskLabel?) -> TrainRecord { var x = TrainRecord(input: "i", output: "o"); x.task = t; return x }
        let a = try TaskAssignment(train: [r(.name("b")), r(.name("a")), r(.name("b")), r(nil)], validation: [r(.name("a"))], numTasks: 3)
        #expect(a.names == ["b", "a"] && a.train == [1 - 1, 1, 0, 0] && a.validation == [1])
        let ids = try TaskAssignment(train: [r(.id(2)), r(.id(0))], validation: [], numTasks: 3)
        #expect(ids.train == [2, 0] && ids.names.isEmpty)
        expectTuningError(["train_stream[1].task_id", "0 to num_tasks - 1 (1)"]) {
            _ = try TaskAssignment(train: [r(.id(0)), r(.id(2))], validation: [], numTasks: 2)
        }
        expectTuningError(["val_stream[0].task", "unknown"]) {
            _ = try TaskAssignment(train: [r(.name("a"))], validation: [r(.name("z"))], numTasks: 2)
        }
        expectTuningError(["more task names than num_tasks (1)"]) {
            _ = try TaskAssignment(train: [r(.name("a")), r(.name("b"))], validation: [], numTasks: 1)
        }
        expectTuningError(["not both kinds"]) { _ = try TaskAssignment(train: [r(.name("a")), r(.id(0))], validation: [], numTasks: 2) }
        expectTuningError(["unknown to the source prompt", "known: x"]) {
            _ = try TaskAssignment(train: [r(.name("y"))], validation: [], numTasks: 2, knownNames: ["x"], closed: true)
        }
    }
}
