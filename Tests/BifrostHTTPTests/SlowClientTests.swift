import BifrostCore
import BifrostHTTP
import BifrostLibrary
import BifrostProviders
import BifrostTestSupport
import Foundation
import Testing

/// Records what each PostHook saw (an error's status, or "cut short" for the partial answer of
/// a stream its client left), to prove a stream cut short is reported to plugins.
final class OutcomeRecorder: Plugin, Sendable {
    let descriptor = PluginDescriptor(name: "recorder", version: "1.0.0", hooks: .post)
    private let outcomes = LockedValue<[String]>([])

    var seen: [String] { outcomes.withLock { $0 } }

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult { .continue }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        var seen = "200"
        if let error = outcome.error {
            seen = "\(error.status)"
        } else if context[RequestContext.HostKey.cutShort] == .bool(true) {
            seen = "cut short"
        }
        outcomes.withLock { $0.append(seen) }
    }
}

/// The process's resident memory, from `/proc/self/status`.
func residentBytes() throws -> Int {
    let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
    let kibibytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    return kibibytes << 10
}

@Suite("a client that stops reading a long, fast stream", .serialized, .timeLimit(.minutes(2)))
struct SlowClientTests {
    @Test("memory stays bounded, the client is cut after the write-stall time, the upstream closed, PostHooks told")
    func stalledClient() async throws {
        let upstream = try await FakeUpstream.start { _ in .sseFlood(events: 400_000, contentBytes: 2_048) }
        let http = UpstreamHTTPClient()
        let provider = OpenAIProvider(
            settings: ProviderSettings(
                name: "up", kind: .openai, baseURL: upstream.baseURL,
                timeouts: .init(connect: .seconds(5), request: .seconds(30), streamIdle: .seconds(60)),
                retry: .init(maxAttempts: 1)),
            httpClient: http)
        let recorder = OutcomeRecorder()
        let bifrost = try await makeBifrost([ChainEntry(recorder)], providers: [provider])
        let configuration = HTTPServerConfiguration.limited { $0.writeStallTimeout = .seconds(6) }
        try await withServer(bifrost, configuration: configuration) { client, _ in
            let baseline = try residentBytes()
            try await client.withConnection { connection in
                let body = chatJSON("flood", model: "up/gpt", extra: #","stream":true"#)
                try await connection.write(
                    Array(
                        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                            .utf8))
                let start = try await connection.readRaw(atLeast: 4_096)
                #expect(String(decoding: start.prefix(15), as: UTF8.self) == "HTTP/1.1 200 OK")

                // The client reads nothing more. The gateway holds a bounded buffer, the sockets
                // fill, and the upstream is held back by TCP.
                let stalled = ContinuousClock.now
                var written = upstream.bodyBytesWritten
                var steadySince = ContinuousClock.now
                while ContinuousClock.now - stalled < .seconds(5) {
                    try await Task.sleep(for: .milliseconds(100))
                    if upstream.bodyBytesWritten != written {
                        written = upstream.bodyBytesWritten
                        steadySince = .now
                    } else if ContinuousClock.now - steadySince >= .milliseconds(600) {
                        break
                    }
                }
                #expect(ContinuousClock.now - steadySince >= .milliseconds(600), "the upstream's writes stopped")
                let grown = try residentBytes() - baseline
                #expect(grown < 64 << 20, "resident memory grew \(grown >> 20) MiB for one stalled stream")
                #expect(written < 64 << 20, "the upstream wrote \(written >> 20) MiB for a client that reads nothing")
                #expect(try await client.get("/health").status == 200, "everyone else is served")

                try await Polling.eventually { upstream.closedConnections.count == 1 }
                let cut = ContinuousClock.now - stalled
                #expect(upstream.closedConnections.count == 1, "the upstream connection is closed")
                #expect(cut >= .milliseconds(5_900) && cut < .seconds(15), "cut after \(cut)")
                try await Polling.eventually { !recorder.seen.isEmpty }
                #expect(recorder.seen == ["cut short"], "the PostHook saw the part streamed, marked cut short")
                #expect(bifrost.metrics.render().contains(#"bifrost_http_timeouts_total{kind="write_stall"} 1"#))
                let rest = try? await connection.readRaw(atLeast: .max)
                #expect((rest ?? []).count < 64 << 20, "the client's connection was closed")
                #expect(try residentBytes() - baseline < 64 << 20, "the stream's memory is released")
            }
        }
        await upstream.stop()
        await http.shutdown()
    }
}
