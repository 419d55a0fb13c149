/// Why a state operation failed. Grows by adding codes; compare ``code``, never the message.
///
/// ```swift
/// do { _ = try await store.increment("limit", by: 1, window: .seconds(60)) }
/// catch where error.code == .unavailable { /* the plugin's state policy decides */ }
/// ```
public struct StateStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// The backend cannot be reached (refused, closed, backing off after a failure).
        public static let unavailable = Code(name: "unavailable")
        /// The backend did not answer within the operation's deadline.
        public static let timeout = Code(name: "timeout")
        /// The backend refused the operation (a Redis error reply).
        public static let refused = Code(name: "refused")
        /// The backend answered something the client cannot read.
        public static let protocolError = Code(name: "protocol_error")
        /// A value larger than the store accepts.
        public static let tooLarge = Code(name: "too_large")
        /// The name, e.g. `unavailable`.
        public var description: String { name }
    }

    /// What kind of failure.
    public var code: Code
    /// What happened, for a log line: never a key's value or a password.
    public var message: String

    /// An error of `code` saying `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
