// The SVG line chart: well-formed XML with the expected elements, escaped text, nice ticks.
// (scripts/check_curves.sh renders real curves to PNG with rsvg-convert.)

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import SPEval
import Testing

final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var text = ""
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}

@Suite struct ChartTests {
    func parse(_ svg: String) throws -> ElementCounter {
        let p = XMLParser(data: Data(svg.utf8)), c = ElementCounter()
        p.delegate = c
        #expect(p.parse(), "not well-formed: \(p.parserError.map { "\($0)" } ?? "")")
        return c
    }

    @Test func chartIsWellFormedWithSeriesLegendAndCaption() throws {
        let loss = (0..<50).map { (x: Double($0), y: 3 * exp(-Double($0) / 20) + 0.1 * sin(Double($0))) }
        var c = LineChart(title: "run <a> & \"b\"", xLabel: "step (micro-batch)", yLabel: "loss (nats/token)", series: [
            ChartSeries(name: "", points: loss, color: "#0072B2", style: .faint),
            ChartSeries(name: "training loss", points: loss, color: "#0072B2"),
            ChartSeries(name: "validation", points: [(x: 24, y: 1.2), (x: 49, y: .nan)], color: "#D55E00", style: .markers),
            ChartSeries(name: "accuracy", points: [(x: 24, y: 0.5), (x: 49, y: 0.75)], color: "#009E73", style: .markers,
                        rightAxis: true),
        ], caption: ["lr 0.3 · batch 8", "second\u{1}line"])
        c.rightLabel = "exact match (%)"
        c.rightRange = 0...1
        let svg = c.svg()
        let parsed = try parse(svg)
        #expect(parsed.counts["svg"] == 1)
        #expect(parsed.counts["polyline", default: 0] >= 3)
        #expect(parsed.counts["circle"] == 3, "one dot per finite epoch point")
        #expect(parsed.text.contains("run <a> & \"b\"") && parsed.text.contains("lr 0.3 · batch 8"))
        #expect(parsed.text.contains("training loss") && parsed.text.contains("exact match (%)"))
        #expect(svg.contains("width=\"860\" height=\"520\""))
    }

    @Test func emptyAndConstantSeriesStillDraw() throws {
        _ = try parse(LineChart(title: "empty", xLabel: "x", yLabel: "y", series: []).svg())
        let flat = LineChart(title: "flat", xLabel: "x", yLabel: "y",
                             series: [ChartSeries(name: "c", points: [(x: 0, y: 2), (x: 1, y: 2)], color: "#000")])
        #expect(try parse(flat.svg()).counts["polyline"] == 1)
    }

    @Test func ticksAreNiceAndCoverTheData() {
        let t = Ticks(range: 0.37...2.41, count: 6)
        #expect(t.step == 0.5 && t.low == 0 && t.high == 2.5)
        #expect(t.values == [0, 0.5, 1, 1.5, 2, 2.5])
        #expect(t.label(1.5) == "1.5")
        let big = Ticks(range: 0...1234, count: 8)
        #expect(big.step == 200 && big.high == 1400 && big.label(400) == "400")
        let q = Ticks(range: 0...1, count: 6)
        #expect(q.step == 0.2 && q.label(0.4) == "0.4")
    }

    @Test func smoothingIsACentredMovingAverage() {
        #expect(smoothed([2, 2, 2], halfWindow: 3) == [2, 2, 2])
        // Ends stay on the data; inside, the mean of i-1…i+1 (then i-2…i+2 where there is room).
        #expect(smoothed([0, 3, 6, 3, 0], halfWindow: 2) == [0, 3, 2.4, 3, 0])
        #expect(smoothed([1, .nan, 3], halfWindow: 1).map { $0.isNaN ? -1 : $0 } == [1, -1, 3])
        #expect(smoothed([1, 5], halfWindow: 0) == [1, 5])
    }
}
