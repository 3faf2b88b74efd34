// UTF-8 text files (data files, config.yml, training_logs.jsonl): a leading BOM is dropped.

import Foundation

/// `data` as UTF-8 text without a leading byte-order mark.
/// - Throws: ``TuningError/notUTF8(file:)``.
package func decodeUTF8Text(_ data: Data, file: String) throws -> String {
    guard var text = String(data: data, encoding: .utf8) else { throw TuningError.notUTF8(file: file) }
    if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
    return text
}
