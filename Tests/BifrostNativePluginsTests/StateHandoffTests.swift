import BifrostCore
import BifrostNativePlugins
import BifrostTestSupport
import CBifrostPlugin
import Testing

/// ABI 1.4 through real builds of the zoo's counting `stamp` plugin (Tests/PluginZoo/versioned.c):
/// an instance's `export_state` hands its count on, the next instance reads it at create with
/// `get_handed_state`, and tables of an older size load without the new slot.
@Suite("State handoff (ABI 1.4): export_state, state_write, get_handed_state")
struct StateHandoffTests {
    /// Compiles and loads one build of `stamp`, unlike any other test's build.
    func stamp(_ version: String, _ defines: [String: String] = [:], handedState: [UInt8]? = nil) async throws
        -> NativePlugin
    {
        var settings = defines
        settings["VERSION"] = "\"\(version)\""
        settings["BUILD_ID"] = "\"\(UInt64.random(in: 0...UInt64.max))\""
        let file = try await CPluginCompiler.compile(zoo: "versioned.c", as: "stamp-\(version).so", defines: settings)
        return try PluginLoader.load(file: file, handedState: handedState)
    }

    /// The `x-plugin-served` count of one request through `plugin`.
    func served(by plugin: NativePlugin) async -> String? {
        guard case .response(let response) = await runChain([plugin]) else { return nil }
        return response.headers["x-plugin-served"]
    }

    @Test func theOneFourSlotsAreAppendedToBothTables() {
        let pointer = MemoryLayout<UnsafeRawPointer>.size
        let plugin = MemoryLayout<bifrost_plugin>.self
        #expect(plugin.offset(of: \.export_state) == plugin.offset(of: \.chunk_hook)! + pointer)
        // Later minors append after it (1.5: commands).
        #expect(plugin.offset(of: \.commands) == plugin.offset(of: \.export_state)! + pointer)
        let host = MemoryLayout<bifrost_host_api>.self
        #expect(host.offset(of: \.state_write) == host.offset(of: \.chunk_get_usage_details)! + pointer)
        #expect(host.offset(of: \.get_handed_state) == host.offset(of: \.state_write)! + pointer)
        // Later minors append after it (1.6: the configuration view).
        #expect(host.offset(of: \.config_root) == host.offset(of: \.get_handed_state)! + pointer)
        #expect(NativeHost.api.pointee.abi_minor >= 4)
        #expect(NativeHost.api.pointee.state_write != nil && NativeHost.api.pointee.get_handed_state != nil)
        #expect(MemoryLayout<bifrost_bytes>.size == 2 * pointer)
    }

    @Test func theStateOneInstanceExportsReachesTheNextAtCreate() async throws {
        let first = try await stamp("1")
        for expected in 1...3 { #expect(await served(by: first) == "\(expected)") }
        let state = try #require(try first.exportState())
        #expect(state == [3, 0, 0, 0, 0, 0, 0, 0])
        #expect(await served(by: first) == "4", "the exporting instance serves on, unchanged")
        let second = try await stamp("2", handedState: state)
        #expect(await served(by: second) == "4", "counts on from the 3 handed to it")
        first.shutdown()
        second.shutdown()
    }

    @Test(
        "a table of an older minor's size loads, and its export_state slot is never read",
        arguments: ["TABLE_1_3", "TABLE_1_0"])
    func olderTablesLoadWithoutTheirExport(table: String) async throws {
        let plugin = try await stamp("old", [table: "1"])
        #expect(plugin.descriptor.hooks == [.pre, .post])
        #expect(await served(by: plugin) == "1")
        #expect(try plugin.exportState() == nil, "the slot past struct_size is not called")
        plugin.shutdown()
    }

    @Test func stateHandlesAreLookedUpNeverDereferenced() {
        let api = NativeHost.api.pointee
        let garbage = OpaquePointer(bitPattern: 0xdead_0000)
        let bytes: [UInt8] = [1, 2, 3]
        let status = bytes.withUnsafeBufferPointer { api.state_write!(garbage, bifrost_bytes(ptr: $0.baseAddress, len: 3)) }
        #expect(status == BIFROST_ERR_INVALID_HANDLE)
        var out = bifrost_bytes()
        #expect(api.get_handed_state!(nil, &out) == BIFROST_ERR_INVALID_HANDLE)
    }
}
