#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A built plugin and a file of cases for it, run through the gateway's test runner,
/// `bifrost plugins test FILE --cases CASES.json`: the real host loads the shared library and
/// runs each case's request through its hooks, so what passes here passes in the gateway.
///
/// The runner is the `bifrost` binary named by the environment variable `BIFROST`, else the
/// first on `PATH`. The case format is the runner's (`bifrost plugins test --help`).
///
/// ```swift
/// import BifrostPluginTesting
/// import Testing
///
/// @Test func cases() throws {
///     try PluginCases(library: PluginCases.builtLibrary(product: "HelloPlugin"), cases: "cases.json")
///         .expectAllPass()
/// }
/// ```
public struct PluginCases: Sendable {
    /// One case as the runner reported it.
    ///
    /// ```swift
    /// result.failures  // ["header x-hello: expected \"hi\", got nil"]
    /// ```
    public struct Result: Sendable, Hashable, CustomStringConvertible {
        /// The case's name.
        ///
        /// ```swift
        /// result.name  // "the answer carries the greeting"
        /// ```
        public var name: String
        /// What did not hold, one line each; empty when the case passed.
        ///
        /// ```swift
        /// result.failures.isEmpty
        /// ```
        public var failures: [String]

        /// Creates a result.
        ///
        /// ```swift
        /// PluginCases.Result(name: "greets", failures: [])
        /// ```
        public init(name: String, failures: [String]) {
            self.name = name
            self.failures = failures
        }

        /// Whether every expectation held.
        ///
        /// ```swift
        /// #expect(result.passed)
        /// ```
        public var passed: Bool { failures.isEmpty }

        /// `case 'name': failure; failure`, or `case 'name': passed`.
        ///
        /// ```swift
        /// print(result)
        /// ```
        public var description: String {
            "case '\(name)': \(passed ? "passed" : failures.joined(separator: "; "))"
        }
    }

    /// What a run produced.
    ///
    /// ```swift
    /// let report = try cases.run()
    /// #expect(report.failed.isEmpty, "\(report.output)")
    /// ```
    public struct Report: Sendable, Hashable {
        /// Every case, in the file's order.
        ///
        /// ```swift
        /// report.results.count
        /// ```
        public var results: [Result]
        /// What the runner printed (standard output and standard error).
        ///
        /// ```swift
        /// print(report.output)
        /// ```
        public var output: String

        /// The cases that failed.
        ///
        /// ```swift
        /// for result in report.failed { print(result) }
        /// ```
        public var failed: [Result] { results.filter { !$0.passed } }
    }

    /// The plugin's shared library.
    ///
    /// ```swift
    /// cases.library  // "/work/hello/.build/debug/libHelloPlugin.so"
    /// ```
    public var library: String
    /// The cases file.
    ///
    /// ```swift
    /// cases.cases  // "/work/hello/Tests/HelloTests/cases.json"
    /// ```
    public var cases: String
    /// A JSON file with the plugin's configuration (`--plugin-config`); `nil` uses the cases
    /// file's `config`, else the library's sidecar `<stem>.json`, else `{}`.
    ///
    /// ```swift
    /// cases.configuration  // nil
    /// ```
    public var configuration: String?
    /// Whether the plugin runs in a worker process (`--isolated`), as `"isolation": "process"` does.
    ///
    /// ```swift
    /// cases.isolated  // false
    /// ```
    public var isolated: Bool
    /// The `bifrost` binary; `nil` looks it up (`BIFROST`, then `PATH`) when the cases run.
    ///
    /// ```swift
    /// cases.bifrost  // nil
    /// ```
    public var bifrost: String?

    /// Creates a run of `cases` against `library`. A relative `cases` or `configuration` path is
    /// taken from the folder of the source file that calls this, so a test finds the cases file
    /// beside it wherever `swift test` runs.
    ///
    /// ```swift
    /// let cases = PluginCases(library: try PluginCases.builtLibrary(product: "HelloPlugin"), cases: "cases.json")
    /// ```
    public init(
        library: String,
        cases: String,
        configuration: String? = nil,
        isolated: Bool = false,
        bifrost: String? = nil,
        filePath: String = #filePath
    ) {
        let folder = Self.folder(of: filePath)
        self.library = library
        self.cases = Self.resolve(cases, in: folder)
        self.configuration = configuration.map { Self.resolve($0, in: folder) }
        self.isolated = isolated
        self.bifrost = bifrost
    }

