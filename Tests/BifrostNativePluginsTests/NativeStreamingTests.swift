import BifrostCore
import BifrostNativePlugins
import BifrostTestSupport
import Testing

@Suite("Streaming through native chunk hooks (ABI 1.1)")
struct NativeStreamingTests {
    func streamer(_ name: String, _ settings: [String: String] = [:]) async throws -> NativePlugin {
        var defines = settings
        defines["PLUGIN_NAME"] = "\"\(name)\""
        return try await loadZoo("streamer.c", name: "\(name).so", defines: defines)
    }

    /// Streams `text` from the mock through the plugins; returns the chunks' text and the stream's error.
    func stream(_ plugins: [any Plugin], text: String, context: RequestContext) async -> (text: String, error: BifrostError?) {
        let chain = PluginChain(plugins.map { ChainEntry($0) })
        var request = chatRequest(text)
        request.parameters["stream"] = true
        guard
            case .success(let stream) = await chain.runStream(
                request, context: context, through: Dispatcher(providers: [MockProvider()]))
        else {
            return ("", nil)
        }
        var received = ""
        do {
            for try await chunk in stream { received += chunk.choices.compactMap(\.content).joined() }
        } catch {
            return (received, error)
        }
        return (received, nil)
    }

    @Test func aChunkHookChangesChunksAndThePostHookSeesTheAssembledUsage() async throws {
        let plugin = try await streamer("upper")
        #expect(plugin.descriptor.hooks == [.post, .chunk])
        let context = RequestContext()
        let (text, error) = await stream([plugin], text: "hello streaming world", context: context)
        #expect(error == nil)
        #expect(text == "ECHO: HELLO STREAMING WORLD")
        #expect(context["upper.content"] == .string("ECHO: HELLO STREAMING WORLD"))
        let usage = try await MockProvider().chatCompletion(
            chatRequest("hello streaming world"), credentials: .none, context: context
        ).usage
        #expect(context["upper.total_tokens"] == .number(Double(usage.totalTokens)))
    }

    @Test func aChunkHookDropsAChunk() async throws {
        let (text, error) = await stream([try await streamer("dropper")], text: "keep DROPME keep", context: RequestContext())
        #expect(error == nil)
        #expect(text == "ECHO: KEEP KEEP")
    }

    @Test func aChunkHookEndsTheStreamWithAnError() async throws {
        let (text, error) = await stream(
            [try await streamer("filter")], text: "fine then forbidden words", context: RequestContext())
        #expect(text == "ECHO: FINE THEN")
        #expect(error?.status == 451)
        #expect(error?.message == "blocked by filter")
        #expect(error?.source == .plugin("filter"))
    }

    @Test func aOneZeroTableIsLoadedWithoutItsChunkHook() async throws {
        let plugin = try await streamer("old", ["TABLE_1_0": "1"])
        #expect(plugin.descriptor.hooks == [.post])
        let (text, _) = await stream([plugin], text: "lower case", context: RequestContext())
        #expect(text == "Echo: lower case")
    }
}
