import ArgumentParser
import SPTensor

@main
struct SoftPrompt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softprompt",
        abstract: "Tune soft prompts for frozen HuggingFace language models, natively on the CPU.",
        subcommands: [Demo.self, Train.self, GenerateCommand.self, EvalCommand.self, PlotCommand.self, ShowCommand.self,
                      TokenizeCommand.self, Bench.self, Serve.self, JobsCommand.self])
}