    /// The path of a dynamic library product of the package under test, in the folder the test
    /// binary was built into (`swift test` builds the package's products with its tests).
    ///
    /// ```swift
    /// try PluginCases.builtLibrary(product: "HelloPlugin")  // ".../.build/debug/libHelloPlugin.so"
    /// ```
    public static func builtLibrary(product: String) throws(PluginCasesError) -> String {
        #if canImport(Darwin)
            let file = "lib\(product).dylib"
        #else
            let file = "lib\(product).so"
        #endif
        guard let executable = executablePath() else {
            throw PluginCasesError(.libraryNotFound, "cannot tell where the test binary is, so where \(file) was built")
        }
        // On macOS the test binary sits inside NAME.xctest/Contents/MacOS, and the products beside NAME.xctest.
        var folder = Self.folder(of: executable)
        let bundleFolders = "/Contents/MacOS"
        if folder.hasSuffix(".xctest" + bundleFolders) {
            folder = Self.folder(of: String(folder.dropLast(bundleFolders.count)))
        }
        let path = "\(folder)/\(file)"
        guard access(path, F_OK) == 0 else {
            throw PluginCasesError(
                .libraryNotFound, "\(path) does not exist: build it first (swift build --product \(product))")
        }
        return path
    }

    /// Runs the cases; returns each case's result. Blocks until the runner exits.
    ///
    /// ```swift
    /// let report = try PluginCases(library: path, cases: "cases.json").run()
    /// for result in report.failed { print(result) }
    /// ```
    public func run() throws(PluginCasesError) -> Report {
        let runner: String
        if let bifrost { runner = bifrost } else { runner = try Self.findBifrost() }
        guard access(library, F_OK) == 0 else {
            throw PluginCasesError(.libraryNotFound, "the plugin library \(library) does not exist")
        }
        for file in [cases] + (configuration.map { [$0] } ?? []) where access(file, R_OK) != 0 {
            throw PluginCasesError(.fileNotFound, "cannot read \(file)")
        }
        var arguments = [runner, "plugins", "test", library, "--cases", cases, "--log-level", "warning"]
        if let configuration { arguments += ["--plugin-config", configuration] }
        if isolated { arguments.append("--isolated") }
        let (status, output) = try Self.spawn(arguments)
        let results = Self.parse(output)
        switch status {
        case 0, 1:
            if status == 1 && !results.contains(where: { !$0.passed }) {
                throw PluginCasesError(
                    .unreadableReport, "bifrost plugins test reported failures but named no failing case", output: output)
            }
            return Report(results: results, output: output)
        case 2:
            throw PluginCasesError(.refused, "bifrost plugins test refused the run (exit status 2)", output: output)
        default:
            throw PluginCasesError(.runnerFailed, "bifrost plugins test ended with status \(status)", output: output)
        }
    }

    /// The runner's report: `✔ name` or `✘ name` per case, each failure beneath on a line
    /// indented by four spaces (Sources/bifrost/PluginsTestCommand.swift prints it).
    static func parse(_ output: String) -> [Result] {
        var results: [Result] = []
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("✔ ") || line.hasPrefix("✘ ") {
                results.append(Result(name: String(line.dropFirst(2)), failures: []))
            } else if line.hasPrefix("    "), let last = results.indices.last {
                results[last].failures.append(String(line.dropFirst(4)))
            }
        }
        return results
    }

    /// `BIFROST` if set, else the first executable `bifrost` on `PATH`.
    static func findBifrost() throws(PluginCasesError) -> String {
        if let named = getenv("BIFROST").map({ String(cString: $0) }), !named.isEmpty {
            guard access(named, X_OK) == 0 else {
                throw PluginCasesError(.bifrostNotFound, "BIFROST=\(named) is not an executable file")
            }
            return named
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/bifrost"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw PluginCasesError(
            .bifrostNotFound, "bifrost not found: set BIFROST to the gateway binary, or put `bifrost` on PATH")
    }

    /// Runs `arguments` with standard output and standard error into one pipe; returns the exit
    /// status (128 + the signal for a signalled process) and everything it printed.
    private static func spawn(_ arguments: [String]) throws(PluginCasesError) -> (status: Int32, output: String) {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            throw PluginCasesError(.launchFailed, "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        close(writeEnd)
        defer { close(readEnd) }
        guard spawned == 0 else {
            throw PluginCasesError(.launchFailed, "cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = read(readEnd, &buffer, buffer.count)
            if count > 0 {
                bytes += buffer[0..<count]
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // The wait status's layout (<sys/wait.h>): the low 7 bits are the signal, 0 when it exited.
        let signal = status & 0x7F
        let exitStatus = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        return (exitStatus, String(decoding: bytes, as: UTF8.self))
    }

    /// The path of the running executable.
    private static func executablePath() -> String? {
        #if canImport(Darwin)
            var size: UInt32 = 0
            _ = _NSGetExecutablePath(nil, &size)
            var buffer = [CChar](repeating: 0, count: Int(size) + 1)
            guard _NSGetExecutablePath(&buffer, &size) == 0 else { return nil }
            return String(cString: buffer)
        #else
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            guard count > 0 else { return nil }
            return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #endif
    }

    /// The folder part of `path` (`.` for a bare name).
    private static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `path` if absolute, else `path` inside `folder`.
    private static func resolve(_ path: String, in folder: String) -> String {
        path.hasPrefix("/") ? path : "\(folder)/\(path)"
    }
}
