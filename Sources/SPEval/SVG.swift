// SVG element writing for LineChart, and "nice" axis ticks (1, 2, 2.5, 5 × 10ⁿ).

import Foundation

/// An SVG document being written.
struct SVG {
    let width: Double, height: Double
    private var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static func n(_ v: Double) -> String { String(format: "%.2f", v) }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            // XML 1.0 refuses most control characters; show them as spaces.
            case _ where c.value < 0x20: out += " "
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil) {
        body += "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(w))\" height=\"\(Self.n(h))\" fill=\"\(fill)\""
            + (stroke.map { " stroke=\"\($0)\"" } ?? "") + "/>\n"
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1,
                       dash: String? = nil, opacity: Double = 1) {
        body += "<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" stroke=\"\(stroke)\" "
            + "stroke-width=\"\(width)\"" + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")
            + (opacity < 1 ? " stroke-opacity=\"\(opacity)\"" : "") + "/>\n"
    }

    mutating func circle(_ x: Double, _ y: Double, r: Double, fill: String) {
        body += "<circle cx=\"\(Self.n(x))\" cy=\"\(Self.n(y))\" r=\"\(r)\" fill=\"\(fill)\" stroke=\"#fff\" stroke-width=\"1\"/>\n"
    }

    /// One polyline per run of finite points.
    mutating func polyline(_ pts: [(x: Double, y: Double)], stroke: String, width: Double, opacity: Double = 1,
                           dash: String? = nil) {
        var run: [String] = []
        func flush() {
            if run.count > 1 {
                body += "<polyline fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(width)\" stroke-linejoin=\"round\""
                    + (opacity < 1 ? " stroke-opacity=\"\(opacity)\"" : "") + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")
                    + " points=\"\(run.joined(separator: " "))\"/>\n"
            }
            run = []
        }
        for p in pts {
            if p.x.isFinite && p.y.isFinite { run.append("\(Self.n(p.x)),\(Self.n(p.y))") } else { flush() }
        }
        flush()
    }

    mutating func text(_ s: String, x: Double, y: Double, size: Double, anchor: String = "start", fill: String = "#111",
                       weight: String = "400", rotate: Bool = false) {
        let r = rotate ? " transform=\"rotate(-90 \(Self.n(x)) \(Self.n(y)))\"" : ""
        body += "<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\" fill=\"\(fill)\" "
            + "font-weight=\"\(weight)\"\(r)>\(Self.escape(s))</text>\n"
    }

    private var clips = 0
    mutating func openClip(_ x: Double, _ y: Double, _ w: Double, _ h: Double) {
        clips += 1
        body += "<clipPath id=\"plot\(clips)\"><rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(w))\" height=\"\(Self.n(h))\"/></clipPath>\n"
            + "<g clip-path=\"url(#plot\(clips))\">\n"
    }

    mutating func closeClip() { body += "</g>\n" }

    func document() -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
            + body + "</svg>\n"
    }
}

/// Axis ticks at 1, 2, 2.5 or 5 × 10ⁿ covering the data.
struct Ticks {
    private(set) var low: Double, high: Double
    let step: Double
    /// The first tick (``low`` unless the axis is tight).
    private(set) var first: Double

    /// `tight`: the axis spans the data plus 2% (ticks inside it) instead of whole steps around it.
    init(values: [Double], count: Int, tight: Bool = false) {
        let f = values.filter(\.isFinite)
        self.init(range: (f.min() ?? 0)...(f.max() ?? 1), count: count,
                  integers: !f.isEmpty && f.allSatisfy { $0 == $0.rounded() })
        if tight, let lo = f.min(), let hi = f.max(), hi > lo {
            // 2% air on each side, so end points and their markers are not cut in half.
            let pad = 0.02 * (hi - lo)
            (low, high, first) = (lo - pad, hi + pad, ((lo - pad) / step).rounded(.up) * step)
        }
    }

    /// `integers`: the data are counts (steps), so ticks are whole numbers (steps 1, 2, 5 × 10ⁿ).
    init(range: ClosedRange<Double>, count: Int, integers: Bool = false) {
        var lo = range.lowerBound, hi = range.upperBound
        if hi - lo < 1e-12 * max(1, abs(hi)) { lo -= max(0.5, abs(lo) * 0.1); hi += max(0.5, abs(hi) * 0.1) }
        let raw = (hi - lo) / Double(max(1, count - 1)), mag = pow(10, (log10(raw)).rounded(.down))
        let factors: [Double] = integers ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]
        let step = max(integers ? 1 : 0, factors.map { $0 * mag }.first { $0 >= raw } ?? 10 * mag)
        self.step = step
        low = (lo / step).rounded(.down) * step
        high = max((hi / step).rounded(.up) * step, low + step)
        first = low
    }

    var values: [Double] {
        let n = Int(((high - first) / step + 1e-9).rounded(.down))
        return n < 0 ? [] : (0...n).map { first + Double($0) * step }
    }

    func label(_ v: Double) -> String {
        let decimals = max(0, -Int(log10(step).rounded(.down)) + (step * pow(10, -log10(step).rounded(.down)) == 2.5 ? 1 : 0))
        if abs(v) >= 10000 && decimals == 0 { return String(format: "%.0f", v) }
        return String(format: "%.\(decimals)f", abs(v) < step / 1e6 ? 0 : v)
    }
}
