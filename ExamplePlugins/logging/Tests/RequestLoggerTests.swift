import BifrostCore
import BifrostPluginHarness
import BifrostPluginSDK
import BifrostTestSupport
import RateLimiting
import RequestLogging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("logging")
struct RequestLoggerTests {
    /// A log file in a fresh directory, and the configuration writing to it.
    static func logFile(_ extra: String = "") throws -> (path: String, configuration: String) {
        let path = try CPluginCompiler.temporaryDirectory("bifrost-logging") + "/requests.log"
        return (path, #"{"output": "file", "path": "\#(path)"\#(extra)}"#)
    }

    /// Every line of the file as a JSON object.
    static func lines(_ path: String) throws -> [JSONObject] {
        let text = try readFile(path)
        return try text.split(separator: "\n").map { line in
            guard case .object(let fields) = try JSONValue.parse(String(line)) else {
                throw LogLineError(line: String(line))
            }
            return fields
        }
    }

    @Test func writesOneStructuredLinePerRequest() async throws {
        let (path, configuration) = try Self.logFile()
        let harness = try PluginTestHarness(RequestLogger.self, configuration: configuration)
        let context = RequestContext(clientID: "key:0123456789abcdef")
        _ = await harness.run(.test("Hi sk-secretsecretsecret"), context: context)
        _ = await harness.run(.test("Hi", model: "mock/fail"))
        harness.shutdown()

        let lines = try Self.lines(path)
        #expect(lines.count == 2)
        let ok = try #require(lines.first)
        #expect(ok["request_id"]?.stringValue == context.requestID)
        #expect(ok["client"]?.stringValue == "key:0123456789abcdef")
        #expect(ok["route"]?.stringValue == "/v1/chat/completions")
        #expect(ok["provider"]?.stringValue == "mock")
        #expect(ok["model"]?.stringValue == "echo")
        #expect(ok["status"]?.intValue == 200)
        #expect(ok["total_tokens"]?.intValue ?? 0 > 0)
        #expect(ok["latency_ms"]?.doubleValue != nil)
        #expect(ok["upstream_ms"]?.doubleValue != nil)
        #expect(ok["attempts"]?.intValue == 1)
        #expect(ok["stream"]?.boolValue == false)
        #expect(ok["time"]?.stringValue?.hasSuffix("Z") == true)
        #expect(ok["messages"] == nil, "content is off by default")
        #expect(ok["answer"] == nil)

        let failed = try #require(lines.last)
        #expect(failed["status"]?.intValue == 503)
        #expect(failed["provider"]?.stringValue == "mock")
        #expect(failed["error_type"]?.stringValue != nil)
    }

    /// Answers with two tool calls and detailed usage, as an agent's turn does.
    struct AgentTurnProvider: Provider {
        let name = "mock"
        let models = ["echo"]

        func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
            async throws(BifrostError) -> ChatResponse
        {
            let calls: [JSONValue] = [
                ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#).openAIObject,
                ToolCall(id: "call_2", name: "get_time", arguments: #"{"zone":"CET"}"#).openAIObject,
            ]
            return ChatResponse(
                provider: name, model: request.model,
                choices: [
                    ChatChoice(content: "", finishReason: "tool_calls", extra: ["content": nil, "tool_calls": .array(calls)])
                ],
                usage: TokenUsage(
                    promptTokens: 2006, completionTokens: 300, cachedPromptTokens: 1920, cacheCreationPromptTokens: 64,
                    reasoningTokens: 256))
        }
    }

    @Test func agentTurnsLogTheirToolCallsAndCachedTokens() async throws {
        let (path, configuration) = try Self.logFile()
        let harness = try PluginTestHarness(RequestLogger.self, configuration: configuration)
        _ = await harness.run(.test("weather and time in Paris?"), provider: AgentTurnProvider())
        harness.shutdown()

        let line = try #require(try Self.lines(path).first)
        #expect(line["tool_calls"] == ["get_weather", "get_time"], "names only")
        #expect(line["cached_tokens"]?.intValue == 1920)
        #expect(line["cache_creation_tokens"]?.intValue == 64)
        #expect(line["reasoning_tokens"]?.intValue == 256)
        #expect(!(try readFile(path)).contains("city"), "no arguments in the line")
    }

    @Test func contentIsLoggedOnlyOnRequestAndKeysNever() async throws {
        let (path, configuration) = try Self.logFile(
            #", "include_content": true, "include_headers": ["authorization", "x-tenant"]"#)
        let harness = try PluginTestHarness(RequestLogger.self, configuration: configuration)
        let request = ChatRequest.test(
            "my key is sk-proj-abcdefghijklmnop ok",
            headers: [("authorization", "Bearer sk-abcdefghijklmnop"), ("x-tenant", "acme")])
        _ = await harness.run(request)
        harness.shutdown()

        let text = try readFile(path)
        #expect(!text.contains("abcdefghijklmnop"), "\(text)")
        let line = try #require(try Self.lines(path).first)
        guard case .array(let messages)? = line["messages"], case .object(let first)? = messages.first else {
            Issue.record("no messages in \(line)")
            return
        }
        #expect(first["content"]?.stringValue == "my key is [redacted] ok")
        #expect(line["answer"]?.stringValue != nil)
        guard case .object(let headers)? = line["headers"] else {
            Issue.record("no headers in \(line)")
            return
        }
        // The logger declares no credentials, so the host hides the key's header from it.
        #expect(headers["authorization"] == nil)
        #expect(headers["x-tenant"]?.stringValue == "acme")
    }

    @Test func aStalledOutputDropsLinesButNeverBlocksRequests() async throws {
        let directory = try CPluginCompiler.temporaryDirectory("bifrost-logging")
        let fifo = directory + "/stalled.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        // A reader that never reads: once the pipe is full, the writer thread blocks on it.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let harness = try PluginTestHarness(
            RequestLogger.self, configuration: #"{"output": "file", "path": "\#(fifo)", "buffer_lines": 4}"#)

        let clock = ContinuousClock()
        let started = clock.now
        for _ in 0..<600 { _ = await harness.run(.test(String(repeating: "x", count: 200))) }
        #expect(clock.now - started < .seconds(30), "requests waited on the log")

        let metrics = harness.metrics.render()
        let dropped = metrics.split(separator: "\n").first { $0.hasPrefix("bifrost_log_lines_dropped_total ") }
        #expect(Double(dropped?.split(separator: " ").last ?? "0") ?? 0 > 0, "\(metrics)")
        #expect(harness.logs.messages.contains { $0.contains("request log buffer full (4 lines): dropped") })

        // Drain the pipe so the writer can finish, then stop.
        let drainer = Task.detached {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                let count = read(reader, &buffer, buffer.count)
                if count == 0 { return }
                if count < 0 { try? await Task.sleep(for: .milliseconds(5)) }
            }
        }
        harness.shutdown()
        await drainer.value
    }

    @Test func rejectionsNameThePlugin() async throws {
        let (path, configuration) = try Self.logFile()
        let plugins = [
            GatewayPlugin(RequestLogger.self, configuration: configuration),
            GatewayPlugin(
                RateLimiter.self, configuration: #"{"limits": [{"scope": "global", "requests_per_minute": 1, "burst": 1}]}"#),
        ]
        try await withPluginGateway(plugins) { client, _, _ async throws in
            let body = #"{"model":"mock/echo","messages":[{"role":"user","content":"Hi"}],"stream":true}"#
            #expect(
                try await client.postJSON("/v1/chat/completions", body, headers: ["authorization": "Bearer sk-zzzzzzzzzzzz"])
                    .status == 200)
            #expect(try await client.postJSON("/v1/chat/completions", body).status == 429)
        }
        let lines = try Self.lines(path)
        #expect(lines.count == 2)
        #expect(lines.first?["stream"]?.boolValue == true)
        #expect(lines.first?["total_tokens"]?.intValue ?? 0 > 0, "the streamed answer's usage is logged")
        #expect(lines.last?["status"]?.intValue == 429)
        #expect(lines.last?["rejected_by"]?.stringValue == "rate-limiting")
        #expect(try !readFile(path).contains("zzzzzzzz"))
    }

    @Test(arguments: [
        (#"{"output": "file"}"#, "needs 'path'"),
        (#"{"output": "syslog"}"#, "'output' must be \"stdout\" or \"file\""),
        (#"{"path": "/tmp/x.log"}"#, "'path' applies only to \"output\": \"file\""),
        (#"{"output": "file", "path": "/nonexistent/dir/x.log"}"#, "cannot open '/nonexistent/dir/x.log' for appending"),
        (#"{"buffer_lines": 0}"#, "'buffer_lines' must be 1 to 1000000"),
        (#"{"include_contents": true}"#, "unknown field 'include_contents'"),
    ])
    func refusesBadConfiguration(configuration: String, expected: String) {
        #expect {
            _ = try PluginTestHarness(RequestLogger.self, configuration: configuration)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test func timestampsAreRFC3339InUTC() {
        #expect(RequestLogger.timestamp(nanoseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RequestLogger.timestamp(nanoseconds: 1_795_624_539_123_456_789) == "2026-11-25T16:35:39.123Z")
    }

    /// Seconds around leap days, century years (2000 leap, 2100 not), year ends, 2038 and 2500.
    @Test(
        "the calendar agrees with the C library's gmtime_r",
        arguments: [
            951_782_399, 951_782_400, 951_868_799, 951_868_800, 946_684_799, 946_684_800, 1_709_164_800, 1_709_251_199,
            2_147_483_647, 2_147_483_648, 4_107_542_399, 4_107_542_400, 4_107_628_800, 16_725_225_599, 16_725_225_600,
        ] as [Int])
    func theCalendarAgreesWithGmtime(second: Int) {
        var seconds = time_t(second)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            String(repeating: "0", count: max(0, width - String(value).count)) + String(value)
        }
        let expected =
            "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))T"
            + "\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2)).987Z"
        #expect(RequestLogger.timestamp(nanoseconds: UInt64(second) * 1_000_000_000 + 987_654_321) == expected)
    }
}

struct LogLineError: Error {
    var line: String
}

func readFile(_ path: String) throws -> String {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw LogLineError(line: "cannot open \(path)") }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(descriptor, &buffer, buffer.count)
        if count <= 0 { break }
        bytes.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}
