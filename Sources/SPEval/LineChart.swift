// A small hand-written SVG line chart: one or two y axes, nice ticks, faint raw lines under bold
// smoothed ones, epoch markers, a legend and a caption. Enough for loss curves; no dependencies.

import Foundation

/// One line (or set of markers) on a ``LineChart``.
public struct ChartSeries: Sendable {
    /// How a series is drawn.
    public enum Style: Sendable {
        /// A thin, translucent line (raw per-step values).
        case faint
        /// A solid line.
        case line
        /// A dashed line with a dot on every point (per-epoch values).
        case markers
    }

    /// The legend label (empty: not in the legend).
    public var name: String
    /// Points in data units; non-finite points break the line.
    public var points: [(x: Double, y: Double)]
    /// A CSS colour.
    public var color: String
    public var style: Style
    /// Plot against the right axis (``LineChart/rightLabel``).
    public var rightAxis: Bool

    /// Creates a series.
    public init(name: String, points: [(x: Double, y: Double)], color: String, style: Style = .line, rightAxis: Bool = false) {
        self.name = name
        self.points = points
        self.color = color
        self.style = style
        self.rightAxis = rightAxis
    }
}

/// A line chart rendered as a standalone SVG document.
public struct LineChart: Sendable {
    public var title: String
    /// The x axis label, with its unit.
    public var xLabel: String
    /// The left y axis label, with its unit.
    public var yLabel: String
    /// The right y axis label (nil: no right axis).
    public var rightLabel: String?
    /// A fixed range for the right axis (e.g. 0…1 for an accuracy).
    public var rightRange: ClosedRange<Double>?
    /// Formats right-axis ticks (default: like the left axis).
    public var rightFormat: (@Sendable (Double) -> String)?
    public var series: [ChartSeries]
    /// Lines under the plot (hyper-parameters); long lines wrap.
    public var caption: [String]
    /// Labelled vertical guides (e.g. epoch boundaries), in x data units.
    public var xMarkers: [(x: Double, label: String)] = []
    /// Legend entries per row.
    public var legendColumns = 3
    public var width = 860.0
    public var height = 520.0

    /// Creates a chart.
    public init(title: String, xLabel: String, yLabel: String, series: [ChartSeries], caption: [String] = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.caption = caption
    }

