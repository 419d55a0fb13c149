import BifrostCore
public import CBifrostPlugin
import Logging

/// The host's service table handed to every native plugin, and the helpers its functions share.
///
/// One table serves all plugins: per-plugin identity travels in the token, per-request state
/// in the handles.
///
/// ```swift
/// let api: UnsafePointer<bifrost_host_api> = NativeHost.api
/// ```
public enum NativeHost {
    /// The table, built once, valid for the life of the process.
    nonisolated(unsafe) public static let api: UnsafePointer<bifrost_host_api> = {
        let table = UnsafeMutablePointer<bifrost_host_api>.allocate(capacity: 1)
        table.initialize(to: makeTable())
        return UnsafePointer(table)
    }()

    /// Where warnings about misbehaving plugins outside any hook go.
    static let logger = Logger(label: "bifrost.native-host")

    private static func makeTable() -> bifrost_host_api {
        var api = bifrost_host_api()
        api.struct_size = UInt32(MemoryLayout<bifrost_host_api>.size)
        api.abi_major = UInt16(BIFROST_ABI_VERSION_MAJOR)
        api.abi_minor = UInt16(BIFROST_ABI_VERSION_MINOR)
        installGeneralServices(&api)
        installContextServices(&api)
        installRequestServices(&api)
        installOutcomeServices(&api)
        installResponseServices(&api)
        installErrorServices(&api)
        installChunkServices(&api)
        installMetricServices(&api)
        installSeriesServices(&api)
        installToolCallServices(&api)
        installStateHandoffServices(&api)
        installConfigServices(&api)
        installHostServices(&api)
        return api
    }

    private static func installGeneralServices(_ api: inout bifrost_host_api) {
        api.set_create_error = { token, message in
            guard let identity = PluginIdentity.resolve(token) else { return BIFROST_ERR_INVALID_HANDLE }
            identity.createError = NativeHost.decodeLossy(message)
            identity.refusedField = nil
            return BIFROST_OK
        }
        api.log = { token, level, message in
            guard let identity = PluginIdentity.resolve(token) else { return BIFROST_ERR_INVALID_HANDLE }
            identity.log(level: level, message: NativeHost.decodeLossy(message))
            return BIFROST_OK
        }
        api.monotonic_now_ns = { RequestContext.monotonicNanoseconds() }
        api.report_fault = { handle, message in
            guard let session = NativeSession.resolve(handle, .context, "report_fault") else { return BIFROST_ERR_INVALID_HANDLE }
            session.recordFault(NativeHost.decodeLossy(message))
            return BIFROST_OK
        }
    }

    // MARK: Shared helpers

    /// Logs a handle used after its hook returned; no hook is running to blame.
    /// A handle that is no handle of the calling thread's hook: garbage, or one a plugin's own
    /// thread kept from a hook (which would reach another request's data). Refused unread.
    /// Logged the first time and then at every power of two, so a plugin's loop cannot flood the log.
    static func foreignHandleUse(function: StaticString) {
        let count = foreignHandleUses.withLock { count -> Int in
            count += 1
            return count
        }
        guard count & (count - 1) == 0 else { return }
        logger.warning(
            "a native plugin called \(function) from a thread outside its hooks (\(count) such calls so far); refused unread")
    }

    private static let foreignHandleUses = LockedValue(0)

    static func lateHandleUse(function: StaticString) {
        logger.warning("a native plugin called \(function) with a handle whose hook had already returned; the call was refused")
    }

