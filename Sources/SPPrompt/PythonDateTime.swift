// Python's datetime text forms, as caikit writes them into config.yml and training_logs.jsonl.

import Foundation

/// Python `datetime` text for a local time.
public enum PythonDateTime {
    /// `datetime.isoformat(sep=…)` of the local time `date`: `2025-02-18T09:41:07.123456`, the
    /// fraction omitted when the microseconds are 0 (as Python does). `str(datetime)` uses `sep: " "`.
    public static func isoformat(_ date: Date, separator: String = "T") -> String {
        let t = date.timeIntervalSince1970
        var secs = time_t(floor(t))
        var micros = Int(((t - floor(t)) * 1_000_000).rounded())
        if micros == 1_000_000 { secs += 1; micros = 0 }
        var tm = tm()
        localtime_r(&secs, &tm)
        func pad(_ v: Int32, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        var s = "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))\(separator)"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))"
        if micros != 0 { s += "." + pad(Int32(micros), 6) }
        return s
    }
}
