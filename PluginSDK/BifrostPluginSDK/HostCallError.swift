/// A host function returned an error status (or does not exist in this host).
///
/// The SDK's views throw this for every status other than `BIFROST_OK` (and
/// `BIFROST_ERR_NOT_FOUND`, which reads as `nil`). Let it propagate out of your hook: the
/// hook then faults with this description, and the host has usually recorded the misuse
/// as a fault already.
///
/// ```swift
/// do { try request.messages.remove(at: 99) } catch let error as HostCallError {
///     print(error)  // host function request_message_remove failed: BIFROST_ERR_OUT_OF_RANGE (4)
/// }
/// ```
public struct HostCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The status used when the host's table has no such function (it is older than the
    /// SDK, or the slot is NULL).
    ///
    /// ```swift
    /// if error.status == HostCallError.notProvided { /* fall back */ }
    /// ```
    public static let notProvided: bifrost_status = -1

    /// The host function, as named in `bifrost_host_api`, e.g. `request_get_model`.
    ///
    /// ```swift
    /// error.function  // "request_get_model"
    /// ```
    public var function: String

    /// The status it returned, e.g. `BIFROST_ERR_INVALID_HANDLE`.
    ///
    /// ```swift
    /// error.status == BIFROST_ERR_OUT_OF_RANGE
    /// ```
    public var status: bifrost_status

    /// More about what went wrong, when the SDK knows (a negative index, an unknown value kind).
    ///
    /// ```swift
    /// error.detail  // "index -1 is negative"
    /// ```
    public var detail: String?

    /// Creates an error.
    ///
    /// ```swift
    /// throw HostCallError(function: "request_get_model", status: BIFROST_ERR_INVALID_HANDLE)
    /// ```
    public init(function: String, status: bifrost_status, detail: String? = nil) {
        self.function = function
        self.status = status
        self.detail = detail
    }

    /// The status's name, e.g. `BIFROST_ERR_NOT_FOUND`.
    ///
    /// ```swift
    /// HostCallError(function: "f", status: 3).statusName  // "BIFROST_ERR_INVALID_HANDLE"
    /// ```
    public var statusName: String {
        switch status {
        case BIFROST_OK: "BIFROST_OK"
        case BIFROST_ERR_NOT_FOUND: "BIFROST_ERR_NOT_FOUND"
        case BIFROST_ERR_INVALID_ARGUMENT: "BIFROST_ERR_INVALID_ARGUMENT"
        case BIFROST_ERR_INVALID_HANDLE: "BIFROST_ERR_INVALID_HANDLE"
        case BIFROST_ERR_OUT_OF_RANGE: "BIFROST_ERR_OUT_OF_RANGE"
        case BIFROST_ERR_WRONG_STATE: "BIFROST_ERR_WRONG_STATE"
        case BIFROST_ERR_TOO_LARGE: "BIFROST_ERR_TOO_LARGE"
        case BIFROST_ERR_WRONG_TYPE: "BIFROST_ERR_WRONG_TYPE"
        case BIFROST_PENDING: "BIFROST_PENDING"
        case BIFROST_ERR_UNAVAILABLE: "BIFROST_ERR_UNAVAILABLE"
        case BIFROST_ERR_TIMEOUT: "BIFROST_ERR_TIMEOUT"
        case Self.notProvided: "not provided by this host"
        default: "unknown status"
        }
    }

    /// `host function NAME failed: STATUS_NAME (n)`, plus the detail if any.
    ///
    /// ```swift
    /// "\(error)"  // "host function request_get_model failed: BIFROST_ERR_INVALID_HANDLE (3)"
    /// ```
    public var description: String {
        var text = "host function \(function) failed: \(statusName) (\(status))"
        if let detail { text += ": \(detail)" }
        return text
    }
}
