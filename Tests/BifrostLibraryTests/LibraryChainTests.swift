import BifrostCore
import BifrostLibrary
import BifrostTestSupport
import Testing

@Suite("Bifrost as a library: one chain of Swift and native plugins")
struct LibraryChainTests {
    @Test func preHooksRunInOrderAndPostHooksInReverseAcrossSwiftAndNativePlugins() async throws {
        let first = SwiftTracer("first")
        let last = SwiftTracer("last")
        let bifrost = try await startBifrost([.plugin(first), .native(try await tracer("middle")), .plugin(last)])
        let response = try await bifrost.chatCompletion(chat("in order"))
        #expect(response.choices.first?.content == "Echo: in order")
        #expect(response.headers["x-trace"] == "pre:first,pre:middle,pre:last,post:last,post:middle")
        #expect(response.headers["x-swift-trace-first"] == "pre:first,pre:middle,pre:last,post:last,post:middle,post:first")
        #expect(bifrost.plugins.map(\.plugin.descriptor.name) == ["first", "middle", "last"])
        #expect(bifrost.plugins.map(\.plugin.descriptor.kind) == ["swift", "native", "swift"])
        await bifrost.shutdown()
        #expect(first.shutdownCalls == 1)
        #expect(last.shutdownCalls == 1)
    }

    @Test func aStreamedCallRunsTheChainAndArrivesAsChunks() async throws {
        let swift = SwiftTracer("swift")
        let bifrost = try await startBifrost([.plugin(swift), .native(try await tracer("native"))])
        var request = chat("one two three")
        request.parameters["stream"] = true
        var text = ""
        for try await chunk in try await bifrost.chatCompletionStream(request) {
            text += chunk.choices.compactMap(\.content).joined()
        }
        #expect(text == "Echo: one two three")
        #expect(swift.preCalls == 1)
        await bifrost.shutdown()
    }

    @Test func theChainsLogLinesNameTheGenerationTheyRanOn() async throws {
        let capture = LogCapture()
        let bifrost = try await Bifrost(
            configuration: BifrostConfiguration(
                account: MockAccount(), plugins: [.plugin(FaultingPlugin(), failurePolicy: .failOpen)], logger: capture.logger))
        let context = RequestContext()
        _ = try await bifrost.chatCompletion(chat(), context: context)
        #expect(context.chainGeneration?.number == 1)
        try bifrost.reloadPlugins()
        _ = try await bifrost.chatCompletion(chat())
        let faults = capture.all.filter { $0.contains("plugin 'faulting' failed") }
        #expect(faults.count == 2)
        #expect(faults.first?.contains(#""chain_generation": 1"#) == true, "\(faults)")
        #expect(faults.last?.contains(#""chain_generation": 2"#) == true, "\(faults)")
        await bifrost.shutdown()
    }

    @Test func embeddingsAndModelListingWork() async throws {
        let bifrost = try await startBifrost([])
        let embedded = try await bifrost.embeddings(EmbeddingRequest(model: "mock/embed", inputs: ["a", "bb"]))
        #expect(embedded.vectors.count == 2)
        #expect(try bifrost.listModels().map(\.id) == ["mock/echo", "mock/fail", "mock/embed"])
        let unknown = await bifrostError { try await bifrost.chatCompletion(chat(model: "nowhere/model")) }
        #expect(unknown?.status == 404)
        #expect(unknown?.code == "model_not_found")
        await bifrost.shutdown()
    }

    /// One request through the library and the same through HTTP, served by the same Bifrost.
    func compare(_ defines: [String: String], model: String, name: String) async throws -> (
        library: Result<ChatResponse, BifrostError>, http: HTTPTestResponse
    ) {
        let bifrost = try await startBifrost([.plugin(SwiftTracer("swift")), .native(try await tracer(name, defines))])
        let library: Result<ChatResponse, BifrostError>
        do throws(BifrostError) {
            library = .success(try await bifrost.chatCompletion(chat("same", model: model)))
        } catch {
            library = .failure(error)
        }
        let http = try await withHTTP(bifrost) { client in
            try await client.postJSON("/v1/chat/completions", chatJSON("same", model: model))
        }
        await bifrost.shutdown()
        return (library, http)
    }

    @Test func aShortCircuitGivesTheSameAnswerAsOverHTTP() async throws {
        let (library, http) = try await compare(["SHORT_CIRCUIT": "1"], model: "mock/echo", name: "cache")
        let response = try library.get()
        #expect(http.status == 200)
        #expect(response.choices.first?.content == "answered by cache")
        #expect(http.text.contains(#""content":"answered by cache""#))
        #expect(response.headers["x-trace"] == http.headers["x-trace"])
    }

    @Test func aRejectionGivesTheSameErrorAsOverHTTP() async throws {
        let (library, http) = try await compare(["REJECT_STATUS": "429"], model: "mock/echo", name: "limiter")
        guard case .failure(let error) = library else {
            Issue.record("expected a rejection, got \(library)")
            return
        }
        guard case .object(let fields)? = try http.json().objectField("error") else {
            Issue.record("no error object in \(http.text)")
            return
        }
        #expect(error.status == 429)
        #expect(http.status == error.status)
        #expect(fields["type"] == .string(error.type))
        #expect(fields["message"] == .string(error.message))
        #expect(error.plugin == "limiter")
        #expect(error.triedFallbacks == false)
        #expect(http.headers["retry-after"] == error.headers["retry-after"])
        #expect(http.headers["x-trace"] == error.headers["x-trace"])
    }

    @Test func aRecoveryGivesTheSameAnswerAsOverHTTP() async throws {
        let (library, http) = try await compare(["RECOVER": "1"], model: "mock/fail", name: "rescuer")
        let response = try library.get()
        #expect(http.status == 200)
        #expect(response.choices.first?.content == "recovered by rescuer from 503")
        #expect(http.text.contains(#""content":"recovered by rescuer from 503""#))
    }
}

/// A plugin whose PreHook always faults, so the chain logs a line per request.
struct FaultingPlugin: Plugin {
    struct Broken: Error {}
    let descriptor = PluginDescriptor(name: "faulting", version: "1.0.0", hooks: .pre)
    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult { throw Broken() }
    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}
}
