import BifrostCore
import CBifrostPlugin

/// The host operations one hook call issues, matched against the ones its PreHook issued on
/// earlier calls for the same request (PluginSDK/DESIGN.md §7).
///
/// A call at a position the request's ``HostOperationLog`` already holds is the same call
/// repeated, and gets the result recorded there; a call past them starts a new operation.
struct HostOperationCursor {
    let log: HostOperationLog
    var position = 0
    /// Operations started by this call, in order.
    var started: [HostOperation] = []
    /// Whether one of them is a read, whose result the hook waits for.
    var startedRead = false

    enum Step {
        /// The same call as at this position before: its result.
        case repeated(HostOperationResult)
        /// A new operation, now started.
        case started
        /// Another call than at this position before.
        case mismatch(HostOperation)
    }

    mutating func issue(_ operation: HostOperation) -> Step {
        if position < log.operations.count {
            let earlier = log.operations[position]
            guard earlier.isRepeated(by: operation) else { return .mismatch(earlier) }
            position += 1
            return .repeated(log.results[position - 1])
        }
        started.append(operation)
        if operation.isRead { startedRead = true }
        return .started
    }
}

extension NativeHost {
    /// BIFROST_STATE_VALUE_MAX_BYTES, which Swift does not import (a cast in the macro).
    static let stateValueMaximumBytes = 4 << 20

