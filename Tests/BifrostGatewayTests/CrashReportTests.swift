import BifrostTestSupport
import Foundation
import Testing

/// `bifrost serve` run as a child process, its standard output and error gathered together.
final class ServedGateway: @unchecked Sendable {
    // Safe: `output` is written by the reading thread and read under `lock`.
    private let process = Process()
    private let lock = NSLock()
    private var output = Data()
    private var finishedReading = false

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: productsDirectory + "/bifrost")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let reading = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while case let data = reading.availableData, !data.isEmpty {
                lock.withLock { output.append(data) }
            }
            lock.withLock { finishedReading = true }
        }
    }

    /// The process's id.
    var processIdentifier: Int32 { process.processIdentifier }

    /// Starts `bifrost` with `arguments` plus `--port` on a free port, and waits (up to 30 s)
    /// until it answers `/health`; returns it and a client for it.
    static func started(_ arguments: [String], clientTimeout: Duration = .seconds(5)) async throws -> (
        ServedGateway, HTTPTestClient
    ) {
        let port = try await FakeUpstream.unusedPort()
        let gateway = try ServedGateway(arguments + ["--port", "\(port)"])
        let client = HTTPTestClient(port: port, timeout: clientTimeout)
        let started = ContinuousClock.now
        var healthy = false
        while !healthy, ContinuousClock.now - started < .seconds(30) {
            healthy = (try? await client.get("/health").status) == 200
            if !healthy { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(healthy, "the gateway did not start: \(gateway.printed)")
        return (gateway, client)
    }

    /// Everything printed so far.
    var printed: String { lock.withLock { String(decoding: output, as: UTF8.self) } }

    /// Waits up to `limit` for the process to end; kills it (and reports `nil`) if it did not.
    func exit(within limit: Duration) async throws -> (reason: Process.TerminationReason, status: Int32)? {
        let started = ContinuousClock.now
        while process.isRunning, ContinuousClock.now - started < limit { try await Task.sleep(for: .milliseconds(50)) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        // Polled, not waited on: a blocked thread of the cooperative pool (two here) would stall
        // every other test running meanwhile.
        let exited = ContinuousClock.now
        while !lock.withLock({ finishedReading }), ContinuousClock.now - exited < .seconds(5) {
            try await Task.sleep(for: .milliseconds(20))
        }
        return (process.terminationReason, process.terminationStatus)
    }
}

@Suite(
    "a plugin that crashes the process: a prompt end, a stack naming its .so, nothing of the requests printed",
    .disabled(if: ProcessInfo.processInfo.environment["BIFROST_SANITIZER"] == "thread", "the sanitizer reports signals itself"),
    .timeLimit(.minutes(2)))
struct CrashReportTests {
    static let secret = "sk-secret-7f3a9c2e1b0d4f6a8c5e"
    static let card = "4111 1111 1111 1111"

    @Test(arguments: [(1, "SIGSEGV", SIGSEGV), (2, "SIGSEGV", SIGSEGV), (3, "SIGBUS", SIGBUS), (4, "SIGABRT", SIGABRT)])
    func crash(mode: Int, name: String, signal: Int32) async throws {
        let directory = try PluginDirectory()
        _ = try await CPluginCompiler.compile(
            zoo: "crasher.c", as: "10-crasher.so", in: directory.path, defines: ["CRASH": "\(mode)"])
        let (gateway, client) = try await ServedGateway.started(["serve", "--plugin-dir", directory.path])

        let answer = try? await client.postJSON(
            "/v1/chat/completions", chatJSON("my card is \(Self.card)"), headers: ["authorization": "Bearer \(Self.secret)"])
        #expect(answer == nil, "the crash ends the connection without an answer")
        let crashed = ContinuousClock.now
        let ending = try await gateway.exit(within: .seconds(15))
        let output = gateway.printed
        let ended = try #require(ending, "the process did not end after the crash: \(output)")
        #expect(ContinuousClock.now - crashed < .seconds(10))
        #expect(ended.reason == .uncaughtSignal && ended.status == signal, "ended by \(ended)")
        #expect(output.contains("bifrost: fatal signal \(name)"), "\(output)")
        #expect(output.contains("10-crasher.so"), "the stack names the plugin's file: \(output)")
        #expect(!output.contains(Self.secret), "the client's key is not printed")
        #expect(!output.contains(Self.card), "the message is not printed")
        #expect(!output.contains("Registers"), "no register or memory dump")
    }
}