    /// Decodes a plugin's string, recording a fault for invalid UTF-8 or a NULL pointer.
    static func decode(_ value: bifrost_str, _ session: NativeSession, _ function: StaticString, _ what: String) -> String? {
        if value.len == 0 { return "" }
        guard let pointer = value.ptr else {
            session.recordFault("\(function): \(what) is NULL with length \(value.len)")
            return nil
        }
        // ASCII needs no validation, and checking for it is far cheaper than generic validation.
        if let bytes = asciiBytes(value) { return String(decoding: bytes, as: UTF8.self) }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: value.len).bindMemory(to: UInt8.self)
        guard let string = String(validating: bytes, as: UTF8.self) else {
            session.recordFault("\(function): \(what) is not valid UTF-8")
            return nil
        }
        return string
    }

    /// A plugin's non-empty string as its bytes when they are ASCII, valid as they are;
    /// `nil` for any other, which ``decode(_:_:_:_:)`` checks.
    static func asciiBytes(_ value: bifrost_str) -> UnsafeBufferPointer<UInt8>? {
        guard let pointer = value.ptr, value.len > 0 else { return nil }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: value.len).bindMemory(to: UInt8.self)
        return isASCII(bytes) ? bytes : nil
    }

    /// Whether every byte is below 0x80, read eight at a time.
    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var highBits: UInt64 = 0
        var position = 0
        while position &+ 8 <= bytes.count {
            highBits |= UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)
            position &+= 8
        }
        while position < bytes.count {
            highBits |= UInt64(bytes[position])
            position &+= 1
        }
        return highBits & 0x8080_8080_8080_8080 == 0
    }

    /// Decodes a string where there is no session to blame (logging, refusals).
    static func decodeLossy(_ value: bifrost_str) -> String {
        guard let pointer = value.ptr, value.len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: value.len), as: UTF8.self)
    }

    /// Checks an HTTP header name and value, refusing what could split a response.
    static func checkHeader(_ name: String, _ value: String, _ session: NativeSession, _ function: StaticString) -> Bool {
        guard HeaderFields.isValidName(name) else {
            session.recordFault("\(function): '\(name)' is not a valid header name")
            return false
        }
        guard HeaderFields.isValidValue(value) else {
            session.recordFault("\(function): the value of header '\(name)' contains CR, LF or NUL")
            return false
        }
        return true
    }

    /// Converts a plugin's value; `nil` for kind NULL. Records a fault when malformed.
    static func decodeValue(
        _ pointer: UnsafePointer<bifrost_value>?, _ session: NativeSession, _ function: StaticString
    ) -> (ok: Bool, value: JSONValue?) {
        guard let value = pointer?.pointee else {
            session.recordFault("\(function): value is NULL")
            return (false, nil)
        }
        switch value.kind {
        case BIFROST_VALUE_NULL: return (true, nil)
        case BIFROST_VALUE_BOOL: return (true, .bool(value.boolean != 0))
        case BIFROST_VALUE_NUMBER:
            guard value.number.isFinite else {
                session.recordFault("\(function): number is not finite")
                return (false, nil)
            }
            return (true, .number(JSONNumber(value.number)))
        case BIFROST_VALUE_STRING:
            guard let string = NativeHost.decode(value.string, session, function, "string value") else { return (false, nil) }
            return (true, .string(string))
        case BIFROST_VALUE_JSON:
            guard let text = NativeHost.decode(value.string, session, function, "JSON value") else { return (false, nil) }
            do {
                return (true, try JSONValue.parse(text))
            } catch {
                session.recordFault("\(function): JSON value is not valid JSON: \(error)")
                return (false, nil)
            }
        default:
            session.recordFault("\(function): unknown value kind \(value.kind)")
            return (false, nil)
        }
    }

    /// Writes a JSON value for a plugin, borrowing strings from the session's arena.
    static func encodeValue(_ value: JSONValue, _ session: NativeSession, into out: UnsafeMutablePointer<bifrost_value>) {
        var result = bifrost_value()
        switch value {
        case .null: result.kind = BIFROST_VALUE_NULL
        case .bool(let flag):
            result.kind = BIFROST_VALUE_BOOL
            result.boolean = flag ? 1 : 0
        case .number(let number) where number.doubleValue.isFinite:
            result.kind = BIFROST_VALUE_NUMBER
            result.number = number.doubleValue
        case .string(let text):
            result.kind = BIFROST_VALUE_STRING
            result.string = session.arena.borrow(text)
        case .array, .object, .number:
            // A number beyond a double's range goes as its JSON text, so nothing is rounded away.
            var writer = JSONWriter(capacity: 64)
            writer.value(value)
            result.kind = BIFROST_VALUE_JSON
            result.string = session.arena.borrow(writer.bytes)
        }
        out.pointee = result
    }

    /// Writes a borrowed string to a plugin's out-pointer, recording a fault if it is NULL.
    @inline(__always)
    static func give(
        _ string: String, _ out: UnsafeMutablePointer<bifrost_str>?, _ session: NativeSession, _ function: StaticString
    ) -> bifrost_status {
        guard let out else {
            session.recordFault("\(function): output pointer is NULL")
            return BIFROST_ERR_INVALID_ARGUMENT
        }
        out.pointee = session.arena.borrow(string)
        return BIFROST_OK
    }

    /// A host function that hands a string out: resolve the handle, read, borrow.
    static func getString(
        _ handle: OpaquePointer?, _ kind: NativeSession.HandleKind, _ out: UnsafeMutablePointer<bifrost_str>?,
        _ function: StaticString, _ read: (NativeSession) -> String?
    ) -> bifrost_status {
        guard let session = NativeSession.resolve(handle, kind, function) else { return BIFROST_ERR_INVALID_HANDLE }
        guard let value = read(session) else { return BIFROST_ERR_NOT_FOUND }
        return give(value, out, session, function)
    }

    /// A host function that takes a string in: resolve the handle, decode, write.
    static func setString(
        _ handle: OpaquePointer?, _ kind: NativeSession.HandleKind, _ value: bifrost_str, _ function: StaticString,
        _ what: String, _ write: (NativeSession, String) -> Void
    ) -> bifrost_status {
        guard let session = NativeSession.resolve(handle, kind, function) else { return BIFROST_ERR_INVALID_HANDLE }
        guard let string = decode(value, session, function, what) else { return BIFROST_ERR_INVALID_ARGUMENT }
        write(session, string)
        return BIFROST_OK
    }

    /// A host function that looks a string up by a string key (a header, metadata).
    static func getByKey(
        _ handle: OpaquePointer?, _ kind: NativeSession.HandleKind, _ key: bifrost_str, _ out: UnsafeMutablePointer<bifrost_str>?,
        _ function: StaticString, _ read: (NativeSession, String) -> String?
    ) -> bifrost_status {
        guard let session = NativeSession.resolve(handle, kind, function) else { return BIFROST_ERR_INVALID_HANDLE }
        guard let key = decode(key, session, function, "name") else { return BIFROST_ERR_INVALID_ARGUMENT }
        guard let value = read(session, key) else { return BIFROST_ERR_NOT_FOUND }
        return give(value, out, session, function)
    }

    /// A host function that sets a string by a string key; `isHeader` checks both as an HTTP header.
    static func setByKey(
        _ handle: OpaquePointer?, _ kind: NativeSession.HandleKind, _ key: bifrost_str, _ value: bifrost_str,
        _ function: StaticString, isHeader: Bool, _ write: (NativeSession, String, String) -> Void
    ) -> bifrost_status {
        guard let session = NativeSession.resolve(handle, kind, function) else { return BIFROST_ERR_INVALID_HANDLE }
        guard let key = decode(key, session, function, "name"), let value = decode(value, session, function, "value"),
            !isHeader || checkHeader(key, value, session, function)
        else { return BIFROST_ERR_INVALID_ARGUMENT }
        write(session, key, value)
        return BIFROST_OK
    }

    /// Whether `index` addresses one of `count` elements (or, `allowingEnd`, the end for an
    /// insertion); records a fault naming the function and how many `noun` there are when not.
    ///
    /// The index is a C `size_t` imported as `Int`: it is compared unsigned, so `(size_t)-1`
    /// (here `-1`) is out of range like any other large index, never a negative subscript.
    static func checkIndex(
        _ index: Int, in count: Int, allowingEnd: Bool = false, _ noun: String, _ session: NativeSession,
        _ function: StaticString
    ) -> Bool {
        let position = UInt(bitPattern: index)
        let limit = UInt(count)
        guard position < limit || (allowingEnd && position == limit) else {
            session.recordFault("\(function): index \(position) out of range (\(count) \(noun))")
            return false
        }
        return true
    }

    /// Refuses a NULL output pointer.
    @inline(__always)
    static func check<T>(_ out: UnsafeMutablePointer<T>?, _ session: NativeSession, _ function: StaticString)
        -> UnsafeMutablePointer<T>?
    {
        if out == nil { session.recordFault("\(function): output pointer is NULL") }
        return out
    }
}

extension bifrost_usage {
    /// The ABI's usage counts for core usage.
    init(_ usage: TokenUsage) {
        self.init(
            prompt_tokens: Int64(usage.promptTokens), completion_tokens: Int64(usage.completionTokens),
            total_tokens: Int64(usage.totalTokens))
    }
}
