import ArgumentParser
import Logging

@main
struct BifrostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bifrost",
        abstract: "An LLM gateway whose plugins are native shared objects.",
        subcommands: [ServeCommand.self, PluginsCommand.self, ClientIDCommand.self, PluginWorkerCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}

/// Options every command that logs shares.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'")
        }
    }

    func bootstrap() -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "bifrost")
    }
}
