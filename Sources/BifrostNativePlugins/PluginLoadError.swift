/// Why a native plugin was refused, with the file it came from.
///
/// Its description is one log line: `plugins/20-x.so: refused: <reason>`.
///
/// ```swift
/// do { _ = try PluginLoader.load(file: "x.so") } catch { print(error) }
/// ```
public struct PluginLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The category of refusal, for code that reacts to it.
    public enum Kind: String, Sendable, Hashable {
        /// The file does not exist or cannot be read.
        case fileNotFound
        /// `dlopen` failed: not a shared object, wrong architecture, missing dependency.
        case notLoadable
        /// The library does not export `bifrost_plugin_create`.
        case missingEntryPoint
        /// `bifrost_plugin_create` returned NULL (usually refusing its configuration).
        case refused
        /// The plugin was built for another ABI major version.
        case abiMismatch
        /// The plugin's table is smaller than this ABI version requires.
        case tableTooSmall
        /// The table, or a hook or string it points to, is not where the host can use it.
        case invalidTable
        /// The plugin's name is empty or not allowed.
        case invalidName
        /// Another plugin in the chain has the same name.
        case duplicateName
        /// The plugin's configuration (sidecar or config file) is unusable.
        case invalidConfiguration
        /// A reload could not hand the replaced instance's state to the new one.
        case stateHandoff
        /// A command the plugin declares (ABI 1.5) is malformed.
        case invalidCommand
    }

    /// The file the plugin came from (or the in-process source name).
    public var file: String
    /// The category.
    public var kind: Kind
    /// What went wrong, for people.
    public var reason: String
    /// The configuration field the plugin refused (`config_refuse`), as its full path from the
    /// document's root (`limits.rules[2].model`); `nil` when the refusal named none.
    public var field: String?

    /// Creates an error.
    public init(file: String, kind: Kind, reason: String, field: String? = nil) {
        self.file = file
        self.kind = kind
        self.reason = reason
        self.field = field
    }

    public var description: String { "\(file): refused: \(reason)" }
}
