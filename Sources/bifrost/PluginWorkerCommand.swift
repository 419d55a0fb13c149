import ArgumentParser
import BifrostPluginIsolation

#if canImport(Glibc)
    import Glibc
#endif

/// The worker mode of the executable: the gateway starts it for each plugin configured with
/// `"isolation": "process"` and talks to it over the descriptors it passes; never run by hand.
struct PluginWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin-worker",
        abstract: "Serve one isolated plugin for a gateway (started by `bifrost serve`, not by hand).",
        shouldDisplay: false
    )

    @Option(name: .long, help: "The plugin's .so file.")
    var file: String

    @Option(name: .long, help: "How many channels the gateway passed, as descriptors 3, 4, ...")
    var channels: Int

    @Option(name: .long, help: "Address-space limit in MiB.")
    var memoryLimitMb: Int?

    @Option(name: .long, help: "Open-file limit.")
    var openFileLimit: Int?

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        var logger = logging.bootstrap()
        // The worker's lines (its plugin's among them) go to the gateway's standard error: say whose they are.
        logger[metadataKey: "worker"] = "\(getpid())"
        PluginWorker.run(
            file: file, channels: channels,
            limits: PluginWorker.Limits(memoryMegabytes: memoryLimitMb, openFiles: openFileLimit), logger: logger)
    }
}
