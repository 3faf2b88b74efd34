// Which task each record of a multitask run belongs to: `task_id` integers are used as they are,
// `task` names get ids in order of first appearance in the training data (after the names a
// source prompt already has), and the names are saved with the prompt.

import SPPrompt

/// The task ids of a multitask run's records and the names behind them.
public struct TaskAssignment: Sendable, Equatable {
    /// Task names, index = id (empty when the data uses `task_id` integers only).
    public var names: [String]
    /// Ids of the training records, in order.
    public var train: [Int]
    /// Ids of the validation records, in order.
    public var validation: [Int]

    /// Assigns ids for `numTasks` tasks. Records without a task belong to task 0.
    /// - Parameters:
    ///   - knownNames: names that already have ids (a source prompt's, or a resumed run's); with
    ///     `closed`, no other name is accepted.
    /// - Throws: ``TuningError/invalidParameter(field:value:hint:)`` for an id outside 0..<numTasks,
    ///   an unknown name (when `closed`), more names than tasks, or ids and names mixed.
    public init(train: [TrainRecord], validation: [TrainRecord], numTasks: Int, knownNames: [String] = [], closed: Bool = false) throws {
        var names = knownNames
        func id(_ r: TrainRecord, _ field: String, _ index: Int) throws -> Int {
            switch r.task {
            case nil: return 0
            case .id(let i)?:
                guard i < numTasks else {
                    throw TuningError.invalidParameter(field: "\(field)[\(index)].task_id", value: "\(i)",
                                                       hint: "task ids run from 0 to num_tasks - 1 (\(numTasks - 1)); raise tuning_config.num_tasks or fix the record")
                }
                return i
            case .name(let n)?:
                if let i = names.firstIndex(of: n) { return i }
                guard !closed, field == "train_stream" else {
                    let known = names.isEmpty ? "none" : names.joined(separator: ", ")
                    throw TuningError.invalidParameter(field: "\(field)[\(index)].task", value: quoted(n),
                                                       hint: "the task is unknown to \(closed ? "the source prompt" : "the training data") (known: \(known))")
                }
                guard names.count < numTasks else {
                    throw TuningError.invalidParameter(field: "\(field)[\(index)].task", value: quoted(n),
                                                       hint: "more task names than num_tasks (\(numTasks)): \(names.joined(separator: ", ")), \(n); raise tuning_config.num_tasks")
                }
                names.append(n)
                return names.count - 1
            }
        }
        let all = train + validation
        if all.contains(where: { if case .id? = $0.task { return true } else { return false } }),
           all.contains(where: { if case .name? = $0.task { return true } else { return false } }) {
            throw TuningError.invalidParameter(field: "train_stream", value: "task_id and task",
                                               hint: "give every record a `task_id` integer or every record a `task` name, not both kinds")
        }
        self.train = try train.enumerated().map { try id($0.element, "train_stream", $0.offset) }
        self.validation = try validation.enumerated().map { try id($0.element, "val_stream", $0.offset) }
        self.names = names
    }
}
