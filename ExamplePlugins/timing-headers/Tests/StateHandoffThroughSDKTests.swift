import BifrostCore
import BifrostNativePlugins
import BifrostPluginHarness
import BifrostPluginSDK
import Synchronization
import Testing

// ABI 1.4 through the SDK: a `StatefulPlugin` exports its state, and its successor reads it as
// `configuration.handedState`, over the host's real table.

/// Counts the answers it stamps, from the count its predecessor handed on.
private final class Tally: PostHookPlugin, StatefulPlugin {
    static let name = "tally"
    static let version = "1.0.0"
    let count: Atomic<Int>

    init(configuration: PluginConfiguration) throws {
        let handed = configuration.handedState.map { String(decoding: $0, as: UTF8.self) }
        guard let start = handed.map({ Int($0) }) ?? 0 else {
            throw PluginConfigurationError("the handed state is not a count")
        }
        count = Atomic(start)
    }

    func exportState() throws -> [UInt8] { Array(String(count.load(ordering: .relaxed)).utf8) }

    func postHook(outcome: HookOutcome, context: HookContext) throws {
        let served = count.add(1, ordering: .relaxed).newValue
        try outcome.response?.setHeader("x-tally", String(served))
    }
}

/// A plain Swift plugin: the table's `export_state` stays NULL.
private struct Stateless: PostHookPlugin {
    static let name = "stateless"
    static let version = "1.0.0"
    init(configuration: PluginConfiguration) throws {}
    func postHook(outcome: HookOutcome, context: HookContext) throws {}
}

@Suite("ABI 1.4 state handoff through the SDK")
struct StateHandoffThroughSDKTests {
    fileprivate func tally(of harness: PluginTestHarness<Tally>) async -> String? {
        guard case .response(let response) = await harness.run(.test()) else { return nil }
        return response.headers["x-tally"]
    }

    @Test func aStatefulPluginHandsItsStateToItsSuccessor() async throws {
        let first = try PluginTestHarness(Tally.self)
        for expected in 1...3 { #expect(await tally(of: first) == "\(expected)") }
        let state = try first.plugin.exportState()
        #expect(state == Array("3".utf8))
        let second = try PluginTestHarness(Tally.self, handedState: state)
        #expect(await tally(of: second) == "4")
        first.shutdown()
        second.shutdown()
    }

    @Test func aSuccessorRefusesStateItDoesNotUnderstand() {
        #expect(throws: PluginLoadError.self) { try PluginTestHarness(Tally.self, handedState: Array("many".utf8)) }
    }

    @Test func onAOneThreeHostNoStateIsReadAndAPluginWithoutStateExportsNothing() async throws {
        let onOldHost = try PluginTestHarness(Tally.self, hostMinor: 3, handedState: Array("41".utf8))
        #expect(await tally(of: onOldHost) == "1", "a 1.3 host has no get_handed_state")
        let stateless = try PluginTestHarness(Stateless.self)
        #expect(try stateless.plugin.exportState() == nil)
        onOldHost.shutdown()
        stateless.shutdown()
    }
}
