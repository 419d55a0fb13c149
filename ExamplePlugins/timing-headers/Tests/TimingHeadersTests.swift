import BifrostCore
import BifrostNativePlugins
import BifrostPluginHarness
import BifrostPluginSDK
import Testing
import TimingHeadersPlugin

@Suite("timing-headers")
struct TimingHeadersTests {
    /// `<digits>.<3 digits>`.
    static func isMilliseconds(_ text: String?) -> Bool {
        guard let text, let dot = text.firstIndex(of: ".") else { return false }
        let whole = text[..<dot]
        let fraction = text[text.index(after: dot)...]
        return !whole.isEmpty && whole.allSatisfy(\.isASCII) && whole.allSatisfy(\.isNumber)
            && fraction.count == 3 && fraction.allSatisfy(\.isNumber)
    }

    @Test func exportsBothHooksFailOpen() throws {
        let harness = try PluginTestHarness(TimingHeaders.self)
        defer { harness.shutdown() }
        #expect(harness.plugin.descriptor.name == "timing-headers")
        #expect(harness.plugin.descriptor.version == "1.0.0")
        #expect(harness.plugin.descriptor.hooks == [.pre, .post])
        #expect(harness.plugin.descriptor.defaultFailurePolicy == .failOpen)
        #expect(harness.plugin.descriptor.abiVersion == "\(BIFROST_ABI_VERSION_MAJOR).\(BIFROST_ABI_VERSION_MINOR)")
    }

    @Test func headersPresentAfterRun() async throws {
        let harness = try PluginTestHarness(TimingHeaders.self)
        defer { harness.shutdown() }
        let outcome = await harness.run(.test("Hi"))
        let response = try #require(outcome.response)
        #expect(response.choices.first?.content == "Echo: Hi")
        let duration = response.headers["x-bifrost-gateway-ms"]
        #expect(Self.isMilliseconds(duration), "x-bifrost-gateway-ms was \(duration ?? "absent")")
        #expect(response.headers["server-timing"] == "gateway;dur=\(duration ?? "?")")
        #expect(response.headers["x-bifrost-plugins-seen"] == "timing-headers")
        #expect(harness.logs.lines.filter { $0.level >= .warning }.isEmpty, "\(harness.logs.lines)")
    }

    @Test func contextWrittenInPreHookIsReadInPostHook() async throws {
        let harness = try PluginTestHarness(TimingHeaders.self)
        defer { harness.shutdown() }
        let context = RequestContext()
        let (result, request) = try await harness.preHook(.test("Hi"), context: context)
        #expect(result == .continue)
        #expect(request == .test("Hi"), "the PreHook must not change the request")
        guard case .number(let start)? = context[TimingHeaders.startKey] else {
            Issue.record("the PreHook stored no start under \(TimingHeaders.startKey): \(context.allValues)")
            return
        }

        // Pretend the PreHook ran 25 ms earlier: the PostHook must measure from the context.
        context[TimingHeaders.startKey] = .number(start - 25_000_000)
        let answered = ChatOutcome.response(ChatResponse(provider: "mock", model: "echo", choices: [.init(content: "ok")]))
        let outcome = try await harness.postHook(answered, context: context)
        let duration = try #require(outcome.response?.headers["x-bifrost-gateway-ms"])
        #expect(Self.isMilliseconds(duration))
        let milliseconds = try #require(Double(duration))
        #expect(milliseconds >= 25 && milliseconds < 25_000, "measured \(duration) ms")
        #expect(context["x-bifrost-plugins-seen"] == .string("timing-headers"))
    }

    @Test func postHookWithoutPreHookSkipsDurationAndWarns() async throws {
        let harness = try PluginTestHarness(TimingHeaders.self)
        defer { harness.shutdown() }
        let answered = ChatOutcome.response(ChatResponse(provider: "mock", model: "echo", choices: [.init(content: "ok")]))
        let outcome = try await harness.postHook(answered, context: RequestContext())
        let headers = try #require(outcome.response?.headers)
        #expect(headers["x-bifrost-gateway-ms"] == nil)
        #expect(headers["server-timing"] == nil)
        #expect(headers["x-bifrost-plugins-seen"] == "timing-headers")
        let warning = harness.logs.lines.first { $0.level == .warning }
        #expect(warning?.message.contains("no start time") == true, "\(harness.logs.lines)")
        #expect(warning?.metadata["plugin"] == "timing-headers")
    }

