public import BifrostPluginSDK

/// The logging plugin's configuration, checked when the plugin is created.
///
/// ```json
/// {"output": "file", "path": "/var/log/bifrost/requests.log", "include_content": false,
///  "include_headers": ["x-tenant"], "buffer_lines": 10000}
/// ```
public struct RequestLogConfiguration: Sendable, Hashable {
    /// Where lines go.
    public enum Output: Sendable, Hashable {
        /// The process's standard output.
        case stdout
        /// A file, appended to (created if missing).
        case file(String)
    }

    /// Where lines go.
    public var output: Output
    /// Whether lines carry the messages and the answer's text (off by default).
    public var includeContent: Bool
    /// Request headers copied into each line (lowercase names); secrets among them are redacted.
    public var includeHeaders: [String]
    /// The most lines waiting for the writer; beyond it lines are dropped and counted.
    public var bufferLines: Int

    /// Reads and checks `configuration`.
    ///
    /// ```swift
    /// let config = try RequestLogConfiguration(PluginConfiguration(text: #"{"output": "stdout"}"#))
    /// ```
    public init(_ configuration: PluginConfiguration) throws {
        try configuration.rejectUnknownKeys(known: ["output", "path", "include_content", "include_headers", "buffer_lines"])
        let file = try configuration.decode(File.self)
        switch file.output ?? "stdout" {
        case "stdout":
            guard file.path == nil else {
                throw PluginConfigurationError("invalid configuration: 'path' applies only to \"output\": \"file\"")
            }
            output = .stdout
        case "file":
            guard let path = file.path, !path.isEmpty else {
                throw PluginConfigurationError("invalid configuration: \"output\": \"file\" needs 'path', the file to append to")
            }
            output = .file(path)
        case let other:
            throw PluginConfigurationError("invalid configuration: 'output' must be \"stdout\" or \"file\", got \"\(other)\"")
        }
        includeContent = file.includeContent ?? false
        includeHeaders = (file.includeHeaders ?? []).map { $0.lowercased() }
        bufferLines = file.bufferLines ?? 10_000
        guard (1...1_000_000).contains(bufferLines) else {
            throw PluginConfigurationError("invalid configuration: 'buffer_lines' must be 1 to 1000000, got \(bufferLines)")
        }
    }

    private struct File: Decodable {
        var output: String?
        var path: String?
        var includeContent: Bool?
        var includeHeaders: [String]?
        var bufferLines: Int?

        enum CodingKeys: String, CodingKey {
            case output, path
            case includeContent = "include_content"
            case includeHeaders = "include_headers"
            case bufferLines = "buffer_lines"
        }
    }
}
