public import BifrostCore
import Synchronization

/// Runs a plugin's cases in process, through the real host accessors and the real chain (its
/// failure policy included), with no HTTP and no provider: each case's upstream is scripted.
///
/// `bifrost plugins test` and the Swift testing kit both run cases with it, so a C, Rust or
/// Swift build of one plugin answers one case file alike.
///
/// ```swift
/// let results = await PluginCaseRunner(plugin: plugin).run(file.cases)
/// for result in results { print(result.passed ? "✔" : "✘", result.name) }
/// ```
public struct PluginCaseRunner: Sendable {
    /// The plugin under test.
    public let entry: ChainEntry
    /// What performs the plugin's host operations (state, callouts); `nil` offers none.
    public let services: (any HostServices)?

    /// A runner for `plugin` under `failurePolicy` (the plugin's own default unless given),
    /// its host operations performed by `services`.
    public init(plugin: any Plugin, failurePolicy: FailurePolicy? = nil, services: (any HostServices)? = nil) {
        entry = ChainEntry(plugin, failurePolicy: failurePolicy)
        self.services = services
    }

    /// How one case went.
    public struct Result: Sendable {
        /// The case's name.
        public var name: String
        /// What did not hold, one line each; empty when the case passed.
        public var failures: [String]
        /// Whether every expectation held.
        public var passed: Bool { failures.isEmpty }
    }

    /// Runs every case, in order.
    public func run(_ cases: [PluginCase]) async -> [Result] {
        var results: [Result] = []
        for testCase in cases { results.append(await run(testCase)) }
        return results
    }

    /// What one run produced, for the checks.
    private struct Observed {
        var upstreamRequest: ChatRequest?
        var status: Int
        var headers: HeaderFields
        var content: String
        var error: BifrostError?
    }

    /// Runs one case.
    public func run(_ testCase: PluginCase) async -> Result {
        let chain = PluginChain([entry], services: services)
        let context = RequestContext(route: "/v1/chat/completions")
        let upstream = ScriptedUpstream(testCase.upstream)
        let observed: Observed
        if testCase.request.isStreaming {
            observed = await stream(testCase.request, through: chain, upstream: upstream, context: context)
        } else {
            let outcome = await chain.run(testCase.request, context: context) { request, context in
                await upstream.answer(request, context: context)
            }
            switch outcome {
            case .response(let response):
                observed = Observed(
                    upstreamRequest: upstream.received, status: 200, headers: response.headers,
                    content: response.choices.first?.content ?? "", error: nil)
            case .failure(let error):
                observed = Observed(
                    upstreamRequest: upstream.received, status: error.status, headers: error.headers, content: "", error: error)
            }
        }
        return Result(name: testCase.name, failures: Self.check(testCase.expect, against: observed))
    }

    private func stream(
        _ request: ChatRequest, through chain: PluginChain, upstream: ScriptedUpstream, context: RequestContext
    ) async -> Observed {
        let opened = await chain.runStream(request, context: context) { request, context in
            await upstream.stream(request, context: context)
        }
        var headers = context.responseHeaders
        switch opened {
        case .failure(let error):
            for field in error.headers { headers[field.name] = field.value }
            return Observed(upstreamRequest: upstream.received, status: error.status, headers: headers, content: "", error: error)
        case .success(let stream):
            var text = ""
            do {
                for try await chunk in stream { text += chunk.choices.first?.content ?? "" }
            } catch {
                return Observed(
                    upstreamRequest: upstream.received, status: error.status, headers: headers, content: text, error: error)
            }
            return Observed(upstreamRequest: upstream.received, status: 200, headers: headers, content: text, error: nil)
        }
    }

    private static func action(of observed: Observed) -> PluginCase.Action {
        if let error = observed.error {
            if error.code == "plugin_fault" { return .fault }
            if error.plugin != nil { return .reject }
        }
        return observed.upstreamRequest == nil ? .respond : .continue
    }

    private static func check(_ expect: PluginCase.Expectation, against observed: Observed) -> [String] {
        var failures: [String] = []
        let action = action(of: observed)
        if let expected = expect.action, expected != action {
            let why = observed.error.map { ": \($0.message)" } ?? ""
            failures.append("action: expected \(expected.rawValue), got \(action.rawValue)\(why)")
        }
        if let expected = expect.status, expected != observed.status {
            failures.append("status: expected \(expected), got \(observed.status)")
        }
        for (name, expected) in expect.headers where observed.headers[name] != expected {
            failures.append(
                "header \(name): expected \(expected.map { "\"\($0)\"" } ?? "none"), got \(observed.headers[name].map { "\"\($0)\"" } ?? "none")"
            )
        }
        if let expected = expect.upstreamModel {
            let actual = observed.upstreamRequest?.qualifiedModel
            if actual != expected {
                failures.append(
                    "upstream model: expected \"\(expected)\", got \(actual.map { "\"\($0)\"" } ?? "no upstream call")")
            }
        }
        for member in expect.upstreamParameters {
            let actual = observed.upstreamRequest?.parameters[member.key]
            if actual != member.value {
                failures.append(
                    "upstream parameter \(member.key): expected \(describe(member.value)), got \(actual.map(describe) ?? "none")")
            }
        }
        if let expected = expect.contentContains, !observed.content.contains(expected) {
            failures.append("content: expected it to contain \"\(expected)\", got \"\(observed.content)\"")
        }
        if let expected = expect.errorContains, !(observed.error?.message.contains(expected) ?? false) {
            failures.append(
                "error: expected a message containing \"\(expected)\", got \(observed.error.map { "\"\($0.message)\"" } ?? "no error")"
            )
        }
        return failures
    }

    private static func describe(_ value: JSONValue) -> String {
        var writer = JSONWriter()
        writer.value(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// A case's upstream: answers from the script and keeps the request it was sent.
private final class ScriptedUpstream: Sendable {
    private let script: PluginCase.Upstream
    private let request = Mutex<ChatRequest?>(nil)

    init(_ script: PluginCase.Upstream) { self.script = script }

    var received: ChatRequest? { request.withLock { $0 } }

    func answer(_ request: ChatRequest, context: RequestContext) async -> ChatOutcome {
        self.request.withLock { $0 = request }
        switch script {
        case .mock:
            do {
                return .response(try await MockProvider().chatCompletion(request, credentials: .none, context: context))
            } catch {
                return .failure(error)
            }
        case .answer(let response): return .response(response)
        case .stream(let chunks):
            var assembly = StreamAssembly()
            for chunk in chunks { assembly.add(chunk) }
            return .response(assembly.response)
        case .error(let error): return .failure(error)
        }
    }

    func stream(_ request: ChatRequest, context: RequestContext) async -> Swift.Result<ChatStream, BifrostError> {
        self.request.withLock { $0 = request }
        switch script {
        case .mock:
            do {
                return .success(try await MockProvider().chatCompletionStream(request, credentials: .none, context: context))
            } catch {
                return .failure(error)
            }
        case .answer(let response): return .success(ChatStream(replaying: response))
        case .stream(let chunks):
            let remaining = Mutex(chunks[...])
            return .success(
                ChatStream(unfolding: {
                    remaining.withLock { rest in rest.popFirst() }
                }))
        case .error(let error): return .failure(error)
        }
    }
}
