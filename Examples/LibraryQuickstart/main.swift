import BifrostCore
import BifrostLibrary
import Logging

/// The account: which providers exist, their keys and settings. Here only the built-in mock.
struct DemoAccount: Account {
    func configuredProviders() async throws -> [String] { ["mock"] }
    func keys(for provider: String) async throws -> [APIKey] { [] }
    func settings(for provider: String) async throws -> ProviderSettings {
        ProviderSettings(name: provider, kind: .mock, baseURL: "")
    }
}

/// An in-process Swift plugin: remembers the model asked for and stamps it on the answer.
struct Stamp: Plugin {
    let descriptor = PluginDescriptor(name: "stamp", version: "1.0.0", hooks: [.pre, .post])

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        context["stamp.asked"] = .string(request.qualifiedModel)
        return .continue
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        guard case .response(var response) = outcome, case .string(let asked)? = context["stamp.asked"] else { return }
        response.headers["x-asked-for"] = asked
        outcome = .response(response)
    }
}

// The native plugin: ExamplePlugins/model-alias compiled with cc (path as the first argument).
let aliasPlugin = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "model_alias.so"
var logger = Logger(label: "quickstart")
logger.logLevel = .warning

let bifrost = try await Bifrost(
    configuration: BifrostConfiguration(
        account: DemoAccount(),
        plugins: [
            .plugin(Stamp()),
            .native(aliasPlugin, configuration: Array(#"{"aliases": {"fast": "mock/echo"}}"#.utf8)),
        ],
        logger: logger))

// One call: the C plugin maps the alias "fast" to mock/echo.
let response = try await bifrost.chatCompletion(
    ChatRequest(model: "fast", messages: [ChatMessage(role: "user", content: "Hello from a library")]))
print(response.choices[0].content)
print("asked for \(response.headers["x-asked-for"] ?? "?"), answered by \(response.provider)/\(response.model)")

// One streamed call: chunks arrive as an AsyncSequence.
var streamed = ChatRequest(model: "fast", messages: [ChatMessage(role: "user", content: "one two three")])
streamed.parameters["stream"] = true
for try await chunk in try await bifrost.chatCompletionStream(streamed) {
    print(chunk.choices.first?.content ?? "", terminator: "")
}
print()

// Waits for calls in flight, then calls every plugin's shutdown/destroy once.
await bifrost.shutdown()
