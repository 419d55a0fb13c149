/// One chunk of a streamed answer, as a chunk hook sees it (ABI 1.1).
///
/// ```swift
/// if let text = try chunk.content() { try chunk.setContent(text.uppercased()) }
/// ```
public struct HookChunk {
    /// The raw handle, for calling the C host table directly.
    public let handle: OpaquePointer?
    let api: UnsafePointer<bifrost_host_api>

    init(handle: OpaquePointer?, api: UnsafePointer<bifrost_host_api>) {
        self.handle = handle
        self.api = api
    }

    /// The number of choices this chunk carries deltas for.
    ///
    /// ```swift
    /// let count = try chunk.choiceCount
    /// ```
    public var choiceCount: Int {
        get throws {
            let get = try hostFunction(api.pointee.chunk_choice_count, "chunk_choice_count")
            var count = 0
            try check(get(handle, &count), "chunk_choice_count")
            return count
        }
    }

    /// The text this delta adds, or `nil` when it carries none (a role or finish delta).
    ///
    /// ```swift
    /// let text = try chunk.content()
    /// ```
    public func content(at choice: Int = 0) throws -> String? {
        let get = try hostFunction(api.pointee.chunk_get_content, "chunk_get_content")
        let choice = try hostIndex(choice, "chunk_get_content")
        return try readHostString("chunk_get_content") { get(handle, choice, $0) }
    }

    /// Replaces the text of this delta.
    ///
    /// ```swift
    /// try chunk.setContent("[redacted]")
    /// ```
    public func setContent(_ content: String, at choice: Int = 0) throws {
        let set = try hostFunction(api.pointee.chunk_set_content, "chunk_set_content")
        let choice = try hostIndex(choice, "chunk_set_content")
        try withHostString(content) { try check(set(handle, choice, $0), "chunk_set_content") }
    }

    /// Why generation stopped, on a choice's last delta; `nil` before.
    ///
    /// ```swift
    /// if try chunk.finishReason() == "length" { … }
    /// ```
    public func finishReason(at choice: Int = 0) throws -> String? {
        let get = try hostFunction(api.pointee.chunk_get_finish_reason, "chunk_get_finish_reason")
        let choice = try hostIndex(choice, "chunk_get_finish_reason")
        return try readHostString("chunk_get_finish_reason") { get(handle, choice, $0) }
    }

    /// Token counts, on the chunk that carries them (usually the last); `nil` otherwise.
    ///
    /// ```swift
    /// if let usage = try chunk.usage { print(usage.totalTokens) }
    /// ```
    public var usage: HookUsage? {
        get throws {
            let get = try hostFunction(api.pointee.chunk_get_usage, "chunk_get_usage")
            var usage = bifrost_usage()
            guard try checkFound(get(handle, &usage), "chunk_get_usage") else { return nil }
            return HookUsage(usage)
        }
    }

    /// The model streaming the answer.
    ///
    /// ```swift
    /// let model = try chunk.model
    /// ```
    public var model: String {
        get throws {
            let get = try hostFunction(api.pointee.chunk_get_model, "chunk_get_model")
            return try readHostString("chunk_get_model") { get(handle, $0) } ?? ""
        }
    }
}

/// What a chunk hook decided.
///
/// ```swift
/// return try chunk.content()?.contains("secret") == true ? .drop : .continue
/// ```
public enum ChunkDecision: Sendable, Hashable {
    /// Send the chunk as it now stands.
    case `continue`
    /// Do not send this chunk.
    case drop
    /// End the stream with this error.
    case fail(Rejection)
}
