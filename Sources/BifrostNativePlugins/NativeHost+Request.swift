import BifrostCore
import BifrostWire
import CBifrostPlugin

extension NativeHost {
    static func installRequestServices(_ api: inout bifrost_host_api) {
        api.request_get_provider = { handle, out in
            NativeHost.getString(handle, .request, out, "request_get_provider") { $0.request.provider }
        }
        api.request_set_provider = { handle, value in
            NativeHost.setString(handle, .request, value, "request_set_provider", "provider") { $0.request.provider = $1 }
        }
        api.request_get_model = { handle, out in
            NativeHost.getString(handle, .request, out, "request_get_model") { $0.request.model }
        }
        api.request_set_model = { handle, value in
            NativeHost.setString(handle, .request, value, "request_set_model", "model") { $0.request.model = $1 }
        }
        api.request_message_count = { handle, out in
            guard let session = NativeSession.resolve(handle, .request, "request_message_count") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "request_message_count") else { return BIFROST_ERR_INVALID_ARGUMENT }
            out.pointee = session.request.messages.count
            return BIFROST_OK
        }
        api.request_message_get = { handle, index, role, content in
            guard let session = NativeSession.resolve(handle, .request, "request_message_get") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard NativeHost.checkIndex(index, in: session.request.messages.count, "messages", session, "request_message_get")
            else { return BIFROST_ERR_OUT_OF_RANGE }
            // Undeclared content: asking for it is NOT_FOUND with nothing written; the role alone
            // (content_out NULL) stays readable.
            if content != nil, !session.allows(NativeHost.messageContent) { return BIFROST_ERR_NOT_FOUND }
            let message = session.request.messages[index]
            if let role { role.pointee = session.arena.borrow(message.role) }
            if let content { content.pointee = session.arena.borrow(message.content) }
            return BIFROST_OK
        }
        api.request_message_set = { handle, index, role, content in
            guard let session = NativeSession.resolve(handle, .request, "request_message_set") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard NativeHost.checkIndex(index, in: session.request.messages.count, "messages", session, "request_message_set")
            else { return BIFROST_ERR_OUT_OF_RANGE }
            guard let role = NativeHost.decode(role, session, "request_message_set", "role"),
                let content = NativeHost.decode(content, session, "request_message_set", "content")
            else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard NativeHost.checkRole(role, session, "request_message_set") else { return BIFROST_ERR_INVALID_ARGUMENT }
            session.request.messages[index].role = role
            session.request.messages[index].content = content
            session.request.messages[index].extra["content"] = nil
            return BIFROST_OK
        }
        api.request_message_insert = { handle, index, role, content in
            guard let session = NativeSession.resolve(handle, .request, "request_message_insert") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard
                NativeHost.checkIndex(
                    index, in: session.request.messages.count, allowingEnd: true, "messages", session, "request_message_insert")
            else { return BIFROST_ERR_OUT_OF_RANGE }
            guard let role = NativeHost.decode(role, session, "request_message_insert", "role"),
                let content = NativeHost.decode(content, session, "request_message_insert", "content")
            else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard NativeHost.checkRole(role, session, "request_message_insert") else { return BIFROST_ERR_INVALID_ARGUMENT }
            session.request.messages.insert(ChatMessage(role: role, content: content), at: index)
            return BIFROST_OK
        }
        api.request_message_remove = { handle, index in
            guard let session = NativeSession.resolve(handle, .request, "request_message_remove") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard NativeHost.checkIndex(index, in: session.request.messages.count, "messages", session, "request_message_remove")
            else { return BIFROST_ERR_OUT_OF_RANGE }
            session.request.messages.remove(at: index)
            return BIFROST_OK
        }
        api.request_get_param = { handle, name, out in
            guard let session = NativeSession.resolve(handle, .request, "request_get_param") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let name = NativeHost.decode(name, session, "request_get_param", "name") else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            guard let out = NativeHost.check(out, session, "request_get_param") else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard let value = session.request.parameters[name] else { return BIFROST_ERR_NOT_FOUND }
            NativeHost.encodeValue(value, session, into: out)
            return BIFROST_OK
        }
        api.request_param_count = { handle, out in
            guard let session = NativeSession.resolve(handle, .request, "request_param_count") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "request_param_count") else { return BIFROST_ERR_INVALID_ARGUMENT }
            out.pointee = session.request.parameters.count
            return BIFROST_OK
        }
        api.request_param_name = { handle, index, out in
            guard let session = NativeSession.resolve(handle, .request, "request_param_name") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            let parameters = session.request.parameters
            guard NativeHost.checkIndex(index, in: parameters.count, "parameters", session, "request_param_name") else {
                return BIFROST_ERR_OUT_OF_RANGE
            }
            let name = parameters.keys[parameters.keys.index(parameters.keys.startIndex, offsetBy: index)]
            return NativeHost.give(name, out, session, "request_param_name")
        }
        api.request_set_param = { handle, name, value in
            guard let session = NativeSession.resolve(handle, .request, "request_set_param") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let name = NativeHost.decode(name, session, "request_set_param", "name") else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            guard name != "model", name != "messages" else {
                session.recordFault("request_set_param: '\(name)' is not a parameter; use its own accessor")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            let (ok, decoded) = NativeHost.decodeValue(value, session, "request_set_param")
            guard ok else { return BIFROST_ERR_INVALID_ARGUMENT }
            session.request.parameters[name] = decoded
            return BIFROST_OK
        }
        api.request_get_header = { handle, name, out in
            NativeHost.getByKey(handle, .request, name, out, "request_get_header") { session, name in
                guard session.allows(NativeHost.credentials) || !PluginCapabilities.isCredentialHeader(name) else { return nil }
                return session.request.headers[name]
            }
        }
        api.request_set_header = { handle, name, value in
            NativeHost.setByKey(handle, .request, name, value, "request_set_header", isHeader: true) {
                $0.request.headers[$1] = $2
            }
        }
        api.request_remove_header = { handle, name in
            guard let session = NativeSession.resolve(handle, .request, "request_remove_header") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let name = NativeHost.decode(name, session, "request_remove_header", "name") else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            guard session.request.headers[name] != nil else { return BIFROST_ERR_NOT_FOUND }
            session.request.headers[name] = nil
            return BIFROST_OK
        }
        api.request_get_metadata = { handle, key, out in
            NativeHost.getByKey(handle, .request, key, out, "request_get_metadata") { $0.request.metadata[$1] }
        }
        api.request_set_metadata = { handle, key, value in
            NativeHost.setByKey(handle, .request, key, value, "request_set_metadata", isHeader: false) {
                $0.request.metadata[$1] = $2
            }
        }
        api.request_to_json = { handle, out in
            guard let session = NativeSession.resolve(handle, .request, "request_to_json") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "request_to_json") else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard session.allows(NativeHost.messageContent) else { return BIFROST_ERR_NOT_FOUND }
            out.pointee = session.arena.borrow(session.request.openAIJSON())
            return BIFROST_OK
        }
        api.request_to_canonical_json = { handle, omitted, count, out in
            guard let session = NativeSession.resolve(handle, .request, "request_to_canonical_json") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "request_to_canonical_json") else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            guard count == 0 || omitted != nil else {
                session.recordFault("request_to_canonical_json: omit_params is NULL with a count of \(count)")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            var names: Set<String> = []
            for index in 0..<count {
                guard let name = NativeHost.decode(omitted![index], session, "request_to_canonical_json", "parameter name") else {
                    return BIFROST_ERR_INVALID_ARGUMENT
                }
                names.insert(name)
            }
            guard session.allows(NativeHost.messageContent) else { return BIFROST_ERR_NOT_FOUND }
            out.pointee = session.arena.borrow(session.request.openAIJSON(omitting: names))
            return BIFROST_OK
        }
        api.request_replace_from_json = { handle, json in
            guard let session = NativeSession.resolve(handle, .request, "request_replace_from_json") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let text = NativeHost.decode(json, session, "request_replace_from_json", "json") else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            do throws(BifrostError) {
                let replacement = try ChatRequest(openAIJSON: text.utf8, headers: session.request.headers)
                let metadata = session.request.metadata
                session.request = replacement
                session.request.metadata = metadata
                return BIFROST_OK
            } catch {
                session.recordFault("request_replace_from_json: \(error.message)")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
        }
    }

    static func checkRole(_ role: String, _ session: NativeSession, _ function: StaticString) -> Bool {
        guard ChatMessage.knownRoles.contains(role) else {
            session.recordFault("\(function): unknown role '\(role)'")
            return false
        }
        return true
    }
}
