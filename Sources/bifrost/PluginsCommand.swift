import ArgumentParser
import BifrostCore
import BifrostGateway
import BifrostLibrary
import BifrostNativePlugins
import Logging

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "Inspect plugin shared objects.",
        subcommands: [CheckCommand.self, ListCommand.self]
    )
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load one plugin alone and print what it is; exit 0 if the host would load it, else print why and exit 1.",
        discussion: "The plugin is configured from --plugin-config, else its sidecar <stem>.json, else {}."
    )

    @Argument(help: "The plugin's .so file.")
    var file: String

    @Option(name: .long, help: "A JSON file with the plugin's configuration.")
    var pluginConfig: String?

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = logging.bootstrap()
        do {
            let configuration =
                try pluginConfig.map { path throws(PluginLoadError) in
                    try PluginChainLoader.configuration(fromFile: path, forPlugin: file)
                } ?? PluginChainLoader.sidecarConfiguration(forPlugin: file)
            let plugin = try PluginLoader.load(file: file, configuration: configuration, logger: logger)
            let descriptor = plugin.descriptor
            print("\(descriptor.name) \(descriptor.version)")
            print("  file: \(file)")
            print("  abi: \(descriptor.abiVersion ?? "?")")
            print("  sha256: \(descriptor.contentHash ?? "-")")
            print("  hooks: \(descriptor.hooks.names.isEmpty ? "none" : descriptor.hooks.names.joined(separator: ", "))")
            print("  default failure policy: \(descriptor.defaultFailurePolicy.rawValue)")
            plugin.shutdown()
        } catch let error as PluginLoadError {
            printError(error.description)
            throw ExitCode(1)
        }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Load the chain that `serve` would load and print it in order.",
        discussion: """
            One line per plugin, tab-separated: position, name, version, SHA-256 of the file's content, ABI, hooks, \
            failure policy, file. A running gateway shows its chain, with each instance's load time and reload \
            generation, at GET /api/plugins.
            """
    )

    @Option(name: .long, help: "Directory of plugin .so files.")
    var pluginDir: String?

    @Option(name: .long, help: "JSON configuration file.")
    var config: String?

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = logging.bootstrap()
        var configuration = GatewayConfiguration()
        do {
            if let config { configuration = try GatewayConfiguration.load(file: config) }
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        if let pluginDir { configuration.pluginDirectory = pluginDir }
        do {
            let entries = try PluginChainLoader(configuration: configuration, logger: logger).load()
            for (position, entry) in entries.enumerated() {
                let descriptor = entry.plugin.descriptor
                print(
                    "\(position)\t\(descriptor.name)\t\(descriptor.version)\t\(descriptor.contentHash ?? "-")\tABI \(descriptor.abiVersion ?? "-")\t\(descriptor.hooks.names.joined(separator: ","))\t\(entry.failurePolicy.rawValue)\t\(descriptor.file ?? "-")"
                )
            }
            for entry in entries.reversed() { entry.plugin.shutdown() }
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    let text = line + "\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

#if canImport(Glibc)
    import Glibc
#endif
