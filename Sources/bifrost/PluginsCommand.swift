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
        subcommands: [CheckCommand.self, ListCommand.self, TestCommand.self, CallCommand.self]
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
            let legacy = descriptor.capabilities == nil ? " (built before ABI 1.6: full access)" : ""
            print("  capabilities: \(descriptor.capabilitiesText(separator: ", "))\(legacy)")
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
        abstract: "Load the chain that `serve` would load and print it in order, or ask a running gateway for its chain.",
        discussion: """
            One line per plugin, tab-separated: position, name, version, SHA-256 of the file's content, ABI, hooks, \
            failure policy, capabilities (the sensitive data it reads: credentials, message_content, tool_calls; \
            none; or all for a plugin built before ABI 1.6), file. With --gateway, the running chain's generation \
            first, then per plugin: position, name, version, SHA-256, the generation that loaded the instance, when \
            it was loaded, capabilities, file.
            """
    )

    @Option(name: .long, help: "Directory of plugin .so files.")
    var pluginDir: String?

    @Option(name: .long, help: "JSON configuration file.")
    var config: String?

    @Option(
        name: .long,
        help: "Ask the gateway running at HOST:PORT for its chain (GET /api/plugins) instead of loading one.")
    var gateway: String?

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        if let gateway {
            try printRunningChain(of: gateway)
            return
        }
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
                    "\(position)\t\(descriptor.name)\t\(descriptor.version)\t\(descriptor.contentHash ?? "-")\tABI \(descriptor.abiVersion ?? "-")\t\(descriptor.hooks.names.joined(separator: ","))\t\(entry.failurePolicy.rawValue)\t\(descriptor.capabilitiesText(separator: ","))\t\(descriptor.file ?? "-")"
                )
            }
            for entry in entries.reversed() { entry.plugin.shutdown() }
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
    }
}

extension ListCommand {
    /// Prints the chain of the gateway at `address` from its `/api/plugins`.
    func printRunningChain(of address: String) throws {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            printError("--gateway: '\(address)' is not HOST:PORT")
            throw ExitCode(1)
        }
        let host = String(address[..<colon])
        guard let body = httpGet(host: host, port: port, path: "/api/plugins"),
            let chain = try? JSONValue.parse(body), let plugins = chain.objectField("plugins")?.arrayValue
        else {
            printError("cannot read http://\(address)/api/plugins: \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        print("generation \(chain.objectField("generation")?.intValue ?? 0)")
        for plugin in plugins {
            var fields = ["position", "name", "version", "content_hash", "generation", "loaded_at"].map { key in
                let value = plugin.objectField(key)
                return value?.stringValue ?? value?.intValue.map(String.init) ?? "-"
            }
            let capabilities = plugin.objectField("capabilities")?.arrayValue?.compactMap(\.stringValue)
            fields.append(capabilities.map { $0.isEmpty ? "none" : $0.joined(separator: ",") } ?? "-")
            fields.append(plugin.objectField("file")?.stringValue ?? "-")
            print(fields.joined(separator: "\t"))
        }
    }
}

/// The body of a one-shot HTTP GET of `path` from `host:port` (an IPv4 address), or `nil`.
private func httpGet(host: String, port: UInt16, path: String) -> [UInt8]? {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else { return nil }
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { return nil }
    defer { close(socket) }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8)
    guard send(socket, request, request.count, 0) == request.count else { return nil }
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16384)
    while true {
        let count = recv(socket, &buffer, buffer.count, 0)
        if count < 0 { return nil }
        if count == 0 { break }
        answer.append(contentsOf: buffer[0..<count])
    }
    let separator: [UInt8] = Array("\r\n\r\n".utf8)
    guard answer.starts(with: Array("HTTP/1.1 200 ".utf8)),
        let end = answer.indices.first(where: { answer[$0...].starts(with: separator) })
    else { return nil }
    return Array(answer[(end + separator.count)...])
}

/// Writes one line to standard error.
func printError(_ line: String) {
    let text = line + "\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

#if canImport(Glibc)
    import Glibc
#endif
