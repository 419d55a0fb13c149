/// The messages of a ``HookRequest``: count, indexed access and editing through the host.
///
/// ```swift
/// let messages = request.messages
/// for index in 0..<(try messages.count) where try messages[index].role == "system" {
///     try messages.set(index, role: "system", content: "Answer in French.")
/// }
/// try messages.append(role: "user", content: "Thanks!")
/// ```
public struct HookMessages {
    let handle: OpaquePointer?
    let api: UnsafePointer<bifrost_host_api>

    init(handle: OpaquePointer?, api: UnsafePointer<bifrost_host_api>) {
        self.handle = handle
        self.api = api
    }

    /// The number of messages.
    ///
    /// ```swift
    /// let count = try request.messages.count
    /// ```
    public var count: Int {
        get throws {
            let get = try hostFunction(api.pointee.request_message_count, "request_message_count")
            var count = 0
            try check(get(handle, &count), "request_message_count")
            return count
        }
    }

    /// The message at `index`.
    ///
    /// ```swift
    /// let (role, content) = try request.messages[0]
    /// ```
    public subscript(index: Int) -> (role: String, content: String) {
        get throws { try get(index) }
    }

    /// The message at `index`.
    ///
    /// ```swift
    /// let first = try request.messages.get(0)
    /// ```
    public func get(_ index: Int) throws -> (role: String, content: String) {
        let get = try hostFunction(api.pointee.request_message_get, "request_message_get")
        let index = try hostIndex(index, "request_message_get")
        var role = bifrost_str(ptr: nil, len: 0)
        var content = bifrost_str(ptr: nil, len: 0)
        try check(get(handle, index, &role, &content), "request_message_get")
        return (String(borrowing: role), String(borrowing: content))
    }

    /// The role of the message at `index` alone: readable without
    /// ``SensitiveData/messageContent``, which ``get(_:)`` needs for the content.
    ///
    /// ```swift
    /// let isSystem = try request.messages.role(at: 0) == "system"
    /// ```
    public func role(at index: Int) throws -> String {
        let get = try hostFunction(api.pointee.request_message_get, "request_message_get")
        let index = try hostIndex(index, "request_message_get")
        var role = bifrost_str(ptr: nil, len: 0)
        try check(get(handle, index, &role, nil), "request_message_get")
        return String(borrowing: role)
    }

    /// Replaces the message at `index`.
    ///
    /// ```swift
    /// try request.messages.set(0, role: "system", content: "Be brief.")
    /// ```
    public func set(_ index: Int, role: String, content: String) throws {
        let set = try hostFunction(api.pointee.request_message_set, "request_message_set")
        let index = try hostIndex(index, "request_message_set")
        try withHostStrings(role, content) { try check(set(handle, index, $0, $1), "request_message_set") }
    }

    /// Inserts a message before `index`; `index == count` appends.
    ///
    /// ```swift
    /// try request.messages.insert(role: "system", content: "Be brief.", at: 0)
    /// ```
    public func insert(role: String, content: String, at index: Int) throws {
        let insert = try hostFunction(api.pointee.request_message_insert, "request_message_insert")
        let index = try hostIndex(index, "request_message_insert")
        try withHostStrings(role, content) { try check(insert(handle, index, $0, $1), "request_message_insert") }
    }

    /// Appends a message.
    ///
    /// ```swift
    /// try request.messages.append(role: "user", content: "Go on.")
    /// ```
    public func append(role: String, content: String) throws {
        try insert(role: role, content: content, at: try count)
    }

    /// Removes the message at `index`.
    ///
    /// ```swift
    /// try request.messages.remove(at: 0)
    /// ```
    public func remove(at index: Int) throws {
        let remove = try hostFunction(api.pointee.request_message_remove, "request_message_remove")
        let index = try hostIndex(index, "request_message_remove")
        try check(remove(handle, index), "request_message_remove")
    }
}
