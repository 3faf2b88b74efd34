// The files a data stream reads, for the output-path policy (SPPrompt.OutputPath).

import Foundation
import SPPrompt

extension DataStreamSource {
    /// The files and directories this source reads (none for inline data), relative paths taken
    /// from `baseDirectory` (the current directory when nil), as ``TrainingDataReader`` does.
    public func paths(baseDirectory: URL?) -> [URL] {
        func url(_ p: String) -> URL {
            if p.hasPrefix("/") || baseDirectory == nil { return URL(fileURLWithPath: p) }
            return baseDirectory!.appendingPathComponent(p)
        }
        switch self {
        case .inline: return []
        case .file(let p): return [url(p)]
        case .files(let ps): return ps.map(url)
        case .directory(let d, _): return [url(d)]
        }
    }
}
