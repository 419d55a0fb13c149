import BifrostCore
import Testing

/// Host services that record what they were asked and answer from a script.
final class ScriptedServices: HostServices, Sendable {
    let asked = LockedValue<[(plugin: String, operations: [HostOperation], policy: StatePolicy)]>([])
    let failing: Bool

    init(failing: Bool = false) { self.failing = failing }

    func perform(_ operations: [HostOperation], plugin: String, policy: StatePolicy) async -> Result<
        [HostOperationResult], BifrostError
    > {
        asked.withLock { $0.append((plugin, operations, policy)) }
        if failing && policy == .failClosed { return .failure(.stateUnavailable(plugin: plugin, reason: "redis: unavailable")) }
        return .success(
            operations.map { operation in
                switch operation {
                case .counterAdd(_, let amount, _, _): .counter(value: amount * 10, resetsIn: .seconds(1))
                case .valueGet: .value(nil)
                default: .written
                }
            })
    }

    func status(plugin: String) -> HostServicesStatus { HostServicesStatus(backend: "scripted", isBackendUp: !failing) }
}

/// Reads a counter through the host in its PreHook (pending until the log holds the result),
/// then queues a write in its PostHook.
struct CountingPlugin: Plugin {
    let descriptor = PluginDescriptor(name: "counting", version: "1.0.0", hooks: [.pre, .post])
    let calls = LockedValue(0)

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        calls.withLock { $0 += 1 }
        let log = context.hostOperationLog(plugin: descriptor.name)
        guard case .counter(let value, _)? = log.results.first else {
            return .pending([.counterAdd(key: Array("requests".utf8), amount: 1, window: .seconds(60), reads: true)])
        }
        context.setResponseHeader("x-count", String(value))
        return .continue
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        context.deferHostOperations(
            [.counterAdd(key: Array("tokens".utf8), amount: 7, window: .seconds(60), reads: false)], plugin: descriptor.name)
    }
}

@Suite("a PreHook's host operations: performed, recorded, then the hook is called again")
struct PluginChainPendingTests {
    static func request() -> ChatRequest {
        ChatRequest(provider: "mock", model: "echo", messages: [ChatMessage(role: "user", content: "hi")])
    }

    @Test func aPendingPreHookIsCalledAgainWithItsResultsAndItsWritesFollowThePostHooks() async {
        let services = ScriptedServices()
        let plugin = CountingPlugin()
        let chain = PluginChain([ChainEntry(plugin)], services: services)
        let context = RequestContext()
        let outcome = await chain.run(Self.request(), context: context, through: Dispatcher(providers: [MockProvider()]))
        #expect(outcome.response?.headers["x-count"] == "10")
        #expect(plugin.calls.withLock { $0 } == 2)
        let asked = services.asked.withLock { $0 }
        #expect(asked.map(\.plugin) == ["counting", "counting"])
        #expect(asked.last?.operations == [.counterAdd(key: Array("tokens".utf8), amount: 7, window: .seconds(60), reads: false)])
        #expect(context.hostOperationLog(plugin: "counting").rounds == 1)
        #expect(context.takeDeferredHostOperations().isEmpty, "the writes were taken and performed")
    }

    @Test func aFailClosedPluginWhoseBackendIsAwayFailsTheRequestWith503() async {
        var entry = ChainEntry(CountingPlugin())
        entry.statePolicy = .failClosed
        let chain = PluginChain([entry], services: ScriptedServices(failing: true))
        let outcome = await chain.run(Self.request(), context: RequestContext(), through: Dispatcher(providers: [MockProvider()]))
        #expect(outcome.error?.status == 503)
        #expect(outcome.error?.code == "state_unavailable")
        #expect(outcome.error?.source == .plugin("counting"))
    }

    @Test func aChainWithoutServicesFailsAPendingPreHookNamingThePlugin() async {
        let chain = PluginChain([ChainEntry(CountingPlugin())])
        let outcome = await chain.run(Self.request(), context: RequestContext(), through: Dispatcher(providers: [MockProvider()]))
        #expect(outcome.error?.status == 500)
        #expect(outcome.error?.message.contains("plugin 'counting'") == true)
    }

    @Test(arguments: [
        (HostOperation.valueGet(key: [1]), HostOperation.valueGet(key: [1]), true),
        (.valueGet(key: [1]), .valueGet(key: [2]), false),
        (.valueGet(key: [1]), .valueRemove(key: [1]), false),
        (
            .counterAdd(key: [1], amount: 1, window: .seconds(1), reads: true),
            .counterAdd(key: [1], amount: 5, window: .seconds(9), reads: true), true
        ),
        (
            .callout(CalloutRequest(method: "GET", url: "http://a/x")), .callout(CalloutRequest(method: "GET", url: "http://a/y")),
            false
        ),
    ])
    func aCallRepeatsTheOneAtItsPositionOnlyWithTheSameFunctionAndKey(
        earlier: HostOperation, later: HostOperation, repeated: Bool
    ) {
        #expect(earlier.isRepeated(by: later) == repeated)
    }
}
