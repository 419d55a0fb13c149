import BifrostCore
import BifrostNativePlugins
import BifrostTestSupport
import CBifrostPlugin
import Foundation
import Testing

// ABI 1.6 capabilities through a real C plugin (Tests/PluginZoo/capability_probe.c): an
// undeclared read of credentials, message content or tool calls is NOT_FOUND (1), a declared
// one works, and a plugin built before 1.6 (or whose table does not reach the field) keeps
// full access.

/// A conversation with every kind of sensitive data: credential headers, message text, a tool call.
private func sensitiveRequest() -> ChatRequest {
    ChatRequest(
        provider: "mock", model: "echo",
        messages: [
            ChatMessage(role: "user", content: "Hello"),
            ChatMessage(
                role: "assistant", content: "",
                extra: ["tool_calls": [ToolCall(id: "call_0", name: "get_weather", arguments: #"{"city":"Rome"}"#).openAIObject]]),
            ChatMessage(role: "tool", content: "sunny", extra: ["tool_call_id": "call_0"]),
        ],
        headers: HeaderFields([
            ("Authorization", "sk-auth"), ("x-api-key", "sk-key"), ("x-goog-api-key", "sk-goog"),
            ("content-type", "application/json"),
        ]))
}

/// How the probe's table is built: its capabilities, claimed minor, and claimed table size.
struct CapabilityCase: Sendable, CustomTestStringConvertible {
    var label: String
    var capabilities: String
    var minor: Int = 6
    var table: String?
    /// What the descriptor must say: `nil` for full access by age.
    var declared: PluginCapabilities?
    var credentials: Bool
    var content: Bool
    var toolCalls: Bool

    var defines: [String: String] {
        var defines = ["CAPS": "(\(capabilities))", "MINOR": "\(minor)"]
        if let table { defines[table] = "1" }
        return defines
    }

    var testDescription: String { label }

    /// The reads the PreHook reports, "name=status" with the value where the read is allowed.
    var expectedPre: String {
        func status(_ allowed: Bool, _ value: String? = nil) -> String {
            allowed ? "0" + (value.map { ":" + $0 } ?? "") : "1"
        }
        return [
            "authorization=\(status(credentials, "sk-auth"))", "x-api-key=\(status(credentials, "sk-key"))",
            "X-Goog-Api-Key=\(status(credentials, "sk-goog"))", "content-type=0:application/json",
            "content=\(status(content, "Hello"))", "role=0:user", "json=\(status(content))", "canonical=\(status(content))",
            "calls=0:1", "call=\(status(toolCalls, "get_weather"))",
        ].joined(separator: " ")
    }

    /// The PostHook's reads, statuses only.
    var expectedPost: String { "content=\(content ? 0 : 1) json=\(content ? 0 : 1) calls=0" }
}

private let all = "BIFROST_CAPABILITY_CREDENTIALS | BIFROST_CAPABILITY_MESSAGE_CONTENT | BIFROST_CAPABILITY_TOOL_CALLS"

private let capabilityCases: [CapabilityCase] = [
    CapabilityCase(
        label: "1.6, nothing declared: every sensitive read is NOT_FOUND", capabilities: "0", declared: [],
        credentials: false, content: false, toolCalls: false),
    CapabilityCase(
        label: "1.6, credentials declared", capabilities: "BIFROST_CAPABILITY_CREDENTIALS", declared: .credentials,
        credentials: true, content: false, toolCalls: false),
    CapabilityCase(
        label: "1.6, message content declared", capabilities: "BIFROST_CAPABILITY_MESSAGE_CONTENT",
        declared: .messageContent, credentials: false, content: true, toolCalls: false),
    CapabilityCase(
        label: "1.6, tool calls declared", capabilities: "BIFROST_CAPABILITY_TOOL_CALLS", declared: .toolCalls,
        credentials: false, content: false, toolCalls: true),
    CapabilityCase(
        label: "1.6, everything declared", capabilities: all, declared: .all, credentials: true, content: true,
        toolCalls: true),
    CapabilityCase(
        label: "a 1.2 plugin keeps full access", capabilities: "0", minor: 2, table: "TABLE_1_4", credentials: true,
        content: true, toolCalls: true),
    CapabilityCase(
        label: "a 1.4-sized table keeps full access", capabilities: "0", minor: 4, table: "TABLE_1_4", credentials: true,
        content: true, toolCalls: true),
    CapabilityCase(
        label: "a 1.5-sized table keeps full access", capabilities: "0", minor: 5, table: "TABLE_1_5", credentials: true,
        content: true, toolCalls: true),
    CapabilityCase(
        label: "minor 6 with a table too small for the field keeps full access", capabilities: "0", table: "TABLE_1_5",
        credentials: true, content: true, toolCalls: true),
]

@Test(arguments: capabilityCases)
func capabilitiesDecideWhatAPluginReads(_ probe: CapabilityCase) async throws {
    let name = "capability-probe-\(capabilityCases.firstIndex { $0.label == probe.label }!).so"
    let plugin = try await loadZoo("capability_probe.c", name: name, defines: probe.defines)
    defer { plugin.shutdown() }
    #expect(plugin.descriptor.capabilities == probe.declared)
    let outcome = await runChain([plugin], request: sensitiveRequest())
    guard case .response(let response) = outcome else {
        Issue.record("expected a response, got \(outcome)")
        return
    }
    #expect(response.headers["x-pre-reads"] == probe.expectedPre)
    #expect(response.headers["x-post-reads"] == probe.expectedPost)
}

@Test func theOneSixFieldsAreAppendedToBothTables() {
    let pointer = MemoryLayout<UnsafeRawPointer>.size
    let plugin = MemoryLayout<bifrost_plugin>.self
    #expect(plugin.offset(of: \.capabilities) == plugin.offset(of: \.command_count)! + pointer)
    #expect(plugin.size == plugin.offset(of: \.capabilities)! + MemoryLayout<UInt64>.size)
    let host = MemoryLayout<bifrost_host_api>.self
    let slots: [PartialKeyPath<bifrost_host_api>] = [
        \.config_root, \.config_lookup, \.config_kind, \.config_get_string, \.config_get_double, \.config_get_int64,
        \.config_get_bool, \.config_count, \.config_element, \.config_member, \.config_refuse,
    ]
    for (position, slot) in slots.enumerated() {
        #expect(host.offset(of: slot) == host.offset(of: \.get_handed_state)! + pointer * (position + 1))
    }
    #expect(host.offset(of: \.state_counter_add) == host.offset(of: \.config_refuse)! + pointer)
    #expect(NativeHost.api.pointee.abi_minor >= 6)
    #expect(NativeHost.api.pointee.config_root != nil && NativeHost.api.pointee.config_refuse != nil)
}

@Test func theOneSevenServicesAreAppendedToTheHostTable() {
    let pointer = MemoryLayout<UnsafeRawPointer>.size
    let host = MemoryLayout<bifrost_host_api>.self
    let slots: [PartialKeyPath<bifrost_host_api>] = [
        \.state_counter_add, \.state_value_get, \.state_value_set, \.state_value_remove, \.callout,
    ]
    for (position, slot) in slots.enumerated() {
        #expect(host.offset(of: slot) == host.offset(of: \.config_refuse)! + pointer * (position + 1))
    }
    #expect(host.size == host.offset(of: \.callout)! + pointer)
    #expect(NativeHost.api.pointee.abi_minor == 7)
    #expect(NativeHost.api.pointee.state_counter_add != nil && NativeHost.api.pointee.callout != nil)
    // A plugin's callout request of 1.7 is led by its size, which the host checks first.
    #expect(MemoryLayout<bifrost_callout_request>.offset(of: \.struct_size) == 0)
    #expect(MemoryLayout<bifrost_callout_response>.offset(of: \.struct_size) == 0)
}
