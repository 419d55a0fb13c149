import BifrostCore
import BifrostGateway
import BifrostTestSupport
import Foundation
import Logging

/// A logger that keeps test output readable.
func quietLogger() -> Logger {
    var logger = Logger(label: "bifrost.gateway.tests")
    logger.logLevel = .critical
    return logger
}

/// A plugin directory in a fresh temporary folder.
struct PluginDirectory {
    let path: String

    init() throws { path = try CPluginCompiler.temporaryDirectory("plugins") }

    /// Compiles `tracer.c` as `fileName` with the plugin name and settings.
    @discardableResult
    func tracer(_ fileName: String, name: String, _ settings: [String: String] = [:]) async throws -> String {
        var defines = settings
        defines["PLUGIN_NAME"] = "\"\(name)\""
        return try await CPluginCompiler.compile(zoo: "tracer.c", as: fileName, in: path, defines: defines)
    }

    /// Compiles the example model-alias plugin with its sidecar configuration.
    @discardableResult
    func modelAlias(_ fileName: String = "10-model-alias.so", configuration: String = #"{"aliases": {"fast": "mock/echo"}}"#)
        async throws -> String
    {
        try write(String(fileName.dropLast(3)) + ".json", configuration)
        return try await CPluginCompiler.compile(
            file: CPluginCompiler.repositoryRoot + "/ExamplePlugins/model-alias/model_alias.c", as: fileName, in: path)
    }

    func write(_ fileName: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path + "/" + fileName))
    }
}

/// Starts a gateway on a free port with `configuration` (port forced to 0) and always stops it.
func withGateway<Result: Sendable>(
    _ configuration: GatewayConfiguration, _ body: (HTTPTestClient, Gateway) async throws -> Result
) async throws -> Result {
    var configuration = configuration
    configuration.server.port = 0
    configuration.server.host = "127.0.0.1"
    let gateway = try await Gateway.start(configuration: configuration, logger: quietLogger())
    do {
        let result = try await body(HTTPTestClient(port: gateway.port), gateway)
        try await gateway.shutdown()
        return result
    } catch {
        try? await gateway.shutdown()
        throw error
    }
}

/// A chat request body for the mock provider.
func chatJSON(_ content: String = "Hi", model: String = "mock/echo") -> String {
    #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(content)"}]}"#
}

/// The directory holding the built products (`bifrost`, `libTimingHeadersPlugin.so`).
let productsDirectory = CPluginCompiler.productsDirectory

/// Runs the built `bifrost` executable with a time limit.
func runBifrost(_ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await CPluginCompiler.run(productsDirectory + "/bifrost", arguments)
}