    @Test func errorOutcomesGetHeadersToo() async throws {
        let harness = try PluginTestHarness(TimingHeaders.self)
        defer { harness.shutdown() }
        let outcome = await harness.run(.test("Hi", model: "mock/fail"))
        let error = try #require(outcome.error)
        #expect(error.status == 503)
        #expect(error.code == "mock_failure", "the plugin must leave the error itself alone")
        let duration = error.headers["x-bifrost-gateway-ms"]
        #expect(Self.isMilliseconds(duration), "x-bifrost-gateway-ms was \(duration ?? "absent")")
        #expect(error.headers["server-timing"] == "gateway;dur=\(duration ?? "?")")
        #expect(error.headers["x-bifrost-plugins-seen"] == "timing-headers")
    }

    @Test func unknownModelErrorGetsHeaders() async throws {
        let harness = try PluginTestHarness(TimingHeaders.self)
        defer { harness.shutdown() }
        let outcome = await harness.run(.test("Hi", model: "nowhere/none"))
        let error = try #require(outcome.error)
        #expect(error.status == 404)
        #expect(error.headers["x-bifrost-plugins-seen"] == "timing-headers")
        #expect(Self.isMilliseconds(error.headers["x-bifrost-gateway-ms"]))
    }

    @Test func appendsToHeadersOfStackedPlugins() async throws {
        let harness = try PluginTestHarness(TimingHeaders.self)
        defer { harness.shutdown() }
        let context = RequestContext()
        _ = try await harness.preHook(.test(), context: context)
        var response = ChatResponse(provider: "mock", model: "echo", choices: [.init(content: "ok")])
        response.headers["x-bifrost-plugins-seen"] = "cache"
        response.headers["server-timing"] = "cache;dur=0.2"
        let outcome = try await harness.postHook(.response(response), context: context)
        let headers = try #require(outcome.response?.headers)
        #expect(headers["x-bifrost-plugins-seen"] == "cache, timing-headers")
        let duration = try #require(headers["x-bifrost-gateway-ms"])
        #expect(headers["server-timing"] == "cache;dur=0.2, gateway;dur=\(duration)")
    }

    @Test func errorsAppendToTheSeenListKeptInTheContext() async throws {
        let harness = try PluginTestHarness(TimingHeaders.self)
        defer { harness.shutdown() }
        let context = RequestContext()
        _ = try await harness.preHook(.test(), context: context)
        context["x-bifrost-plugins-seen"] = .string("rate-limit")
        let outcome = try await harness.postHook(.failure(.invalidRequest("nope")), context: context)
        #expect(outcome.error?.headers["x-bifrost-plugins-seen"] == "rate-limit, timing-headers")
        #expect(outcome.error?.message == "nope")
    }

