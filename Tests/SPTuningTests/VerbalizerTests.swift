// Verbalizer: caikit's placeholder regex `{{([_a-zA-Z0-9]+)}}` and its rendering errors.

import Testing
@testable import SPPrompt
@testable import SPTuning

@Suite struct VerbalizerTests {
    let record = TrainRecord(input: "@foo what a cute dog!", output: "no complaint")

    @Test func rendersCaikitExamples() throws {
        #expect(try Verbalizer("Tweet text : {{input}} Label : ").render(record) == "Tweet text : @foo what a cute dog! Label : ")
        #expect(try Verbalizer(" | {{input}} |").render(input: "x") == " | x |")
        #expect(try Verbalizer("{{input}}").render(input: "") == "")
        let cola = "cola { 0 : grammatically unacceptable, 1 : grammatically acceptable } sentence: {{input}}"
        #expect(try Verbalizer(cola).render(input: "It rain.")
            == "cola { 0 : grammatically unacceptable, 1 : grammatically acceptable } sentence: It rain.")
    }

    /// Rendering matches Python's `re.sub` on the same template (values worked out from its
    /// leftmost, non-overlapping matching).
    @Test func regexEdgeCases() throws {
        let v: [String: String] = ["input": "I", "output": "O", "a_1": "A"]
        #expect(try Verbalizer("{{{input}}}").render(v) == "{I}")
        #expect(try Verbalizer("{{input}}{{output}}").render(v) == "IO")
        #expect(try Verbalizer("{{ input }} {{input}}").render(v) == "{{ input }} I")
        #expect(try Verbalizer("{input} {{a_1}}").render(v) == "{input} A")
        #expect(try Verbalizer("{{}} {{input}} {{in-put}}").render(v) == "{{}} I {{in-put}}")
        #expect(try Verbalizer("é {{input}} ü").render(v) == "é I ü")
        #expect(try Verbalizer("{{input}}{{input}}").placeholders == ["input", "input"])
    }

    @Test func validity() {
        #expect(Verbalizer.isValid("{{input}}"))
        #expect(!Verbalizer.isValid("input"))
        #expect(!Verbalizer.isValid("{{ input }}"))
        #expect(!Verbalizer.isValid("{{}}"))
        #expect(!Verbalizer.isValid(""))
        expectTuningError(["no renderable placeholders"]) { _ = try Verbalizer("{input}") }
    }

    @Test func outputIsAvailableAtTrainingOnlyAndUnknownFieldsFail() throws {
        let v = try Verbalizer("{{input}} => {{output}}")
        #expect(try v.render(record) == "@foo what a cute dog! => no complaint")
        expectTuningError(["{{output}}", "input", "inference"]) { _ = try v.render(input: "x") }
        expectTuningError(["{{label}}", "input, output"]) { _ = try Verbalizer("{{label}}").render(record) }
    }
}
