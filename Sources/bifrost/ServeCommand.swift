import ArgumentParser
import BifrostGateway
import BifrostLibrary
import BifrostNativePlugins
import Dispatch
import Logging

#if canImport(Glibc)
    import Glibc
#endif

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load the plugins and serve the OpenAI-compatible HTTP API.",
        discussion: """
            Plugins are the *.so files of --plugin-dir, loaded in lexical file-name order (name \
            them 10-first.so, 20-second.so, …), each configured by the sidecar <stem>.json beside \
            it. A --config file may list plugins to load first, in its order, with their \
            configuration, failure policy and whether they are optional. A plugin that is refused \
            stops start-up with exit status 1 unless it is marked optional.
            """
    )

    @Option(name: .long, help: "Directory of plugin .so files (overrides plugin_dir of --config).")
    var pluginDir: String?

    @Option(name: .long, help: "JSON configuration file.")
    var config: String?

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (default 8080; 0 picks a free one).")
    var port: Int?

    @Flag(
        name: .long, inversion: .prefixedNo,
        help:
            "Reload the plugins when a .so or .json file of the plugin directory changes (SIGHUP and POST /api/plugins/reload always reload)."
    )
    var watch = true

    @Option(
        name: .long,
        help:
            "Where plugins' hooks run unless their configuration entry says: in_process, or process (a supervised worker process per plugin)."
    )
    var isolation: String?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard isolation == nil || isolation == "process" || isolation == "in_process" else {
            throw ValidationError("--isolation must be in_process or process, got '\(isolation!)'")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap()
        if !FatalSignalReport.install() {
            logger.warning("the fatal-signal report could not be installed; a crash prints the Swift runtime's report")
        }
        var configuration = GatewayConfiguration()
        if let config {
            do {
                configuration = try GatewayConfiguration.load(file: config)
            } catch {
                logger.critical("\(error)")
                throw ExitCode(1)
            }
        }
        if let pluginDir { configuration.pluginDirectory = pluginDir }
        switch isolation {
        case "process"?:
            configuration.pluginDefaults.isolation = .process(configuration.pluginDefaults.workerSettings)
        case "in_process"?: configuration.pluginDefaults.isolation = .inProcess
        default: break
        }
        if let host { configuration.server.host = host }
        if let port {
            guard (0...65535).contains(port) else {
                throw ValidationError("--port must be from 0 to 65535, got \(port)")
            }
            configuration.server.port = port
        }

        let gateway: Gateway
        do {
            gateway = try await Gateway.start(configuration: configuration, logger: logger)
        } catch let error as PluginStartupError {
            logger.critical(
                "not starting: \(error.refusals.count) plugin(s) refused (see above); mark a plugin \"optional\": true in --config to start without it"
            )
            throw ExitCode(1)
        } catch {
            logger.critical("not starting: \(error)")
            throw ExitCode(1)
        }

        if watch, configuration.pluginDirectory != nil {
            do {
                try gateway.watchPluginDirectory()
            } catch {
                logger.warning("\(error); reload with SIGHUP or POST /api/plugins/reload instead")
            }
        }
        Self.reloadOnHangup { gateway.reloadPlugins() }
        let signal = await Self.waitForTerminationSignal()
        logger.info("received \(signal), shutting down")
        try await gateway.shutdown()
    }

    /// Runs `reload` on every SIGHUP.
    static func reloadOnHangup(_ reload: @escaping @Sendable () -> Void) {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "bifrost.reload"))
        source.setEventHandler { reload() }
        source.resume()
        SignalSources.keep(source)
    }

    /// Suspends until SIGINT or SIGTERM arrives; returns its name.
    static func waitForTerminationSignal() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let queue = DispatchQueue(label: "bifrost.signals")
            let resumed = ResumeOnce(continuation)
            for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { resumed.resume(name) }
                source.resume()
                SignalSources.keep(source)
            }
        }
    }
}

/// Resumes a continuation at most once, whichever signal comes first.
private final class ResumeOnce: @unchecked Sendable {
    // Only touched on the serial signal queue.
    private var continuation: CheckedContinuation<String, Never>?
    init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = continuation }
    func resume(_ value: String) {
        continuation?.resume(returning: value)
        continuation = nil
    }
}

/// Keeps signal sources alive for the life of the process.
private enum SignalSources {
    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    static func keep(_ source: any DispatchSourceSignal) { sources.append(source) }
}
