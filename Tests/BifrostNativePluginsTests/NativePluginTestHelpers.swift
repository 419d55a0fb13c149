import BifrostCore
import BifrostNativePlugins
import BifrostTestSupport
import Foundation
import Logging

/// Compiles a zoo source and loads it.
func loadZoo(_ source: String, name: String = "plugin.so", defines: [String: String] = [:], configuration: String = "{}")
    async throws
    -> NativePlugin
{
    let file = try await CPluginCompiler.compile(zoo: source, as: name, defines: defines)
    return try PluginLoader.load(file: file, configuration: Array(configuration.utf8))
}

/// A tracer plugin named `name` with extra `-D` settings.
func tracer(_ name: String, _ settings: [String: String] = [:]) async throws -> NativePlugin {
    var defines = settings
    defines["PLUGIN_NAME"] = "\"\(name)\""
    return try await loadZoo("tracer.c", name: "\(name).so", defines: defines)
}

/// What loading a broken zoo plugin throws.
func refusal(ofBroken mode: Int) async throws -> (file: String, error: PluginLoadError) {
    let file = try await CPluginCompiler.compile(zoo: "broken.c", as: "broken-\(mode).so", defines: ["BROKEN": "\(mode)"])
    do {
        _ = try PluginLoader.load(file: file)
    } catch {
        return (file, error)
    }
    throw UnexpectedSuccess(file: file)
}

struct UnexpectedSuccess: Error { var file: String }

/// A one-message chat request to the mock provider.
func chatRequest(_ text: String = "Hello", model: String = "echo") -> ChatRequest {
    ChatRequest(provider: "mock", model: model, messages: [ChatMessage(role: "user", content: text)])
}

/// Runs a request through a chain of plugins and the mock provider.
func runChain(
    _ plugins: [any Plugin], policies: [FailurePolicy?]? = nil, request: ChatRequest = chatRequest(),
    context: RequestContext = RequestContext()
)
    async -> ChatOutcome
{
    let entries = plugins.enumerated().map { index, plugin in ChainEntry(plugin, failurePolicy: policies?[index] ?? nil) }
    return await PluginChain(entries).run(request, context: context, through: Dispatcher(providers: [MockProvider()]))
}

/// The `x-trace` header of an outcome.
func trace(of outcome: ChatOutcome) -> String? {
    switch outcome {
    case .response(let response): response.headers["x-trace"]
    case .failure(let error): error.headers["x-trace"]
    }
}
