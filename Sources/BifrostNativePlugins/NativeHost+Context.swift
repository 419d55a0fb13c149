import BifrostCore
import CBifrostPlugin

extension NativeHost {
    static func installContextServices(_ api: inout bifrost_host_api) {
        api.context_get = { handle, key, out in
            guard let session = NativeSession.resolve(handle, .context, "context_get") else { return BIFROST_ERR_INVALID_HANDLE }
            // Most keys are ASCII, and are looked for as the plugin's bytes, with no String made.
            let asciiKey = NativeHost.asciiBytes(key)
            var decodedKey = ""
            if asciiKey == nil {
                guard let key = NativeHost.decode(key, session, "context_get", "key") else { return BIFROST_ERR_INVALID_ARGUMENT }
                decodedKey = key
            }
            guard let out = NativeHost.check(out, session, "context_get") else { return BIFROST_ERR_INVALID_ARGUMENT }
            let found = asciiKey.map { session.currentContext[utf8: $0] } ?? session.currentContext[decodedKey]
            guard let value = found else { return BIFROST_ERR_NOT_FOUND }
            var result = bifrost_value()
            switch value {
            case .bool(let flag):
                result.kind = BIFROST_VALUE_BOOL
                result.boolean = flag ? 1 : 0
            case .number(let number):
                result.kind = BIFROST_VALUE_NUMBER
                result.number = number
            case .string(let text):
                result.kind = BIFROST_VALUE_STRING
                result.string = session.arena.borrow(text)
            case .json(let text):
                result.kind = BIFROST_VALUE_JSON
                result.string = session.arena.borrow(text)
            }
            out.pointee = result
            return BIFROST_OK
        }
        api.context_set_response_header = { handle, name, value in
            NativeHost.setByKey(handle, .context, name, value, "context_set_response_header", isHeader: true) {
                $0.currentContext.setResponseHeader($1, $2)
            }
        }
        api.context_set = { handle, key, value in
            guard let session = NativeSession.resolve(handle, .context, "context_set") else { return BIFROST_ERR_INVALID_HANDLE }
            guard let key = NativeHost.decode(key, session, "context_set", "key") else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard !key.hasPrefix(RequestContext.HostKey.reservedPrefix) else {
                session.recordFault("context_set: '\(key)' is the host's (keys starting with 'bifrost.' are read-only)")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            guard let value else {
                session.recordFault("context_set: value is NULL")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            switch value.pointee.kind {
            case BIFROST_VALUE_NULL: session.currentContext[key] = nil
            case BIFROST_VALUE_BOOL: session.currentContext[key] = .bool(value.pointee.boolean != 0)
            case BIFROST_VALUE_NUMBER: session.currentContext[key] = .number(value.pointee.number)
            case BIFROST_VALUE_STRING, BIFROST_VALUE_JSON:
                guard let text = NativeHost.decode(value.pointee.string, session, "context_set", "string value") else {
                    return BIFROST_ERR_INVALID_ARGUMENT
                }
                session.currentContext[key] = value.pointee.kind == BIFROST_VALUE_STRING ? .string(text) : .json(text)
            default:
                session.recordFault("context_set: unknown value kind \(value.pointee.kind)")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            return BIFROST_OK
        }
        api.context_request_id = { handle, out in
            NativeHost.getString(handle, .context, out, "context_request_id") { $0.currentContext.requestID }
        }
        api.context_arrival_time_ns = { handle, out in
            guard let session = NativeSession.resolve(handle, .context, "context_arrival_time_ns") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "context_arrival_time_ns") else { return BIFROST_ERR_INVALID_ARGUMENT }
            out.pointee = session.currentContext.arrivalTimeNanoseconds
            return BIFROST_OK
        }
        api.context_client_id = { handle, out in
            NativeHost.getString(handle, .context, out, "context_client_id") { $0.currentContext.clientID }
        }
        api.context_route = { handle, out in
            NativeHost.getString(handle, .context, out, "context_route") { $0.currentContext.route }
        }
    }
}