    @Test func headerPrefixIsConfigurable() async throws {
        let harness = try PluginTestHarness(TimingHeaders.self, configuration: #"{"header_prefix": "x-acme"}"#)
        defer { harness.shutdown() }
        let outcome = await harness.run(.test())
        let headers = try #require(outcome.response?.headers)
        #expect(Self.isMilliseconds(headers["x-acme-gateway-ms"]))
        #expect(headers["x-acme-plugins-seen"] == "timing-headers")
        #expect(headers["x-bifrost-gateway-ms"] == nil)
        #expect(headers["server-timing"] != nil)
    }

    @Test func emptyConfigurationMeansDefaults() throws {
        let harness = try PluginTestHarness(TimingHeaders.self, configuration: "")
        defer { harness.shutdown() }
        let plugin = try TimingHeaders(configuration: PluginConfiguration(text: ""))
        #expect(plugin.durationHeader == "x-bifrost-gateway-ms")
        #expect(plugin.pluginsSeenHeader == "x-bifrost-plugins-seen")
    }

    @Test(
        arguments: [
            (
                #"{"header_prefix": "X-Bifrost"}"#,
                #"header_prefix must be a lowercase HTTP token (a-z, 0-9 and ! # $ % & ' * + - . ^ _ ` | ~), got "X-Bifrost": 'X' at position 1 is not allowed (use lowercase)"#
            ),
            (#"{"header_prefix": "x bifrost"}"#, "' ' at position 2 is not allowed"),
            (#"{"header_prefix": "x-bifrost:"}"#, "':' at position 10 is not allowed"),
            (#"{"header_prefix": ""}"#, "header_prefix must be a lowercase HTTP token"),
            (#"{"header_prefix": 7}"#, "invalid configuration: field 'header_prefix' must be a string"),
            (#"{"header_prefx": "x-a"}"#, "invalid configuration: unknown field 'header_prefx' (known fields: header_prefix)"),
            (#"{"header_prefix": "#, "invalid configuration: not valid JSON"),
            (#"["x-a"]"#, "invalid configuration: must be a JSON object"),
        ])
    func badConfigurationIsRefused(configuration: String, message: String) throws {
        do {
            let harness = try PluginTestHarness(TimingHeaders.self, configuration: configuration)
            harness.shutdown()
            Issue.record("configuration \(configuration) was accepted")
        } catch {
            #expect(error.kind == .refused)
            #expect(error.reason.contains(message), "reason: \(error.reason)")
            #expect(error.description.contains("timing-headers"), "\(error)")
        }
    }

    @Test func concurrentRequestsKeepTheirOwnState() async throws {
        let harness = try PluginTestHarness(TimingHeaders.self)
        defer { harness.shutdown() }
        let seen = await withTaskGroup(of: String?.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let model = index.isMultiple(of: 4) ? "mock/fail" : "mock/echo"
                    let outcome = await harness.run(.test("request \(index)", model: model))
                    let headers = outcome.response?.headers ?? outcome.error?.headers
                    guard Self.isMilliseconds(headers?["x-bifrost-gateway-ms"]) else { return nil }
                    return headers?["x-bifrost-plugins-seen"]
                }
            }
            var all: [String?] = []
            for await value in group { all.append(value) }
            return all
        }
        #expect(seen.count == 64)
        #expect(seen.allSatisfy { $0 == "timing-headers" }, "\(seen)")
    }

    @Test func millisecondsHaveThreeDecimalsRounded() {
        #expect(TimingHeaders.milliseconds(nanoseconds: 0) == "0.000")
        #expect(TimingHeaders.milliseconds(nanoseconds: 499) == "0.000")
        #expect(TimingHeaders.milliseconds(nanoseconds: 500) == "0.001")
        #expect(TimingHeaders.milliseconds(nanoseconds: 12_345_678) == "12.346")
        #expect(TimingHeaders.milliseconds(nanoseconds: 1_000_000) == "1.000")
        #expect(TimingHeaders.milliseconds(nanoseconds: 3_600_000_000_000) == "3600000.000")
    }

    @Test func exportedEntryPointRefusesAnotherMajorNamingBothVersions() throws {
        // The entry point the .so exports, handed a host table that claims ABI 2.x.
        do {
            let plugin = try NativePlugin.create(
                source: "libTimingHeadersPlugin.so", configuration: [], logger: CapturedLogs().logger(label: "test")
            ) { host, token, config, length in
                var newer = host.pointee
                newer.abi_major = 2
                return withUnsafePointer(to: &newer) { bifrostPluginCreate($0, token, config, length) }
            }
            plugin.shutdown()
            Issue.record("a host speaking ABI 2 was accepted")
        } catch {
            let minor = BIFROST_ABI_VERSION_MINOR
            #expect(
                error.reason.contains("built for Bifrost plugin ABI 1.\(minor) but the host speaks ABI 2.\(minor)"), "\(error)")
        }
    }
}