    /// The eight colours of the overlay palette (colour-blind safe, Okabe–Ito).
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    /// The SVG document.
    public func svg() -> String {
        let legendItems = series.filter { !$0.name.isEmpty }
        let columns = max(1, legendColumns), legendRows = (legendItems.count + columns - 1) / columns
        let left = 78.0, right = rightLabel == nil ? 28.0 : 78.0, top = 48.0 + 18 * Double(legendRows)
        // About 6.7 px per character of 12 px DejaVu Sans.
        let captionLines = caption.flatMap { wrap($0, columns: Int((width - left - 16) / 6.7)) }
        let bottom = 62.0 + 17 * Double(captionLines.count)
        let plotW = width - left - right, plotH = height - top - bottom
        let leftPts = series.filter { !$0.rightAxis }.flatMap(\.points), rightPts = series.filter(\.rightAxis).flatMap(\.points)
        let xs = Ticks(values: (leftPts + rightPts).map(\.x), count: 8, tight: true)
        let ys = Ticks(values: leftPts.map(\.y), count: 6)
        let ry = rightRange.map { Ticks(range: $0, count: 6) } ?? Ticks(values: rightPts.map(\.y), count: 6)
        func px(_ x: Double) -> Double { left + (x - xs.low) / (xs.high - xs.low) * plotW }
        func py(_ y: Double, _ t: Ticks) -> Double { top + plotH - (y - t.low) / (t.high - t.low) * plotH }
        var s = SVG(width: width, height: height)
        s.rect(0, 0, width, height, fill: "#ffffff")
        s.text(title, x: left, y: 26, size: 16, weight: "600")
        // Grid, ticks and tick labels.
        for v in xs.values {
            s.line(px(v), top, px(v), top + plotH, stroke: "#e6e6e6")
            s.text(xs.label(v), x: px(v), y: top + plotH + 18, size: 12, anchor: "middle", fill: "#444")
        }
        for v in ys.values {
            s.line(left, py(v, ys), left + plotW, py(v, ys), stroke: "#e6e6e6")
            s.text(ys.label(v), x: left - 8, y: py(v, ys) + 4, size: 12, anchor: "end", fill: "#444")
        }
        if rightLabel != nil {
            for v in ry.values {
                s.text(rightFormat?(v) ?? ry.label(v), x: left + plotW + 8, y: py(v, ry) + 4, size: 12, fill: "#444")
            }
        }
        for m in xMarkers where m.x >= xs.low && m.x <= xs.high {
            s.line(px(m.x), top, px(m.x), top + plotH, stroke: "#b0b0b0", dash: "3 3")
            s.text(m.label, x: px(m.x) - 4, y: top + 14, size: 11, anchor: "end", fill: "#777")
        }
        s.rect(left, top, plotW, plotH, fill: "none", stroke: "#888")
        s.text(xLabel, x: left + plotW / 2, y: top + plotH + 40, size: 13, anchor: "middle")
        s.text(yLabel, x: 20, y: top + plotH / 2, size: 13, anchor: "middle", rotate: true)
        if let r = rightLabel { s.text(r, x: width - 18, y: top + plotH / 2, size: 13, anchor: "middle", rotate: true) }
        // Series, faint ones first so the smoothed lines sit on top.
        s.openClip(left, top, plotW, plotH)
        for item in series.sorted(by: { ($0.style == .faint ? 0 : 1) < ($1.style == .faint ? 0 : 1) }) {
            let t = item.rightAxis ? ry : ys
            let pts = item.points.map { (x: px($0.x), y: $0.y.isFinite ? py($0.y, t) : .nan) }
            switch item.style {
            case .faint: s.polyline(pts, stroke: item.color, width: 1, opacity: 0.3)
            case .line: s.polyline(pts, stroke: item.color, width: 2.2)
            case .markers:
                s.polyline(pts, stroke: item.color, width: 1.6, dash: "6 4")
                for p in pts where p.y.isFinite { s.circle(p.x, p.y, r: 4, fill: item.color) }
            }
        }
        s.closeClip()
        // Legend: `legendColumns` entries a row, above the plot.
        for (k, item) in legendItems.enumerated() {
            let x = left + Double(k % columns) * (plotW / Double(columns)), y = 46 + 18 * Double(k / columns)
            s.line(x, y - 4, x + 22, y - 4, stroke: item.color, width: item.style == .faint ? 1.5 : 2.5,
                   dash: item.style == .markers ? "6 4" : nil, opacity: item.style == .faint ? 0.45 : 1)
            s.text(String(item.name.prefix(44)), x: x + 28, y: y, size: 12)
        }
        for (k, line) in captionLines.enumerated() {
            s.text(line, x: left, y: top + plotH + 62 + 17 * Double(k), size: 12, fill: "#333")
        }
        return s.document()
    }
}

/// `text` broken at " · " or spaces into lines of at most `columns` characters (longer words stay whole).
func wrap(_ text: String, columns: Int) -> [String] {
    var lines: [String] = [], current = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: false) {
        let candidate = current.isEmpty ? String(word) : current + " " + word
        if candidate.count > columns && !current.isEmpty {
            lines.append(current.hasSuffix(" ·") ? String(current.dropLast(2)) : current)
            current = word == "·" ? "" : String(word)
        } else {
            current = candidate
        }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
}

/// Centred moving average: each point is the mean of the finite values within `halfWindow` steps on
/// both sides, the window shrinking symmetrically at the ends (so the line has no lag and starts and
/// ends on the data). `halfWindow` 0 returns the input.
public func smoothed(_ values: [Double], halfWindow: Int) -> [Double] {
    guard halfWindow > 0 else { return values }
    return values.indices.map { i in
        guard values[i].isFinite else { return .nan }
        let h = min(halfWindow, i, values.count - 1 - i)
        let window = values[(i - h)...(i + h)].filter(\.isFinite)
        return window.reduce(0, +) / Double(window.count)
    }
}
