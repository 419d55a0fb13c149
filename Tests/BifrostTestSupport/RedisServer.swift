import Foundation

/// A real `redis-server` (Debian's) on 127.0.0.1, started for a test and stopped by its PID,
/// with nothing written to disk.
///
/// ```swift
/// let redis = try await RedisServer.start()
/// defer { redis.stop() }
/// ```
public final class RedisServer: @unchecked Sendable {
    // Safe: `process` is replaced only by `restart`, which tests call from one task.
    private var process: Process
    /// The port it listens on.
    public let port: Int
    private let password: String?

    private init(process: Process, port: Int, password: String?) {
        self.process = process
        self.port = port
        self.password = password
    }

    deinit { stop() }

    /// Starts a server on `port` (a free one by default) and waits, at most 10 s, until it
    /// answers `PING`. With `password`, clients must `AUTH`.
    public static func start(port requestedPort: Int? = nil, password: String? = nil) async throws -> RedisServer {
        let port: Int
        if let requestedPort { port = requestedPort } else { port = try await FakeUpstream.unusedPort() }
        let process = try await launch(port: port, password: password)
        return RedisServer(process: process, port: port, password: password)
    }

    /// The server's PID.
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Kills the server at once (SIGKILL), as a crash would.
    public func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Stops the server. It keeps nothing on disk, so there is nothing to shut down cleanly: a
    /// SIGKILL, which also reaches it when the test process's signal mask blocks SIGTERM in its
    /// children.
    public func stop() { kill() }

    /// Starts the server again on the same port, empty.
    public func restart() async throws {
        stop()
        process = try await Self.launch(port: port, password: password)
    }

    private static func launch(port: Int, password: String?) async throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        var arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--loglevel", "warning",
        ]
        if let password { arguments += ["--requirepass", password] }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(10) {
            if try await answersPing(port: port, password: password) { return process }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        // SIGTERM can be blocked in the test process's children (see `kill()`): it would survive.
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        throw RedisServerError(message: "redis-server did not start on port \(port)")
    }

    private static func answersPing(port: Int, password: String?) async throws -> Bool {
        let arguments =
            ["-h", "127.0.0.1", "-p", "\(port)"] + (password.map { ["--no-auth-warning", "-a", $0] } ?? []) + ["ping"]
        let (_, output) = try await CPluginCompiler.run("/usr/bin/redis-cli", arguments)
        return output.hasPrefix("PONG")
    }
}

/// `redis-server` could not be started.
public struct RedisServerError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// The message.
    public var description: String { message }
}
