import BifrostCore
import BifrostPluginHarness
import BifrostPluginSDK
import Testing

// The Swift example of PluginSDK/README.md, verbatim but for the `@_cdecl` entry point
// (one test binary may hold only one `bifrost_plugin_create`). Keep the two in step.

/// Rewrites model aliases: `{"aliases": {"fast": "mock/echo"}}` sends `"model": "fast"` to mock/echo.
struct ModelAlias: PreHookPlugin {
    static let name = "model-alias"
    static let version = "1.0.0"

    struct Config: Decodable {
        var aliases: [String: String]
    }

    /// alias -> (provider, model)
    let targets: [String: (provider: String, model: String)]

    init(configuration: PluginConfiguration) throws {
        try configuration.rejectUnknownKeys(known: ["aliases"])
        var targets: [String: (provider: String, model: String)] = [:]
        for (alias, target) in try configuration.decode(Config.self).aliases {
            let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw PluginConfigurationError("aliases.\(alias) must be written provider/model, got '\(target)'")
            }
            targets[alias] = (parts[0], parts[1])
        }
        self.targets = targets
        configuration.logger.info("\(targets.count) aliases")
    }

    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        let model = try request.model
        guard let target = targets[model] else { return .continue }
        try request.setProvider(target.provider)
        try request.setModel(target.model)
        try context.set("model-alias.from", .string(model))
        return .continue
    }
}

@Suite("PluginSDK/README.md example")
struct GuideExampleTests {
    @Test func aliasIsRewritten() async throws {
        let harness = try PluginTestHarness(ModelAlias.self, configuration: #"{"aliases": {"fast": "mock/echo"}}"#)
        defer { harness.shutdown() }

        // One hook alone: the decision and the request as the hook left it.
        let (result, request) = try await harness.preHook(.test("Hi", model: "fast"))
        #expect(result == .continue)
        #expect(request.qualifiedModel == "mock/echo")

        // The whole path: PreHook, the mock provider, PostHook, under the failure policy.
        let outcome = await harness.run(.test("Hi", model: "fast"))
        #expect(outcome.response?.choices.first?.content == "Echo: Hi")
        #expect(harness.logs.messages == ["1 aliases"])
    }

    @Test func badConfigurationIsRefused() {
        #expect {
            try PluginTestHarness(ModelAlias.self, configuration: #"{"aliases": {"fast": "echo"}}"#)
        } throws: { error in
            "\(error)".contains("aliases.fast must be written provider/model, got 'echo'")
        }
    }

    @Test func contextRecordsTheAlias() async throws {
        let harness = try PluginTestHarness(ModelAlias.self, configuration: #"{"aliases": {"fast": "mock/echo"}}"#)
        defer { harness.shutdown() }
        let context = RequestContext()
        let outcome = await harness.run(.test("Hi", model: "fast"), context: context)
        #expect(outcome.response?.model == "echo")
        #expect(context["model-alias.from"] == .string("fast"))
    }
}

// The Swift example of the top-level README.md, verbatim but for the `@_cdecl` entry point.
struct Shout: PreHookPlugin {
    static let name = "shout"
    static let version = "1.0.0"
    static var capabilities: SensitiveData { [.messageContent] }  // it reads the messages' text
    init(configuration: PluginConfiguration) throws {}

    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        let messages = request.messages
        for index in 0..<(try messages.count) {
            let message = try messages.get(index)
            if message.role == "user" {
                try messages.set(index, role: "user", content: message.content.uppercased())
            }
        }
        return .continue
    }
}

@Suite("README.md example")
struct ReadmeExampleTests {
    @Test func userMessagesAreUppercased() async throws {
        let harness = try PluginTestHarness(Shout.self)
        defer { harness.shutdown() }
        let outcome = await harness.run(.test("hello there"))
        #expect(outcome.response?.choices.first?.content == "Echo: HELLO THERE")
    }
}

// The chunk-hook example of BifrostPlugin.swift's documentation.
struct Upper: ChunkHookPlugin {
    static let name = "upper"
    static let version = "1.0.0"
    static var capabilities: SensitiveData { [.messageContent] }
    init(configuration: PluginConfiguration) throws {}

    func chunkHook(chunk: HookChunk, context: HookContext) throws -> ChunkDecision {
        if let text = try chunk.content() { try chunk.setContent(text.uppercased()) }
        if try chunk.content()?.contains("STOP") == true {
            return .fail(Rejection(status: 451, type: "content_filter", message: "stopped"))
        }
        return .continue
    }
}

@Suite("Chunk hooks through the SDK")
struct ChunkHookExampleTests {
    @Test func chunksAreChangedAndTheStreamCanBeEnded() async throws {
        let harness = try PluginTestHarness(Upper.self)
        defer { harness.shutdown() }
        #expect(harness.plugin.descriptor.hooks == [.chunk])
        let result = await harness.runStream(.test("hello world"))
        #expect(result.error == nil)
        #expect(result.text == "ECHO: HELLO WORLD")
        let stopped = await harness.runStream(.test("go stop now"))
        #expect(stopped.text == "ECHO: GO")
        #expect(stopped.error?.status == 451)
    }
}
