/// Why ``PluginCases`` could not run a plugin's cases, or could not read what the runner said.
///
/// A case that ran and failed is not this error: it is a ``PluginCases/Result`` with failures.
///
/// ```swift
/// do { _ = try PluginCases(library: path, cases: "cases.json").run() } catch {
///     print(error)  // bifrost not found: set BIFROST to the gateway binary, or put `bifrost` on PATH
/// }
/// ```
public struct PluginCasesError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for code that reacts to it.
    ///
    /// ```swift
    /// if error.code == .bifrostNotFound { /* skip */ }
    /// ```
    public enum Code: String, Sendable, Hashable {
        /// Neither `BIFROST` nor `PATH` names an executable `bifrost`.
        case bifrostNotFound
        /// The plugin's shared library does not exist (it was not built).
        case libraryNotFound
        /// The cases file (or the configuration file) does not exist.
        case fileNotFound
        /// The runner could not be started.
        case launchFailed
        /// The runner refused the run (exit status 2): the plugin did not load, or the cases file is invalid.
        case refused
        /// The runner ended by a signal or with a status it does not document.
        case runnerFailed
        /// The runner said that cases failed but its report names none.
        case unreadableReport
    }

    /// The category.
    ///
    /// ```swift
    /// error.code  // .refused
    /// ```
    public var code: Code

    /// What happened, in a sentence.
    ///
    /// ```swift
    /// error.message  // "bifrost plugins test refused the run (exit status 2)"
    /// ```
    public var message: String

    /// What the runner printed (standard output and standard error), when it ran.
    ///
    /// ```swift
    /// error.output  // "error: plugin x.so refused its configuration: …"
    /// ```
    public var output: String

    /// Creates an error.
    ///
    /// ```swift
    /// PluginCasesError(.libraryNotFound, "no file /tmp/libX.so")
    /// ```
    public init(_ code: Code, _ message: String, output: String = "") {
        self.code = code
        self.message = message
        self.output = output
    }

    /// The message, and what the runner printed beneath it.
    ///
    /// ```swift
    /// print(error)
    /// ```
    public var description: String { output.isEmpty ? message : "\(message):\n\(output)" }
}
