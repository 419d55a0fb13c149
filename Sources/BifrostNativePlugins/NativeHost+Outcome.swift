import BifrostCore
import BifrostWire
import CBifrostPlugin

extension NativeHost {
    static func installOutcomeServices(_ api: inout bifrost_host_api) {
        api.outcome_get_response = { handle, out in
            guard let session = NativeSession.resolve(handle, .outcome, "outcome_get_response") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "outcome_get_response") else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard session.outcomeKind == .response else { return BIFROST_ERR_WRONG_STATE }
            out.pointee = session.handle(.response)
            return BIFROST_OK
        }
        api.outcome_get_error = { handle, out in
            guard let session = NativeSession.resolve(handle, .outcome, "outcome_get_error") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "outcome_get_error") else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard session.outcomeKind == .error else { return BIFROST_ERR_WRONG_STATE }
            out.pointee = session.handle(.error)
            return BIFROST_OK
        }
        api.outcome_set_response = { handle, out in
            guard let session = NativeSession.resolve(handle, .outcome, "outcome_set_response") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            let provider: String
            let model: String
            switch session.phase {
            case .preHook:
                provider = session.request.provider
                model = session.request.model
            default:
                provider = session.outcomeKind == .response ? session.response.provider : ""
                model = session.outcomeKind == .response ? session.response.model : ""
            }
            session.response = ChatResponse(
                id: "chatcmpl-" + session.currentContext.requestID,
                created: Int(session.currentContext.arrivalTimeNanoseconds / 1_000_000_000),
                provider: provider, model: model)
            session.outcomeKind = .response
            out?.pointee = session.handle(.response)
            return BIFROST_OK
        }
        api.outcome_set_wait = { handle, delay in
            guard let session = NativeSession.resolve(handle, .outcome, "outcome_set_wait") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard session.phase == .preHook else {
                session.recordFault("outcome_set_wait: only a PreHook can ask a request to wait")
                return BIFROST_ERR_WRONG_STATE
            }
            session.waitNanoseconds = delay
            return BIFROST_OK
        }
        api.outcome_set_error = { handle, status, type, message, out in
            guard let session = NativeSession.resolve(handle, .outcome, "outcome_set_error") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard (400...599).contains(status) else {
                session.recordFault("outcome_set_error: HTTP status \(status) is not an error status (400-599)")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            guard let type = NativeHost.decode(type, session, "outcome_set_error", "type"),
                let message = NativeHost.decode(message, session, "outcome_set_error", "message")
            else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard !type.isEmpty else {
                session.recordFault("outcome_set_error: type is empty")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            session.error = BifrostError(status: Int(status), type: type, message: message)
            session.outcomeKind = .error
            out?.pointee = session.handle(.error)
            return BIFROST_OK
        }
    }

    static func checkChoice(_ index: Int, _ session: NativeSession, _ function: StaticString) -> Bool {
        checkIndex(index, in: session.response.choices.count, "choices", session, function)
    }

    static func installResponseServices(_ api: inout bifrost_host_api) {
        api.response_choice_count = { handle, out in
            guard let session = NativeSession.resolve(handle, .response, "response_choice_count") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "response_choice_count") else { return BIFROST_ERR_INVALID_ARGUMENT }
            out.pointee = session.response.choices.count
            return BIFROST_OK
        }
        api.response_get_content = { handle, index, out in
            guard let session = NativeSession.resolve(handle, .response, "response_get_content") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard NativeHost.checkChoice(index, session, "response_get_content") else { return BIFROST_ERR_OUT_OF_RANGE }
            guard session.allows(NativeHost.messageContent) else { return BIFROST_ERR_NOT_FOUND }
            return NativeHost.give(session.response.choices[index].content, out, session, "response_get_content")
        }
        api.response_set_content = { handle, index, value in
            guard let session = NativeSession.resolve(handle, .response, "response_set_content") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard NativeHost.checkChoice(index, session, "response_set_content") else { return BIFROST_ERR_OUT_OF_RANGE }
            guard let content = NativeHost.decode(value, session, "response_set_content", "content") else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            session.response.choices[index].content = content
            return BIFROST_OK
        }
        api.response_get_finish_reason = { handle, index, out in
            guard let session = NativeSession.resolve(handle, .response, "response_get_finish_reason") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard NativeHost.checkChoice(index, session, "response_get_finish_reason") else { return BIFROST_ERR_OUT_OF_RANGE }
            guard let reason = session.response.choices[index].finishReason else { return BIFROST_ERR_NOT_FOUND }
            return NativeHost.give(reason, out, session, "response_get_finish_reason")
        }
        api.response_set_finish_reason = { handle, index, value in
            guard let session = NativeSession.resolve(handle, .response, "response_set_finish_reason") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard NativeHost.checkChoice(index, session, "response_set_finish_reason") else { return BIFROST_ERR_OUT_OF_RANGE }
            guard let reason = NativeHost.decode(value, session, "response_set_finish_reason", "reason") else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            session.response.choices[index].finishReason = reason.isEmpty ? nil : reason
            return BIFROST_OK
        }
        api.response_append_choice = { handle, content, reason in
            guard let session = NativeSession.resolve(handle, .response, "response_append_choice") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let content = NativeHost.decode(content, session, "response_append_choice", "content"),
                let reason = NativeHost.decode(reason, session, "response_append_choice", "finish_reason")
            else { return BIFROST_ERR_INVALID_ARGUMENT }
            session.response.choices.append(ChatChoice(content: content, finishReason: reason.isEmpty ? nil : reason))
            return BIFROST_OK
        }
        api.response_get_usage = { handle, out in
            guard let session = NativeSession.resolve(handle, .response, "response_get_usage") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "response_get_usage") else { return BIFROST_ERR_INVALID_ARGUMENT }
            let usage = session.response.usage
            out.pointee = bifrost_usage(usage)
            return BIFROST_OK
        }
        api.response_set_usage = { handle, usage in
            guard let session = NativeSession.resolve(handle, .response, "response_set_usage") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let usage = usage?.pointee,
                usage.prompt_tokens >= 0, usage.completion_tokens >= 0, usage.total_tokens >= 0
            else {
                session.recordFault("response_set_usage: usage is NULL or negative")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            session.response.usage = TokenUsage(
                promptTokens: Int(usage.prompt_tokens), completionTokens: Int(usage.completion_tokens),
                totalTokens: Int(usage.total_tokens))
            return BIFROST_OK
        }
        api.response_get_provider = { handle, out in
            NativeHost.getString(handle, .response, out, "response_get_provider") { $0.response.provider }
        }
        api.response_get_model = { handle, out in
            NativeHost.getString(handle, .response, out, "response_get_model") { $0.response.model }
        }
        api.response_set_model = { handle, value in
            NativeHost.setString(handle, .response, value, "response_set_model", "model") { $0.response.model = $1 }
        }
        api.response_get_header = { handle, name, out in
            NativeHost.getByKey(handle, .response, name, out, "response_get_header") { $0.response.headers[$1] }
        }
        api.response_set_header = { handle, name, value in
            NativeHost.setByKey(handle, .response, name, value, "response_set_header", isHeader: true) {
                $0.response.headers[$1] = $2
            }
        }
        api.response_to_json = { handle, out in
            guard let session = NativeSession.resolve(handle, .response, "response_to_json") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "response_to_json") else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard session.allows(NativeHost.messageContent) else { return BIFROST_ERR_NOT_FOUND }
            out.pointee = session.arena.borrow(session.response.openAIJSON())
            return BIFROST_OK
        }
        api.response_replace_from_json = { handle, json in
            guard let session = NativeSession.resolve(handle, .response, "response_replace_from_json") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let text = NativeHost.decode(json, session, "response_replace_from_json", "json") else {
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            do throws(BifrostError) {
                var replacement = try ChatResponse(openAIJSON: text.utf8, provider: session.response.provider)
                replacement.headers = session.response.headers
                session.response = replacement
                return BIFROST_OK
            } catch {
                session.recordFault("response_replace_from_json: \(error.message)")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
        }
    }

    static func installErrorServices(_ api: inout bifrost_host_api) {
        api.error_get_status = { handle, out in
            guard let session = NativeSession.resolve(handle, .error, "error_get_status") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard let out = NativeHost.check(out, session, "error_get_status") else { return BIFROST_ERR_INVALID_ARGUMENT }
            out.pointee = Int32(session.error.status)
            return BIFROST_OK
        }
        api.error_set_status = { handle, status in
            guard let session = NativeSession.resolve(handle, .error, "error_set_status") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            guard (400...599).contains(status) else {
                session.recordFault("error_set_status: HTTP status \(status) is not an error status (400-599)")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            session.error.status = Int(status)
            return BIFROST_OK
        }
        api.error_get_type = { handle, out in
            NativeHost.getString(handle, .error, out, "error_get_type") { $0.error.type }
        }
        api.error_set_type = { handle, value in
            guard let session = NativeSession.resolve(handle, .error, "error_set_type") else { return BIFROST_ERR_INVALID_HANDLE }
            guard let type = NativeHost.decode(value, session, "error_set_type", "type"), !type.isEmpty else {
                session.recordFault("error_set_type: type is empty or invalid")
                return BIFROST_ERR_INVALID_ARGUMENT
            }
            session.error.type = type
            return BIFROST_OK
        }
        api.error_get_code = { handle, out in
            NativeHost.getString(handle, .error, out, "error_get_code") { $0.error.code }
        }
        api.error_set_code = { handle, value in
            NativeHost.setString(handle, .error, value, "error_set_code", "code") { $0.error.code = $1.isEmpty ? nil : $1 }
        }
        api.error_get_message = { handle, out in
            NativeHost.getString(handle, .error, out, "error_get_message") { $0.error.message }
        }
        api.error_set_message = { handle, value in
            NativeHost.setString(handle, .error, value, "error_set_message", "message") { $0.error.message = $1 }
        }
        api.error_get_source = { handle, kind, name in
            guard let session = NativeSession.resolve(handle, .error, "error_get_source") else {
                return BIFROST_ERR_INVALID_HANDLE
            }
            let (kindText, nameText): (String, String) =
                switch session.error.source {
                case .gateway: ("gateway", "")
                case .plugin(let plugin): ("plugin", plugin)
                case .provider(let provider): ("provider", provider)
                }
            let status = NativeHost.give(kindText, kind, session, "error_get_source")
            guard status == BIFROST_OK else { return status }
            return NativeHost.give(nameText, name, session, "error_get_source")
        }
        api.error_get_header = { handle, name, out in
            NativeHost.getByKey(handle, .error, name, out, "error_get_header") { $0.error.headers[$1] }
        }
        api.error_set_header = { handle, name, value in
            NativeHost.setByKey(handle, .error, name, value, "error_set_header", isHeader: true) { $0.error.headers[$1] = $2 }
        }
    }
}
