import BifrostCore

/// Records hook calls of every plugin of one test, in order.
final class HookLog: Sendable {
    private let entries = LockedValue<[String]>([])
    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

/// An in-process plugin whose behaviour each test sets.
struct ScriptedPlugin: Plugin {
    enum PreBehaviour: Sendable {
        case pass
        case respond(String)
        case reject(Int, String)
        case fail(String)
        case setModel(String)
    }
    enum PostBehaviour: Sendable {
        case pass, recover
        case fail(String)
        case failResponse
    }

    let descriptor: PluginDescriptor
    let log: HookLog
    var pre: PreBehaviour = .pass
    var post: PostBehaviour = .pass

    init(
        _ name: String, log: HookLog, pre: PreBehaviour = .pass, post: PostBehaviour = .pass, hooks: PluginHooks = [.pre, .post]
    ) {
        descriptor = PluginDescriptor(name: name, version: "1", hooks: hooks)
        self.log = log
        self.pre = pre
        self.post = post
    }

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        log.append("pre:\(descriptor.name)")
        switch pre {
        case .pass: return .continue
        case .respond(let text):
            return .respond(ChatResponse(provider: "cache", model: request.model, choices: [ChatChoice(content: text)]))
        case .reject(let status, let message):
            return .reject(BifrostError(status: status, type: "rate_limit_exceeded", message: message))
        case .fail(let message):
            request.model = "corrupted-by-\(descriptor.name)"
            throw PluginFault(plugin: descriptor.name, hook: .preHook, message: message)
        case .setModel(let model):
            request.model = model
            return .continue
        }
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        log.append("post:\(descriptor.name)")
        switch post {
        case .pass: return
        case .recover:
            if case .failure(let error) = outcome {
                outcome = .response(
                    ChatResponse(provider: "rescue", model: "rescue", choices: [ChatChoice(content: "recovered \(error.status)")])
                )
            }
        case .fail(let message):
            outcome = .failure(BifrostError(status: 418, type: "corrupted", message: "half-done change"))
            throw PluginFault(plugin: descriptor.name, hook: .postHook, message: message)
        case .failResponse:
            outcome = .failure(
                BifrostError(status: 422, type: "content_filter", message: "response blocked by \(descriptor.name)"))
        }
    }
}

/// A request for the mock provider.
func echoRequest(_ text: String = "Hi", model: String = "echo") -> ChatRequest {
    ChatRequest(provider: "mock", model: model, messages: [ChatMessage(role: "user", content: text)])
}

/// Runs plugins around the mock provider.
func run(
    _ plugins: [ScriptedPlugin], policies: [FailurePolicy] = [], request: ChatRequest = echoRequest(),
    context: RequestContext = RequestContext()
)
    async -> ChatOutcome
{
    let entries = plugins.enumerated().map { index, plugin in
        ChainEntry(plugin, failurePolicy: index < policies.count ? policies[index] : nil)
    }
    return await PluginChain(entries).run(request, context: context, through: Dispatcher(providers: [MockProvider()]))
}
