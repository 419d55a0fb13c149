/// Why a ``BifrostHTTPServer`` could not start.
///
/// ```swift
/// do {
///     _ = try await server.start()
/// } catch let error as HTTPServerError {
///     print(error)  // cannot listen on 127.0.0.1:8080: Address already in use (errno 98)
/// }
/// ```
public struct HTTPServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure it was.
    ///
    /// ```swift
    /// if error.kind == .bindFailed { print("pick another port") }
    /// ```
    public enum Kind: Sendable, Hashable {
        /// The address could not be bound (port in use, no such interface, no permission).
        case bindFailed
        /// `start()` was called on a server that is running or was shut down.
        case invalidState
    }

    /// What kind of failure it was.
    ///
    /// ```swift
    /// print(error.kind)  // bindFailed
    /// ```
    public var kind: Kind
    /// The host the server tried to bind.
    ///
    /// ```swift
    /// print(error.host)  // 127.0.0.1
    /// ```
    public var host: String
    /// The port the server tried to bind.
    ///
    /// ```swift
    /// print(error.port)  // 8080
    /// ```
    public var port: Int
    /// Why, in words, e.g. `Address already in use (errno 98)`.
    ///
    /// ```swift
    /// print(error.reason)
    /// ```
    public var reason: String

    /// Creates an error.
    ///
    /// ```swift
    /// let error = HTTPServerError(kind: .bindFailed, host: "127.0.0.1", port: 80, reason: "Permission denied")
    /// ```
    public init(kind: Kind, host: String, port: Int, reason: String) {
        self.kind = kind
        self.host = host
        self.port = port
        self.reason = reason
    }

    /// `cannot listen on HOST:PORT: REASON`, or for state errors the reason with the address.
    ///
    /// ```swift
    /// print(error.description)
    /// ```
    public var description: String {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        switch kind {
        case .bindFailed: return "cannot listen on \(address): \(reason)"
        case .invalidState: return "HTTP server for \(address): \(reason)"
        }
    }
}