    static func installHostServices(_ api: inout bifrost_host_api) {
        api.state_counter_add = { handle, key, amount, window, valueOut, resetsInOut in
            let function: StaticString = "state_counter_add"
            guard let session = NativeSession.resolve(handle, .context, function),
                let key = NativeHost.stateKey(key, session, function)
            else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard window > 0 else {
                session.recordFault("state_counter_add: window_ms is 0; a counter needs a window")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            let reads = valueOut != nil || resetsInOut != nil
            let operation = HostOperation.counterAdd(
                key: key, amount: amount, window: .milliseconds(Int64(clamping: window)), reads: reads)
            let status = NativeHost.issue(operation, session, function)
            guard status == BIFROST_OK, reads else { return status }
            guard case .counter(let value, let resetsIn)? = session.lastResult else { return BIFROST_ERR_WRONG_STATE }
            valueOut?.pointee = value
            resetsInOut?.pointee = UInt64(max(resetsIn.wholeMilliseconds, 0))
            return BIFROST_OK
        }
        api.state_value_get = { handle, key, valueOut in
            let function: StaticString = "state_value_get"
            guard let session = NativeSession.resolve(handle, .context, function),
                let key = NativeHost.stateKey(key, session, function)
            else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard let valueOut else {
                session.recordFault("state_value_get: value_out is NULL")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            let status = NativeHost.issue(.valueGet(key: key), session, function)
            guard status == BIFROST_OK else { return status }
            guard case .value(let stored)? = session.lastResult else { return BIFROST_ERR_WRONG_STATE }
            guard let stored else { return BIFROST_ERR_NOT_FOUND }
            let borrowed = stored.withUnsafeBytes { session.arena.borrow($0) }
            valueOut.pointee = bifrost_bytes(
                ptr: UnsafeRawPointer(borrowed.ptr)?.assumingMemoryBound(to: UInt8.self), len: borrowed.len)
            return BIFROST_OK
        }
        api.state_value_set = { handle, key, value, ttl in
            let function: StaticString = "state_value_set"
            guard let session = NativeSession.resolve(handle, .context, function),
                let key = NativeHost.stateKey(key, session, function)
            else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard value.len <= NativeHost.stateValueMaximumBytes else { return BIFROST_ERR_TOO_LARGE }
            guard value.len == 0 || value.ptr != nil else {
                session.recordFault("state_value_set: value is NULL with length \(value.len)")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            let bytes = value.len == 0 ? [] : Array(UnsafeBufferPointer(start: value.ptr, count: value.len))
            let timeToLive: Duration? = ttl == 0 ? nil : .milliseconds(Int64(clamping: ttl))
            return NativeHost.issue(.valueSet(key: key, value: bytes, timeToLive: timeToLive), session, function)
        }
        api.state_value_remove = { handle, key in
            let function: StaticString = "state_value_remove"
            guard let session = NativeSession.resolve(handle, .context, function),
                let key = NativeHost.stateKey(key, session, function)
            else { return BIFROST_ERR_INVALID_ARGUMENT }
            return NativeHost.issue(.valueRemove(key: key), session, function)
        }
        api.callout = { handle, request, responseOut in
            let function: StaticString = "callout"
            guard let session = NativeSession.resolve(handle, .context, function) else { return BIFROST_ERR_INVALID_HANDLE }
            guard session.allows(NativeHost.callouts) else {
                session.recordFault("callout: the plugin does not declare BIFROST_CAPABILITY_CALLOUTS")
                return BIFROST_ERR_WRONG_STATE
            }
            guard let request, let responseOut else {
                session.recordFault("callout: request or response_out is NULL")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            guard let callout = NativeHost.calloutRequest(request, session) else { return BIFROST_ERR_INVALID_ARGUMENT }
            let status = NativeHost.issue(.callout(callout), session, function)
            guard status == BIFROST_OK else { return status }
            switch session.lastResult {
            case .callout(let answer)?:
                NativeHost.write(answer, to: responseOut, session)
                return BIFROST_OK
            case .calloutFailed(let failure)?:
                switch failure.code {
                case .timeout: return BIFROST_ERR_TIMEOUT
                case .tooLarge: return BIFROST_ERR_TOO_LARGE
                case .invalidRequest:
                    session.recordFault("callout: \(failure.message)")
                    return BIFROST_ERR_INVALID_ARGUMENT
                default: return BIFROST_ERR_UNAVAILABLE
                }
            default: return BIFROST_ERR_WRONG_STATE
            }
        }
    }

    /// Issues `operation` for the running hook: OK with the result in `session.lastResult` for a
    /// repeated call, PENDING for a new read, OK for a new write; WRONG_STATE for a read outside
    /// a PreHook or a call that differs from the one at its position.
    private static func issue(_ operation: HostOperation, _ session: NativeSession, _ function: StaticString)
        -> bifrost_status
    {
        if operation.isRead && session.phase != .preHook {
            session.recordFault("\(function): a read (with a result to wait for) is only allowed in a PreHook")
            return BIFROST_ERR_WRONG_STATE
        }
        if session.operations == nil {
            let log =
                session.phase == .preHook
                ? session.currentContext.hostOperationLog(plugin: session.plugin!.descriptor.name) : HostOperationLog()
            session.operations = HostOperationCursor(log: log)
        }
        switch session.operations!.issue(operation) {
        case .repeated(let result):
            session.lastResult = result
            return BIFROST_OK
        case .started:
            session.lastResult = nil
            return operation.isRead ? BIFROST_PENDING : BIFROST_OK
        case .mismatch(let earlier):
            session.recordFault(
                "\(function): called where the PreHook's earlier call for this request made \(earlier.name) on another key; repeat host operations in the same order when called again"
            )
            return BIFROST_ERR_WRONG_STATE
        }
    }

    private static func stateKey(_ key: bifrost_str, _ session: NativeSession, _ function: StaticString) -> [UInt8]? {
        guard let text = decode(key, session, function, "key") else { return nil }
        guard !text.isEmpty, text.utf8.count <= Int(BIFROST_STATE_KEY_MAX_BYTES) else {
            session.recordFault("\(function): a key is 1 to \(BIFROST_STATE_KEY_MAX_BYTES) bytes, not \(text.utf8.count)")
            return nil
        }
        return Array(text.utf8)
    }

    private static func calloutRequest(_ raw: UnsafePointer<bifrost_callout_request>, _ session: NativeSession)
        -> CalloutRequest?
    {
        let size = Int(raw.pointee.struct_size)
        guard size >= MemoryLayout<bifrost_callout_request>.offset(of: \.max_response_bytes)! + 4 else {
            session.recordFault("callout: request->struct_size \(size) does not cover the 1.7 fields")
            return nil
        }
        let request = raw.pointee
        guard let method = decode(request.method, session, "callout", "method"), !method.isEmpty,
            let url = decode(request.url, session, "callout", "url")
        else {
            if session.fault == nil { session.recordFault("callout: method is empty") }
            return nil
        }
        guard request.timeout_ms <= BIFROST_CALLOUT_MAX_TIMEOUT_MS,
            request.max_response_bytes <= CalloutRequest.maximumResponseBytes
        else {
            session.recordFault(
                "callout: timeout_ms is at most \(BIFROST_CALLOUT_MAX_TIMEOUT_MS) and max_response_bytes at most \(CalloutRequest.maximumResponseBytes)"
            )
            return nil
        }
        var headers = HeaderFields()
        if request.header_count > 0 {
            guard let names = request.header_names, let values = request.header_values, request.header_count <= 256 else {
                session.recordFault("callout: header_names or header_values is NULL, or more than 256 headers")
                return nil
            }
            for index in 0..<request.header_count {
                guard let name = decode(names[index], session, "callout", "header name"),
                    let value = decode(values[index], session, "callout", "header value")
                else { return nil }
                headers.add(name: name, value: value)
            }
        }
        guard request.body.len == 0 || request.body.ptr != nil else {
            session.recordFault("callout: body is NULL with length \(request.body.len)")
            return nil
        }
        let body = request.body.len == 0 ? [] : Array(UnsafeBufferPointer(start: request.body.ptr, count: request.body.len))
        return CalloutRequest(
            method: method, url: url, headers: headers, body: body,
            timeout: request.timeout_ms == 0 ? CalloutRequest.defaultTimeout : .milliseconds(Int64(request.timeout_ms)),
            maximumResponseBytes: request.max_response_bytes == 0
                ? CalloutRequest.defaultMaximumResponseBytes : Int(request.max_response_bytes))
    }

    private static func write(
        _ answer: CalloutResponse, to out: UnsafeMutablePointer<bifrost_callout_response>, _ session: NativeSession
    ) {
        let size = Int(out.pointee.struct_size)
        var names: [bifrost_str] = []
        var values: [bifrost_str] = []
        for header in answer.headers {
            names.append(Array(header.name.utf8).withUnsafeBytes { session.arena.borrow($0) })
            values.append(Array(header.value.utf8).withUnsafeBytes { session.arena.borrow($0) })
        }
        let body = answer.body.withUnsafeBytes { session.arena.borrow($0) }
        var written = bifrost_callout_response()
        written.struct_size = out.pointee.struct_size
        written.status = Int32(answer.status)
        written.header_names = session.arena.borrow(names)
        written.header_values = session.arena.borrow(values)
        written.header_count = answer.headers.count
        written.body = bifrost_bytes(ptr: UnsafeRawPointer(body.ptr)?.assumingMemoryBound(to: UInt8.self), len: body.len)
        // Only the fields the plugin's struct covers.
        withUnsafeBytes(of: &written) { source in
            UnsafeMutableRawPointer(out).copyMemory(
                from: source.baseAddress!, byteCount: min(size, MemoryLayout<bifrost_callout_response>.size))
        }
    }
}
