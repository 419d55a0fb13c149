import ArgumentParser
import BifrostCore
import BifrostHostServices
import BifrostLibrary
import BifrostNativePlugins
import BifrostPluginCases
import BifrostPluginIsolation
import BifrostProviders

#if canImport(Glibc)
    import Glibc
#endif

struct TestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run a plugin's hooks against a file of cases, in process, and report each case; exit 1 if any fails.",
        discussion: """
            Each case is a request, optionally what the upstream answers (upstream, upstream_stream or \
            upstream_error; else the built-in mock echoes), and what must hold (expect: action, status, \
            headers, upstream_model, upstream_parameters, content_contains, error_contains). The plugin \
            runs through the real host accessors and chain, with no HTTP and no provider. It is configured \
            from --plugin-config, else the case file's "config", else its sidecar <stem>.json, else {}.
            """
    )

    @Argument(help: "The plugin's .so file.")
    var file: String

    @Option(name: .long, help: "The JSON file of cases.")
    var cases: String

    @Option(name: .long, help: "A JSON file with the plugin's configuration.")
    var pluginConfig: String?

    @Flag(name: .long, help: "Run the plugin in a worker process, as \"isolation\": \"process\" does.")
    var isolated = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap()
        let caseFile: PluginCaseFile
        do {
            guard let bytes = FileBytes.read(cases) else {
                throw PluginCaseError(
                    file: cases, path: "", message: "cannot read the file: \(String(cString: strerror(errno)))")
            }
            caseFile = try PluginCaseFile(json: bytes, file: cases)
        } catch let error as PluginCaseError {
            printError(error.description)
            throw ExitCode(2)
        }
        let plugin: any Plugin
        do {
            let configuration =
                try pluginConfig.map { path throws(PluginLoadError) in
                    try PluginChainLoader.configuration(fromFile: path, forPlugin: file)
                } ?? caseFile.configuration ?? PluginChainLoader.sidecarConfiguration(forPlugin: file)
            if isolated {
                plugin = try IsolatedPlugin.launch(
                    file: file, configuration: configuration, settings: IsolationSettings(), logger: logger)
            } else {
                plugin = try PluginLoader.load(file: file, configuration: configuration, logger: logger)
            }
        } catch let error as PluginLoadError {
            printError(error.description)
            throw ExitCode(2)
        }
        defer { plugin.shutdown() }
        // Host operations run on a store of their own, in memory: cases never touch shared state.
        let callouts = UpstreamHTTPClient()
        let services = GatewayHostServices(
            shared: nil, backendName: "memory", callouts: CalloutClient(httpClient: callouts), logger: logger)
        let results = await PluginCaseRunner(plugin: plugin, services: services).run(caseFile.cases)
        await callouts.shutdown()
        for result in results {
            print("\(result.passed ? "✔" : "✘") \(result.name)")
            for failure in result.failures { print("    \(failure)") }
        }
        let failed = results.filter { !$0.passed }.count
        print("\(results.count) case(s): \(results.count - failed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
